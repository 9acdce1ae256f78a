"""rev11: APPn segments placed after a JPEG's tables (DQT) under ``--metadata keep``.

``scrub_jpeg`` leaves a ``keep`` source as it is, and ``embed_jpeg`` looked at the leading APPn segments only: it
wrote the carried ICC profile / EXIF before the tables and left the source's own after them. Two ICC segments
"1 of 1" make readers see no profile at all (the kept source lost its colour space), and the EXIF was written twice.
"""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image as PILImage
from PIL import ImageCms

from qualipress.io.metadata import carry_for, embed_jpeg, read_metadata, scrub_jpeg

ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _app(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _after_dqt(data: bytes, segments: bytes) -> bytes:
    q = data.index(b"\xff\xdb")
    at = q + 2 + struct.unpack(">H", data[q + 2 : q + 4])[0]
    return data[:at] + segments + data[at:]


def _jpeg() -> bytes:
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    PILImage.fromarray(noise).save(buf, "JPEG", quality=30)
    return buf.getvalue()


def _markers(data: bytes, marker: int, head: bytes) -> int:
    pos, n = 2, 0
    while data[pos + 1] != 0xDA:
        end = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        n += data[pos + 1] == marker and data[pos + 4 : end].startswith(head)
        pos = end
    return n


def test_keep_of_a_late_icc_profile_and_exif_writes_each_once() -> None:
    exif = PILImage.Exif()
    exif[0x0112] = 6
    late = _after_dqt(_jpeg(), _app(0xE2, b"ICC_PROFILE\x00\x01\x01" + ICC) + _app(0xE1, exif.tobytes()))
    meta = read_metadata(late, "jpeg")
    out = embed_jpeg(scrub_jpeg(late, "keep"), carry_for(meta, "keep", orientation=6))
    with PILImage.open(io.BytesIO(out)) as im:
        assert im.info.get("icc_profile") == ICC  # before: None, two "1 of 1" ICC segments
        assert im.getexif().get(0x0112) == 6
    assert _markers(out, 0xE2, b"ICC_PROFILE\x00") == 1
    assert _markers(out, 0xE1, b"Exif\x00\x00") == 1
