"""QA session 18: ``compress IN -o FILE`` killed left its private work folder (partial output, report, lock) hidden
next to the user's file for good."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from qualipress.cli import main
from qualipress.io import TEMP_PREFIX, as_image, write_image
from qualipress.io.files import _host_tag
from tests.conftest import photo_like


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_a_killed_single_output_runs_work_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    src = tmp_path / "photo.png"
    write_image(src, as_image(photo_like(48, 64, seed=1)))
    out = tmp_path / "small.jpg"
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpeg", "--no-film"]) == 0
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == ["photo.png", "small.jpg"]  # nothing of the run's own work folder stays
    out.unlink()
    # what a run killed with -9 leaves (named by its process id, as every temporary file), and one of a run going on
    stale = tmp_path / f"{TEMP_PREFIX}{_dead_pid()}.{_host_tag()}.abcd1234"
    stale.mkdir()
    (stale / "small.jpg").write_bytes(b"partial")
    (stale / ".qualipress-lock").write_text("1")
    live = tmp_path / f"{TEMP_PREFIX}{os.getpid()}.{_host_tag()}.efgh5678"
    live.mkdir()
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpeg", "--no-film"]) == 0
    assert not stale.exists() and live.is_dir() and out.is_file()
