"""QA 17: a ``transcode:jpegxl`` file counts only when libjxl rebuilds the source JPEG from it byte for byte."""

from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.codecs.transcode import check_rebuilds
from qualipress.errors import CodecError
from qualipress.io import as_image
from tests.conftest import photo_like

imagecodecs = pytest.importorskip("imagecodecs")


def _jpeg() -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(photo_like(64, 80)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def test_a_real_transcode_rebuilds_its_jpeg():
    jpeg = _jpeg()
    jxl = codecs.get("transcode:jpegxl").encode(as_image(photo_like(64, 80)), source=jpeg)
    check_rebuilds(jxl, jpeg)  # no error
    assert bytes(imagecodecs.jpegxl_decode_jpeg(jxl)) == jpeg


def test_a_transcode_that_rebuilds_other_bytes_is_not_taken(monkeypatch):
    jpeg = _jpeg()
    real = imagecodecs.jpegxl_decode_jpeg

    def flipped(data):  # a reconstruction that differs in one byte of the entropy-coded data
        out = bytearray(real(data))
        out[-10] ^= 0x01
        return bytes(out)

    monkeypatch.setattr(imagecodecs, "jpegxl_decode_jpeg", flipped)
    with pytest.raises(CodecError, match="differs from the source"):
        codecs.get("transcode:jpegxl").encode(as_image(photo_like(64, 80)), source=jpeg)


def test_a_jxl_without_reconstruction_data_is_refused():
    jpeg = _jpeg()
    pixels_only = bytes(imagecodecs.jpegxl_encode(photo_like(64, 80), distance=1.0))
    with pytest.raises(CodecError, match="cannot be rebuilt"):
        check_rebuilds(pixels_only, jpeg)
