"""Synthetic frames for the film tests."""

from __future__ import annotations

import numpy as np


def photo_like(h: int = 96, w: int = 128, seed: int = 0, bits: int = 10) -> np.ndarray:
    """A smooth picture with an edge, a textured patch and light grain, as ``bits``-bit RGB samples."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 0.25 + 0.4 * xx / w + 0.1 * yy / h
    rgb = np.stack([base, base * 0.9 + 0.05, base * 0.7 + 0.1], axis=-1)
    rgb[h // 3: 2 * h // 3, w // 2:] += 0.15 * np.sign(np.sin(xx[h // 3: 2 * h // 3, w // 2:] * 1.3))[..., None]
    rgb += rng.normal(0, 0.004, rgb.shape)
    peak = (1 << bits) - 1
    return np.rint(np.clip(rgb, 0, 1) * peak).astype(np.uint16 if bits > 8 else np.uint8)
