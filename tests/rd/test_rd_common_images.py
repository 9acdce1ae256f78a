"""Every curve averages the same images: one image a codec cannot code is left out of all curves, with the
reason, instead of emptying every curve that lacked it (QA session 17, researcher: a 16-bit PNG in the dataset
gave 'needs >= 4 monotone points (anchor 0, test 0)' for every codec)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np

from qualipress.io import as_image, write_image
from qualipress.rd.report import html_report
from qualipress.rd.sweep import _common_images, run_rd

Q = {"jpeg": [20.0, 40.0, 60.0, 80.0, 95.0], "pillow-jpeg": [20.0, 40.0, 60.0, 80.0, 95.0]}


def test_an_image_one_codec_refuses_is_left_out_of_every_curve(dataset: Path, tmp_path: Path) -> None:
    clean = run_rd(dataset, tmp_path / "clean", codecs=["jpeg", "pillow-jpeg"], qualities=Q, metrics=["psnr"])
    mixed = tmp_path / "mixed"
    shutil.copytree(dataset, mixed)
    y, x = np.mgrid[0:40, 0:48].astype(np.float64)
    write_image(mixed / "zdeep.png", as_image(np.stack([x * 1300, y * 1500, (x + y) * 700], -1).astype(np.uint16)))
    out = tmp_path / "out"
    res = run_rd(mixed, out, codecs=["jpeg", "pillow-jpeg"], qualities=Q, metrics=["psnr"])
    assert res.errors and set(res.left_out) == {"zdeep.png"} and "16-bit" in res.left_out["zdeep.png"]
    for name in ("jpeg", "pillow-jpeg"):
        for key in ("quality", "bpp", "psnr-rgb"):
            assert res.curves[name]["results"][key] == clean.curves[name]["results"][key]
        assert "2 images" in res.curves[name]["description"]
    bd = res.bd["psnr-rgb"]["pillow-jpeg"]["pchip"]
    assert not math.isnan(bd["bd_rate"])
    assert bd["bd_rate"] == clean.bd["psnr-rgb"]["pillow-jpeg"]["pchip"]["bd_rate"]
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["images_left_out"]) == ["zdeep.png"]
    assert "zdeep.png" in html_report(out).read_text()


def test_a_setting_that_fails_everywhere_keeps_the_images() -> None:
    files = [Path("a.png"), Path("b.png")]
    rows = [{"image": f.name, "codec": "jpeg", "setting": s} for f in files for s in (20.0, 40.0)]
    rows.append({"image": "a.png", "codec": "jpeg", "setting": 60.0})
    errors = [{"image": "b.png", "codec": "jpeg", "setting": 60.0, "error": "boom"},
              {"image": "a.png", "codec": "jpeg", "setting": 80.0, "error": "bad setting"},
              {"image": "b.png", "codec": "jpeg", "setting": 80.0, "error": "bad setting"}]
    kept, left = _common_images(files, ["jpeg"], {"jpeg": [20.0, 40.0, 60.0, 80.0]}, rows, errors)
    assert kept == [Path("a.png")] and left == {"b.png": "jpeg: boom"}
