"""BD on non-monotone curves, checked against the ``bjontegaard`` package (QA session 17, researcher): the points
left out are named in the note."""

from __future__ import annotations

import math
import warnings

import bjontegaard as bjd
import pytest

from qualipress.rd.bd import bd_pair

RATE = [0.25, 0.5, 1.0, 2.0, 4.0]
PSNR = [28.0, 31.0, 34.0, 37.0, 40.0]


def test_regular_curves_equal_bjontegaard_exactly() -> None:
    tr, td = [0.2, 0.45, 0.8, 1.7, 3.5], [27.5, 30.8, 33.6, 36.9, 39.7]
    for method in ("pchip", "akima"):
        r = bd_pair(RATE, PSNR, tr, td, method=method)
        assert r["bd_rate"] == pytest.approx(bjd.bd_rate(RATE, PSNR, tr, td, method=method), abs=1e-9)
        assert r["bd_metric"] == pytest.approx(bjd.bd_psnr(RATE, PSNR, tr, td, method=method), abs=1e-9)
        assert r["note"] == ""


def test_points_left_out_of_a_non_monotone_curve_are_named() -> None:
    """bjontegaard refuses this curve (PCHIP needs increasing quality); qualipress computes on the points that
    are above every lower-rate point. That used to happen with an empty note, so +18.8 % looked like a figure on
    all five points."""
    test = [28.0, 31.5, 31.0, 35.0, 39.0]  # the 1.0 bpp point is below the 0.5 bpp one
    with pytest.raises(ValueError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bjd.bd_rate(RATE, PSNR, RATE, test, method="pchip")
    r = bd_pair(RATE, PSNR, RATE, test)
    kept_r, kept_d = [0.25, 0.5, 2.0, 4.0], [28.0, 31.5, 35.0, 39.0]
    assert r["bd_rate"] == pytest.approx(bjd.bd_rate(RATE, PSNR, kept_r, kept_d, method="pchip",
                                                     require_matching_points=False), abs=1e-9)
    assert "test: 1 point left out" in r["note"] and "1 bpp" in r["note"], r["note"]
    assert "anchor" not in r["note"]


def test_infinite_quality_point_is_named_too() -> None:
    r = bd_pair([*RATE, 8.0], [*PSNR, math.inf], RATE, PSNR)
    assert r["bd_rate"] == pytest.approx(0.0, abs=1e-9)
    assert "anchor: 1 point left out" in r["note"] and "8 bpp" in r["note"], r["note"]


def test_of_two_points_at_one_rate_the_better_is_kept() -> None:
    """Review rev6: a stable sort by rate kept the first of two equal-rate points, the worse one when it came first,
    and named the better one as left out; the figure is that of the points above every lower-rate point."""
    rate, psnr = [0.25, 0.5, 0.5, 1.0, 2.0, 4.0], [28.0, 30.0, 31.0, 34.0, 37.0, 40.0]
    r = bd_pair(rate, psnr, RATE, PSNR)
    assert r["bd_rate"] == pytest.approx(0.0, abs=1e-9)
    assert "anchor: 1 point left out (0.5 bpp / 30)" in r["note"], r["note"]
