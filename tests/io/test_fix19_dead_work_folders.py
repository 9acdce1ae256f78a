"""fix19: a killed ``-o FILE`` run into an output tree left its work folder there (its lock, report and partial
output): cleanup of the tree removed only temp *files*, and the folder's own lock kept it from being walked into."""

from __future__ import annotations

import os
from pathlib import Path

from qualipress.io.discover import LOCK_NAME
from qualipress.io.files import TEMP_PREFIX, _host_tag, remove_stale_temps
from tests.io.test_fix18b_temps_by_host import _dead_pid, _other_host


def _work_dir(parent: Path, pid: int, host: str) -> Path:
    d = parent / f"{TEMP_PREFIX}{pid}.{host}.x1y2z3w4"
    d.mkdir(parents=True)
    (d / LOCK_NAME).write_text(str(pid))
    (d / "a.jpg").write_bytes(b"partial")
    return d


def test_a_dead_runs_work_folder_is_removed_and_no_other(tmp_path: Path) -> None:
    dead = _dead_pid()
    killed = _work_dir(tmp_path / "shot", dead, _host_tag())
    live = _work_dir(tmp_path / "shot", os.getpid(), _host_tag())
    theirs = _work_dir(tmp_path, dead, _other_host())  # another host's: its pid names nothing here
    untagged = tmp_path / f"{TEMP_PREFIX}{dead}.k2j4h5g6"
    untagged.mkdir()
    assert remove_stale_temps(tmp_path) == 1
    assert not killed.exists()
    assert (live / "a.jpg").is_file() and (theirs / "a.jpg").is_file() and untagged.is_dir()


def test_a_link_named_like_a_work_folder_is_left(tmp_path: Path) -> None:
    target = tmp_path / "keep"
    target.mkdir()
    (target / "x").write_text("mine")
    (tmp_path / "out").mkdir()
    os.symlink(target, tmp_path / "out" / f"{TEMP_PREFIX}{_dead_pid()}.{_host_tag()}.q1w2e3r4")
    assert remove_stale_temps(tmp_path / "out") == 0
    assert (target / "x").read_text() == "mine"
