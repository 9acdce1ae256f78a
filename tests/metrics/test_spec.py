"""The metric spec: one table of facts per metric, used by targets, search margins, BD-rate and reports."""

import math

import numpy as np
import pytest

from qualipress import metrics
from qualipress.errors import TargetError
from qualipress.rd.bd import bd_tables, format_table, to_db
from qualipress.search import parse_target
from tests.conftest import photo_like


def _worse_better(s):
    """Two values of the metric, the first of lower quality."""
    lo = 0.5 if s.high == 1.0 else 20.0
    return (lo, 0.9 if s.high == 1.0 else 40.0) if s.higher_is_better else (3.0, 0.5)


@pytest.mark.parametrize("name", metrics.names())
def test_margin_and_bd_axes_increase_with_quality(name):
    s = metrics.spec(name)
    worse, better = _worse_better(s)
    assert s.margin(better) > s.margin(worse)
    if s.bd is not None:
        a, b = s.bd(np.array([worse, better]))
        assert b > a
    else:
        assert not s.higher_is_better  # bjontegaard needs quality that grows with rate


@pytest.mark.parametrize("name", metrics.names())
def test_perfect_is_what_identical_images_measure(name):
    s = metrics.spec(name)
    if not s.available():
        pytest.skip(f"{name} backend missing")
    im = photo_like()
    assert metrics.measure(im, im, [name])[name].value == pytest.approx(s.perfect)
    assert s.in_range(s.perfect)


def test_lookup_by_name_or_column():
    assert metrics.lookup("psnr-rgb") is metrics.spec("psnr")
    assert metrics.lookup("ms-ssim") is metrics.spec("ms-ssim")
    assert metrics.lookup("ssimulacra2").key == "ssimulacra2"
    assert metrics.lookup("f1-faces") is None


def test_to_db_follows_the_spec():
    assert to_db("ssim-rgb", [0.99])[0] == pytest.approx(20.0)
    assert to_db("ssimulacra2", [80.0])[0] == pytest.approx(80.0)
    assert to_db("f1-faces", [0.5])[0] == pytest.approx(0.5)


def test_ssimulacra2_bd_rate_is_finite_and_labelled_in_points():
    bpp = [0.2, 0.4, 0.8, 1.6, 3.2]
    anchor = {"bpp": bpp, "ssimulacra2": [40.0, 55.0, 68.0, 78.0, 85.0], "butteraugli": [4, 3, 2, 1.5, 1]}
    test = {"bpp": [b * 0.8 for b in bpp], "ssimulacra2": anchor["ssimulacra2"], "butteraugli": [4, 3, 2, 1.5, 1]}
    t = bd_tables({"a": {"results": anchor}, "b": {"results": test}}, "a", ["ssimulacra2", "butteraugli"])
    assert set(t) == {"ssimulacra2"}  # butteraugli has no BD axis
    assert t["ssimulacra2"]["b"]["pchip"]["bd_rate"] == pytest.approx(-20.0, abs=0.5)
    text = format_table(t, "a")
    assert "(in points)" in text and "dB" not in text


def test_target_thresholds_follow_the_spec_range():
    assert parse_target(["psnr>=100"]).constraints[0].value == 100
    assert parse_target(["butteraugli<=0"]).constraints[0].value == 0
    for bad in ("psnr>=120", "ssim>=1.5", "ssim>=0", "ms-ssim>=-0.1", "ssimulacra2>=101"):
        with pytest.raises(TargetError, match="thresholds lie in"):
            parse_target([bad])


def test_search_margin_uses_the_spec_unit():
    im = photo_like()
    noisy = np.clip(im.astype(np.int16) + np.random.default_rng(0).integers(-6, 7, im.shape), 0, 255)
    res = metrics.measure(im, noisy.astype(np.uint8), ["ssim", "psnr"])
    for text in ("ssim>=0.9", "psnr>=30"):
        c = parse_target([text]).constraints[0]
        s = metrics.spec(c.metric)
        assert c.margin(res) == pytest.approx(s.margin(res[c.metric].value) - s.margin(c.value))
        assert math.isfinite(c.margin(res))
