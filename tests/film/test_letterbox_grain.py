"""Digital letterbox bars on a grainy frame (lead, session 12). Bars covering a quarter of the rows (2.39:1 scope in
a 16:9 container is 25.6 %) were the whole flattest quarter of the frame: ``analyse`` read grain σ 0.0 and the C1
grain check's reference said "the flattest regions hold no grain", so a grainy scope frame got no grain check."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress.film import analysis, fidelity
from qualipress.io.image import Image


def _frame(bars: float, seed: int = 3) -> Image:
    rng = np.random.default_rng(seed)
    h, w = 288, 512
    yy, xx = np.mgrid[0:h, 0:w]
    clean = (300 + 200 * xx / w + 60 * np.sin(yy / 40.0))[..., None] + np.array([20.0, 0.0, -15.0])
    shared = rng.standard_normal((h, w, 1))
    px = clean + 6.0 * (np.sqrt(0.5) * shared + np.sqrt(0.5) * rng.standard_normal((h, w, 3)))
    n = int(round(h * bars / 2 / 16)) * 16  # whole block rows, as a real matte at 2K is
    if n:
        px[:n] = 64.0
        px[h - n:] = 64.0
    return Image(np.rint(np.clip(px, 0, 1023)).astype(np.uint16), 10, transfer="log")


@pytest.mark.parametrize("bars", [0.25, 0.33, 0.45])
def test_grain_sigma_ignores_the_bars(bars: float) -> None:
    want = analysis.frame_arrays(_frame(0.0)).grain["sigma"]
    got = analysis.frame_arrays(_frame(bars)).grain["sigma"]
    assert want > 0.004
    assert got == pytest.approx(want, rel=0.08)


@pytest.mark.parametrize("bars", [0.25, 0.45])
def test_colour_grain_is_measured_with_wide_bars(bars: float) -> None:
    img = _frame(bars)
    cg = analysis.colour_grain(img, analysis.frame_arrays(img).stats)
    assert cg["blocks"] > 0
    assert cg["rgb_correlation"] == pytest.approx(0.5, abs=0.07)


@pytest.mark.parametrize("bars", [0.25, 0.45])
def test_the_grain_check_applies_to_a_letterboxed_frame(bars: float) -> None:
    ref = fidelity.reference(_frame(bars))
    plain = fidelity.reference(_frame(0.0))
    assert ref.grain_why is None
    assert ref.sigma == pytest.approx(plain.sigma, rel=0.1)


def test_a_frame_of_bars_only_has_no_grain() -> None:
    img = Image(np.full((64, 96, 3), 64, np.uint16), 10, transfer="log")
    assert analysis.frame_arrays(img).grain["sigma"] == 0.0
    assert fidelity.reference(img).grain_why is not None
