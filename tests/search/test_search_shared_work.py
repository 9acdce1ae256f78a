"""Work a cold search does once instead of twice: the predictor's features read the prepared reference's
normalised planes, and mosaics of one image size share their tile bookkeeping; same values either way."""

import importlib
import math

import numpy as np
import pytest

from qualipress import codecs
from qualipress.io import as_image
from qualipress.io.transfer import to_perceptual
from qualipress.metrics import prepare_reference
from qualipress.search import predict, proxy, search
from tests.conftest import photo_like

search_mod = importlib.import_module("qualipress.search.search")


@pytest.mark.parametrize("shape,bits", [((96, 128, 3), 8), ((300, 420, 3), 8), ((200, 260, 3), 16), ((120, 150, 1), 8),
                                        ((330, 290, 1), 12)])
def test_reference_planes_are_the_images_perceptual_values_bit_for_bit(shape, bits):
    h, w, c = shape
    img = as_image(photo_like(h, w, channels=c, bits=bits, seed=3), bit_depth=bits)
    ref = prepare_reference(img)
    planes = ref.perceptual_of(img)
    assert planes is not None
    fresh = to_perceptual(img)
    assert planes.dtype == fresh.dtype == np.float32
    assert np.array_equal(planes.reshape(fresh.shape), fresh)
    # the features computed on them are those computed from the image
    assert predict.image_features(img, perceptual=planes) == predict.image_features(img)


def test_reference_planes_only_for_its_own_opaque_source():
    arr = photo_like(80, 100, seed=4)
    img = as_image(arr)
    ref = prepare_reference(img)
    assert ref.perceptual_of(as_image(arr.copy())) is None  # another image object, even with the same pixels
    rgba = as_image(np.concatenate([arr, np.full((80, 100, 1), 255, np.uint8)], axis=-1))
    assert prepare_reference(rgba).perceptual_of(rgba) is None  # alpha: the features take their own colour
    from qualipress.metrics.core import Reference

    assert Reference(img, lean=True).perceptual_of(img) is None  # a lean reference keeps no planes


def test_cold_search_features_equal_the_images_own(monkeypatch):
    img = as_image(photo_like(192, 256, seed=6))
    seen = []
    real = predict.image_features

    def spy(image, **kw):
        seen.append(kw.get("perceptual") is not None)
        return real(image, **kw)

    monkeypatch.setattr(predict, "image_features", spy)
    monkeypatch.setattr(search_mod, "_last_features", [])
    res = search(img, "jpeg", "ssim>=0.95")
    assert seen == [True]  # read from the search's reference, not converted again
    assert search_mod._last_features[0][2] == real(img)
    assert res.met


def test_mosaics_of_one_size_share_their_tile_bookkeeping():
    a = as_image(photo_like(256, 448, seed=1))
    b = as_image(photo_like(256, 448, seed=2))
    m1, m2 = proxy.Mosaic(a, a, 96, tile=32), proxy.Mosaic(b, b, 96, tile=32)
    assert m1._ids is m2._ids
    # what the mosaic computed for itself before: each interior pixel's statistic tile, counts per tile
    t, stat = 32, 96
    ny, per_row = 256 // t, (448 // t) // 2
    want = []
    for ty in range(ny):
        for yy in range(proxy.BORDER, t - proxy.BORDER):
            for k in range(per_row):
                x0 = (2 * k + ty % 2) * t
                for xx in range(proxy.BORDER, t - proxy.BORDER):
                    want.append(((ty * t + yy) // stat) * math.ceil(448 / stat) + (x0 + xx) // stat)
    assert np.array_equal(m1._ids, np.array(want))
    counts = np.bincount(np.array(want))
    assert np.array_equal(m1._used, counts > 0)
    assert np.array_equal(m1._counts, counts[counts > 0].astype(np.float64))
    # a different size gets its own
    c = as_image(photo_like(224, 448, seed=1))
    assert proxy.Mosaic(c, c, 96, tile=32)._ids.size != m1._ids.size
    codec = codecs.get("jpeg")
    first = m1.measure(codec, 60, {})
    m2.measure(codec, 60, {})
    assert m1.measure(codec, 60, {})["ssim"].value == first["ssim"].value


def _tile_features_plain(y):
    """The tile features as first written (numpy's mean of temporaries): the values the shortcuts must give."""
    import cv2

    n = y.size
    gx = cv2.Sobel(y, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(y, cv2.CV_32F, 0, 1, ksize=3)
    gradient = (float(cv2.norm(gx, cv2.NORM_L1)) + float(cv2.norm(gy, cv2.NORM_L1))) / (8.0 * n)
    y2 = cv2.multiply(y, y)
    mu = cv2.blur(y, (7, 7))
    local_var = cv2.blur(y2, (7, 7))
    local_var -= cv2.multiply(mu, mu)
    texture = float(np.mean(np.sqrt(np.maximum(local_var, 0.0))))
    detail = float(cv2.norm(cv2.Laplacian(y, cv2.CV_32F, ksize=1), cv2.NORM_L1)) / n
    h, w = y.shape
    noise = 0.0
    if h >= 3 and w >= 3:
        conv = cv2.filter2D(y, cv2.CV_32F, predict._NOISE_KERNEL)[1:-1, 1:-1]
        noise = float(math.sqrt(math.pi / 2) * cv2.norm(conv, cv2.NORM_L1) / (6.0 * conv.size))
    bh, bw = h // 8, w // 8
    flat = 0.0
    if bh and bw:
        m1 = cv2.resize(y[: bh * 8, : bw * 8], (bw, bh), interpolation=cv2.INTER_AREA)
        m2 = cv2.resize(y2[: bh * 8, : bw * 8], (bw, bh), interpolation=cv2.INTER_AREA)
        flat = float(np.mean(m2 - m1 * m1 < 1e-4))
    return np.array([gradient, texture, detail, noise, flat])


@pytest.mark.parametrize("seed", range(4))
def test_tile_features_equal_numpys_mean_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    smooth = photo_like(64, 64, seed=seed, channels=1)[..., 0].astype(np.float32) / 255
    tiles = [smooth, rng.random((64, 64), dtype=np.float32), np.zeros((64, 64), np.float32),
             np.full((64, 64), 0.5, np.float32), rng.random((37, 53), dtype=np.float32),
             (rng.integers(0, 65536, (64, 64)) / 65535).astype(np.float32), rng.random((2, 9), dtype=np.float32)]
    for t in tiles:
        assert np.array_equal(predict._tile_features(t), _tile_features_plain(t))
