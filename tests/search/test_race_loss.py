"""A racing search given up on a prediction (``search.predicted_loss``), not a proof."""

import importlib
from types import SimpleNamespace

import numpy as np
import pytest

from qualipress.io import as_image
from qualipress.search import CheckOutcome, search
from qualipress.search import predict as pr
from qualipress.search.search import Probe
from tests.conftest import photo_like

S = importlib.import_module("qualipress.search.search")  # the module (the package exports the function as search)


def _bracket(failing=None, passing=None, *, slope=0.05, special=None, n=20, own_slope=None, lossless=None,
             drops=()):
    """The parts of a search's bracket that ``predicted_loss`` reads: grid 0..n-1, each setting its own file, and a
    predicted size curve that grows tenfold every ten steps (log10 bpp 0.1 a step)."""
    pred = pr.Prediction(8.0, 6.0, 10.0, slope, "ssim", None, 1.0, ((0.0, float(n - 1)), (0.0, 0.1 * (n - 1))))
    info = SimpleNamespace(lossless=lossless is not None)
    runner = SimpleNamespace(codec=SimpleNamespace(name="avif", info=info), encodable=lossless)
    return SimpleNamespace(failing=failing or {}, passing=passing or {}, special=special,
                           slope=slope if own_slope is None else own_slope, prediction=pred, runner=runner,
                           grid=[float(i) for i in range(n)], groups=[(i, i) for i in range(n)], drops=list(drops))


def _probe(i, margin, size):
    return Probe(float(i), size, margin >= 0, margin, {})


def test_a_failing_probe_bounds_the_smallest_file_from_the_steepest_slope(monkeypatch):
    monkeypatch.setattr(S, "RACE_LOSS", 0.0)
    monkeypatch.setattr(S, "RACE_SLOPE_SPAN", 2.0)  # the arithmetic below (search9's span)
    # Fails at setting 5 by 0.2 with a slope of 0.05 a step: at twice that slope the crossing is 2 steps up, where
    # the size curve puts the file at 10 ** 0.2 = 1.585 times the probe's 1,000 bytes.
    br = _bracket({5: _probe(5, -0.2, 1000)})
    assert S.predicted_loss(br, 1500) is not None and "1,585" in S.predicted_loss(br, 1500)
    assert S.predicted_loss(br, 1600) is None  # it may still win
    monkeypatch.setattr(S, "RACE_LOSS", 0.1)
    assert S.predicted_loss(br, 1500) is None  # 1,585 is not 10 % above 1,500
    monkeypatch.setattr(S, "RACE_LOSS", None)
    assert S.predicted_loss(br, 1000) is None  # races end on proofs only


def test_a_bracket_interpolates_the_size_between_its_ends(monkeypatch):
    monkeypatch.setattr(S, "RACE_LOSS", 0.0)
    monkeypatch.setattr(S, "RACE_SLOPE_SPAN", 2.0)  # the arithmetic below (search9's span)
    # Fails at 5 (-0.2, 1,000 B), passes at 9 (+0.2, 2,000 B): the bracket's slope is 0.1 a step, twice that puts
    # the crossing 1 step up, a quarter of the way: 1,000 * 2 ** 0.25 = 1,189 bytes.
    br = _bracket({5: _probe(5, -0.2, 1000)}, {9: _probe(9, 0.2, 2000)})
    assert "1,189" in (S.predicted_loss(br, 1100) or "")
    assert S.predicted_loss(br, 1200) is None


def test_only_passing_probes_bound_from_the_shallowest_slope(monkeypatch):
    monkeypatch.setattr(S, "RACE_LOSS", 0.0)
    monkeypatch.setattr(S, "RACE_SLOPE_SPAN", 2.0)  # the arithmetic below (search9's span)
    # Passes at 10 by 0.05 (slope 0.05): at half the slope the crossing is 2 steps down, 10 ** -0.2 of 2,000 bytes.
    br = _bracket(passing={10: _probe(10, 0.05, 2000)})
    assert "1,262" in (S.predicted_loss(br, 1200) or "")
    assert S.predicted_loss(br, 1300) is None


