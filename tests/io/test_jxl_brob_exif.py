"""EXIF of a JPEG XL whose ``Exif`` box libjxl Brotli-compressed (``brob``), as its JPEG transcode does (QA: a
camera JPEG transcoded bit-exactly to JPEG XL showed no EXIF in ``info`` or ``read_image``)."""

from __future__ import annotations

import io

import imagecodecs
from PIL import Image as PILImage

from qualipress.io.metadata import _boxes, read_metadata
from tests.conftest import photo_like


def test_transcoded_jpeg_exif_is_read_from_a_brob_box() -> None:
    exif = PILImage.Exif()
    exif[0x010F] = "QA7Cam"
    buf = io.BytesIO()
    PILImage.fromarray(photo_like(40, 48, seed=11)).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    jxl = bytes(imagecodecs.jpegxl_encode_jpeg(buf.getvalue()))
    kinds = [k for k, *_ in _boxes(jxl)]
    assert b"brob" in kinds or b"Exif" in kinds, kinds
    got = read_metadata(jxl, "jpegxl").get("exif")
    assert got is not None
    back = PILImage.Exif()
    back.load(got)
    assert back.get(0x010F) == "QA7Cam"
