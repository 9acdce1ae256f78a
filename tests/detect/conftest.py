from __future__ import annotations

import os
from pathlib import Path

import pytest


def data_root() -> Path:
    env = os.environ.get("QUALIPRESS_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    root = data_root()
    if not root.is_dir():
        pytest.skip(f"shared test data not found at {root}")
    return root
