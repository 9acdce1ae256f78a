"""Warm starts from the previous image of a batch (search.search._warm_from_prediction)."""

import pytest


def test_a_warm_start_takes_the_previous_slope_only_from_a_near_identical_frame():
    """kodim03 after kodim02 (JPEG, SSIM >= 0.95): predictions 2 steps apart lent a slope ~6x kodim03's own, and its
    mosaic steering stopped after one probe, 9 steps high (5 full-image probes instead of 2)."""
    from types import SimpleNamespace

    from qualipress.search.search import Hint, _warm_from_prediction

    prediction = SimpleNamespace(index=50.0, slope=0.02)
    for gap, want in ((0.0, 0.12), (0.3, 0.12), (1.0, 0.02), (2.0, 0.02)):
        previous = Hint(48.0, slope=0.12, predicted=50.0 + gap, residual=-2.0)
        hint = _warm_from_prediction(prediction, previous)
        assert hint.slope == want, gap
        assert hint.index == pytest.approx(50.0 - 2.0 * max(0.0, 1 - gap / 4.0))  # the residual's share as before
