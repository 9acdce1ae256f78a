"""Shared fixtures for the film tests: small synthetic frames and the shared data directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualipress.io import dpx

from .synth import photo_like


def data_dir() -> Path | None:
    """``../shared/data`` beside the repository (or $QUALIPRESS_DATA), None when absent."""
    env = os.environ.get("QUALIPRESS_DATA")
    p = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    return p.resolve() if p.is_dir() else None


@pytest.fixture
def hdr_film() -> Path:
    d = data_dir()
    if d is None or not (d / "hdr_film").is_dir():
        pytest.skip("../shared/data/hdr_film is absent")
    return d / "hdr_film"


@pytest.fixture
def dpx_sequence(tmp_path: Path) -> Path:
    """Four 10-bit DPX frames (numbers 1001-1002, 1004-1005: one gap) in ``tmp_path/scans``."""
    d = tmp_path / "scans"
    d.mkdir()
    for i, n in enumerate((1001, 1002, 1004, 1005)):
        px = photo_like(seed=i)
        (d / f"reel.{n:07d}.dpx").write_bytes(dpx.encode_dpx(px, frame_rate=24, frame=n))
    return d
