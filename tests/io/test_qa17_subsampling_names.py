"""QA 17: chroma subsampling names shown to users (``info``, ``Image.metadata["jpeg_subsampling"]``): 4:1:1,
4:4:0 and CMYK JPEGs had no name (Pillow's ``get_sampling`` knows only 4:4:4, 4:2:2 and 4:2:0)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.io.metadata import read_metadata, subsampling_name
from tests.conftest import photo_like

imagecodecs = pytest.importorskip("imagecodecs")


@pytest.mark.parametrize("code, name", [("444", "4:4:4"), ("422", "4:2:2"), ("420", "4:2:0"), ("411", "4:1:1"),
                                        ("440", "4:4:0")])
def test_each_libjpeg_subsampling_is_named(code, name):
    data = bytes(imagecodecs.jpeg8_encode(photo_like(32, 32), level=90, subsampling=code))
    assert read_metadata(data, "jpeg")["jpeg_subsampling"] == name


def test_cmyk_and_grey_jpegs():
    buf = io.BytesIO()
    PILImage.fromarray(np.zeros((16, 16, 4), np.uint8), "CMYK").save(buf, "JPEG")
    assert read_metadata(buf.getvalue(), "jpeg")["jpeg_subsampling"] == "CMYK"
    buf = io.BytesIO()
    PILImage.fromarray(photo_like(16, 16)[..., 0]).save(buf, "JPEG")
    assert read_metadata(buf.getvalue(), "jpeg")["jpeg_subsampling"] == "grey"


def test_unusual_factors_are_listed_not_misnamed():
    assert subsampling_name([(1, 2, 2, 0), (2, 2, 1, 1), (3, 1, 1, 1)]) == "2x2, 2x1, 1x1"
    assert subsampling_name([(67, 2, 2, 0), (77, 1, 1, 1), (89, 1, 1, 1), (75, 2, 2, 0)], "CMYK") == \
        "CMYK, 2x2, 1x1, 1x1, 2x2"
    assert subsampling_name([(1, 4, 2, 0), (2, 1, 1, 1), (3, 1, 1, 1)]) == "4:1:0"
