"""fix19: an atomic write fsynced the file but not its folder, so after a power cut the rename itself could be
lost (the old file back, or no file at all) although the write had returned; likewise ``-o FILE``'s final move."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from qualipress.io import Image, atomic_write_bytes, files, write_image


def _synced_folders(monkeypatch: pytest.MonkeyPatch, watched: Path) -> list[bool]:
    """For each fsync of a folder: whether ``watched`` was already in place then."""
    seen: list[bool] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            seen.append(watched.is_file())
        real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    return seen


def test_the_folder_is_fsynced_once_the_file_is_renamed_into_place(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.bin"
    seen = _synced_folders(monkeypatch, target)
    atomic_write_bytes(target, b"data")
    assert seen == [True]


def test_a_failed_write_syncs_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.bin"
    seen = _synced_folders(monkeypatch, target)

    def refuse(_tmp: Path) -> None:
        raise OSError("no")

    with pytest.raises(Exception, match="no"):
        atomic_write_bytes(target, b"data", finish=refuse)
    assert seen == [] and not target.exists()


def test_the_single_output_move_is_made_durable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qualipress.cli import main

    src = tmp_path / "in" / "a.png"
    write_image(src, Image(np.full((24, 32, 3), 100, np.uint8), 8))
    out = tmp_path / "final" / "a.jpg"
    synced: list[Path] = []
    real = files.fsync_dir
    monkeypatch.setattr("qualipress.cli.photo.fsync_dir", lambda d: synced.append(Path(d)) or real(d), raising=False)
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpeg", "--target", "ssim>=0.9"]) == 0
    assert out.is_file() and out.parent in synced
