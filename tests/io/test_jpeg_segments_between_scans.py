"""fix18c: under ``--metadata strip`` a COM or APPn segment placed between two scans of a progressive JPEG
survived: :func:`scrub_jpeg` moved up only the segments before the first SOS."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image as PILImage

from qualipress.io.metadata import scrub_jpeg


def _progressive() -> bytes:
    px = (np.random.default_rng(0).random((32, 40, 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    PILImage.fromarray(px).save(buf, "JPEG", quality=80, progressive=True)
    return buf.getvalue()


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB"))


def test_a_comment_and_an_app_segment_between_scans_are_stripped() -> None:
    data = _progressive()
    second = data.index(b"\xff\xda", data.index(b"\xff\xda") + 2)  # the second scan's SOS
    com = b"\xff\xfe" + (2 + 12).to_bytes(2, "big") + b"secret words"
    app = b"\xff\xed" + (2 + 14).to_bytes(2, "big") + b"Photoshop 3.0\x00"
    doctored = data[:second] + com + app + data[second:]
    assert np.array_equal(_pixels(doctored), _pixels(data))
    out = scrub_jpeg(doctored, "strip")
    assert b"secret words" not in out and b"Photoshop 3.0" not in out
    assert np.array_equal(_pixels(out), _pixels(data))
    assert scrub_jpeg(doctored, "keep") == doctored
    assert scrub_jpeg(data, "strip") == data  # nothing to strip: unchanged
