"""rev11: ``--dry-run`` against the run it predicts.

- Every requested codec's output name taken by a foreign file, the source's own name free: the dry run said
  "would fail", while the run kept the (smaller) source under its free name and succeeded.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.cli import main

_ARGS = ["--target", "ssim>=0.995", "--no-film"]


def _dry(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    capsys.readouterr()
    assert main([*args, "--dry-run", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["files"][0]


def _small_jpeg(path: Path) -> None:
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    PILImage.fromarray(noise).save(buf, "JPEG", quality=30)
    path.write_bytes(buf.getvalue())


def test_requested_names_taken_but_the_source_kept_is_may_fail(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    _small_jpeg(src / "a.jpg")
    (out / "a.avif").write_bytes(b"foreign")
    run = ["compress", str(src), "-o", str(out), "--codec", "avif", *_ARGS]
    row = _dry(capsys, *run)
    assert not row["would_fail"]  # before: would_fail, and the run below succeeded
    assert "exists and was not made by this run's settings" in row["may_fail"]
    assert _dry(capsys, *run, "--allow-larger")["would_fail"]  # no never-grow candidate: it does fail
    capsys.readouterr()
    assert main([*run, "--json"]) == 0
    assert (out / "a.jpg").is_file() and (out / "a.avif").read_bytes() == b"foreign"


def test_json_per_file_says_resumed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The summary counted resumed files, but each one's ``per_file`` row said ``"resumed": false``."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _small_jpeg(src / "a.jpg")
    run = ["compress", str(src), "-o", str(out), "--codec", "jpeg", *_ARGS, "--json"]
    assert main(run) == 0
    capsys.readouterr()
    assert main(run) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["resumed"] == 1
    assert [row["resumed"] for row in summary["per_file"]] == [True]
