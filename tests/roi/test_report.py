from __future__ import annotations

import numpy as np
import pytest

from qualipress.detect import detect
from qualipress.io import as_image, read_image
from qualipress.roi import RoiJpegCodec
from qualipress.roi.report import quality_report


def test_report_scopes_and_sizes(textured):
    img = textured(64, 96)
    m = np.zeros((64, 96), bool)
    m[:, :48] = True
    c = RoiJpegCodec()
    data = c.encode(img, roi_mask=m, roi_quality=92, bg_quality=25)
    rep = quality_report(img, c.decode(data), m, data=data, agreement_classes=None)
    assert rep["roi"]["psnr"] > rep["background"]["psnr"]
    assert rep["roi_fraction"] == 0.5 and rep["bytes"] == len(data)
    assert "agreement" not in rep
    full = quality_report(img, img, np.ones((64, 96), bool))
    assert full["background"] is None and full["roi"]["psnr"] == 100.0


@pytest.mark.data
def test_face_agreement_survives_roi_encoding(data_dir):
    img = read_image(data_dir / "kodak" / "kodim04.png")
    regions = detect(img, ("faces",))
    c = RoiJpegCodec()
    enc = c.encode_roi(img, quality=70, roi=["faces"])
    rep = quality_report(img, c.decode(enc.data), enc.analysis.mask, regions=regions, agreement_classes="faces")
    assert rep["agreement"]["faces"]["f1"] == 1.0
    # a destroyed image loses the face
    flat = as_image(np.full_like(img.pixels, 128))
    rep2 = quality_report(img, flat, enc.analysis.mask, regions=regions, agreement_classes="faces")
    assert rep2["agreement"]["faces"]["recall"] == 0.0
