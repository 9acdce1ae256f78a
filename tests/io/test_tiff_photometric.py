"""TIFF photometric interpretations other than RGB/grey/palette: CMYK separations and min-is-white grey."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from qualipress.io import read_image


def _cmyk(dtype: type) -> np.ndarray:
    peak = np.iinfo(dtype).max
    px = np.zeros((16, 24, 4), dtype)  # no ink: white
    px[:8, :12, 0] = peak  # full cyan
    px[8:, 12:, 3] = peak  # full black
    px[:8, 12:, 1] = peak // 2  # half magenta
    return px


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_cmyk_tiff_is_converted_to_rgb(tmp_path, dtype) -> None:
    # QA (qa11): a 16-bit CMYK ("separated") TIFF was read as RGBA with the black plate as alpha: compress wrote a
    # fully transparent 1,150-byte JPEG XL and reported C1 met.
    p = tmp_path / "cmyk.tif"
    tifffile.imwrite(p, _cmyk(dtype), photometric="separated")
    img = read_image(p)
    peak = np.iinfo(dtype).max
    assert img.pixels.shape == (16, 24, 3) and img.pixels.dtype == dtype
    assert (img.pixels[8:, :12] == peak).all()  # white
    assert (img.pixels[:8, :12] == [0, peak, peak]).all()  # cyan
    assert (img.pixels[8:, 12:] == 0).all()  # black
    assert abs(int(img.pixels[0, 20, 1]) - (peak + 1) // 2) <= 1  # half magenta halves green
    assert "CMYK converted to RGB" in img.metadata["converted"]


def test_min_is_white_grey_tiff_is_inverted(tmp_path) -> None:
    # QA (qa11): a min-is-white grey TIFF (document scans, fax) was read as its negative.
    p = tmp_path / "white.tif"
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    tifffile.imwrite(p, ramp, photometric="miniswhite")
    img = read_image(p)
    assert (img.pixels[..., 0] == 255 - ramp).all()
    assert img.metadata["tiff:photometric"] == "MINISWHITE"
