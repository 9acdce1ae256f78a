import json
from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.io import as_image, write_image
from tests.conftest import photo_like


def _img(tmp_path, name="a.png", **kw):
    p = tmp_path / name
    write_image(p, as_image(photo_like(**kw)))
    return p


def test_compress_json_and_exit_codes(tmp_path, capsys):
    src = _img(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--codec", "jpeg", "--profile", "C2",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["files"] == 1 and out["failures"] == 0
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    assert main(["compress", str(tmp_path / "bad.png"), str(src), "-o", str(tmp_path / "o2"),
                 "--codec", "jpeg", "--target", "ssim>=0.9"]) == 1
    captured = capsys.readouterr()
    assert "bad.png" in captured.out + captured.err and "Traceback" not in captured.out + captured.err


def test_usage_errors_exit_2_without_traceback(tmp_path, capsys):
    src = _img(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "o"), "--target", "ssim>0.9"]) == 2
    assert main(["compress", str(src), "-o", str(tmp_path / "o"), "--profile", "C9"]) == 2
    assert main(["compress", str(tmp_path / "missing.png"), "-o", str(tmp_path / "o")]) == 2
    assert main(["info", str(tmp_path / "missing.png")]) == 2
    assert main(["encode", str(src), "-o", str(tmp_path / "x.jpg"), "--codec", "nope"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_encode_compare_info_codecs_profiles(tmp_path, capsys):
    src = _img(tmp_path, h=80, w=96)
    assert main(["encode", str(src), "-o", str(tmp_path / "a.webp"), "--codec", "webp", "--quality", "70",
                 "--json"]) == 0
    enc = json.loads(capsys.readouterr().out)
    assert enc["bytes"] == (tmp_path / "a.webp").stat().st_size
    assert main(["compare", str(src), str(tmp_path / "a.webp"), "--json"]) == 0
    cmp_ = json.loads(capsys.readouterr().out)
    assert abs(cmp_["ssim"]["value"] - enc["metrics"]["ssim"]["value"]) < 1e-6
    assert main(["info", str(tmp_path / "a.webp"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["width"] == 96
    assert main(["codecs", "--json"]) == 0
    rows = {r["codec"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["jpeg"]["available"] and rows["jpegxl"]["quality"]["name"] == "distance"
    assert "learned:bmshj2018-hyperprior" in rows  # prefixed families are listed too
    assert main(["profiles"]) == 0 and "C1" in capsys.readouterr().out
    assert main(["decode", str(tmp_path / "a.webp"), "-o", str(tmp_path / "back.png")]) == 0


def test_user_profile_file(tmp_path, capsys):
    prof = tmp_path / "p.toml"
    prof.write_text('[web]\ndescription = "x"\ntarget = ["ssim>=0.91"]\n')
    src = _img(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "o"), "--codec", "jpeg", "--profile", "web",
                 "--profiles", str(prof), "--json"]) == 0
    rep = [json.loads(x) for x in (tmp_path / "o" / "qualipress-report.jsonl").read_text().splitlines()]
    assert rep[0]["target"] == ["ssim>=0.91"] and rep[0]["profile"] == "web"


def test_grey_alpha_odd_sizes(tmp_path):
    write_image(tmp_path / "g.png", as_image(photo_like(33, 47, channels=1)))
    rgba = np.concatenate([photo_like(31, 29), np.full((31, 29, 1), 200, np.uint8)], axis=2)
    write_image(tmp_path / "rgba.png", as_image(rgba))
    assert main(["compress", str(tmp_path / "g.png"), str(tmp_path / "rgba.png"), "-o", str(tmp_path / "o"),
                 "--codec", "webp", "--target", "ssim>=0.9", "--json"]) == 0


def test_failures_are_recapped_once_per_reason(tmp_path, capsys):
    good = _img(tmp_path, "good.png")
    for name in ("b1.png", "b2.png", "b3.png"):
        (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n broken")
    args = [str(tmp_path / n) for n in ("b1.png", "b2.png", "b3.png")]
    assert main(["compress", *args, str(good), "-o", str(tmp_path / "o"), "--codec", "jpeg",
                 "--target", "ssim>=0.9"]) == 1
    err = capsys.readouterr().err
    recap = [line for line in err.splitlines() if line.startswith("failed ")]
    assert len(recap) == 1 and "3 file(s)" in recap[0] and "b1.png, b2.png, b3.png" in recap[0]


@pytest.mark.parametrize("command", ["encode", "decode"])
def test_encode_decode_never_replace_their_input(tmp_path, capsys, command):
    # QA: `encode a.jpg -o a.jpg --overwrite` used to replace the input with the re-encoded file.
    src = tmp_path / "a.png"
    write_image(src, as_image(photo_like(48, 64)))
    before = src.read_bytes()
    args = [command, str(src), "-o", str(src), "--overwrite"] + (["--codec", "png"] if command == "encode" else [])
    assert main(args) == 2
    assert "is the input file" in capsys.readouterr().err
    assert src.read_bytes() == before


@pytest.mark.parametrize("module", ["qualipress", "qualipress.cli"])
def test_python_dash_m_runs_the_cli(module):
    # QA: `python -m qualipress.cli` (used in the contributor notes) failed: the package had no __main__.
    import os
    import subprocess
    import sys
    from pathlib import Path

    import qualipress

    env = {**os.environ, "PYTHONPATH": str(Path(qualipress.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-m", module, "profiles"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0 and "C1" in done.stdout
    bad = subprocess.run([sys.executable, "-m", module, "compress", "x.png"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_image_files_of_unread_formats_are_named_not_silently_skipped(tmp_path, capsys):
    from PIL import Image as PILImage

    src = tmp_path / "in"
    src.mkdir()
    _img(src, "a.png")
    PILImage.fromarray(photo_like(16, 16)).save(src / "b.bmp")
    PILImage.fromarray(photo_like(16, 16)).save(src / "c.tga")
    (src / "notes.txt").write_text("not an image")
    assert main(["compress", str(src), "-o", str(tmp_path / "o"), "--codec", "jpeg", "--target", "ssim>=0.9"]) == 0
    err = capsys.readouterr().err
    assert "skipped 2 file(s)" in err and ".bmp" in err and ".tga" in err and "notes.txt" not in err


def test_a_broken_link_in_an_input_folder_is_a_failed_input(tmp_path, capsys):
    # QA: a symbolic link to nothing in an input folder was skipped silently.
    src = tmp_path / "in"
    src.mkdir()
    _img(src, "a.png")
    (src / "b.png").symlink_to(tmp_path / "gone.png")
    assert main(["compress", str(src), "-o", str(tmp_path / "o"), "--codec", "jpeg", "--target", "ssim>=0.9",
                 "--json"]) == 1
    got = json.loads(capsys.readouterr().out)
    failed = [f for f in got["per_file"] if f["error"]]
    assert [Path(f["input"]).name for f in failed] == ["b.png"]
    assert "broken symbolic link" in failed[0]["error"] and "gone.png" in failed[0]["error"]
    assert [Path(f["input"]).name for f in got["per_file"] if not f["error"]] == ["a.png"]


def test_jobs_below_one_is_a_usage_error(tmp_path, capsys):
    src = _img(tmp_path)
    for bad in ("0", "-3"):
        assert main(["compress", str(src), "-o", str(tmp_path / "o"), "--jobs", bad]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "jobs" in err
