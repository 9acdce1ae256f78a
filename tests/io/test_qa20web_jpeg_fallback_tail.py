"""QA 20 (web): a JPEG that Pillow cannot decode (12-bit, large arithmetic-coded; read through imagecodecs) lost
the count of the bytes after its end-of-image marker, so a motion photo's video was dropped without the decision
naming it, and the kept source was ranked with the video's bytes."""

from __future__ import annotations

from pathlib import Path

import imagecodecs
import numpy as np
import pytest

from qualipress.io import read_image
from tests.conftest import photo_like

TAIL = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(40)


def test_a_twelve_bit_jpeg_counts_its_trailing_bytes(tmp_path: Path) -> None:
    twelve = bytes(imagecodecs.jpeg8_encode(photo_like(32, 48).astype(np.uint16) * 16, level=90, bitspersample=12))
    (tmp_path / "t.jpg").write_bytes(twelve + TAIL)
    image = read_image(tmp_path / "t.jpg")
    assert image.bit_depth == 12 and image.metadata["trailing_bytes"] == len(TAIL)
    (tmp_path / "plain.jpg").write_bytes(twelve)
    assert "trailing_bytes" not in read_image(tmp_path / "plain.jpg").metadata


def test_an_arithmetic_coded_motion_photo_says_its_video_is_dropped(tmp_path: Path) -> None:
    jpeglib = pytest.importorskip("jpeglib")
    import json

    from qualipress.cli import main

    with jpeglib.version("9e"):
        jpeglib.from_spatial(photo_like(1000, 665)).write_spatial(str(tmp_path / "a.jpg"), qt=85,
                                                                  flags=["+ARITH_CODE"])
    src = tmp_path / "m.jpg"
    src.write_bytes((tmp_path / "a.jpg").read_bytes() + TAIL)
    assert main(["compress", str(src), "-o", str(tmp_path / "o"), "--codec", "webp"]) == 0
    record = json.loads((tmp_path / "o" / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert any("after its end-of-image marker" in d for d in record["decisions"])
    assert any("holds the primary image only" in d for d in record["decisions"])


def _cmyk_arith(path: Path, rgb: np.ndarray) -> None:
    """An arithmetic-coded CMYK JPEG with libjpeg's Adobe APP14 segment, its inks stored inverted as Photoshop
    stores them (and Pillow reads them)."""
    jpeglib = pytest.importorskip("jpeglib")
    from PIL import Image as PILImage

    stored = np.ascontiguousarray(255 - np.asarray(PILImage.fromarray(rgb).convert("CMYK")))
    with jpeglib.version("9e"):
        jpeglib.from_spatial(stored, in_color_space=jpeglib.Colorspace.JCS_CMYK).write_spatial(
            str(path), qt=95, flags=["+ARITH_CODE"])


def test_a_cmyk_jpeg_pillow_cannot_decode_is_converted_as_pillow_converts(tmp_path: Path) -> None:
    """It was read as RGBA, its inks taken for colours and alpha. Large: Pillow fails and imagecodecs reads it;
    small: Pillow reads it, and both paths give the same RGB."""
    from PIL import Image as PILImage

    from qualipress.io.readers import _cmyk_as_rgb

    rgb = photo_like(700, 600)
    _cmyk_arith(tmp_path / "big.jpg", rgb)
    image = read_image(tmp_path / "big.jpg")
    assert image.pixels.shape == (700, 600, 3) and image.metadata["converted"] == "CMYK converted to RGB"
    assert np.abs(image.pixels.astype(int) - rgb).mean() < 4
    _cmyk_arith(tmp_path / "small.jpg", rgb[:48, :64])
    with PILImage.open(tmp_path / "small.jpg") as im:
        pillow = np.asarray(im.convert("RGB"))
    stored = imagecodecs.jpeg8_decode((tmp_path / "small.jpg").read_bytes())
    assert np.array_equal(_cmyk_as_rgb(stored, 255, inverted=True), pillow)
