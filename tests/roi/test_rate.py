from __future__ import annotations

import numpy as np

from qualipress.io import as_image
from qualipress.metrics import measure
from qualipress.roi import RoiJpegCodec
from qualipress.search import search


def test_targets_on_roi_and_whole_image_are_met_and_beat_uniform(textured):
    img = as_image(textured(96, 128, seed=3))
    m = np.zeros((96, 128), bool)
    m[16:64, 24:80] = True
    r = search(img, "jpeg-roi", ["roi:ssim>=0.97", "ssim>=0.85"], encode_options={"roi_mask": m})
    assert r.met and r.codec == "jpeg-roi" and not r.lossless
    dec = RoiJpegCodec().decode(r.data)
    # re-measure independently
    assert measure(img, dec, ("ssim",), mask=m)["ssim"].value >= 0.97
    assert measure(img, dec, ("ssim",))["ssim"].value >= 0.85
    p = r.params()
    assert p["bg_quality"] < p["roi_quality"]
    uniform = [q for q in r.probes if q.roi_quality == q.bg_quality and q.passed]  # type: ignore[attr-defined]
    assert uniform and len(r.data) < min(q.bytes for q in uniform)


def test_caller_mask_is_used_when_no_roi_options(textured):
    img = as_image(textured(64, 64, seed=4))
    m = np.zeros((64, 64), bool)
    m[:32, :32] = True
    r = search(img, "jpeg-roi", ["roi:psnr>=38"], masks={"roi": m})
    assert r.met
    assert r.metrics["roi:psnr"].value >= 38


def test_impossible_target_falls_back_to_png(textured):
    img = as_image(textured(32, 32))
    m = np.ones((32, 32), bool)
    r = search(img, "jpeg-roi", ["roi:psnr>=99"], encode_options={"roi_mask": m})
    assert r.codec == "png" and r.lossless and r.met
    assert "png" in (r.fallback or "")
