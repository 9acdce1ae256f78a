"""A full disk (or a file-size limit) while the report or manifest is appended: one line, no traceback (qa15film).

``compress`` under ``ulimit -f 20`` failed each output with "write failed (File too large)" and then died with a
Python traceback from ``append_jsonl`` when the report line itself no longer fitted."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import OutputError
from qualipress.io import Image, write_image
from qualipress.io.files import append_jsonl


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_appending_to_a_full_device_is_an_output_error() -> None:
    with pytest.raises(OutputError, match="No space left"):
        append_jsonl("/dev/full", {"a": 1})


def test_compress_on_a_full_disk_says_so_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from qualipress.cli import main

    src = tmp_path / "a.png"
    write_image(src, Image(np.full((24, 32, 3), 128, np.uint8), 8))

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    code = main(["compress", str(src), "-o", str(tmp_path / "out"), "--codec", "jpeg", "--target", "ssim>=0.9"])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert "No space left on device" in err
