"""The search compares a lossy result with the same codec's lossless file when that may be smaller."""

import numpy as np
import pytest
from skimage import data

from qualipress.codecs import get as get_codec
from qualipress.io import as_image, read_image
from qualipress.search import lossless, search
from tests.conftest import photo_like, shared_data

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


def test_lossless_tried_and_lost_keeps_lossy_and_says_so(monkeypatch):
    # Gradients with fine noise: the lossy file is a large share of the estimate (tried), the lossless one larger.
    img = as_image(photo_like(300, 300))
    assert lossless.worth_trying(img, len(search(img, "jpegxl", C1).data))[0]
    # The second stage sees a photo-like image whose effort-7 file cannot win and skips the encode ...
    assert not any(p.lossless for p in search(img, "jpegxl", C1).probes)
    # ... without it (floor 0), the encode is made, loses, and the result says so.
    monkeypatch.setattr(lossless, "FAST_FLOOR", 0.0)
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


def flat(h: int = 256, w: int = 256) -> np.ndarray:
    """Three flat rectangles: effort-7 lossless JPEG XL is a few dozen bytes, the estimate 0."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 2] = 200
    img[h // 4: 3 * h // 4, w // 4: 3 * w // 4] = (10, 120, 30)
    return img


@pytest.mark.parametrize("make", [graphic, flat])
def test_graphic_and_flat_keep_lossless_at_ssim_099(make):
    # The second stage must not stop the lossless encode where lossless wins: neither image is photo-like.
    img = as_image(make())
    r = search(img, "jpegxl", "ssim>=0.99")
    lossy_passing = [p.bytes for p in r.probes if p.passed and not p.lossless]
    assert lossy_passing and r.met and r.lossless
    assert len(r.data) < min(lossy_passing)
    assert any("not photo-like" in n for n in r.notes)
    assert lossless.fast_lossless_check(get_codec("jpegxl"), img, 1, lossless.estimate_lossless_bytes(img))[0]


def test_dpx_test_card_keeps_lossless():
    img = read_image(shared_data("hdr_film", "dpx_nuke_16bits_rgba.dpx"))
    r = search(img, "jpegxl", C1)
    lossy_passing = [p.bytes for p in r.probes if p.passed and not p.lossless]
    assert lossy_passing and r.met and r.lossless and len(r.data) < min(lossy_passing)


def test_photograph_at_ssim_099_skips_the_effort7_lossless_encode():
    img = as_image(data.chelsea())
    r = search(img, "jpegxl", "ssim>=0.99")
    assert r.met and not r.lossless
    # The first stage alone would have made the lossless encode ...
    assert lossless.worth_trying(img, len(r.data), "jpegxl")[0]
    # ... the fast effort-1/2 sizes show it cannot win: no lossless probe, one encode fewer.
    assert not any(p.lossless for p in r.probes)
    assert any("without the full lossless encode" in n and "photo-like" in n for n in r.notes)
    full = len(get_codec("jpegxl").encode(img, lossless=True))
    assert full > len(r.data)  # the skipped file would indeed have lost


def test_fast_check_only_for_jpegxl_at_effort_7_or_more():
    img = as_image(data.chelsea())
    est = lossless.estimate_lossless_bytes(img)
    skip, why = lossless.fast_lossless_check(get_codec("jpegxl"), img, 1, est)
    assert not skip and "photo-like" in why
    assert lossless.fast_lossless_check(get_codec("jpegxl"), img, 1, est, {"effort": 3}) == (True, "")
    assert lossless.fast_lossless_check(get_codec("webp"), img, 1, est) == (True, "")


def test_avif_has_its_own_fraction():
    rng = np.random.default_rng(0)
    noise = as_image(rng.integers(0, 256, (200, 300), dtype=np.uint16).astype(np.uint8))
    est = lossless.estimate_lossless_bytes(noise)
    lossy = int(0.3 * est)
    assert lossless.TRY_FRACTION < 0.3 < lossless.TRY_FRACTIONS["avif"]
    assert lossless.worth_trying(noise, lossy, "jpegxl")[0]
    assert not lossless.worth_trying(noise, lossy, "avif")[0]
