"""Shared fixtures for the preprocess tests: small synthetic images (no data files needed)."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress.io import Image


def textured(h: int = 64, w: int = 96, *, seed: int = 0, dtype: type = np.uint8, bit_depth: int = 8,
             channels: int = 3, noise: float = 8.0) -> Image:
    """A smooth gradient with shapes and Gaussian noise, scaled to ``bit_depth``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 80 + 60 * np.sin(xx / 9.0) * np.cos(yy / 13.0) + 40 * ((xx // 16 + yy // 16) % 2)
    planes = [base + 15 * c for c in range(min(channels, 3))]
    arr = np.stack(planes, axis=2) + rng.normal(0, noise, (h, w, len(planes)))
    arr = np.clip(arr, 0, 255) / 255.0
    maxv = (1 << bit_depth) - 1
    px = np.rint(arr * maxv).astype(dtype)
    if channels in (2, 4):
        alpha = np.full((h, w, 1), maxv, dtype)
        alpha[: h // 2] = maxv // 3
        px = np.concatenate([px, alpha], axis=2)
    return Image(np.ascontiguousarray(px), bit_depth=bit_depth)


@pytest.fixture
def rgb8() -> Image:
    return textured()


@pytest.fixture
def rgb16() -> Image:
    return textured(dtype=np.uint16, bit_depth=16, seed=1)
