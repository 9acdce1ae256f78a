"""QA session 18: two ``bench rd`` runs into one results folder computed every row twice (compress, archive and
preprocess label already take the output folder's lock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.errors import OutputError
from qualipress.io import read_jsonl
from qualipress.io.discover import LOCK_NAME
from qualipress.io.files import exclusive_lock
from qualipress.rd import run_rd


def test_a_second_rd_run_into_the_same_folder_is_refused(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    out.mkdir()
    kwargs = {"codecs": ["jpeg"], "qualities": {"jpeg": [50, 90]}, "metrics": ["psnr"], "anchor": None}
    with exclusive_lock(out / LOCK_NAME, what=str(out)), pytest.raises(OutputError, match="another qualipress run"):
        run_rd(dataset, out, **kwargs)  # a first run is writing there
    assert not (out / "cache.jsonl").exists()
    res = run_rd(dataset, out, **kwargs)  # once the first has finished
    assert res.computed == 4 and not res.errors
    assert len(read_jsonl(out / "cache.jsonl")) == 4


def test_the_refused_run_exits_2_in_one_line(dataset: Path, tmp_path: Path, capsys) -> None:
    from qualipress.cli import main

    out = tmp_path / "r"
    out.mkdir()
    with exclusive_lock(out / LOCK_NAME, what=str(out)):
        code = main(["bench", "rd", str(dataset), "-o", str(out), "--codecs", "jpeg", "--qualities", "50",
                     "--metrics", "psnr", "--no-report"])
    assert code == 2
    assert "another qualipress run" in capsys.readouterr().err
