"""An EXR whose chromaticities are not Rec.709 (qa15film: ACES AP0): the primaries are not carried, so say so.

The output was tagged with sRGB/Rec.709 primaries (JPEG XL ICC "RGB_D65_SRG_Per_PeQ") with no word in the report,
so a viewer shows AP0 colour as if it were Rec.709."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress.io import read_image

openexr = pytest.importorskip("OpenEXR")

AP0 = (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.077, 0.32168, 0.33767)
REC709 = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)


def _exr(path, chroma) -> None:
    rgb = np.full((6, 8, 3), 0.25, np.float32)
    head = {"compression": openexr.ZIP_COMPRESSION, "type": openexr.scanlineimage}
    if chroma is not None:
        head["chromaticities"] = chroma
    openexr.File(head, {"R": rgb[..., 0], "G": rgb[..., 1], "B": rgb[..., 2]}).write(str(path))


def test_primaries_other_than_rec709_are_named_as_not_carried(tmp_path) -> None:
    _exr(tmp_path / "ap0.exr", AP0)
    note = read_image(tmp_path / "ap0.exr").metadata["not_carried"]
    assert "chromaticities" in note and "0.7347" in note and "Rec.709" in note


@pytest.mark.parametrize("chroma", [REC709, None])
def test_rec709_or_no_chromaticities_say_nothing(tmp_path, chroma) -> None:
    _exr(tmp_path / "709.exr", chroma)
    assert "not_carried" not in read_image(tmp_path / "709.exr").metadata
