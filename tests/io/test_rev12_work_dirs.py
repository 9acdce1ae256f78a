"""rev12: a killed single-output run's work folder is removed by the next run on the same host only: on shared
storage a process id names nothing on another host, whose run may be going on."""

from __future__ import annotations

import subprocess
from pathlib import Path

from qualipress.io.files import TEMP_PREFIX, _host_tag, make_work_dir, remove_stale_work_dirs


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_a_work_folder_of_another_host_is_never_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    other = "0123abcd" if _host_tag() != "0123abcd" else "fedc9876"
    theirs = tmp_path / f"{TEMP_PREFIX}{dead}.{other}.k2j4h5g6"  # a live run on another host (its pid is not ours)
    theirs.mkdir()
    (theirs / "out.avif").write_bytes(b"being written")
    ours = tmp_path / f"{TEMP_PREFIX}{dead}.{_host_tag()}.a1b2c3d4"  # a run killed here
    ours.mkdir()
    live = make_work_dir(tmp_path)
    assert remove_stale_work_dirs(tmp_path) == 1
    assert not ours.exists() and live.is_dir()
    assert (theirs / "out.avif").read_bytes() == b"being written"
