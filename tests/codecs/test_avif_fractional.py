"""Fractional AVIF quality: AOM delta-q strength between two quantizer steps, for byte budgets."""

from __future__ import annotations

import io

import imagecodecs
import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.codecs import avifq
from qualipress.io import as_image
from qualipress.io.metadata import Carry, read_metadata
from qualipress.search import search
from tests.conftest import photo_like
from tests.io.test_metadata import SRGB

pytestmark = pytest.mark.skipif(not avifq.available(), reason="Pillow without AVIF")


def _steps_around(q: int) -> int:
    """An integer n >= q whose quantizer differs from n + 1's."""
    while avifq.same_quantizer(q, q + 1):
        q += 1
    return q


def test_quantizer_steps_cover_libavifs_64_quantizers() -> None:
    steps = avifq.quantizer_steps()
    assert len(steps) == 64 and steps[0] == 0 and steps[-1] == 100
    assert list(steps) == sorted(set(steps))


def test_integer_quality_is_unchanged() -> None:
    px = photo_like(64, 80, seed=3)
    data = codecs.get("avif").encode(px, quality=61)
    assert data == bytes(imagecodecs.avif_encode(px, level=61, speed=6, bitspersample=8, numthreads=2))


def test_sizes_rise_between_two_quantizer_steps() -> None:
    img = as_image(photo_like(160, 192, seed=5))
    avif = codecs.get("avif")
    for q in (40, 62, 80):
        n = _steps_around(q)
        lo, hi = len(avif.encode(img, quality=n)), len(avif.encode(img, quality=n + 1))
        inner = [len(avif.encode(img, quality=n + t)) for t in (0.01, 0.25, 0.5, 0.75, 0.99)]
        assert inner == sorted(inner), (n, lo, inner, hi)  # one encoder, one knob: monotone
        assert len(set(inner)) == len(inner), (n, inner)  # finer than the integer grid
        # the segment reaches every size between the two steps (another AOM build at the integers: ~1 %)
        assert inner[0] < lo and inner[-1] > 0.97 * hi, (n, lo, inner, hi)


def test_shared_quantizer_gives_the_integer_setting() -> None:
    px = photo_like(64, 80, seed=2)
    n = next(q for q in range(20, 99) if avifq.same_quantizer(q, q + 1))
    assert avifq.encode_fractional(px, n + 0.5, 6) == avifq._pillow_encode(px, n, 6)


def test_fractional_file_is_a_plain_8bit_444_avif_both_decoders_read_alike() -> None:
    px = photo_like(48, 64, seed=4)
    data = codecs.get("avif").encode(px, quality=62.5)
    assert data[4:12] == b"ftypavif"
    ours = imagecodecs.avif_decode(data)
    pil = np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB"))
    assert ours.dtype == np.uint8 and ours.shape == px.shape
    assert np.array_equal(ours, pil)
    assert np.abs(ours.astype(int) - px).mean() < 6
    # av1C: 8-bit (high_bitdepth 0), 4:4:4 (subsampling_x/y 0), not monochrome
    av1c = data[data.index(b"av1C") + 4:][:4]
    flags = av1c[2]
    assert (flags >> 6) & 1 == 0 and (flags >> 4) & 1 == 0 and (flags >> 3) & 1 == 0 and (flags >> 2) & 1 == 0


def test_metadata_is_carried_by_a_fractional_encode() -> None:
    px = photo_like(48, 64, seed=6)
    avif = codecs.get("avif")
    plain = avif.encode(px, quality=70.5)
    tagged = avif.encode(px, quality=70.5, metadata=Carry(SRGB))
    assert read_metadata(tagged, "avif").get("icc_profile") == SRGB
    assert np.array_equal(imagecodecs.avif_decode(plain), imagecodecs.avif_decode(tagged))


def test_avif_byte_budget_is_the_best_fitting_quality_and_fills_closer() -> None:
    from qualipress.metrics import measure

    img = as_image(photo_like(192, 256, seed=7))
    avif = codecs.get("avif")
    fills = []
    for budget in (6000, 9000, 14000):
        res = search(img, avif, [f"bytes<={budget}"])
        assert res.met and len(res.data) <= budget
        # never worse than the best integer quality that fits (all a budget could reach before)
        near = range(int(res.setting) - 3, int(res.setting) + 4)
        best_int = max(q for q in near if len(avif.encode(img, quality=q)) <= budget)
        int_ssim = measure(img, avif.decode(avif.encode(img, quality=best_int)), ["ssim"])["ssim"].value
        assert res.metrics["ssim"].value >= int_ssim - 1e-9, (budget, res.setting, best_int)
        fills.append(len(res.data) / budget)
    # a fractional setting fills at least one of them within 1 % (the integer grid alone left 2-12 % on Kodak)
    assert max(fills) >= 0.99, fills
