"""JPEG XL files of 9–16-bit images carry their real transfer function (imagecodecs tagged them linear light)."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

from qualipress import codecs
from qualipress.codecs import jxlapi, jxlcolour
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
    (16, 1, "srgb", (0, 13, 0, 1)), (10, 1, "bt709", (0, 1, 0, 1)), (16, 2, "srgb", (0, 13, 0, 1))])
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


@pytest.mark.parametrize("channels", [1, 3])
def test_eight_bit_pq_is_tagged_pq_too(channels):
    img = Image(photo_like(48, 64, channels=channels), 8, "pq")
    assert jxlcolour.tagged(img)
    codec = codecs.get("jpegxl-lossless")
    data = codec.encode(img)
    assert _cicp(data)[1] == 16
    dec = codecs.decode_like(codec, data, img)
    assert dec.pixels.dtype == np.uint8 and np.array_equal(dec.pixels, img.pixels)
    assert not jxlcolour.tagged(Image(photo_like(8, 8), 8, "bt709"))  # 8-bit: imagecodecs' sRGB tag, as before


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


def _read_back(data: bytes) -> tuple[int, str, tuple[int, ...]]:
    fd, path = tempfile.mkstemp(suffix=".jxl")
    os.write(fd, data)
    os.close(fd)
    try:
        inp = oiio.ImageInput.open(path)
        spec = inp.spec()
        out = (spec.nchannels, spec.getattribute("ICCProfile:color_space"), tuple(spec.getattribute("CICP")))
        inp.close()
        return out
    finally:
        os.unlink(path)


@pytest.mark.parametrize("bits", [10, 16])
@pytest.mark.parametrize(("channels", "transfer", "cicp"), [
    (1, "srgb", (0, 13, 0, 1)), (1, "bt709", (0, 1, 0, 1)), (2, "bt709", (0, 1, 0, 1)), (1, "pq", (0, 16, 0, 1))])
def test_deep_grey_is_one_grey_channel(bits, channels, transfer, cicp):
    """9-16-bit grey was written as three equal colour channels unless it was sRGB without alpha (OpenImageIO's
    writer refuses grey tagged with primaries); libjxl's own API writes one grey channel with any transfer, at the
    image's own depth (review, session 6)."""
    if not jxlapi.available():
        pytest.skip("libjxl's encoder API is not reachable here")
    img = _deep(bits, channels, transfer)
    assert jxlcolour.native(img) and codecs.get("jpegxl").container_depth(img) == bits
    for name, kw in (("jpegxl", {"quality": 1.0}), ("jpegxl-lossless", {})):
        codec = codecs.get(name)
        data = codec.encode(img, **kw)
        assert data  # the writer reports success even when libjxl refused: an empty file must not pass
        assert _read_back(data) == (channels, "Gray", cicp)
        raw = codec.decode(data)
        assert raw.n_channels == channels and int(raw.pixels.max()) < (1 << bits)  # stored at its own depth
        dec = codecs.decode_like(codec, data, img)
        err = np.abs(dec.pixels.astype(int) - img.pixels.astype(int))
        assert err.max() == 0 if name == "jpegxl-lossless" else err.mean() < 0.02 * ((1 << bits) - 1)


@pytest.mark.parametrize("bits", [10, 16])
def test_without_libjxls_api_grey_keeps_the_openimageio_layouts(bits, monkeypatch):
    """Where imagecodecs' libjxl is not reachable: sRGB grey as one channel through OpenImageIO (16-bit container),
    BT.709 grey and grey with alpha as three equal colour channels."""
    monkeypatch.setattr(jxlapi, "available", lambda: False)
    img = _deep(bits, 1)
    assert not jxlcolour.native(img) and codecs.get("jpegxl").container_depth(img) == 16
    for name, kw in (("jpegxl", {"quality": 1.0}), ("jpegxl-lossless", {})):
        data = codecs.get(name).encode(img, **kw)
        assert data and _read_back(data)[:2] == (1, "Gray")
    assert jxlcolour.stored_pixels(_deep(bits, 2)).shape[2] == 4
    assert jxlcolour.stored_pixels(_deep(bits, 1, "bt709")).shape[2] == 3
    assert jxlcolour.stored_pixels(img).shape[2] == 1
    lossless = codecs.get("jpegxl-lossless")
    grey709 = _deep(bits, 1, "bt709")
    assert np.array_equal(codecs.decode_like(lossless, lossless.encode(grey709), grey709).pixels, grey709.pixels)
