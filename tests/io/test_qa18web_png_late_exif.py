"""QA 18 (web): a PNG whose ``eXIf`` chunk comes after its image data keeps its stored orientation. The PNG
specification (3rd edition) puts ``eXIf`` before ``IDAT`` and browsers ignore a late one (Chromium drew such a
6-tagged 299x199 PNG 299 wide); the reader turned it, so every output showed turned in the browser. An ``eXIf``
before the image data still turns the pixels; the dry run's ``header_dimensions`` follows the same rule."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.io import read_image
from qualipress.io.metadata import png_chunk, png_chunks, png_exif_late, read_metadata
from qualipress.io.readers import header_dimensions


def _png(path: Path, *, late: bool) -> np.ndarray:
    pixels = np.zeros((5, 7, 3), np.uint8)
    pixels[0, 0] = (255, 0, 0)  # marked corner
    exif = PILImage.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    PILImage.fromarray(pixels).save(buf, "PNG")
    chunk = png_chunk(b"eXIf", exif.tobytes().removeprefix(b"Exif\x00\x00"))
    chunks = [raw for kind, _, raw in png_chunks(buf.getvalue())]
    at = len(chunks) - 1 if late else 1  # before IEND, or right after IHDR
    path.write_bytes(buf.getvalue()[:8] + b"".join(chunks[:at]) + chunk + b"".join(chunks[at:]))
    return pixels


@pytest.mark.parametrize("late", [True, False])
def test_late_exif_orientation_is_not_applied(tmp_path: Path, late: bool) -> None:
    src = tmp_path / "a.png"
    pixels = _png(src, late=late)
    assert png_exif_late(src) is late
    image = read_image(src)
    if late:
        assert image.pixels.shape[:2] == (5, 7) and np.array_equal(image.pixels, pixels)
        assert read_metadata(src, "png")["orientation"] == 1
        assert header_dimensions(src) == (7, 5)
    else:  # turned clockwise: the marked corner goes top right
        assert image.pixels.shape[:2] == (7, 5) and tuple(image.pixels[0, -1]) == (255, 0, 0)
        assert header_dimensions(src) == (5, 7)
