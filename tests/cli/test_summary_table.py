"""The summary ``compress`` prints after a run: the target it held the files to (a default profile was silent),
where the report went (a run with ``-o FILE`` keeps none unless ``--report``), figures in one format."""

from __future__ import annotations

import re

from qualipress.cli import main
from qualipress.io import as_image, write_image
from tests.conftest import photo_like

FAST = ["--codec", "jpeg", "--no-film"]


def _photo(tmp_path, name="a.png"):
    path = tmp_path / name
    write_image(path, as_image(photo_like(h=64, w=80)))
    return path


def _summary(capsys) -> str:
    cap = capsys.readouterr()
    return cap.out + cap.err


def test_summary_names_the_default_profile_and_its_target(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    src = _photo(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), *FAST]) == 0
    row = next(line for line in _summary(capsys).splitlines() if re.search(r"\btarget\b", line))
    assert "C1" in row and "ssim>=0.95" in row


def test_summary_names_a_target_given_as_constraints(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    src = _photo(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), *FAST, "--target", "ssim>=0.9"]) == 0
    row = next(line for line in _summary(capsys).splitlines() if re.search(r"\btarget\b", line))
    assert "ssim>=0.9" in row and "C1" not in row


def test_summary_figures_have_fixed_decimals(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    src = _photo(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), *FAST, "--profile", "C2"]) == 0
    out = _summary(capsys)
    saved = re.search(r"storage saved\s*│\s*(\S+)% \(ratio (\S+)\)", out)
    assert saved, out
    assert re.fullmatch(r"-?\d+\.\d", saved.group(1)) and re.fullmatch(r"\d+\.\d\d", saved.group(2))
    encodes = re.search(r"encodes per file\s*│\s*(\S+)", out)
    assert encodes and re.fullmatch(r"\d+\.\d", encodes.group(1))


def test_single_file_run_says_its_report_was_not_kept(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    src = _photo(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "small.jpg"), *FAST]) == 0
    row = next(line for line in _summary(capsys).splitlines() if re.search(r"\breport\b", line))
    assert "--report" in row
    assert not list(tmp_path.glob("*.jsonl"))


def test_failed_files_are_one_recap_line_per_reason_and_not_counted_as_missed(tmp_path, capsys, monkeypatch):
    """Two outputs left by a run with other settings: the recap repeated the reason once per file (it names each
    output's path) and the summary's 'failed' row said '2 missed' and '-> 0 B'."""
    monkeypatch.setenv("COLUMNS", "200")
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.png", "b.png"):
        _photo(src, name)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), *FAST, "--profile", "C2", "--report",
                 str(tmp_path / "elsewhere.jsonl")]) == 0
    capsys.readouterr()
    assert main(["compress", str(src), "-o", str(out), *FAST, "--profile", "C1"]) == 1
    cap = capsys.readouterr()
    recap = [line for line in cap.err.splitlines() if line.startswith("failed ")]
    assert len(recap) == 1 and recap[0].startswith("failed 2 file(s) (a.png, b.png)"), recap
    row = next(line for line in cap.out.splitlines() if re.search(r"│\s+failed\s+│", line))
    assert "missed" not in row and "no output" in row


def test_per_file_lines_name_the_output_and_its_size(tmp_path, capsys):
    """A log of a batch said 'ok  /path/a.png' and nothing about what was written."""
    src = _photo(tmp_path)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), *FAST, "--profile", "C2"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("ok"))
    size = (out / "a.jpg").stat().st_size
    ratio = src.stat().st_size / size
    assert line == f"ok       {src} -> a.jpg, {size:,} bytes ({ratio:.1f}:1)", line


def test_json_summary_names_profile_and_target(tmp_path, capsys):
    import json

    src = _photo(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), *FAST, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["profile"] == "C1" and "ssim>=0.95" in d["target"]
    assert main(["compress", str(src), "-o", str(tmp_path / "o2"), *FAST, "--target", "ssim>=0.9", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["profile"] is None and d["target"] == ["ssim>=0.9"]
