"""Fixtures: tiny models trained for a few steps on synthetic images (seconds on a CPU)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

DATA = Path(os.environ.get("QUALIPRESS_DATA", Path(__file__).resolve().parents[2] / ".." / "shared" / "data"))


def synthetic_rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth colourful test image with some edges (uint8)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack(
        [
            128 + 100 * np.sin(x / (7 + seed) + y / 13),
            128 + 90 * np.cos(y / (9 + seed)),
            128 + 60 * np.sin((x + y) / 5) * (x > w / 2),
        ],
        axis=-1,
    )
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image

    d = tmp_path_factory.mktemp("synth")
    for i in range(3):
        Image.fromarray(synthetic_rgb(80, 96, i)).save(d / f"img{i}.png")
    return d


def _need_compressai() -> None:
    from qualipress.learned._compressai import is_available

    if not is_available():
        pytest.skip("torch / compressai not installed")


def _train(out: Path, data: Path, arch: str, config: tuple[int, ...], steps: int = 3) -> Path:
    from qualipress.learned.train import TrainConfig, train_codec

    cfg = TrainConfig(arch=arch, config=config, crop=64, batch_size=2, steps=steps, max_minutes=None,
                      log_every=1, val_every=2, threads=1)
    train_codec([data], out, cfg)
    return out


@pytest.fixture(scope="session")
def tiny_hyperprior(tmp_path_factory: pytest.TempPathFactory, synth_dir: Path) -> Path:
    _need_compressai()
    return _train(tmp_path_factory.mktemp("hp") / "hp.pt", synth_dir, "bmshj2018-hyperprior", (16, 16))


@pytest.fixture(scope="session")
def tiny_factorized(tmp_path_factory: pytest.TempPathFactory, synth_dir: Path) -> Path:
    _need_compressai()
    return _train(tmp_path_factory.mktemp("fp") / "fp.pt", synth_dir, "bmshj2018-factorized", (16, 16))
