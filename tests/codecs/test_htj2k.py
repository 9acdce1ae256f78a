"""HTJ2K (OpenJPH) as a lossy and lossless codec: 10/12-bit images scaled into the 16-bit container and back."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress import codecs
from qualipress.io.image import as_image
from qualipress.metrics import psnr

pytest.importorskip("imagecodecs")


def _picture(bits: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:64, 0:96].astype(np.float32)
    base = 0.2 + 0.6 * (xx / 96) * (0.5 + 0.5 * np.sin(yy / 7))
    rgb = np.stack([base, base * 0.8 + 0.1, 1 - base], axis=-1) + rng.normal(0, 0.01, (64, 96, 3))
    peak = (1 << bits) - 1
    return np.clip(np.rint(rgb * peak), 0, peak).astype(np.uint8 if bits == 8 else np.uint16)


@pytest.mark.parametrize("bits", [8, 10, 12, 16])
def test_lossless_is_exact_at_every_depth(bits: int) -> None:
    c = codecs.get("htj2k")
    img = as_image(_picture(bits), bit_depth=bits)
    back = codecs.decode_like(c, c.encode(img, lossless=True), img)
    assert np.array_equal(back.pixels, img.pixels)


@pytest.mark.parametrize("bits", [8, 10, 12])
def test_lossy_scales_back_and_quality_follows_the_step(bits: int) -> None:
    c = codecs.get("htj2k")
    img = as_image(_picture(bits), bit_depth=bits)
    coarse, fine = c.encode(img, quality=0.05), c.encode(img, quality=0.002)
    assert len(coarse) < len(fine) < c.encode(img, lossless=True).__len__()
    p_coarse = psnr(img, codecs.decode_like(c, coarse, img))
    p_fine = psnr(img, codecs.decode_like(c, fine, img))
    assert 25 < p_coarse < p_fine  # scaled back to the source depth: a wrong shift would give < 10 dB
    assert codecs.decode_like(c, fine, img).pixels.max() <= (1 << bits) - 1


def test_overshoot_near_white_does_not_wrap_to_black() -> None:
    # a bright, noisy picture: the 9/7 wavelet pushes some samples past the top of the range; they must clamp
    rng = np.random.default_rng(3)
    arr = np.clip(rng.normal(0.97, 0.05, (64, 64, 3)) * 65535, 0, 65535).astype(np.uint16)
    c = codecs.get("htj2k")
    img = as_image(arr, bit_depth=16)
    for step in (0.01, 0.004, 0.001):
        back = codecs.decode_like(c, c.encode(img, quality=step), img).pixels.astype(np.int64)
        assert np.abs(back - arr).max() < 20000, step


@pytest.mark.parametrize("bits", [9, 10, 12, 15])
def test_container_samples_scale_back_with_rounding_and_clamp(bits: int, monkeypatch) -> None:
    """``decode_like`` scales a 16-bit container back in place: round(x / 2^shift), clamped to the depth, for
    every container value (the formula of the uint32 arithmetic it replaced)."""
    from qualipress.io import Image

    c = codecs.get("htj2k")
    every = np.arange(65536, dtype=np.uint16).reshape(256, 256, 1)
    monkeypatch.setattr(type(c), "decode", lambda self, data: Image(every.copy(), 16))
    back = codecs.decode_like(c, b"", Image(np.zeros((256, 256, 1), np.uint16), bits)).pixels
    shift = 16 - bits
    want = np.minimum((every.astype(np.uint32) + (1 << (shift - 1))) >> shift, (1 << bits) - 1)
    assert back.dtype == np.uint16 and np.array_equal(back, want)
