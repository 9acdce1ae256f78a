"""The search compares a lossy result with the same codec's lossless file when that may be smaller."""

import numpy as np
import pytest
from skimage import data

from qualipress.io import as_image
from qualipress.search import lossless, search
from tests.conftest import photo_like

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
    r = search(img, "jpegxl", C1)
    assert r.met and not r.lossless
    assert not any(p.lossless for p in r.probes)
    assert r.notes == []
    assert not lossless.worth_trying(img, len(r.data))[0]


def test_lossless_tried_and_lost_keeps_lossy_and_says_so():
    # Gradients with fine noise: the lossy file is a large share of the estimate (tried), the lossless one larger.
    img = as_image(photo_like(300, 300))
    assert lossless.worth_trying(img, len(search(img, "jpegxl", C1).data))[0]
    r = search(img, "jpegxl", C1)
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
    assert lossless.worth_trying(flat, 1)[0]  # estimate 0: any lossy file may lose
    assert not lossless.worth_trying(noise, int(0.2 * est))[0]
    assert lossless.worth_trying(noise, int(0.3 * est))[0]


@pytest.mark.parametrize("codec", ["webp", "avif"])
def test_other_codecs_with_lossless_mode(codec):
    r = search(as_image(graphic()), codec, C1)
    assert r.met
    lossy_passing = [p.bytes for p in r.probes if p.passed and not p.lossless]
    assert len(r.data) <= min(lossy_passing, default=len(r.data))
