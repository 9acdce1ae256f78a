"""The chroma_ratio option of jpeg-roi: coarser chroma tables, same luma, baseline file."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress.errors import InputError
from qualipress.io import as_image
from qualipress.roi import RoiJpegCodec


def _mask(h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[: h // 2] = True
    return m


def test_chroma_ratio_shrinks_the_file_and_keeps_luma(textured) -> None:
    import imagecodecs

    from qualipress.roi.encoder import rgb_to_ycbcr

    px = textured()
    img = as_image(px)
    codec = RoiJpegCodec()
    mask = _mask(*px.shape[:2])
    full = codec.encode_roi(img, quality=80, roi_mask=mask)
    low = codec.encode_roi(img, quality=80, roi_mask=mask, chroma_ratio=0.5)
    assert len(low.data) < len(full.data)
    y_full = rgb_to_ycbcr(imagecodecs.jpeg8_decode(full.data))[..., 0]
    y_low = rgb_to_ycbcr(imagecodecs.jpeg8_decode(low.data))[..., 0]
    y_ref = rgb_to_ycbcr(px)[..., 0]
    # luma quantisation is untouched: the luma error barely moves (colour conversion rounding only)
    assert abs(np.abs(y_low - y_ref).mean() - np.abs(y_full - y_ref).mean()) < 0.3


@pytest.mark.parametrize("bad", [0.0, -1.0, 1.5])
def test_chroma_ratio_outside_0_1_is_refused(textured, bad: float) -> None:
    px = textured()
    with pytest.raises(InputError, match="chroma_ratio"):
        RoiJpegCodec().encode_roi(as_image(px), quality=80, roi_mask=_mask(*px.shape[:2]), chroma_ratio=bad)
