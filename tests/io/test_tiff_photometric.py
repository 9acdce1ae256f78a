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


def test_unspecified_extra_sample_is_not_alpha(tmp_path) -> None:
    # QA (qa11): an RGB TIFF with one "unspecified" extra sample (ExtraSamples = 0: data, not alpha) of zeros was
    # read as RGBA with alpha 0 everywhere: every pixel counted as invisible.
    rgb = np.random.default_rng(5).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    p = tmp_path / "extra.tif"
    tifffile.imwrite(p, np.dstack([rgb, np.zeros((12, 16), np.uint8)]), photometric="rgb", extrasamples=[0])
    img = read_image(p)
    assert img.pixels.shape == (12, 16, 3)
    assert (img.pixels == rgb).all()
    assert "extra sample" in img.metadata["not_carried"]


def test_reduced_resolution_first_page_is_skipped(tmp_path) -> None:
    # QA (qa11): a TIFF whose first page is a reduced-resolution preview (NewSubfileType bit 0) was compressed as
    # that 60x40 preview; the 480x320 image on page 2 was left out.
    full = np.random.default_rng(6).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    p = tmp_path / "preview_first.tif"
    with tifffile.TiffWriter(p) as tw:
        tw.write(full[::4, ::4], subfiletype=1)
        tw.write(full)
    img = read_image(p)
    assert img.pixels.shape == (32, 48, 3) and (img.pixels == full).all()
    assert "reduced-resolution" in img.metadata["not_carried"]


def test_min_is_white_12_bit_tiff_is_inverted_within_its_own_range(tmp_path) -> None:
    # Review (session 10): 12-bit samples were inverted against 65535, giving 61440..65535 in a 12-bit image.
    p = tmp_path / "white12.tif"
    ramp = (np.arange(256, dtype=np.uint16) * 16).reshape(16, 16)
    tifffile.imwrite(p, ramp, photometric="miniswhite", bitspersample=12)
    img = read_image(p)
    assert img.bit_depth == 12
    assert (img.pixels[..., 0] == 4095 - ramp).all()
