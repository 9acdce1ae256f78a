"""Flattened quantisation tables: the geometric blend, and what the codec writes in the DQT."""

from __future__ import annotations

import io

import numpy as np
import pytest

from qualipress.errors import InputError
from qualipress.io import as_image
from qualipress.roi import RoiJpegCodec
from qualipress.roi.encoder import STD_CHROMA, STD_LUMA, flattened, quality_table
from qualipress.roi.mapping import profile_for


def test_flattened_blends_from_annex_k_to_flat_at_the_dc_step() -> None:
    assert np.array_equal(flattened(STD_LUMA, 0.0), STD_LUMA)
    assert np.allclose(flattened(STD_LUMA, 1.0), STD_LUMA[0, 0])
    half = flattened(STD_CHROMA, 0.5)
    assert half[0, 0] == STD_CHROMA[0, 0]
    assert np.allclose(half, np.sqrt(STD_CHROMA * STD_CHROMA[0, 0]))
    # the largest steps shrink, so high frequencies are quantised more finely
    assert half.max() < STD_CHROMA.max()
    for bad in (-0.1, 1.1):
        with pytest.raises(InputError):
            flattened(STD_LUMA, bad)


def test_codec_writes_flattened_tables_and_annex_k_on_request(textured) -> None:
    px = textured()
    img = as_image(px)
    mask = np.zeros(px.shape[:2], bool)
    mask[:, : px.shape[1] // 2] = True
    codec = RoiJpegCodec()
    annexk = codec.encode_roi(img, quality=80, roi_mask=mask, table_flatness=0).data
    flat = codec.encode_roi(img, quality=80, roi_mask=mask).data
    from PIL import Image

    with Image.open(io.BytesIO(annexk)) as im:
        qa = {k: sorted(v) for k, v in im.quantization.items()}
    with Image.open(io.BytesIO(flat)) as im:
        qf = {k: sorted(v) for k, v in im.quantization.items()}
    assert qa[0] == sorted(quality_table(STD_LUMA, 80).ravel().tolist())
    flatness = profile_for(80).table_flatness
    assert flatness > 0
    assert qf[0] == sorted(quality_table(flattened(STD_LUMA, flatness), 80).ravel().tolist())
    assert max(qf[0]) < max(qa[0])  # the coarse high-frequency steps shrink
    assert len(flat) > len(annexk)  # finer high frequencies cost bits at the same quality
    with pytest.raises(InputError):
        codec.encode_roi(img, quality=80, roi_mask=mask, table_flatness=2.0)
