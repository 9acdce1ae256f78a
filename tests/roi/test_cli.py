from __future__ import annotations

import json

import numpy as np
from PIL import Image as PILImage

from qualipress.cli import main


def _write(tmp_path, textured):
    img = textured(64, 96)
    p = tmp_path / "in.png"
    PILImage.fromarray(img).save(p)
    m = np.zeros((64, 96), np.uint8)
    m[8:40, 16:56] = 255
    mp = tmp_path / "mask.png"
    PILImage.fromarray(m).save(mp)
    return p, mp


def test_roi_command_writes_mask(tmp_path, textured, capsys):
    p, mp = _write(tmp_path, textured)
    out = tmp_path / "out.png"
    assert main(["roi", str(p), "-o", str(out), "--roi", "saliency", "--roi-mask", str(mp), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    mask = np.asarray(PILImage.open(out)) > 0
    assert mask.shape == (64, 96) and mask[8:40, 16:56].all()
    assert summary["roi_fraction"] > 0
    # refuses to overwrite without --overwrite, and unknown classes
    assert main(["roi", str(p), "-o", str(out)]) == 2
    assert main(["roi", str(p), "-o", str(tmp_path / "x.png"), "--roi", "cars"]) == 2


def test_compress_and_encode_with_jpeg_roi(tmp_path, textured, capsys):
    p, mp = _write(tmp_path, textured)
    outdir = tmp_path / "out"
    rc = main(["compress", str(p), "-o", str(outdir), "--codec", "jpeg-roi", "--roi-mask", str(mp),
               "--roi-quality", "90", "--bg-quality", "40", "--target", "roi:ssim>=0.95", "--target", "ssim>=0.8",
               "--json", "--no-film"])
    assert rc == 0, capsys.readouterr()
    jpgs = list(outdir.glob("*.jpg"))
    assert len(jpgs) == 1 and jpgs[0].read_bytes()[:2] == b"\xff\xd8"
    enc = tmp_path / "e.jpg"
    assert main(["encode", str(p), "-o", str(enc), "--codec", "jpeg-roi", "--quality", "80"]) == 0
    assert PILImage.open(enc).size == (96, 64)
    capsys.readouterr()
    assert main(["roi-report", str(p), str(enc), "--roi", "", "--roi-mask", str(mp), "--agreement", "",
                 "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["roi"]["psnr"] > 0 and rep["background"]["ssim"] > 0 and rep["bytes"] == enc.stat().st_size
