"""JPEG XL files of 9–16-bit images carry their real transfer function (imagecodecs tagged them linear light)."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

from qualipress import codecs
from qualipress.codecs import jxlcolour
from qualipress.io import Image
from tests.conftest import photo_like

oiio = pytest.importorskip("OpenImageIO")


def _cicp(data: bytes) -> tuple[int, ...]:
    fd, path = tempfile.mkstemp(suffix=".jxl")
    os.write(fd, data)
    os.close(fd)
    try:
        inp = oiio.ImageInput.open(path)
        cicp = tuple(inp.spec().getattribute("CICP"))
        inp.close()
        return cicp
    finally:
        os.unlink(path)


def _deep(bits: int, channels: int = 3, transfer: str = "srgb") -> Image:
    px = photo_like(48, 64, channels=channels).astype(np.int64) * ((1 << bits) - 1) // 255
    return Image(px.astype(np.uint16), bits, transfer)


@pytest.mark.parametrize(("bits", "channels", "transfer", "cicp"), [
    (16, 3, "srgb", (1, 13, 0, 1)), (10, 3, "srgb", (1, 13, 0, 1)), (12, 4, "bt709", (1, 1, 0, 1)),
    (16, 1, "srgb", (0, 13, 0, 1)), (10, 1, "bt709", (1, 1, 0, 1)), (16, 2, "srgb", (1, 13, 0, 1))])
def test_deep_srgb_outputs_are_tagged_srgb_and_lossless_stays_exact(bits, channels, transfer, cicp):
    img = _deep(bits, channels, transfer)
    for name, kw in (("jpegxl", {"quality": 1.0}), ("jpegxl-lossless", {})):
        codec = codecs.get(name)
        data = codec.encode(img, **kw)
        assert _cicp(data) == cicp  # was (1, 8, 0, 1): linear light
        dec = codecs.decode_like(codec, data, img)
        assert dec.pixels.shape == img.pixels.shape and dec.bit_depth == bits
        err = np.abs(dec.pixels.astype(int) - img.pixels.astype(int))
        assert err.max() == 0 if name == "jpegxl-lossless" else err.mean() < 0.02 * ((1 << bits) - 1)


@pytest.mark.parametrize(("transfer", "cicp"), [("pq", (1, 16, 0, 1)), ("hlg", (1, 18, 0, 1))])
def test_pq_and_hlg_images_are_tagged_as_what_they_are(transfer, cicp):
    """PQ- and HLG-coded images were written through imagecodecs and tagged linear light (review, session 5)."""
    img = _deep(10, 3, transfer)
    assert jxlcolour.tagged(img)
    for name, kw in (("jpegxl", {"quality": 1.0}), ("jpegxl-lossless", {})):
        codec = codecs.get(name)
        data = codec.encode(img, **kw)
        assert _cicp(data) == cicp  # was (1, 8, 0, 1)
        dec = codecs.decode_like(codec, data, img)
        assert dec.bit_depth == 10 and dec.transfer == transfer
        if name == "jpegxl-lossless":
            assert np.array_equal(dec.pixels, img.pixels)


def test_log_unknown_and_linear_images_keep_the_imagecodecs_encode():
    """No CICP code fits log scans (libjxl names no log curve): they keep the previous encode (documented: their tag
    stays linear, the seal states the encoding); linear images are tagged linear rightly."""
    for transfer in ("log", "unknown", "linear"):
        img = _deep(10, 3, transfer)
        assert not jxlcolour.tagged(img)
        codec = codecs.get("jpegxl-lossless")
        data = codec.encode(img)
        assert _cicp(data) == (1, 8, 0, 1)
        dec = codecs.decode_like(codec, data, img)
        assert np.array_equal(dec.pixels, img.pixels)
    assert not jxlcolour.tagged(Image(photo_like(8, 8), 8))


@pytest.mark.parametrize("bits", [10, 16])
def test_deep_grey_is_one_grey_channel(bits):
    """9-16-bit grey was written as three equal colour channels (OpenImageIO refuses grey tagged with primaries)."""
    img = _deep(bits, 1)
    for name, kw in (("jpegxl", {"quality": 1.0}), ("jpegxl-lossless", {})):
        data = codecs.get(name).encode(img, **kw)
        fd, path = tempfile.mkstemp(suffix=".jxl")
        os.write(fd, data)
        os.close(fd)
        try:
            inp = oiio.ImageInput.open(path)
            spec = inp.spec()
            nch, space = spec.nchannels, spec.getattribute("ICCProfile:color_space")
            inp.close()
        finally:
            os.unlink(path)
        assert (nch, space) == (1, "Gray")
        assert data  # the writer reports success even when libjxl refused: an empty file must not pass
    # Grey with alpha keeps three colour channels and alpha (the writer's only layout with an extra channel), BT.709
    # grey too (a grey file from the writer is always tagged sRGB).
    assert jxlcolour.stored_pixels(_deep(bits, 2)).shape[2] == 4
    assert jxlcolour.stored_pixels(_deep(bits, 1, "bt709")).shape[2] == 3
    assert jxlcolour.stored_pixels(img).shape[2] == 1
