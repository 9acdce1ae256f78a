"""Images with alpha: the metrics measure what is seen (straight colour times alpha, over the visible pixels);
premultiplied colour (OpenEXR) is measured as stored, also where alpha is 0."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress import codecs
from qualipress.io import Image, alpha_premultiplied, read_image, to_perceptual_image
from qualipress.metrics import PSNR_CAP, measure, visible_mask
from qualipress.search import search
from tests.conftest import photo_like


def _cutout(h: int = 160, w: int = 192, *, seed: int = 0) -> np.ndarray:
    """A photo-like RGBA image: an opaque block with a soft edge inside a fully transparent surround whose colour
    is noise (what an editor leaves under erased pixels)."""
    rgb = photo_like(h, w, seed=seed)
    alpha = np.zeros((h, w), np.uint8)
    alpha[32:128, 48:160] = 255
    alpha[32:128, 40:48] = 128
    rng = np.random.default_rng(seed + 1)
    rgb[alpha == 0] = rng.integers(0, 256, size=(int((alpha == 0).sum()), 3), dtype=np.uint8)
    return np.concatenate([rgb, alpha[..., None]], axis=2)


def test_colour_under_full_transparency_is_not_measured():
    px = _cutout()
    other = px.copy()
    other[px[..., 3] == 0, :3] = 255 - other[px[..., 3] == 0, :3]  # nobody sees these pixels
    res = measure(Image(px, 8), Image(other, 8), ("ssim", "psnr", "ms-ssim"))
    assert res["ssim"].value == pytest.approx(1.0, abs=1e-6)
    assert res["psnr"].value == PSNR_CAP
    assert res["ms-ssim"].value == pytest.approx(1.0, abs=1e-6)


def test_colour_where_visible_is_measured_over_the_visible_pixels_only():
    px = _cutout()
    px[..., :3] = np.minimum(px[..., :3], 200)
    other = px.copy()
    seen = px[..., 3] == 255
    other[seen, :3] += 12
    res = measure(Image(px, 8), Image(other, 8), ("psnr",))["psnr"]
    # an offset of 12 levels on every fully opaque pixel: the PSNR of those pixels, not diluted by the transparent
    # surround (which would add ~6 dB here)
    mse_seen = (12 / 255) ** 2 * seen.sum() / (px[..., 3] > 0)[5:-5, 5:-5].sum()
    assert res.value == pytest.approx(10 * np.log10(1 / mse_seen), abs=0.05)
    # tiles without a visible pixel are left out of the statistics
    assert res.tiles is not None and res.tiles.size < 4


def test_half_transparent_colour_counts_by_its_alpha():
    px = _cutout()
    other = px.copy()
    half = px[..., 3] == 128
    other[half, :3] = 255 - other[half, :3]
    full = px.copy()
    full[..., 3][half] = 255
    other_full = full.copy()
    other_full[half, :3] = 255 - other_full[half, :3]
    seen_half = measure(Image(px, 8), Image(other, 8), ("psnr",))["psnr"].value
    seen_full = measure(Image(full, 8), Image(other_full, 8), ("psnr",))["psnr"].value
    assert seen_half < PSNR_CAP
    assert seen_half == pytest.approx(seen_full + 20 * np.log10(255 / 128), abs=0.01)  # error × alpha


def test_opaque_and_alpha_free_images_measure_as_before():
    rgb = photo_like(96, 128)
    opaque = np.concatenate([rgb, np.full((96, 128, 1), 255, np.uint8)], axis=2)
    noisy = opaque.copy()
    noisy[..., :3] = np.clip(rgb + np.random.default_rng(1).normal(0, 6, rgb.shape), 0, 255).astype(np.uint8)
    dec = Image(noisy, 8)
    assert visible_mask(Image(opaque, 8)) is None
    a = measure(Image(opaque, 8), dec, ("ssim", "psnr"))
    b = measure(Image(rgb, 8), dec.color(), ("ssim", "psnr"))
    assert a["ssim"].value == pytest.approx(b["ssim"].value, abs=1e-7)
    assert a["psnr"].value == pytest.approx(b["psnr"].value, abs=1e-5)


def test_premultiplied_colour_is_measured_where_alpha_is_zero():
    """OpenEXR's premultiplied colour is light the image adds over the background (a flame with alpha 0)."""
    rng = np.random.default_rng(3)
    px = rng.random((64, 80, 4)).astype(np.float32)
    px[..., 3] = 0.0
    px[16:48, 20:60, 3] = 1.0
    img = Image(px, 32, "linear")
    assert alpha_premultiplied(img)
    other = px.copy()
    other[px[..., 3] == 0, :3] = 0.0
    assert measure(img, Image(other, 32, "linear"), ("psnr",))["psnr"].value < 40
    # the 16-bit PQ copy compress encodes keeps the meaning, and so does its decoded output
    coded = to_perceptual_image(img)
    assert alpha_premultiplied(coded)
    dec = coded.with_pixels(coded.pixels.copy())
    dec.pixels[px[..., 3] == 0, :3] = 0
    assert measure(img, Image(dec.pixels, 16, "pq"), ("psnr",))["psnr"].value < 40


def test_tiff_extra_samples_say_which_alpha(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    px = _cutout(64, 64)
    for code, premultiplied in ((1, True), (2, False)):
        path = tmp_path / f"a{code}.tif"
        tifffile.imwrite(path, px, photometric="rgb", extrasamples=[code])
        assert alpha_premultiplied(read_image(path)) is premultiplied


def test_jpegxl_meets_a_target_on_a_cutout_without_falling_back_to_lossless():
    """libjxl drops colour under alpha = 0; before, that failed every lossy probe and the file went lossless."""
    img = Image(_cutout(), 8)
    res = search(img, "jpegxl", "ssim>=0.95")
    assert res.met and not res.lossless
    dec = codecs.decode_like(codecs.get("jpegxl"), res.data, img)
    under = img.alpha() == 0
    assert np.abs(dec.pixels[under, :3].astype(int) - img.pixels[under, :3]).mean() > 20  # really dropped there
    seen = measure(img, dec, ("ssim",))["ssim"].value
    assert seen >= 0.95


def test_compare_says_how_alpha_was_used():
    from qualipress.metrics.pair import align_pair

    img = Image(_cutout(), 8)
    _, _, notes = align_pair(img, img)
    assert any("fully transparent pixels left out" in n for n in notes)
    rng = np.random.default_rng(0)
    exr = Image(rng.random((8, 8, 4)).astype(np.float32), 32, "linear")
    assert any("premultiplied" in n for n in align_pair(exr, exr)[2])
