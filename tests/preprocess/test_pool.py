import numpy as np
import pytest

from qualipress.errors import UnsupportedError
from qualipress.io import Image
from qualipress.preprocess import pool

from .conftest import textured

AVAILABLE = [n for n, m in pool.POOL.items() if m.available()]


@pytest.mark.parametrize("name", AVAILABLE)
@pytest.mark.parametrize(
    ("dtype", "bit_depth", "channels"),
    [(np.uint8, 8, 3), (np.uint16, 16, 3), (np.uint16, 10, 3), (np.uint8, 8, 1), (np.uint8, 8, 4), (np.uint16, 12, 2)],
)
def test_method_keeps_format_and_range(name, dtype, bit_depth, channels):
    if name == "guetzli" and (dtype != np.uint8 or channels not in (3, 4)):
        pytest.skip("guetzli is 8-bit RGB only")
    img = textured(dtype=dtype, bit_depth=bit_depth, channels=channels)
    before = img.pixels.copy()
    out = pool.POOL[name].function(img)
    assert np.array_equal(img.pixels, before), "input modified"
    assert out.pixels.shape == img.pixels.shape
    assert out.pixels.dtype == img.pixels.dtype
    assert out.bit_depth == img.bit_depth
    assert int(out.pixels.max()) <= (1 << bit_depth) - 1
    if img.has_alpha:
        assert np.array_equal(out.pixels[..., -1], img.pixels[..., -1]), "alpha must pass through"
    if name != "deblock":  # deblock may legitimately leave a clean image unchanged
        assert not np.array_equal(out.pixels, img.pixels)


def _hf_energy(px: np.ndarray) -> float:
    x = px.astype(np.float64)
    return float(np.abs(np.diff(x, axis=0)).mean() + np.abs(np.diff(x, axis=1)).mean())


@pytest.mark.parametrize("name", ["nlm", "bilateral", "guided"])
def test_smoothers_reduce_noise(name):
    img = textured(noise=10.0)
    out = pool.POOL[name].function(img)
    assert _hf_energy(out.pixels) < 0.9 * _hf_energy(img.pixels)


def test_nlm_16bit_denoises():
    img = textured(dtype=np.uint16, bit_depth=16, noise=10.0)
    out = pool.nlm(img, h=6 / 255)
    assert _hf_energy(out.pixels) < 0.9 * _hf_energy(img.pixels)


def test_detail_increases_high_frequencies(rgb8):
    assert _hf_energy(pool.detail(rgb8).pixels) > 1.1 * _hf_energy(rgb8.pixels)


def test_detail_matches_pil_kernel():
    from PIL import Image as PILImage
    from PIL import ImageFilter

    img = textured(noise=3.0)
    ours = pool.detail(img).pixels.astype(int)
    pil = np.asarray(PILImage.fromarray(img.pixels).filter(ImageFilter.DETAIL)).astype(int)
    # PIL leaves the one-pixel border unfiltered; inside, both round the same kernel (±1 rounding)
    assert np.abs(ours[1:-1, 1:-1] - pil[1:-1, 1:-1]).max() <= 1


def test_deblock_reduces_block_steps_but_keeps_edges():
    h, w = 32, 32
    px = np.zeros((h, w, 3), np.uint8)
    px[:, :8] = 100
    px[:, 8:16] = 104  # small step at the x=8 grid line: a blocking artifact
    px[:, 16:] = 200  # big step at x=16: a real edge
    out = pool.deblock(Image(px, 8)).pixels.astype(int)
    assert abs(out[0, 8, 0] - out[0, 7, 0]) < 4
    assert out[0, 16, 0] - out[0, 15, 0] == 96


def test_float_images_are_refused():
    img = Image(np.zeros((8, 8, 3), np.float32), 32, transfer="linear")
    for name in AVAILABLE:
        with pytest.raises(UnsupportedError):
            pool.POOL[name].function(img)


def test_unknown_method():
    with pytest.raises(UnsupportedError, match="unknown preprocessing method"):
        pool.get_method("sharpen-more")


def test_default_pool_has_five_documented_methods():
    assert len(pool.DEFAULT_POOL) >= 5
    for n in pool.DEFAULT_POOL:
        assert pool.POOL[n].function.__doc__
    assert "guetzli" not in pool.DEFAULT_POOL


def test_guetzli_missing_is_a_clear_error(rgb8):
    if pool.guetzli_available():
        pytest.skip("pyguetzli installed")
    with pytest.raises(UnsupportedError, match="pyguetzli"):
        pool.get_method("guetzli")


def test_jpeg_luma_table_matches_libjpeg_scaling():
    t50 = pool.jpeg_luma_table(50)
    assert t50[0, 0] == 16 and t50[7, 7] == 99
    assert pool.jpeg_luma_table(75)[0, 0] == 8  # IJG: 16 * 50 / 100
    assert pool.jpeg_luma_table(100).max() == 1


def test_deadzone_zeroes_small_coefficients_and_keeps_chroma():
    img = textured(h=64, w=64, noise=4.0)
    out = pool.deadzone(img)
    x, y = img.pixels.astype(np.float64), out.pixels.astype(np.float64)
    # the same luma change is added to R, G and B (up to rounding): chroma differences are unchanged
    d = y - x
    assert np.abs(d[..., 0] - d[..., 1]).max() <= 1 and np.abs(d[..., 1] - d[..., 2]).max() <= 1
    import cv2

    luma = lambda a: 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]  # noqa: E731
    q = pool.jpeg_luma_table(75)
    small_before = small_after = 0
    for by in range(0, 64, 8):
        for bx in range(0, 64, 8):
            cb = cv2.dct(luma(x)[by : by + 8, bx : bx + 8].astype(np.float32) - 128)
            ca = cv2.dct(luma(y)[by : by + 8, bx : bx + 8].astype(np.float32) - 128)
            band = (np.abs(cb) > 0.2 * q) & (np.abs(cb) < 0.5 * q)
            small_before += int(band.sum())
            small_after += int(((np.abs(ca) > 0.2 * q) & (np.abs(ca) < 0.5 * q)).sum())
    assert small_after < 0.5 * small_before


def test_deadzone_saves_jpeg_bits():
    from qualipress import codecs

    img = textured(h=128, w=128, noise=6.0)
    c = codecs.get("jpeg")
    assert len(c.encode(pool.deadzone(img), quality=75)) < len(c.encode(img, quality=75))
