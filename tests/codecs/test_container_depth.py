"""``Codec.container_depth``: the one place ``decode_like`` learns how deep a codec stored an image."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress import codecs
from qualipress.io import Image


@pytest.mark.parametrize(("name", "bits", "transfer", "stored"), [
    ("jpeg", 10, "srgb", 12), ("jpeg", 8, "srgb", 8), ("avif", 10, "srgb", 10), ("avif", 9, "srgb", 10),
    ("png", 10, "srgb", 10), ("jpegxl", 10, "srgb", 16), ("jpegxl", 10, "log", 10), ("jpegxl", 8, "srgb", 8),
    ("jpegxl-lossless", 12, "bt709", 16)])
def test_container_depth(name: str, bits: int, transfer: str, stored: int) -> None:
    ref = Image(np.zeros((8, 8, 3), np.uint16 if bits > 8 else np.uint8), bits, transfer)
    assert codecs.get(name).container_depth(ref) == stored


def test_decode_like_scales_back_what_container_depth_says() -> None:
    px = (np.arange(16 * 16 * 3, dtype=np.uint16).reshape(16, 16, 3) * 7) % 1024
    ref = Image(px, 10, "srgb")
    for name in ("jpegxl-lossless", "png"):
        codec = codecs.get(name)
        assert np.array_equal(codecs.decode_like(codec, codec.encode(ref), ref).pixels, px)
