"""BD-rate / BD-PSNR against cases with a known answer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qualipress.rd.bd import bd_pair, bd_tables, format_table, to_db

RATE = [0.25, 0.5, 1.0, 2.0, 4.0]
PSNR = [28.0, 31.0, 34.0, 37.0, 40.0]


@pytest.mark.parametrize("method", ["pchip", "akima"])
def test_identical_curves_give_zero(method: str) -> None:
    r = bd_pair(RATE, PSNR, RATE, PSNR, method=method)
    assert r["bd_rate"] == pytest.approx(0.0, abs=1e-9)
    assert r["bd_metric"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("method", ["pchip", "akima"])
def test_half_the_rate_is_minus_fifty_percent(method: str) -> None:
    r = bd_pair(RATE, PSNR, [v / 2 for v in RATE], PSNR, method=method)
    assert r["bd_rate"] == pytest.approx(-50.0, abs=1e-6)
    assert r["bd_metric"] > 0


@pytest.mark.parametrize("method", ["pchip", "akima"])
def test_one_db_better_at_equal_rate(method: str) -> None:
    r = bd_pair(RATE, PSNR, RATE, [p + 1 for p in PSNR], method=method)
    assert r["bd_metric"] == pytest.approx(1.0, abs=1e-6)
    assert r["bd_rate"] < 0


def test_disjoint_curves_are_reported_not_invented() -> None:
    r = bd_pair(RATE, PSNR, RATE, [p + 30 for p in PSNR])
    assert math.isnan(r["bd_rate"]) and "overlap" in r["note"]
    r = bd_pair(RATE[:3], PSNR[:3], RATE, PSNR)
    assert math.isnan(r["bd_rate"]) and ">= 4" in r["note"]


def test_ms_ssim_is_converted_to_db() -> None:
    assert to_db("ms-ssim-rgb", [0.9, 0.99]) == pytest.approx([10.0, 20.0])
    assert to_db("psnr-rgb", [30.0]) == pytest.approx([30.0])


def test_tables_skip_anchor_and_tasks() -> None:
    ms = list(1 - 10 ** (-np.asarray(PSNR) / 20))
    curves = {
        "a": {"results": {"bpp": RATE, "psnr-rgb": PSNR, "ms-ssim-rgb": ms, "f1-faces": [1] * 5}},
        "b": {"results": {"bpp": [v * 0.8 for v in RATE], "psnr-rgb": PSNR, "ms-ssim-rgb": ms, "f1-faces": [1] * 5}},
    }
    t = bd_tables(curves, "a", ["psnr-rgb", "ms-ssim-rgb", "f1-faces"])
    assert set(t) == {"psnr-rgb", "ms-ssim-rgb"} and set(t["psnr-rgb"]) == {"b"}
    assert t["psnr-rgb"]["b"]["pchip"]["bd_rate"] == pytest.approx(-20.0, abs=1e-6)
    assert "-20.00%" in format_table(t, "a")


def test_to_db_converts_ssim_but_not_ssimulacra2():
    assert to_db("ms-ssim", [0.99])[0] == pytest.approx(20.0)
    assert to_db("ssim", [0.9])[0] == pytest.approx(10.0)
    assert to_db("ssimulacra2", [73.6])[0] == pytest.approx(73.6)
