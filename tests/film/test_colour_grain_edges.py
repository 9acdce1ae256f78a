"""Colour grain next to isoluminant colour edges (qa13film finding): a block whose luma is flat can hold a colour
edge; its plane-fit residual is the edge, not grain, and must not count as grain kept."""

from __future__ import annotations

import numpy as np

from qualipress.film import decisions, fidelity
from qualipress.io import Image

_LUMA = np.array([0.2126, 0.7152, 0.0722])


def _stripes(h: int = 256, w: int = 256) -> np.ndarray:
    """Flat grey code 0.4 with vertical stripes of another colour at the same luma: R and B +0.15, G lower so that
    luma stays (edges at x = 8 + 64 k, inside 16-px blocks: a quarter of the block columns)."""
    clean = np.full((h, w, 3), 0.4)
    xx = np.arange(w)
    stripe = ((xx - 8) % 128) < 64
    clean[:, stripe, 0] += 0.15
    clean[:, stripe, 2] += 0.15
    clean[:, stripe, 1] -= 0.15 * (_LUMA[0] + _LUMA[2]) / _LUMA[1]
    return clean


def _img(code: np.ndarray) -> Image:
    return Image(np.rint(np.clip(code, 0, 1) * 1023).astype(np.uint16), 10, transfer="log")


def test_colour_edges_in_luma_flat_blocks_do_not_count_as_colour_grain() -> None:
    clean = _stripes()
    g = np.random.default_rng(3).standard_normal(clean.shape) * (6 / 1023)  # independent R, G, B grain
    src = _img(clean + g)
    ref = fidelity.reference(src)
    assert ref.grain_why is None
    # the output keeps the colour edges and the luma grain, but none of the colour grain
    grey_grain = _img(clean + (g @ _LUMA)[..., None])
    lost = fidelity.colour_grain_kept(ref, grey_grain)
    c1 = decisions.profile_parameters("C1")
    assert lost["applies"]
    assert lost["corr"] < 0.2 and lost["energy"] < 0.3
    assert lost["corr"] < c1["min_colour_grain_corr"]
    # the source itself keeps all of it
    same = fidelity.colour_grain_kept(ref, src)
    assert same["corr"] == 1.0 and same["energy"] == 1.0
    chk = decisions.ColourGrainCheck(c1["min_colour_grain_corr"], c1["min_colour_grain_energy"])
    assert not chk(src, grey_grain).passed and chk(src, src).passed
