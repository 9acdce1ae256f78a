"""Two folders holding the same frame names: archive refuses, as compress does for one output name, and says how
to archive them (their common folder keeps the sub-folders apart, and restore recreates them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.io import as_image, write_image


def test_same_frame_names_in_two_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(3)
    root = tmp_path / "shoot"
    for reel in ("a", "b"):
        (root / reel).mkdir(parents=True)
        write_image(root / reel / "f0000.tif", as_image(rng.integers(0, 65535, (12, 16, 3)).astype(np.uint16)))
    assert main(["compress", str(root / "a"), str(root / "b"), "-o", str(tmp_path / "c"), "--codec",
                 "jpegxl"]) == 2
    capsys.readouterr()
    assert main(["archive", str(root / "a"), str(root / "b"), "-o", str(tmp_path / "arc")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "f0000.tif" in err and "common folder" in err
    assert main(["archive", str(root), "-o", str(tmp_path / "arc")]) == 0  # what the message says works
    assert main(["restore", str(tmp_path / "arc"), "-o", str(tmp_path / "back")]) == 0
    for reel in ("a", "b"):
        assert (tmp_path / "back" / reel / "f0000.tif").read_bytes() == (root / reel / "f0000.tif").read_bytes()
