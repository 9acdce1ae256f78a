"""16-bit log scans as TIFF (qa13film): TIFF has no transfer field, so a TIFF whose ImageDescription names its log
curve (as qualipress's own film test set writes, "ACEScct 16-bit full range from X.exr") is read as log with that
curve; before, such scans were read as sRGB, sealed "srgb" and got no tonal check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from qualipress.io import read_image
from qualipress.io.logcurves import encoding_name, log_curve


def _tiff(path: Path, description: str | None) -> Path:
    px = (np.arange(24 * 32 * 3, dtype=np.uint32).reshape(24, 32, 3) * 37 % 65536).astype(np.uint16)
    kw = {"description": description} if description else {}
    tifffile.imwrite(path, px, photometric="rgb", metadata=None, **kw)
    return path


@pytest.mark.parametrize(("description", "curve"), [
    ("ACEScct 16-bit full range from Bonita.exr", "acescct"),
    ("Cineon log, printing density, 10-bit codes x64", "cineon"),
    ("scan, printing density", "cineon"),
])
def test_a_tiff_naming_its_log_curve_is_read_as_log(tmp_path: Path, description: str, curve: str) -> None:
    img = read_image(_tiff(tmp_path / "scan.0001.tif", description))
    assert img.transfer == "log" and img.bit_depth == 16
    assert log_curve(img.metadata) == curve
    name = encoding_name(img)
    assert ("Cineon" in name) == (curve == "cineon") and ("ACEScct" in name) == (curve == "acescct")
    assert "assumed" not in name


@pytest.mark.parametrize("description", [None, "catalogue photo of a log cabin", "made by a scanner",
                                         "Rec.709 display-referred, converted from Cineon log"])
def test_other_tiffs_stay_srgb(tmp_path: Path, description: str | None) -> None:
    img = read_image(_tiff(tmp_path / "x.tif", description))
    assert img.transfer == "srgb"
