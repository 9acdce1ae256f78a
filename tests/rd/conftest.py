"""Fixtures for the RD harness tests: a tiny synthetic dataset."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

DATA = Path(os.environ.get("QUALIPRESS_DATA", Path(__file__).resolve().parents[2] / ".." / "shared" / "data"))


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    from PIL import Image

    d = tmp_path / "ds"
    d.mkdir()
    rng = np.random.default_rng(1)
    for i in range(2):
        y, x = np.mgrid[0:48, 0:64].astype(np.float32)
        img = np.stack([128 + 90 * np.sin(x / (5 + i)), 128 + 80 * np.cos(y / 7), 100 + x], -1)
        img += rng.normal(0, 6, img.shape)
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(d / f"im{i}.png")
    return d
