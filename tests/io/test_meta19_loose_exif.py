"""Meta 19: a JPEG APP1 holding EXIF without the standard ``Exif\\0\\0`` signature (a bare TIFF structure, or
``Exif\\0\\xff``) is not read as EXIF by Pillow, so its GPS survived ``--metadata strip-gps`` in the kept source and
its mozjpeg transcode. (ImageMagick's PNG ``Raw profile type exif/xmp`` hex chunks were checked too: already
dropped under strip-gps and named under keep, tests/pipeline/test_qa18web_png_text.py covers the mechanism.)"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import read_image
from qualipress.io.metadata import scrub_jpeg
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.search import parse_target


def _gps_tiff() -> bytes:
    ex = PILImage.Exif()
    ex[0x8825] = {1: "N", 2: (52.0, 30.0, 0.0), 3: "E", 4: (4.0, 54.0, 0.0)}
    return ex.tobytes().removeprefix(b"Exif\x00\x00")


def _jpeg_with_app1(payload: bytes) -> bytes:
    levels = np.random.default_rng(1).integers(0, 4, (48, 48, 1)) * 80
    buf = io.BytesIO()
    PILImage.fromarray(levels.repeat(3, 2).astype(np.uint8)).save(buf, "JPEG", quality=95)
    data = buf.getvalue()
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


@pytest.mark.parametrize("head", [b"", b"Exif\x00\xff"])
def test_nonstandard_exif_loses_its_gps(tmp_path: Path, head: bytes) -> None:
    tiff = _gps_tiff()
    src = tmp_path / "a.jpg"
    src.write_bytes(_jpeg_with_app1(head + tiff))
    assert tiff in scrub_jpeg(src.read_bytes(), "keep")
    assert tiff not in scrub_jpeg(src.read_bytes(), "strip-gps")
    image = read_image(src)
    for policy, held in (("keep", True), ("strip-gps", False)):
        plan = PhotoHooks(metadata=policy).plan(image, path=src, codec="webp", target=parse_target("ssim>=0.9"),
                                                previous=None)
        for name in ("source:jpeg", "transcode:jpeg"):
            out = codecs.get(name).encode(image, lossless=True, **plan.encode_options[name])
            assert (tiff in out) is held, (policy, name)
        assert any("APP1" in n for n in plan.notes) is held  # under keep it is named as lost by re-encodes


def test_a_tiff_shaped_segment_without_location_stays() -> None:
    ex = PILImage.Exif()
    ex[0x010F] = "Camera"
    data = _jpeg_with_app1(ex.tobytes().removeprefix(b"Exif\x00\x00"))
    assert scrub_jpeg(data, "strip-gps") == data
