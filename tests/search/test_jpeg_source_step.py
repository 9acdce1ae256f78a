"""The step below a JPEG source's own quality (issue 12): the re-encode's margin falls far faster there than the
smooth predicted curve's, so the search steps by at least :data:`_SOURCE_SLOPE` instead of leaping into the flat
part of the curve."""

import math
from types import SimpleNamespace

import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import read_image
from qualipress.search import search
from qualipress.search.predict import Prediction
from qualipress.search.search import _JUMP_MARGIN, _SOURCE_REACH, _SOURCE_SLOPE, Probe, _Bracket, _outside
from tests.conftest import shared_data

#: img_071 saved at q85 (grid index 84): margins at ssim>=0.95 of the qa9 finding.
SOURCE = 84
SMOOTH_SLOPE = 0.0175


def _bracket(passing: dict[int, float], failing: dict[int, float] | None = None) -> _Bracket:
    codec = codecs.get("jpeg")
    grid = list(codec.info.quality.grid)
    pred = Prediction(float(SOURCE), 78.8, 91.6, SMOOTH_SLOPE, "ssim>=0.95", SOURCE)
    br = _Bracket(SimpleNamespace(prediction=None, codec=codec), grid, pred)
    br.passing = {i: Probe(grid[i], 1000 + i, True, m, {}) for i, m in passing.items()}
    br.failing = {i: Probe(grid[i], 1000 + i, False, m, {}) for i, m in (failing or {}).items()}
    br.slope = SMOOTH_SLOPE
    return br


def test_the_sources_neighbour_passing_steps_by_the_source_slope_not_the_smooth_one():
    # The source passed by its jump (steered as only just passing), its neighbour by 1.126: the smooth slope
    # leapt a third of the grid down (q51, then 4 probes crept back up to q74).
    br = _bracket({SOURCE: _JUMP_MARGIN, SOURCE - 1: 1.126})
    c = _outside(br, None, SOURCE - 1, None)
    assert c == math.ceil(SOURCE - 1 - 1.126 / _SOURCE_SLOPE - 1e-9)
    assert c > SOURCE - 1 - 1.126 / SMOOTH_SLOPE  # shorter than the smooth slope's step
    # a steeper measured slope is kept (the floor only)
    br = _bracket({SOURCE: _JUMP_MARGIN, SOURCE - 1: 1.126})
    br.slope = 4 * _SOURCE_SLOPE
    assert _outside(br, None, SOURCE - 1, None) == math.ceil(SOURCE - 1 - 1.126 / (4 * _SOURCE_SLOPE) - 1e-9)


def test_the_source_slope_is_not_used_far_below_the_source_or_once_something_failed():
    far = SOURCE - _SOURCE_REACH - 1
    br = _bracket({far: 0.3})
    assert _outside(br, None, far, None) == max(0, math.ceil(far - min(100 / 3, 0.3 / SMOOTH_SLOPE) - 1e-9))
    # a failing probe below: the search is inside a bracket, not extrapolating (and _outside keeps its slope)
    br = _bracket({SOURCE - 1: 1.126}, {10: -0.5})
    assert br.failing and _outside(br, None, SOURCE - 1, None) < SOURCE - 1 - 1.126 / _SOURCE_SLOPE - 5


def test_the_sources_steered_margin_does_not_set_the_local_slope():
    # Two measured passing probes below the source: their secant (0.103 a step) sets the step. The source's
    # steered margin (1e-3) once counted as the probe nearest the threshold, its slope came out negative and was
    # dropped, and the smooth slope sent the search 17 steps down.
    br = _bracket({SOURCE: _JUMP_MARGIN, SOURCE - 1: 1.126, 75: 0.3})
    c = _outside(br, None, 75, None)
    secant = (1.126 - 0.3) / (SOURCE - 1 - 75)
    assert c == math.ceil(75 - 0.3 / secant - 1e-9)
    assert br.slope == pytest.approx(secant)


def test_a_q85_bsd300_source_reencoded_as_jpeg_finds_its_crossing_in_few_probes(tmp_path):
    # qa9's finding: 8 encodes (85, 84, 51, 60, 69, 77, 73, 74); the crossing is 74.
    src = tmp_path / "img_071_q85.jpg"
    PILImage.open(shared_data("train", "bsd300_test100", "img_071.png")).convert("RGB").save(
        src, quality=85, subsampling=2)
    img = read_image(src)
    r = search(img, "jpeg", "ssim>=0.95")
    if r.prediction is None or r.prediction.source_index is None:
        pytest.skip("no shipped JPEG predictor")
    assert r.met and r.encodes <= 5
    assert any(p.setting == r.setting - 1 and not p.passed for p in r.probes)  # the proof: one step lower fails


def test_a_source_predicted_at_its_own_quality_is_steered_below_it_on_the_mosaic(tmp_path, monkeypatch):
    # qa10's worst case (BSD300 test img_092 saved at q75, C1): the search started at the source (q75, its jump),
    # stepped to q74 (still far above the target) and then took five more full-image probes down to q65/q64.
    # Steered on the mosaic from q74 down, its first full-image probe is near the crossing.
    import importlib

    from qualipress.bench.search_bench import resolve_target

    search_module = importlib.import_module("qualipress.search.search")

    src = tmp_path / "img_092_q75.jpg"
    PILImage.open(shared_data("train", "bsd300_test100", "img_092.png")).convert("RGB").save(
        src, quality=75, subsampling=2)
    img = read_image(src)
    target = resolve_target("C1")
    r = search(img, "jpeg", target)
    if r.prediction is None or r.prediction.source_index is None:
        pytest.skip("no shipped JPEG predictor")
    source_q = codecs.get("jpeg").info.quality.grid[r.prediction.source_index]
    assert r.met and r.setting < source_q - 1  # the crossing lies well below the source's quality
    assert r.steering >= 2 and r.encodes <= 3
    assert all(p.setting < source_q for p in r.probes)  # the source itself was never encoded in full
    assert any(p.setting == r.setting - 1 and not p.passed for p in r.probes)  # the proof
    monkeypatch.setattr(search_module, "SOURCE_STEERING", False)
    before = search(img, "jpeg", target)
    assert before.data == r.data and before.encodes > r.encodes  # the same file, found in more full-image probes
