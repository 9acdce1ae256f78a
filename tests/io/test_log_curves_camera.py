"""ARRI LogC3 and Sony S-Log3 log TIFFs: camera-original renders name these curves in their description. Before,
such a TIFF was read as sRGB (no tonal check, a wrong "srgb" seal); now it is read as log with the right curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from qualipress.io import read_image
from qualipress.io.logcurves import (
    curve_named_in,
    encoding_name,
    linear_to_logc3,
    linear_to_slog3,
    log_to_linear,
    logc3_to_linear,
    slog3_to_linear,
)


@pytest.mark.parametrize(("forward", "inverse", "grey_code"), [
    (linear_to_logc3, logc3_to_linear, 0.391),  # LogC3 EI 800: 18 % grey at code ~400 of 1023
    (linear_to_slog3, slog3_to_linear, 420 / 1023),  # S-Log3: 18 % grey at 10-bit code 420
])
def test_curve_mid_grey_and_round_trip(forward, inverse, grey_code: float) -> None:
    assert float(forward(np.array(0.18))) == pytest.approx(grey_code, abs=1e-3)
    lin = np.array([-0.005, 0.0, 0.005, 0.011, 0.012, 0.18, 1.0, 16.0, 40.0])
    back = inverse(forward(lin))
    np.testing.assert_allclose(back, lin, rtol=2e-4, atol=2e-6)
    codes = forward(np.linspace(0.0, 30.0, 500))
    assert np.all(np.diff(codes) > 0)  # monotone, continuous across the break


@pytest.mark.parametrize(("text", "curve"), [
    ("ARRI LogC3 EI800, AWG3", "logc3"), ("ALEXA Log C", "logc3"), ("logc render", "logc3"),
    ("Venice S-Log3 / S-Gamut3.Cine", "slog3"), ("slog3", "slog3"),
    ("ARRI LogC4 AWG4", None), ("S-Log2 S-Gamut", None), ("catalogue photo of a log cabin", None),
    ("LogC3 EI 800", "logc3"), ("ARRI LogC3 EI1600 AWG3", None), ("Log C, EI: 400", None),
    ("Rec.709, converted from ARRI LogC3", None),
])
def test_descriptions_name_camera_curves(text: str, curve: str | None) -> None:
    assert curve_named_in(text) == curve


@pytest.mark.parametrize(("description", "curve", "forward", "label"), [
    ("ARRI LogC3 EI800 16-bit", "logc3", linear_to_logc3, "LogC3"),
    ("S-Log3 16-bit", "slog3", linear_to_slog3, "S-Log3"),
])
def test_a_camera_log_tiff_is_read_with_its_curve(tmp_path: Path, description: str, curve: str, forward,
                                                   label: str) -> None:
    lin = np.array([0.02, 0.18, 1.0, 4.0], np.float64)
    codes = np.round(np.clip(forward(lin), 0, 1) * 65535).astype(np.uint16)
    px = np.broadcast_to(codes[:, None, None], (4, 8, 3)).copy()
    path = tmp_path / "cam.0001.tif"
    tifffile.imwrite(path, px, photometric="rgb", metadata=None, description=description)
    img = read_image(path)
    assert img.transfer == "log" and img.metadata["log_curve"] == curve
    assert label in encoding_name(img) and "assumed" not in encoding_name(img)
    got = log_to_linear(img.pixels.astype(np.float32)[:, 0, 0] / 65535.0, img.metadata)
    np.testing.assert_allclose(got, lin, rtol=2e-3)
