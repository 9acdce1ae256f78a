"""rev20b: a source whose name is not UTF-8 (bytes the file system holds, surrogate-escaped by Python) is compressed
like any other; its pending-marker name hashed ``str(stem).encode()``, and the whole run stopped with a
UnicodeEncodeError traceback before any file was written."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.pipeline import read_report


def test_a_source_named_with_bytes_that_are_not_utf8_is_compressed(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    name = os.fsdecode(b"bad\xffname.png")
    try:
        path = src / name
        PILImage.fromarray(np.random.default_rng(1).integers(0, 255, (48, 64, 3), np.uint8)).save(path)
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp", "--no-film"]) == 0
    (rec,) = read_report(out / "qualipress-report.jsonl")
    assert rec["error"] is None and Path(rec["output"]).is_file() and Path(rec["output"]).name.startswith(name[:4])
