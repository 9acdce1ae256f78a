from __future__ import annotations

import pytest


@pytest.fixture
def textured():
    return make_textured


def make_textured(h: int = 96, w: int = 128, seed: int = 0):
    """A smooth-plus-texture RGB test picture (compresses like a photo, unlike white noise)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([120 + 60 * np.sin(x / 9.0), 110 + 50 * np.cos(y / 7.0), 100 + 40 * np.sin((x + y) / 11.0)], -1)
    tex = rng.normal(0, 12, (h // 4 + 1, w // 4 + 1, 3)).repeat(4, 0).repeat(4, 1)[:h, :w]
    return np.clip(base + tex + rng.normal(0, 4, (h, w, 3)), 0, 255).astype(np.uint8)
