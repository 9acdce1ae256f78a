"""fix18b: temporary-file cleanup on shared storage. A process id names nothing on another host, so a temp file is
removed only when this host made it and its process is gone; and a nested folder with its own lock (another run's
output folder below ``-o``) is that run's to clean, never walked into."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from qualipress.io.discover import LOCK_NAME
from qualipress.io.files import TEMP_PREFIX, _host_tag, atomic_path, atomic_write_bytes, remove_stale_temps


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def _other_host() -> str:
    return "0123abcd" if _host_tag() != "0123abcd" else "fedc9876"


def test_a_temp_file_of_another_host_is_never_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    theirs = tmp_path / f"{TEMP_PREFIX}{dead}.{_other_host()}.k2j4h5g6.a.jpg"  # written now on another host
    theirs.write_bytes(b"being written")
    ours = tmp_path / f"{TEMP_PREFIX}{dead}.{_host_tag()}.a1b2c3d4.b.jpg"  # a run killed here
    ours.write_bytes(b"torn")
    assert remove_stale_temps(tmp_path) == 1
    assert not ours.exists() and theirs.read_bytes() == b"being written"


def test_a_nested_folder_with_its_own_lock_is_not_walked_into(tmp_path: Path) -> None:
    dead = _dead_pid()
    other_run = tmp_path / "run2" / "deeper"  # another run's output folder below this one's -o
    other_run.mkdir(parents=True)
    (tmp_path / "run2" / LOCK_NAME).write_text("1")
    theirs = other_run / f"{TEMP_PREFIX}{dead}.{_host_tag()}.a1b2c3d4.c.jpg"
    theirs.write_bytes(b"that run's to clean")
    plain = tmp_path / "sub"  # a plain subfolder of this run's output is cleaned as before
    plain.mkdir()
    ours = plain / f"{TEMP_PREFIX}{dead}.{_host_tag()}.e5f6a7b8.d.jpg"
    ours.write_bytes(b"torn")
    (tmp_path / LOCK_NAME).write_text("1")  # the folder cleaned holds its own lock: that is no reason to skip it
    top = tmp_path / f"{TEMP_PREFIX}{dead}.{_host_tag()}.c9d0e1f2.e.jpg"
    top.write_bytes(b"torn")
    assert remove_stale_temps(tmp_path) == 2
    assert not ours.exists() and not top.exists() and theirs.exists()


def test_temp_names_carry_the_host_and_stay_short_for_a_long_output_name(tmp_path: Path) -> None:
    name = "長" * 80 + ".avif"  # 245 bytes: the longest kind of output name the tests use
    with atomic_path(tmp_path / name) as tmp:
        assert tmp.name.startswith(f"{TEMP_PREFIX}{os.getpid()}.{_host_tag()}.")
        assert len(os.fsencode(tmp.name)) <= 255 and tmp.name.endswith(".avif")
        tmp.write_bytes(b"x")
    atomic_write_bytes(tmp_path / "b.bin", b"y")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "b.bin"])
