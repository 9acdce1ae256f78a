"""An embedded seal must not make an output larger than its input (never grow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.film.seal import read_seal


def test_seal_goes_to_the_sidecar_when_embedding_it_would_grow_the_file(tmp_path: Path) -> None:
    """QA: a 134 B 7x3 PNG came out as a 978 B JPEG XL (119 B codestream + 859 B seal)."""
    src = tmp_path / "tiny.png"
    PILImage.fromarray(np.random.default_rng(1).integers(0, 255, (3, 7, 3), np.uint8)).save(src)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpegxl", "--profile", "C1"]) == 0
    rec = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])
    written = Path(rec["output"])
    assert written.stat().st_size <= src.stat().st_size, rec
    assert rec["bytes"] == written.stat().st_size
    if rec["codec"] == "jpegxl":  # the re-encode won: its seal is beside it, not inside
        assert rec["seal"] == "sidecar" and read_seal(written.read_bytes()) is None
        assert "qp:source_sha256" in Path(str(written) + ".xmp").read_text()


def test_seal_is_still_embedded_when_there_is_room(tmp_path: Path) -> None:
    src = tmp_path / "big.png"
    rng = np.random.default_rng(2)
    PILImage.fromarray(rng.integers(0, 255, (64, 80, 3), np.uint8)).save(src)  # noise: lossy JXL far smaller
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpegxl", "--profile", "C2"]) == 0
    rec = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert rec["codec"] == "jpegxl" and rec["seal"] == "jxl xml box", rec
    assert read_seal(Path(rec["output"]).read_bytes()) is not None
