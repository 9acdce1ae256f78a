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
               "--target", "roi:ssim>=0.95", "--target", "ssim>=0.8", "--json", "--no-film"])
    assert rc == 0, capsys.readouterr()
    # fixed qualities with a target: encoded once as asked; a target they miss is reported, exit code 1
    rc = main(["compress", str(p), "-o", str(tmp_path / "fixed"), "--codec", "jpeg-roi", "--roi-mask", str(mp),
               "--roi-quality", "20", "--bg-quality", "5", "--target", "ssim>=0.99", "--json", "--no-film"])
    assert rc == 1 and "target not met" in capsys.readouterr().out
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


def _report(outdir):
    return [json.loads(line) for line in (outdir / "qualipress-report.jsonl").read_text().splitlines()]


def test_compress_fixed_qualities_encode_once_and_save_the_block_mask(tmp_path, textured, capsys):
    p, mp = _write(tmp_path, textured)
    outdir = tmp_path / "out"
    rc = main(["compress", str(p), "-o", str(outdir), "--codec", "jpeg-roi", "--roi-mask", str(mp),
               "--roi-quality", "90", "--bg-quality", "30", "--save-mask", "--json", "--no-film"])
    assert rc == 0, capsys.readouterr()
    (rec,) = _report(outdir)
    assert rec["params"]["roi_quality"] == 90 and rec["params"]["bg_quality"] == 30
    assert rec["encodes"] == 1 and rec["target"] == []
    mask_path = outdir / "in.roi-mask.png"
    assert rec["sidecars"] == [str(mask_path)]
    block = np.asarray(PILImage.open(mask_path)) > 0
    # the saved mask is the block map: whole 8x8 blocks, covering the drawn rectangle (rows 8-39, cols 16-55)
    assert block[8:40, 16:56].all() and not block[48:, :].any()
    assert (block.reshape(8, 8, 12, 8).any(axis=(1, 3)) == block.reshape(8, 8, 12, 8).all(axis=(1, 3))).all()


def test_compress_roi_target_for_plain_jpeg_from_the_cli(tmp_path, textured, capsys):
    p, mp = _write(tmp_path, textured)
    outdir = tmp_path / "out"
    rc = main(["compress", str(p), "-o", str(outdir), "--codec", "jpeg", "--roi-mask", str(mp),
               "--target", "roi:psnr>=38", "--target", "ssim>=0.5", "--save-mask", "--json", "--no-film"])
    assert rc == 0, capsys.readouterr()
    (rec,) = _report(outdir)
    assert rec["codec"] == "jpeg" and rec["metrics"]["roi:psnr"]["value"] >= 38
    # a plain codec has no block map: the saved mask is the pixel ROI the roi: constraint was measured on
    saved = np.asarray(PILImage.open(outdir / "in.roi-mask.png")) > 0
    assert (saved == (np.asarray(PILImage.open(mp)) > 0)).all()


def test_compress_refuses_jpeg_roi_settings_for_other_codecs(tmp_path, textured, capsys):
    p, _ = _write(tmp_path, textured)
    assert main(["compress", str(p), "-o", str(tmp_path / "o"), "--codec", "jpeg", "--bg-quality", "30"]) == 2
    assert "jpeg-roi" in capsys.readouterr().err


def test_compress_says_when_jpeg_roi_found_no_roi(tmp_path, capsys):
    p = tmp_path / "flat.png"
    PILImage.fromarray(np.full((48, 64, 3), 120, np.uint8)).save(p)
    assert main(["compress", str(p), "-o", str(tmp_path / "o"), "--codec", "jpeg-roi", "--roi", "faces",
                 "--roi-quality", "80", "--no-film"]) == 0
    out = " ".join(capsys.readouterr().out.replace("│", " ").split())  # Rich wraps by the tmp path's length
    assert "no ROI found" in out and "uniform quality 80" in out


def test_compress_codec_opt_adapt_false_keeps_the_fixed_profile(tmp_path, textured, capsys):
    """A photo that went through 4:2:0 JPEG: adapted, quality 60 stays 4:2:0; ``--codec-opt adapt=false`` gives
    the fixed switch (4:4:4 from 45)."""
    import io

    from PIL import JpegImagePlugin

    buf = io.BytesIO()
    PILImage.fromarray(textured(64, 96)).save(buf, "JPEG", quality=70, subsampling="4:2:0")
    p, mp = _write(tmp_path, textured)
    PILImage.open(io.BytesIO(buf.getvalue())).convert("RGB").save(p)  # the same picture, after 4:2:0 JPEG
    sampling = {}
    for name, extra in (("adapted", []), ("fixed", ["--codec-opt", "adapt=false"])):
        outdir = tmp_path / name
        rc = main(["compress", str(p), "-o", str(outdir), "--codec", "jpeg-roi", "--roi-mask", str(mp),
                   "--roi-quality", "60", "--json", "--no-film", *extra])
        assert rc == 0, capsys.readouterr()
        (jpg,) = outdir.glob("*.jpg")
        with PILImage.open(jpg) as im:
            sampling[name] = JpegImagePlugin.get_sampling(im)
    assert sampling == {"adapted": 2, "fixed": 0}
