"""Codec fixes from the photo pipeline issue: AVIF grey honours quality, aliases, unknown names up front."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress import codecs
from qualipress.errors import UnsupportedError
from qualipress.io import as_image
from tests.conftest import photo_like


def test_avif_grey_honours_quality() -> None:
    avif = codecs.get("avif")
    grey = as_image(photo_like(128, 128, channels=1))
    low, high = avif.encode(grey, quality=20), avif.encode(grey, quality=90)
    assert len(low) < len(high) / 3
    decoded = codecs.decode_like(avif, high, grey)
    assert decoded.pixels.shape == grey.pixels.shape
    assert np.abs(decoded.pixels.astype(int) - grey.pixels).mean() < 3


@pytest.mark.parametrize(("alias", "name"), [("jxl", "jpegxl"), ("jpg", "jpeg"), ("JPG", "jpeg")])
def test_aliases(alias: str, name: str) -> None:
    assert codecs.resolve(alias) == [name]
    assert codecs.get(alias.lower()).name == name


def test_unknown_codec_suggests() -> None:
    with pytest.raises(UnsupportedError, match="did you mean 'webp'"):
        codecs.resolve("jpeg,wbp")
    with pytest.raises(UnsupportedError, match="unknown codec"):
        codecs.get("nonsense")
    assert codecs.resolve("auto") == ["auto"]


def test_jpegls_encodes_incompressible_images():
    """QA: JPEG-LS failed on noise ("destination buffer is too small"): CharLS's own buffer assumes the file
    shrinks."""
    import numpy as np

    from qualipress import codecs
    from qualipress.io import as_image

    px = np.random.default_rng(7).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    c = codecs.get("jpegls")
    assert np.array_equal(c.decode(c.encode(as_image(px), lossless=True)).pixels, px)
