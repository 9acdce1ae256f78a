"""QA session 18: a disk full when ``compress`` writes the folder's manifest at the end exited 2 (usage or setup
error) with no summary, although every file was finished and reported. It is a partial result: the summary, one
line naming the manifest write failure, exit 1; the rerun resumes every file and writes the manifest."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.errors import OutputError
from qualipress.film import hooks, manifest
from qualipress.io import Image, write_image


def test_a_manifest_that_cannot_be_written_is_exit_1_after_the_summary(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    srcs = []
    for i in range(2):
        srcs.append(tmp_path / f"a{i}.png")
        write_image(srcs[-1], Image(np.full((24, 32, 3), 100 + i, np.uint8), 8))
    out = tmp_path / "out"
    args = ["compress", *map(str, srcs), "-o", str(out), "--codec", "jpeg", "--target", "ssim>=0.9"]
    real = hooks.atomic_write_bytes

    def full(path: Path, data: bytes, *a: object, **k: object) -> None:
        if Path(path).name == manifest.MANIFEST:
            raise OutputError(f"{path}: write failed ({os.strerror(errno.ENOSPC)})")
        real(path, data, *a, **k)

    monkeypatch.setattr(hooks, "atomic_write_bytes", full)
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "qualipress summary" in captured.out
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "manifest.jsonl: write failed (No space left on device)" in errors[0]
    assert "rerun" in errors[0] and "Traceback" not in captured.err
    monkeypatch.setattr(hooks, "atomic_write_bytes", real)
    assert main(args) == 0
    assert (out / manifest.MANIFEST).is_file() and len(manifest.read_sums(out)) == 2


def test_an_unwritable_output_folder_is_still_a_setup_error(tmp_path: Path) -> None:
    src = tmp_path / "a.png"
    write_image(src, Image(np.full((24, 32, 3), 100, np.uint8), 8))
    (tmp_path / "file").write_text("not a folder")
    assert main(["compress", str(src), "-o", str(tmp_path / "file" / "out"), "--codec", "jpeg"]) == 2