def test_the_shipped_span_puts_the_crossing_nearer_than_search9s(monkeypatch):
    # auto15: 1.25 times the slope (2 until search10, then 1.5): from a failure at 5 by 0.2 (slope 0.05) the crossing
    # is 3.2 steps up, 10 ** 0.32 of 1,000 bytes; from a pass at 10 by 0.05 it is 1.25 steps down, 10 ** -0.125 of
    # 2,000 bytes. Both files are larger than with 1.5 (1,848 and 1,416 bytes), so more races are given up.
    monkeypatch.setattr(S, "RACE_LOSS", 0.0)
    assert S.RACE_SLOPE_SPAN == 1.25
    failing = _bracket({5: _probe(5, -0.2, 1000)})
    assert "2,089" in (S.predicted_loss(failing, 1900) or "") and S.predicted_loss(failing, 2100) is None
    passing = _bracket(passing={10: _probe(10, 0.05, 2000)})
    assert "1,500" in (S.predicted_loss(passing, 1450) or "") and S.predicted_loss(passing, 1500) is None
    monkeypatch.setattr(S, "RACE_SLOPE_SPAN", 1.5)
    assert S.predicted_loss(failing, 1900) is None and S.predicted_loss(passing, 1450) is None  # search10's span
    monkeypatch.setattr(S, "RACE_SLOPE_SPAN", 2.0)
    assert S.predicted_loss(failing, 1600) is None  # search9's span: 1,585 bytes, it might still have won


def test_no_prediction_across_a_jpeg_sources_quality_or_a_failed_check(monkeypatch):
    monkeypatch.setattr(S, "RACE_LOSS", 0.0)
    assert S.predicted_loss(_bracket({5: _probe(5, -0.2, 1000)}, special=12), 1000) is None
    checked = _probe(5, -0.2, 1000)
    checked.checks = [CheckOutcome(False, "grain", "failed")]
    assert S.predicted_loss(_bracket({5: checked}), 1000) is None
    assert S.predicted_loss(_bracket({5: _probe(5, -0.2, 1000)}, slope=0.0), 1000) is None


@pytest.mark.parametrize("loss", [None, 0.0])
def test_a_race_the_codec_would_win_is_never_given_up(monkeypatch, loss):
    """Whatever the rule, a bound the codec's own result beats leaves that result (the rule errs towards racing on)."""
    monkeypatch.setattr(S, "RACE_LOSS", loss)
    img = as_image(photo_like(120, 160, seed=4))
    free = search(img, "jpeg", "ssim>=0.95")
    for over in (1.02, 1.2):
        raced = search(img, "jpeg", "ssim>=0.95", bound=int(over * len(free.data)))
        assert raced.met and raced.beaten is None and raced.data == free.data
    lost = search(img, "jpeg", "ssim>=0.95", bound=len(free.data) // 2)
    assert lost.beaten is not None and lost.encodes <= free.encodes + 1
    if loss is None:
        assert lost.beaten.startswith("cannot beat") and not lost.met


def test_review_cases_where_a_prediction_could_give_up_the_winner(monkeypatch):
    """Review of search9: (1) with only passing probes, a codec with a lossless mode is not given up when its
    lossless file (compared only at the end) may beat the bound; (2) a failing probe at a declared metric drop
    predicts nothing (the setting below the drop may pass at fewer bytes); (3) stepping down from a pass uses the
    gentler of the two slopes."""
    monkeypatch.setattr(S, "RACE_LOSS", 0.0)
    monkeypatch.setattr(S, "RACE_SLOPE_SPAN", 2.0)
    passing = {10: _probe(10, 0.05, 2000)}
    assert S.predicted_loss(_bracket(passing=passing), 1200) is not None
    flat = as_image(np.full((64, 64, 3), 90, np.uint8))  # its lossless file is tiny: it may win
    noisy = as_image(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))  # ~12 kB lossless
    assert S.predicted_loss(_bracket(passing=passing, lossless=flat), 1200) is None
    assert S.predicted_loss(_bracket(passing=passing, lossless=noisy), 1200) is not None
    failing = {5: _probe(5, -0.2, 1000)}
    assert S.predicted_loss(_bracket(failing), 1500) is not None
    assert S.predicted_loss(_bracket(failing, drops=[(5, 1)]), 1500) is None  # drop at 5: setting 4 unprobed
    # own slope 0.2 (steeper) beside the prediction's 0.05: the crossing is still put 2 steps down (1,262 B)
    assert "1,262" in (S.predicted_loss(_bracket(passing=passing, own_slope=0.2), 1200) or "")


def test_a_racing_search_above_the_bound_steps_to_the_lower_of_its_crossing_and_the_bounds_size():
    # Every passing probe is larger than the bound (lowest pass at 20, nothing failed yet). The size curve says the
    # file just exceeds the bound at 18; the margins put the crossing at 15: probing 18 could only pass again.
    assert S._toward_bound(15, 18, None, 20) == 15
    # The margins put the crossing above the bound's size: the aim, where a failure proves the loss, comes first.
    assert S._toward_bound(19, 17, None, 20) == 17
    # An aim outside the bracket (at or below the failing end, at or above the lowest pass) or missing is ignored.
    assert S._toward_bound(16, 12, 12, 20) == 16
    assert S._toward_bound(19, 20, None, 20) == 19
    assert S._toward_bound(19, None, None, 20) == 19
