"""Outputs of jpeg-roi decode identically in Pillow, OpenCV, imagecodecs and headless Chromium."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress.io import as_image
from qualipress.roi import RoiJpegCodec
from qualipress.roi.compat import chromium_path, compare_decoders, decode_chromium


def _encode(textured, shape=(77, 101)):
    img = textured(*shape)
    m = np.zeros(shape, bool)
    m[10:50, 20:70] = True
    return img, RoiJpegCodec().encode(as_image(img), roi_mask=m, roi_quality=90, bg_quality=35)


def test_local_decoders_agree(textured):
    _, data = _encode(textured)
    rep = compare_decoders(data)
    assert rep["size"] == [101, 77]
    for name in ("pillow", "opencv", "imagecodecs"):
        assert rep[name]["same_size"] and rep[name]["max_abs_diff"] <= 1


@pytest.mark.browser
@pytest.mark.slow
def test_headless_chromium_decodes_roi_jpeg(textured):
    if chromium_path() is None:
        pytest.skip("Debian chromium is not installed")
    pytest.importorskip("playwright.sync_api")
    img, data = _encode(textured)
    grey = RoiJpegCodec().encode(as_image(img[..., :1]), roi_mask=np.ones((77, 101), bool), quality=80)
    try:
        decoded = decode_chromium([data, grey])
    except Exception as exc:  # a browser that cannot start here is an environment problem
        if "Executable doesn't exist" in str(exc) or "Failed to launch" in str(exc):
            pytest.skip(f"chromium does not start: {exc}")
        raise
    colour, grey_dec = decoded
    assert colour.shape == (77, 101, 3) and grey_dec.shape == (77, 101, 3)
    rep = compare_decoders(data, chromium=colour)
    assert rep["chromium"]["max_abs_diff"] <= 1
    # a pixel inside the ROI is close to the original
    assert np.abs(colour[30, 40].astype(int) - img[30, 40]).max() <= 12
