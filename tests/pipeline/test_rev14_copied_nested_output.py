"""rev14: ``compress in -o in/out`` (the output folder nested in the input folder), then ``cp -a in in2`` and the
same run into ``in2/out``. fix18b read a copied record's input at its place in the copy only when it lay in the
output folder itself; here it lies in the folder copied around it, so the report held no record of ``in2/p0.png``
and every copied output was refused as "not made by this run's settings" (all files failed)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.io import as_image, write_image
from qualipress.pipeline import batch
from tests.conftest import photo_like

ARGS = ["--codec", "jpeg", "--target", "ssim>=0.9"]


def test_a_copy_of_a_folder_with_its_output_folder_inside_resumes(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        write_image(src / f"p{i}.png", as_image(photo_like(48, 64, seed=i + 1)))
    assert main(["compress", str(src), "-o", str(src / "out"), *ARGS]) == 0
    copy = tmp_path / "in2"
    shutil.copytree(src, copy, symlinks=True)
    before = {p.name: p.read_bytes() for p in (copy / "out").glob("*.jpg")}
    assert main(["compress", str(copy), "-o", str(copy / "out"), *ARGS]) == 0
    assert {p.name: p.read_bytes() for p in (copy / "out").glob("*.jpg")} == before
    lines = (copy / "out" / "qualipress-report.jsonl").read_text().splitlines()
    assert len(lines) == 2, lines[2:]  # resumed: no failure record, nothing redone


def test_an_input_outside_the_copied_folder_is_not_taken_for_a_copy(tmp_path: Path) -> None:
    """Only the folder copied around the output folder is mapped: a sibling output folder of other inputs that
    shares names is not resumed from the first one's records."""
    a, b = tmp_path / "a" / "out", tmp_path / "b" / "out"
    for base in (a.parent, b.parent):
        base.mkdir()
    write_image(a.parent / "p.png", as_image(photo_like(48, 64, seed=1)))
    write_image(b.parent / "p.png", as_image(photo_like(48, 64, seed=9)))
    assert main(["compress", str(a.parent), "-o", str(a), *ARGS]) == 0
    assert main(["compress", str(b.parent), "-o", str(b), *ARGS]) == 0
    assert (a / "p.jpg").read_bytes() != (b / "p.jpg").read_bytes()


def test_reading_a_report_resolves_no_path_of_a_record_inside_the_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fix18b resolved every record's output (a realpath each) to tell a copied folder's records: reading a
    100k-frame report took 13x as long, more on network storage. A record named inside the folder is its own."""
    out = tmp_path / "out"
    out.mkdir()
    report = out / "r.jsonl"
    report.write_text("".join(json.dumps({"input": f"/elsewhere/s{i}.png", "input_sha256": "x", "output":
                                          str(out / f"s{i}.jpg"), "output_sha256": "y", "settings_key": "k"}) + "\n"
                              for i in range(50)))
    calls: list[str] = []
    real = os.path.realpath
    monkeypatch.setattr(os.path, "realpath", lambda p, *a, **k: calls.append(str(p)) or real(p, *a, **k))
    state = batch._ReportState.read(report, "k", out)
    monkeypatch.undo()
    assert len(state.done) == 50
    assert len(calls) <= 1, calls[:3]  # the folder's own real path, once
