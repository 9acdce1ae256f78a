from __future__ import annotations

import json

import numpy as np
from PIL import Image as PILImage

from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.roi.hooks import RoiHooks
from qualipress.search import parse_target


def test_roi_target_for_plain_jpeg_through_the_pipeline(tmp_path, textured):
    img = textured(64, 96, seed=7)
    src = tmp_path / "in.png"
    PILImage.fromarray(img).save(src)
    m = np.zeros((64, 96), np.uint8)
    m[8:40, 16:56] = 255
    PILImage.fromarray(m).save(tmp_path / "mask.png")
    opts = CompressOptions(
        target=parse_target(["roi:psnr>=36", "ssim>=0.5"]),
        codec="jpeg",
        hooks=RoiHooks(classes=(), roi_mask=tmp_path / "mask.png"),
    )
    summary = compress_paths([src], tmp_path / "out", opts)
    assert not summary.failures
    rec = [json.loads(line) for line in (tmp_path / "out" / "qualipress-report.jsonl").read_text().splitlines()]
    rec = next(r for r in rec if r.get("output"))
    assert rec["metrics"]["roi:psnr"]["value"] >= 36
    assert rec["analysis"]["roi"]["roi_pixel_fraction"] > 0.2
