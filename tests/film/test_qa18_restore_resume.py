"""QA session 18: a restore stopped between a file's rename and the setting of its mode and mtime."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualipress.film import archive as archive_mod
from qualipress.film.archive import archive_paths, restore_archive


def test_restore_stopped_before_the_attributes_gets_them_on_the_rerun(dpx_sequence: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    frames = sorted(dpx_sequence.glob("*.dpx"))
    for i, f in enumerate(frames):
        os.chmod(f, 0o640)
        os.utime(f, ns=(1_000_000_000 * (i + 1), 1_000_000_000 * (i + 1)))
    arch, back = tmp_path / "arch", tmp_path / "back"
    archive_paths([dpx_sequence], arch)

    def stopped(*_a, **_k):  # the run is killed after writing the file, before its attributes (fix18b: so before
        # the rename: the file never lands without them)
        raise KeyboardInterrupt

    monkeypatch.setattr(archive_mod, "_restore_attributes", stopped)
    with pytest.raises(KeyboardInterrupt):
        restore_archive(arch, back)
    monkeypatch.undo()
    res = restore_archive(arch, back)  # the rerun: "already restored" must still give the file its attributes
    assert not res.errors
    for f in frames:
        got = (back / f.name).stat()
        assert (got.st_mode & 0o777, got.st_mtime_ns) == (0o640, f.stat().st_mtime_ns), f.name


def test_a_restored_file_that_fails_its_check_is_removed_so_the_rerun_restores_it(
        dpx_sequence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arch, back = tmp_path / "arch", tmp_path / "back"
    archive_paths([dpx_sequence], arch)
    real = archive_mod.atomic_write_bytes

    def flipped(path, data, **kw):  # what landed on disk is not what was written (a failing disk, a second writer)
        return real(path, data[:-1] + bytes([data[-1] ^ 1]), **kw)

    monkeypatch.setattr(archive_mod, "atomic_write_bytes", flipped)
    res = restore_archive(arch, back)
    assert len(res.errors) == 4 and all("does not match" in r["error"] for r in res.errors)
    assert not list(back.iterdir())  # before: the wrong files stayed, and every rerun refused them as "other content"
    monkeypatch.undo()
    again = restore_archive(arch, back)
    assert not again.errors
    for f in sorted(dpx_sequence.glob("*.dpx")):
        assert (back / f.name).read_bytes() == f.read_bytes()
