"""Per-file lines of ``compress`` are never wrapped (QA: at 80 columns a long temporary path split 'no ROI found'
over two lines, so tests/roi/test_cli.py failed or passed with the length of pytest's directory number)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image as PILImage

from qualipress.cli import main
from tests.conftest import photo_like


def test_long_path_and_note_stay_on_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / ("a_rather_long_folder_name_" * 3) / "a_jpeg_named_as_a_png_file.png"
    deep.parent.mkdir(parents=True)
    PILImage.fromarray(photo_like(32, 40)).save(deep, "JPEG", quality=80)  # the note: content is jpeg
    assert main(["compress", str(deep), "-o", str(tmp_path / "o"), "--codec", "webp", "--no-film"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("ok"))
    assert str(deep) in line and "content is jpeg but the name ends in .png" in line, line


def test_dry_run_lines_stay_on_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    deep = tmp_path / ("a_rather_long_folder_name_" * 3) / "photo.png"
    deep.parent.mkdir(parents=True)
    PILImage.fromarray(photo_like(32, 40)).save(deep)
    assert main(["compress", str(deep), "-o", str(tmp_path / "o"), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("would compress") and lines[0].endswith("ssim@min>=0.9"), lines


def test_a_rerun_calls_finished_files_done(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A rerun's line for a finished file uses the summary's word ('already done'); it said 'resumed', as if the
    file had been picked up half-way (UX 17)."""
    src = tmp_path / "p.png"
    PILImage.fromarray(photo_like(32, 40)).save(src)
    args = ["compress", str(src), "-o", str(tmp_path / "o"), "--codec", "webp", "--no-film"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if str(src) in ln)
    assert line.startswith("done ") and "1 already done" in out, out
