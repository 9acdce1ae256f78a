"""A WebP source kept as it is (never grow) is the input byte for byte when there is no metadata to change."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.io.metadata import Carry, embed_webp, read_metadata
from tests.conftest import photo_like


def test_embed_webp_leaves_a_plain_file_alone_and_still_strips(tmp_path: Path) -> None:
    p = tmp_path / "a.webp"
    PILImage.fromarray(photo_like(40, 48, seed=9)).save(p, quality=70)
    data = p.read_bytes()
    assert embed_webp(data, Carry(None, None, None)) == data
    exif = PILImage.Exif()
    exif[0x010F] = "QA7"
    PILImage.fromarray(photo_like(40, 48, seed=9)).save(p, quality=70, exif=exif.tobytes())
    tagged = p.read_bytes()
    stripped = embed_webp(tagged, Carry(None, None, None))
    assert stripped != tagged and not read_metadata(stripped, "webp").get("exif")


def test_kept_webp_source_is_not_larger_than_the_input(tmp_path: Path) -> None:
    """QA: 'kept the source file: 4,498 bytes vs input 4,480'."""
    src = tmp_path / "low.webp"
    PILImage.fromarray(photo_like(64, 80, seed=10)).save(src, quality=60)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp", "--target", "psnr>=60", "--no-film"]) == 0
    rec = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert rec["codec"] == "source:webp", rec["codec"]
    assert Path(rec["output"]).read_bytes() == src.read_bytes()
