"""Semantic region-of-interest JPEG: ROI blocks finely quantised, background coarsely, baseline output.

Layers: :mod:`qualipress.detect` finds regions → :mod:`.mask` refines them and maps them onto the MCU grid →
:mod:`.encoder` computes and quantises DCT coefficients per block and writes baseline JPEG with libjpeg-turbo
(``jpeglib.write_dct``) → :mod:`.codec` is the ``jpeg-roi`` codec → :mod:`.rate` meets ROI / whole-image
targets → :mod:`.report` measures ROI / background quality and detector agreement.
"""

from qualipress.roi.codec import RoiEncoding, RoiJpegCodec
from qualipress.roi.encoder import encode_blocks, mcu_size, quality_table
from qualipress.roi.mapping import bg_quality_for
from qualipress.roi.mask import RoiAnalysis, analyse, block_levels, coverage, expand_blocks, refine_mask

__all__ = [
    "RoiAnalysis",
    "RoiEncoding",
    "RoiJpegCodec",
    "analyse",
    "bg_quality_for",
    "block_levels",
    "coverage",
    "encode_blocks",
    "expand_blocks",
    "mcu_size",
    "quality_table",
    "refine_mask",
]
