"""Float light that PQ coding cannot hold (negative, above 10 000 cd/m²) is named in the report, not dropped
silently (QA: an EXR with negative samples compressed 'lossless' to JPEG XL came back with 0 there, no word)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qualipress.cli import main
from qualipress.io import as_image, write_image
from qualipress.io.image import Image
from qualipress.io.transfer import perceptual_clipping
from tests.conftest import photo_like


def _linear(neg: bool = False, hot: bool = False) -> Image:
    px = (photo_like(32, 40, seed=7).astype(np.float32) / 255.0) ** 2.2
    if neg:
        px[2:4, 2:5] = -0.25
    if hot:
        px[10, 10] = 250.0
    return Image(px, 32, "linear", "unknown", {})


def test_perceptual_clipping_counts_what_goes() -> None:
    assert perceptual_clipping(_linear()) is None
    assert perceptual_clipping(as_image(photo_like(8, 8))) is None  # integer: nothing clipped
    said = perceptual_clipping(_linear(neg=True, hot=True))
    assert said is not None and "18 negative sample(s) (min -0.25)" in said and "3 sample(s) above 100" in said


def test_compress_names_clipped_negative_light(tmp_path: Path) -> None:
    src = tmp_path / "neg.exr"
    write_image(src, _linear(neg=True), half=False)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpegxl-lossless", "--no-film"]) == 0
    rec = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert any("negative sample(s)" in w for w in rec.get("warnings") or []), rec.get("warnings")
