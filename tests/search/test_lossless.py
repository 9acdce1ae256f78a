"""The search compares a lossy result with the same codec's lossless file when that may be smaller."""

import numpy as np
import pytest
from skimage import data

from qualipress.io import as_image
from qualipress.search import lossless, search

C1 = ["ssim>=0.95", "psnr>=38", "ssim@min>=0.90"]


def graphic(n: int = 320, seed: int = 1) -> np.ndarray:
    """Four flat colours in 16-pixel blocks crossed by thin rules: lossless is tiny, lossy needs many bytes."""
    rng = np.random.default_rng(seed)
    pal = np.array([[250, 250, 245], [30, 60, 160], [200, 40, 40], [20, 20, 20]], np.uint8)
    img = pal[rng.integers(0, 4, (n // 16, n // 16)).repeat(16, 0).repeat(16, 1)]
    img[::7] = pal[3]
    return img


def test_graphic_image_gets_the_smaller_lossless_file():
    img = as_image(graphic())
    assert img.width * img.height > lossless.SMALL_PIXELS  # chosen by the estimate, not the small-image rule
    r = search(img, "jpegxl", C1)
    lossy_passing = [p.bytes for p in r.probes if p.passed and not p.lossless]
    assert lossy_passing, "a lossy setting met the target: the old search returned it"
    assert r.met and r.lossless and r.setting is None
    assert len(r.data) < min(lossy_passing)
    assert r.probes[-1].lossless and r.probes[-1].bytes == len(r.data)
    assert r.fallback and "smaller than lossy" in r.fallback
    assert any("kept lossless" in n for n in r.notes)


def test_photograph_pays_no_lossless_encode():
    img = as_image(data.astronaut())
    assert img.width * img.height > lossless.SMALL_PIXELS
    r = search(img, "jpegxl", C1)
    assert r.met and not r.lossless
    assert not any(p.lossless for p in r.probes)
    assert r.notes == []
    assert not lossless.worth_trying(img, len(r.data))[0]


def test_lossless_tried_and_lost_keeps_lossy_and_says_so():
    # Small image: always tried; smooth noisy gradients make the lossless file larger than the lossy one.
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:96, 0:128]
    img = np.clip(np.stack([x * 2, y * 2, x + y], -1) + rng.normal(0, 6, (96, 128, 3)), 0, 255).astype(np.uint8)
    r = search(as_image(img), "jpegxl", C1)
    assert r.met and not r.lossless
    assert r.probes[-1].lossless and r.probes[-1].bytes >= len(r.data)
    assert any("kept lossy" in n for n in r.notes)


def test_no_lossless_mode_no_comparison():
    r = search(as_image(graphic()), "jpeg", C1)
    assert not any(p.lossless for p in r.probes if p.codec == "jpeg")
    assert not any("kept" in n for n in r.notes)


def test_estimate():
    flat = as_image(np.full((64, 80, 3), 77, np.uint8))
    assert lossless.estimate_lossless_bytes(flat) == 0.0
    rng = np.random.default_rng(0)
    noise = as_image(rng.integers(0, 256, (200, 300), dtype=np.uint16).astype(np.uint8))
    # Residuals of uniform noise: a little under 9 bits each (difference of 8-bit values, wrapped by nothing).
    est = lossless.estimate_lossless_bytes(noise)
    assert 7.5 * 200 * 300 / 8 < est < 9.5 * 200 * 300 / 8
    assert lossless.worth_trying(flat, 10)[0]  # small image: always
    big = as_image(np.full((400, 400), 5, np.uint8))
    assert lossless.worth_trying(big, 1)[0]  # estimate 0: any lossy file may lose


@pytest.mark.parametrize("codec", ["webp", "avif"])
def test_other_codecs_with_lossless_mode(codec):
    r = search(as_image(graphic()), codec, C1)
    assert r.met
    lossy_passing = [p.bytes for p in r.probes if p.passed and not p.lossless]
    assert len(r.data) <= min(lossy_passing, default=len(r.data))
