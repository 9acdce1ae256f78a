"""BD-metric is integrated over the shared bit-rate range: it exists when the quality ranges do not overlap
(QA session 17, researcher)."""

from __future__ import annotations

import math

import pytest

from qualipress.rd.bd import bd_pair

RATE = [0.25, 0.5, 1.0, 2.0, 4.0]
PSNR = [28.0, 31.0, 34.0, 37.0, 40.0]


def test_bd_metric_when_only_the_bit_rate_ranges_overlap() -> None:
    """BD-PSNR integrates over the shared bit-rate range: 20 dB better at every rate is +20 dB, not n/a."""
    r = bd_pair(RATE, PSNR, RATE, [p + 20 for p in PSNR])
    assert math.isnan(r["bd_rate"]) and "quality ranges do not overlap" in r["note"]
    assert r["bd_metric"] == pytest.approx(20.0, abs=1e-6)


def test_no_overlap_on_either_axis_gives_no_number() -> None:
    r = bd_pair(RATE, PSNR, [v * 100 for v in RATE], [p + 20 for p in PSNR])
    assert math.isnan(r["bd_rate"]) and math.isnan(r["bd_metric"])
    assert "quality ranges do not overlap" in r["note"] and "bit-rate ranges do not overlap" in r["note"]
