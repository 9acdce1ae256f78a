import itertools
import math

import numpy as np
import pytest

from qualipress.io import read_jsonl
from qualipress.preprocess import evaluate
from qualipress.preprocess.evaluate import Point, at_setting, bd_rate, compare, mean_bd_rate, sweep
from qualipress.preprocess.pool import bilateral

from .conftest import textured


def test_bd_rate_of_a_scaled_curve():
    r = [0.5, 0.8, 1.2, 1.9]
    d = [30.0, 33.0, 36.0, 39.0]
    assert bd_rate(r, d, [x * 0.9 for x in r], d) == pytest.approx(-10.0)
    assert bd_rate(r, d, r, d) == pytest.approx(0.0)


def test_bd_rate_matches_bjontegaard_pchip():
    bj = pytest.importorskip("bjontegaard")
    ra, da = [0.5, 0.8, 1.2, 1.9], [30.0, 33.0, 36.0, 39.0]
    rb, db = [0.45, 0.75, 1.1, 1.8], [29.8, 33.1, 35.9, 39.2]
    assert bd_rate(ra, da, rb, db) == pytest.approx(bj.bd_rate(ra, da, rb, db, method="pchip"), rel=1e-9)


def test_bd_rate_without_overlap_is_nan():
    assert math.isnan(bd_rate([1, 2], [30, 31], [1, 2], [40, 41]))


def test_mean_bd_rate_and_sweep():
    img = textured(h=64, w=96, noise=6.0)
    qs = [40, 60, 80, 95]
    base = sweep(img, img, "jpeg", qs, metrics=("psnr",))
    assert [p.quality for p in base] == qs
    assert all(a.bpp < b.bpp for a, b in itertools.pairwise(base))
    same = mean_bd_rate([base], [base], "psnr")
    assert same["mean"] == pytest.approx(0.0) and same["n"] == 1
    smooth = sweep(img, bilateral(img), "jpeg", qs, metrics=("psnr",))
    assert at_setting(smooth, 60).bpp < at_setting(base, 60).bpp
    assert np.isfinite(mean_bd_rate([base], [smooth], "psnr")["mean_curve"])


def test_point_dict():
    p = Point(75.0, 1000, 1.5, {"psnr": 35.0})
    assert p.to_dict() == {"quality": 75.0, "nbytes": 1000, "bpp": 1.5, "psnr": 35.0}


def test_bd_rate_is_the_rd_bd_code_path():
    from qualipress.rd.bd import bd_pair, to_db

    ra, da = [0.5, 0.8, 1.2, 1.9], [0.95, 0.97, 0.98, 0.99]
    rb, db = [0.45, 0.75, 1.1, 1.8], [0.951, 0.969, 0.981, 0.991]
    ref = bd_pair(ra, to_db("ms-ssim", da), rb, to_db("ms-ssim", db))["bd_rate"]
    assert bd_rate(ra, da, rb, db, metric="ms-ssim") == pytest.approx(ref, rel=1e-12)
    assert math.isnan(bd_rate(ra[:3], da[:3], rb[:3], db[:3]))  # rd/bd.py needs 4 points


def test_mean_bd_rate_reports_every_image_and_the_worst():
    qs = [1.0, 2.0, 3.0, 4.0]

    def curve(scale):
        return [Point(q, 0, scale * q, {"psnr": 30.0 + 3 * q}) for q in qs]

    anchor = [curve(1.0), curve(1.0)]
    test = [curve(0.9), curve(1.05)]
    r = mean_bd_rate(anchor, test, "psnr")
    assert r["per_image"] == pytest.approx([-10.0, 5.0])
    assert r["worst"] == 1 and r["n_negative"] == 1 and r["mean"] == pytest.approx(-2.5)


def test_compare_cache_is_reused_and_survives_a_torn_line(tmp_path, monkeypatch):
    img = textured(h=32, w=48, noise=6.0)
    cache = tmp_path / "sweeps.jsonl"
    qs = [40, 60, 80, 95]
    first = compare([img], ["none"], "jpeg", qs, metrics=("psnr",), cache=cache)
    cache.write_text(cache.read_text() + '{"key": "torn by a kill')  # an interrupted append
    with monkeypatch.context() as m:
        m.setattr(evaluate, "probe", lambda *a, **k: pytest.fail("a cached sweep was encoded again"))
        again = compare([img], ["none"], "jpeg", qs, metrics=("psnr",), cache=cache)
    assert again["none"]["sweeps"] == first["none"]["sweeps"]
    compare([img], ["bilateral"], "jpeg", qs, metrics=("psnr",), cache=cache)
    assert len(read_jsonl(cache)) == 2  # the new sweep starts on a fresh line, not glued to the torn one
