"""QA fixes in the film layer (qa2)."""

from __future__ import annotations

import numpy as np

from qualipress.film import lossless


def test_jpegls_pixel_section_encodes_noise() -> None:
    """QA: noise-like frames failed with "destination buffer is too small" (CharLS sizes its buffer for data
    that shrinks); the film coder now shares the photo codec's roomier buffer."""
    rng = np.random.default_rng(3)
    for px, bits in ((rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), 8),
                     (rng.integers(0, 1 << 16, (96, 96, 3), dtype=np.uint16), 16)):
        data = lossless.encode_pixels(px, bits, "jpegls")
        assert np.array_equal(lossless.decode_pixels(data, "jpegls", px.shape, str(px.dtype)), px)
