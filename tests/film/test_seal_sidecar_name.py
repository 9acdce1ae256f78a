"""Review rev6: a seal sidecar (``<output>.xmp``) whose name is over the file system's limit no longer ends the
run before the collection's manifest and checksums are written."""

from __future__ import annotations

import json
from pathlib import Path

import imagecodecs
import numpy as np

from qualipress.cli import main


def test_a_seal_sidecar_name_over_the_limit_leaves_the_manifest_written(tmp_path: Path) -> None:
    # a 255-byte PNG name kept as source:png (webp cannot beat the PNG): the output fits, its .xmp sidecar does not;
    # the run ended with "error: ... write failed (File name too long)", no manifest.jsonl nor SHA256SUMS
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    px = (np.random.default_rng(0).random((40, 56, 3)) * 255).astype(np.uint8)
    (src / ("b" * 251 + ".png")).write_bytes(imagecodecs.png_encode(px))
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp"]) == 0
    (rec,) = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert rec["status"] == "ok" and rec["seal"] is None and "too long" in rec["seal_error"]
    assert (out / "SHA256SUMS").is_file()
    assert main(["verify", str(out)]) == 0
