"""QA 17 (web): an image wider than a format allows is refused by that codec alone (``CodecInfo.max_side``), so a
race goes on without it; before, libjpeg's "Maximum supported image dimension is 65535 pixels" failed a 70000×3
strip under ``--for web`` as an "unexpected Jpeg8Error", and libwebp's limit (16,383) raised a bare ValueError."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.cli import main
from qualipress.errors import UnsupportedError
from qualipress.io import as_image


@pytest.mark.parametrize(("name", "side"), [("jpeg", 65500), ("webp", 16382), ("avif", 32768)])
def test_a_side_over_the_format_limit_is_refused_before_encoding(name: str, side: int) -> None:
    codec = codecs.get(name)
    wide = as_image(np.full((2, side + 1, 3), 128, np.uint8))
    assert not codec.supports(wide)
    with pytest.raises(UnsupportedError, match=f"up to {side:,} pixels a side"):
        codec.encode(wide, quality=80)
    assert codec.supports(as_image(np.full((2, 64, 3), 128, np.uint8)))


@pytest.mark.parametrize(("name", "quality"), [("jpeg", 80), ("jpeg", 80.5), ("jpegli", 80), ("webp", 80)])
def test_an_image_at_the_limit_encodes(name: str, quality: float) -> None:
    """rev7: ``max_side`` is the largest side the backends here take, not the format's field: a 16,383 px WebP
    raised imagecodecs' bare ValueError and a 65,501-65,535 px JPEG failed Pillow's encoder (fractional qualities)
    and jpegli, each failing the input instead of the race skipping the codec."""
    try:
        codec = codecs.get(name)
    except Exception:
        pytest.skip(f"{name} not installed")
    side = codec.info.max_side
    wide = as_image(np.random.default_rng(0).integers(0, 255, (8, side, 3), dtype=np.uint8))
    assert codec.supports(wide)
    assert codec.decode(codec.encode(wide, quality=quality)).width == side


def test_a_strip_too_wide_for_jpeg_and_webp_still_compresses_for_the_web(tmp_path: Path, capsys) -> None:
    rng = np.random.default_rng(1)
    strip = np.repeat(rng.integers(0, 255, (3, 700, 3), dtype=np.uint8), 100, axis=1)  # 3 × 70,000
    PILImage.fromarray(strip).save(tmp_path / "strip.png")
    rc = main(["compress", str(tmp_path / "strip.png"), "-o", str(tmp_path / "out"), "--for", "web",
               "--profile", "C2", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert rc == 0, summary
    row = summary["per_file"][0]
    assert row["error"] is None and row["codec"] not in ("jpeg", "webp", "jpegli")
    assert Path(row["output"]).exists()


def test_the_only_codec_named_says_why_it_cannot(tmp_path: Path, capsys) -> None:
    PILImage.fromarray(np.full((4, 16400, 3), 90, np.uint8)).save(tmp_path / "wide.png")
    rc = main(["compress", str(tmp_path / "wide.png"), "-o", str(tmp_path / "out"), "--codec", "webp", "--json"])
    row = json.loads(capsys.readouterr().out)["per_file"][0]
    assert rc == 1 and "up to 16,382 pixels a side; this one is 16,400×4" in row["error"]
