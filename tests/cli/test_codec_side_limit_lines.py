"""An image wider than the one named codec takes: the dry run says so as the run does, and the run's line reads
as English (UX 17: the dry run listed it as "would compress"; the run said "none of webp can encode a 8-bit rgb
image")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from qualipress.cli import main


@pytest.fixture
def wide(tmp_path: Path) -> Path:
    path = tmp_path / "wide.png"
    Image.fromarray(np.zeros((2, 16_383, 3), dtype=np.uint8)).save(path)  # one pixel over WebP's 16,382
    return path


def test_dry_run_names_the_side_limit(wide: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["compress", str(wide), "-o", str(out), "--codec", "webp", "--dry-run", "--json"]) == 0
    reason = json.loads(capsys.readouterr().out)["files"][0]["would_fail"]
    assert reason and "16,382 pixels a side" in reason and "16,383×2" in reason, reason
    assert main(["compress", str(wide), "-o", str(out), "--codec", "webp,png", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"][0]["would_fail"] is None  # png takes it
    assert not out.exists()


def test_run_says_the_one_codec_cannot(wide: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compress", str(wide), "-o", str(tmp_path / "out"), "--codec", "webp", "--no-film"]) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    assert "none of webp" not in text and "webp cannot encode this 8-bit rgb image" in text, text


def test_dry_run_gives_the_runs_reason_for_a_turned_jpeg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JPEG stored 16,383×2 with EXIF orientation 6 is 2×16,383 upright: the dry run's reason is the run's own,
    word for word (rev9: it said 16,383×2 where the run said 2×16,383)."""
    src = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.zeros((2, 16_383, 3), dtype=np.uint8)).save(src, exif=exif.tobytes())
    args = ["compress", str(src), "-o", str(tmp_path / "out"), "--codec", "webp", "--no-film"]
    assert main([*args, "--dry-run", "--json"]) == 0
    reason = json.loads(capsys.readouterr().out)["files"][0]["would_fail"]
    assert main(args) == 1
    run = capsys.readouterr()
    assert reason and "2×16,383" in reason and reason in run.out + run.err, (reason, run.out + run.err)


def test_dry_run_names_the_depth_first_as_the_run_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 16-bit PNG over WebP's side limit: the run refuses its depth before its size, and so does the dry run
    (rev9: the dry run named the size, the run the depth; with --bit-depth 8 both name the size)."""
    src = tmp_path / "deep.png"
    Image.fromarray(np.zeros((2, 16_383), dtype=np.uint16)).save(src)  # 16-bit grey
    args = ["compress", str(src), "-o", str(tmp_path / "out"), "--codec", "webp", "--no-film"]
    assert main([*args, "--dry-run", "--json"]) == 0
    reason = json.loads(capsys.readouterr().out)["files"][0]["would_fail"]
    assert reason and "16-bit" in reason and "pixels a side" not in reason, reason
    assert main(args) == 1
    run = capsys.readouterr()
    assert "16-bit" in run.out + run.err and "pixels a side" not in run.out + run.err
    assert main([*args, "--bit-depth", "8", "--dry-run", "--json"]) == 0
    assert "pixels a side" in json.loads(capsys.readouterr().out)["files"][0]["would_fail"]
