"""Issue 11: the failure recap labels the paths a failure names from the record, not from a regex over the text.

Before: any reason starting with ``/something: `` was shown as ``<its output>: ...``; a reader that names a
symbolic link's target (the real file) in its error made the recap call the input "its output".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.errors import InputError
from qualipress.io import as_image, write_image
from qualipress.pipeline import batch, read_report
from tests.conftest import photo_like

FAST = ["--codec", "jpeg", "--no-film"]


def _recap(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("failed ")]


def test_a_symlinked_input_named_by_its_target_is_the_file_not_its_output(tmp_path: Path, monkeypatch,
                                                                          capsys) -> None:
    real = tmp_path / "real"
    real.mkdir()
    write_image(real / "shot.png", as_image(photo_like(32, 48, seed=1)))
    src = tmp_path / "in"
    src.mkdir()
    try:
        os.symlink(real / "shot.png", src / "link.png")
    except OSError:
        pytest.skip("no symbolic links here")

    def reader_naming_the_target(path, **kwargs):
        raise InputError(f"{os.path.realpath(path)}: cannot read (a reader that resolves links)")

    monkeypatch.setattr(batch, "read_image", reader_naming_the_target)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), *FAST]) == 1
    recap = _recap(capsys.readouterr().err)
    assert recap == ["failed 1 file(s) (link.png): <file>: cannot read (a reader that resolves links)"], recap


def test_an_output_in_the_way_is_labelled_from_the_record(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "a.png", as_image(photo_like(32, 48, seed=2)))
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.jpg").write_bytes(b"not ours")
    assert main(["compress", str(src), "-o", str(out), *FAST]) == 1
    rec = read_report(out / "qualipress-report.jsonl")[-1]
    assert rec["blocking_output"] == str(out / "a.jpg")
    recap = _recap(capsys.readouterr().err)
    assert len(recap) == 1 and recap[0].startswith("failed 1 file(s) (a.png): <its output>: exists"), recap
