"""Shared fixtures: synthetic images (always available) and the shared data folder (skips when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("QUALIPRESS_DATA", ROOT.parent / "shared" / "data"))


def shared_data(*parts: str) -> Path:
    """Path inside ../shared/data, or skip the test when it is absent."""
    p = DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data not available: {p}")
    return p


def photo_like(h: int = 96, w: int = 128, *, seed: int = 0, channels: int = 3, bits: int = 8) -> np.ndarray:
    """Smooth gradients, edges and texture: compresses like a photograph, not like noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for c in range(channels):
        v = 0.5 + 0.3 * np.sin(x / (7 + 3 * c) + c) * np.cos(y / 11) + 0.2 * (x / w)
        v[(x - w / 2) ** 2 + (y - h / 2) ** 2 < (min(h, w) / 4) ** 2] += 0.15
        v += rng.normal(0, 0.02, v.shape)
        planes.append(v)
    arr = np.clip(np.stack(planes, axis=-1), 0, 1)
    peak = (1 << bits) - 1
    return np.rint(arr * peak).astype(np.uint8 if bits == 8 else np.uint16)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``../shared/data`` (or ``$QUALIPRESS_DATA``); skips the test when absent."""
    if not DATA.is_dir():
        pytest.skip(f"shared test data not found at {DATA}")
    return DATA


@pytest.fixture
def photo() -> np.ndarray:
    return photo_like()


@pytest.fixture(autouse=True)
def _fused_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Measure through the compiled fused SSIM kernels in every test (in this process; subprocesses keep the
    default). The default, "once they pay" (``metrics.core.USE_FUSED = None``), would switch path after the
    session's 100th measurement, wherever in the suite that falls; tests that compare with the OpenCV path set
    it themselves."""
    from qualipress.metrics import core

    monkeypatch.setattr(core, "USE_FUSED", True)
