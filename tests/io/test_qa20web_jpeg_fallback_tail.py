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
