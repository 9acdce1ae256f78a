"""QA 19 web: ``info`` names a YCCK JPEG's colour coding (Adobe transform 2), not "CMYK".

Found: a Photoshop-style YCCK JPEG (written by libjpeg from inverted CMYK with ``outcolorspace='YCCK'``) showed
``jpeg_subsampling: CMYK, 2x2, 1x1, 1x1, 2x2``: the factors were right, the coding was not.
"""

from __future__ import annotations

from pathlib import Path

import imagecodecs
import numpy as np

from qualipress.io.metadata import read_metadata


def test_ycck_and_cmyk_jpegs_are_told_apart(tmp_path: Path) -> None:
    rng = np.random.default_rng(19)
    cmyk = rng.integers(0, 256, (32, 48, 4), dtype=np.uint8)
    for coding in ("YCCK", "CMYK"):
        p = tmp_path / f"{coding}.jpg"
        p.write_bytes(imagecodecs.jpeg8_encode(cmyk, level=90, colorspace="CMYK", outcolorspace=coding))
        assert read_metadata(p, "jpeg")["jpeg_subsampling"].startswith(coding), coding
