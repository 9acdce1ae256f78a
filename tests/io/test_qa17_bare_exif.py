"""QA 17: EXIF handed over with its ``Exif\\0\\0`` marker (as Pillow's ``Exif.tobytes()`` gives it) is written once,
readable, into every output format (it came out doubled in JPEG and HEIF files and unreadable in AVIF)."""

from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import as_image
from qualipress.io.metadata import Carry, bare_exif, carry_for
from tests.conftest import photo_like


def _exif() -> bytes:
    ex = PILImage.Exif()
    ex[0x010F] = "QA17Make"
    return ex.tobytes()  # starts with b"Exif\0\0"


def test_bare_exif_removes_every_leading_marker():
    tiff = _exif()[6:]
    assert bare_exif(b"Exif\x00\x00Exif\x00\x00" + tiff) == tiff
    assert bare_exif(tiff) == tiff
    assert Carry(exif=_exif()).exif == tiff
    assert carry_for({"exif": _exif()}).exif == tiff


@pytest.mark.parametrize("name, quality", [("webp", 80), ("avif", 60), ("heif", 60), ("jpeg", 80), ("png", None)])
def test_prefixed_exif_is_readable_in_the_output(name, quality):
    if name not in codecs.available_names():
        pytest.skip(f"{name} not installed")
    if name == "heif":
        pillow_heif = pytest.importorskip("pillow_heif")
        pillow_heif.register_heif_opener()
    data = codecs.get(name).encode(as_image(photo_like(48, 64)), quality=quality, lossless=quality is None,
                                   metadata=Carry(exif=_exif()))
    assert data.count(b"Exif\x00\x00Exif") == 0
    with PILImage.open(io.BytesIO(data)) as im:
        assert im.getexif().get(0x010F) == "QA17Make"
