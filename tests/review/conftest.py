"""Fixtures for the review tests: a small `qualipress compress`-style collection made with Pillow."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from starlette.testclient import TestClient

from qualipress.review.app import build_app
from qualipress.review.pairs import REPORT_NAME, scan_collections


def smooth_image(seed: int, size: tuple[int, int] = (48, 32)) -> np.ndarray:
    """An 8-bit RGB test image with gradients (shows banding/blocking when compressed)."""
    w, h = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    chans = [
        128 + 100 * np.sin(x / (5 + 3 * rng.random()) + y / (7 + 3 * rng.random()) + rng.random() * 6) for _ in range(3)
    ]
    return np.clip(np.stack(chans, axis=2), 0, 255).astype(np.uint8)


def make_report_collection(tmp: Path, n: int = 3) -> Path:
    """Originals in ``tmp/src`` (outside the collection), JPEG/WebP outputs and a report in ``tmp/out``.

    Records: ``n`` inputs × (jpeg with profile C1 as absolute paths, webp with profile C2 as relative
    paths), one failed input, one record whose output escapes the collection.
    """
    src = tmp / "src"
    out = tmp / "out"
    src.mkdir(parents=True)
    (out / "sub").mkdir(parents=True)
    records = []
    for i in range(n):
        arr = smooth_image(i)
        orig = src / f"img{i}.png"
        PILImage.fromarray(arr).save(orig)
        jpg = out / f"img{i}.jpg"
        PILImage.fromarray(arr).save(jpg, quality=30)
        webp = out / "sub" / f"img{i}.webp"
        PILImage.fromarray(arr).save(webp, quality=40)
        records.append(
            {
                "input": str(orig),
                "output": str(jpg),
                "codec": "jpeg",
                "params": {"quality": 30},
                "target": ["ssim>=0.95"],
                "metrics": {"ssim": 0.951},
                "error": None,
                "profile": "C1",
            }
        )
        records.append(
            {
                "input": f"../src/img{i}.png",
                "output": f"sub/img{i}.webp",
                "codec": "webp",
                "params": {"quality": 40},
                "target": ["ssim>=0.90"],
                "metrics": {"ssim": 0.92},
                "error": None,
                "profile": "C2",
            }
        )
    records.append(
        {
            "input": str(src / "broken.png"),
            "output": None,
            "codec": "jpeg",
            "params": {},
            "target": None,
            "metrics": {},
            "error": "InputError: truncated file",
        }
    )
    secret = tmp / "secret.png"
    PILImage.fromarray(smooth_image(99)).save(secret)
    records.append(
        {
            "input": str(src / "img0.png"),
            "output": "../secret.png",
            "codec": "jpeg",
            "params": {},
            "target": None,
            "metrics": {},
            "error": None,
        }
    )
    (out / REPORT_NAME).write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return out


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    return make_report_collection(tmp_path)


def make_client(collection: Path, db: Path, *, blind: bool = False) -> TestClient:
    app = build_app(scan_collections([collection]), db, blind=blind)
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture
def client(collection: Path, tmp_path: Path) -> TestClient:
    with make_client(collection, tmp_path / "review.sqlite") as c:
        yield c


@pytest.fixture
def blind_client(collection: Path, tmp_path: Path) -> TestClient:
    with make_client(collection, tmp_path / "blind.sqlite", blind=True) as c:
        yield c
