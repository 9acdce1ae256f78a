"""A JPEG whose ICC segment is cut short before its sequence number: Pillow cannot open it, and its EXIF (GPS
included) was not read at all, so ``info`` showed no location and ``keep`` dropped the EXIF without a word."""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image

from qualipress.io.metadata import gps_places, read_metadata


def _jpeg_with_gps_and_stub_icc() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (40.0, 41.0, 21.0), 3: "W", 4: (74.0, 2.0, 40.0)}
    buf = io.BytesIO()
    pixels = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(buf, "JPEG", exif=exif.tobytes(), quality=90)
    data = buf.getvalue()
    stub = b"ICC_PROFILE\x00"  # no sequence number, no count
    return data[:2] + b"\xff\xe2" + struct.pack(">H", len(stub) + 2) + stub + data[2:]


def test_exif_of_a_jpeg_pillow_cannot_open_for_its_icc_is_read() -> None:
    data = _jpeg_with_gps_and_stub_icc()
    meta = read_metadata(data, "jpeg")
    assert "exif" in meta and gps_places(meta) == ["exif"]
    assert "malformed" in meta["icc_dropped"] and "icc_profile" not in meta


def test_a_jpeg_pillow_cannot_open_for_another_reason_still_gives_nothing() -> None:
    assert read_metadata(b"\xff\xd8\xff\xe1\x00\x04ab" + b"\x00" * 20, "jpeg") == {}
