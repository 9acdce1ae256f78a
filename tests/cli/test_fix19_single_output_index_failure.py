"""fix19: with ``-o FILE`` a write failure of the run's private index (disk full next to the file) was exit 2, a
usage or setup error, and the finished, verified file was thrown away with the work folder. As in a folder run it
is a batch failure (exit 1), and the file is delivered: the index was the run's own, never the user's."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.errors import OutputError
from qualipress.film import hooks, manifest
from qualipress.io import Image, read_image, write_image


def test_a_private_index_that_cannot_be_written_is_exit_1_and_the_file_is_delivered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.png"
    write_image(src, Image(np.full((24, 32, 3), 100, np.uint8), 8))
    real = hooks.atomic_write_bytes

    def full(path: Path, data: bytes, *a: object, **k: object) -> None:
        if Path(path).name == manifest.MANIFEST:
            raise OutputError(f"{path}: write failed ({os.strerror(errno.ENOSPC)})")
        real(path, data, *a, **k)

    monkeypatch.setattr(hooks, "atomic_write_bytes", full)
    out = tmp_path / "small.jpg"
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpeg", "--target", "ssim>=0.9"]) == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0] and "Traceback" not in captured.err
    assert read_image(out).width == 32
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "small.jpg"]  # no work folder left


def test_a_failed_file_is_not_called_delivered_when_the_private_index_fails_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """rev19a: with the file itself failed (unreadable source) and the index write failing as well, the error line
    said "the file is delivered" although nothing was."""
    src = tmp_path / "a.png"
    src.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    real = hooks.atomic_write_bytes

    def full(path: Path, data: bytes, *a: object, **k: object) -> None:
        if Path(path).name == manifest.MANIFEST:
            raise OutputError(f"{path}: write failed ({os.strerror(errno.ENOSPC)})")
        real(path, data, *a, **k)

    monkeypatch.setattr(hooks, "atomic_write_bytes", full)
    out = tmp_path / "small.jpg"
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpeg", "--target", "ssim>=0.9"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "delivered" not in err
    assert not out.exists()
