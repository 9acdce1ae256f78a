"""QA 17 (web): ``info`` / ``Image.metadata["jpeg"]`` names how a JPEG that Pillow cannot decode is coded. Before,
an 8-bit arithmetic-coded JPEG (libjpeg 9's ``ARITH_CODE``) was labelled "12-bit or lossless". (Pillow decodes small
arithmetic-coded JPEGs and fails on larger ones, "broken data stream": libjpeg-turbo's arithmetic decoder cannot
suspend, and Pillow feeds the file in pieces; the reader then falls back to imagecodecs.)"""

from __future__ import annotations

from pathlib import Path

import imagecodecs
import numpy as np
import pytest

from qualipress.io import read_image
from qualipress.io.readers import jpeg_coding
from tests.conftest import photo_like


def test_an_arithmetic_coded_jpeg_is_named_so(tmp_path: Path) -> None:
    jpeglib = pytest.importorskip("jpeglib")
    px = photo_like(1000, 665)  # large enough that Pillow fails and the fallback reads it
    with jpeglib.version("9e"):
        jpeglib.from_spatial(px).write_spatial(str(tmp_path / "a.jpg"), qt=85, flags=["+ARITH_CODE"])
    image = read_image(tmp_path / "a.jpg")
    assert image.bit_depth == 8 and image.metadata["jpeg"] == "arithmetic-coded sequential, 8-bit"


def test_twelve_bit_and_ordinary_frames() -> None:
    twelve = imagecodecs.jpeg8_encode(photo_like(16, 16).astype(np.uint16) * 16, level=90, bitspersample=12)
    assert jpeg_coding(bytes(twelve)) == "extended sequential, 12-bit"
    assert jpeg_coding(bytes(imagecodecs.jpeg8_encode(photo_like(16, 16), level=90))) == "baseline, 8-bit"
    assert jpeg_coding(b"\xff\xd8\xff\xe0\x00\x02") is None
