import numpy as np
import pytest

from qualipress import codecs
from qualipress.errors import UnsupportedError
from qualipress.io import Image, as_image
from qualipress.metrics import psnr
from tests.conftest import photo_like

AVAILABLE = [n for n in codecs.available_names() if n != "jpeg-roi"]


def _cases():
    for name in AVAILABLE:
        c = codecs.get(name)
        for bits in c.info.bit_depths:
            yield name, bits


@pytest.mark.parametrize("name,bits", list(_cases()))
def test_every_codec_round_trips_every_declared_bit_depth(name, bits):
    c = codecs.get(name)
    arr = photo_like(64, 80, bits=bits) if bits in (8, 16) else (photo_like(64, 80, bits=16) >> (16 - bits))
    img = Image(arr.astype(np.uint8 if bits == 8 else np.uint16), bits)
    data = c.encode(img) if c.info.lossy else c.encode(img, lossless=True)
    out = codecs.decode_like(c, data, img)
    assert out.pixels.shape == img.pixels.shape and out.bit_depth == bits
    if not c.info.lossy:
        assert np.array_equal(out.pixels, img.pixels)
    else:
        assert psnr(img, out) > 28
        if c.info.lossless:
            exact = codecs.decode_like(c, c.encode(img, lossless=True), img)
            assert np.array_equal(exact.pixels, img.pixels)


@pytest.mark.parametrize("name", ["webp", "jpegxl"])
def test_lossy_encoders_are_really_lossy(name):
    # imagecodecs' WebP and JPEG XL encoders default to lossless: a lossy request must be much smaller.
    c = codecs.get(name)
    arr = photo_like(128, 128)
    assert len(c.encode(arr, quality=c.info.quality.default)) < 0.5 * len(c.encode(arr, lossless=True))


def test_quality_direction_is_as_declared():
    for name in ("jpeg", "jpegxl", "avif", "webp"):
        c = codecs.get(name)
        q = c.info.quality
        lo, hi = q.grid[len(q.grid) // 4], q.grid[-len(q.grid) // 4]
        arr = photo_like(96, 96)
        assert len(c.encode(arr, quality=lo)) < len(c.encode(arr, quality=hi)), name


def test_unknown_and_unsupported():
    with pytest.raises(UnsupportedError, match="unknown codec"):
        codecs.get("nope")
    with pytest.raises(UnsupportedError):
        codecs.get("jpeg").encode(Image(np.zeros((8, 8, 4), np.uint8), 8))  # JPEG cannot carry alpha
    with pytest.raises(UnsupportedError):
        codecs.get("webp").encode(Image(np.zeros((8, 8, 3), np.uint16), 16))  # WebP is 8-bit only
    with pytest.raises(UnsupportedError):
        codecs.get("jpeg").encode(photo_like(), quality=500)


def test_grey_goes_through_rgb_only_codecs():
    grey = as_image(photo_like(channels=1))
    c = codecs.get("webp")
    out = codecs.decode_like(c, c.encode(grey, quality=90), grey)
    assert out.pixels.shape == grey.pixels.shape and psnr(grey, out) > 30


def test_grey_stays_grey_in_codecs_that_carry_grey():
    grey = as_image(photo_like(channels=1))
    c = codecs.get("jpeg")
    assert c.decode(c.encode(grey, quality=90)).n_channels == 1


def test_unsupported_depth_and_alpha_messages_read_as_prose():
    # QA: "codec 'webp' stores (8,)-bit samples" and "cannot carry alpha (channels (1, 3))"

    with pytest.raises(UnsupportedError) as exc:
        codecs.get("webp").encode(Image(np.zeros((8, 8, 3), np.uint16), 16))
    assert "(8,)" not in str(exc.value) and "8-bit" in str(exc.value)
    with pytest.raises(UnsupportedError) as exc:
        codecs.get("jpeg").encode(Image(np.zeros((8, 8, 4), np.uint8), 8))
    assert "(1, 3)" not in str(exc.value)
