"""A source that cannot compete as it is (CMYK JPEG, 16-bit PNG) says so, and a larger output is warned about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image as PILImage

from qualipress.cli import main
from tests.conftest import photo_like


def _cmyk(tmp_path: Path) -> Path:
    src = tmp_path / "cmyk.jpg"
    PILImage.fromarray(photo_like(64, 80, seed=3)).convert("CMYK").save(src, "JPEG", quality=85)
    return src


def test_cmyk_jpeg_growing_under_a_lossless_codec_is_warned(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """QA: a CMYK JPEG (converted to RGB, so the file itself is no candidate) came out of ``--codec webp`` as a
    lossless WebP 1.6x its size, exit 0, nothing said."""
    src = _cmyk(tmp_path)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "png", "--no-film"]) == 0
    rec = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert rec["bytes"] > src.stat().st_size  # the premise: lossless RGB of a CMYK JPEG is larger
    assert any("cannot be kept as it is" in d and "CMYK" in d for d in rec["decisions"]), rec["decisions"]
    assert any("larger than the input" in w and "CMYK" in w for w in rec["warnings"]), rec.get("warnings")
    assert "larger than the input" in capsys.readouterr().out


def test_allow_larger_and_ordinary_jpegs_are_not_warned(tmp_path: Path) -> None:
    src = _cmyk(tmp_path)
    out = tmp_path / "a"
    assert main(["compress", str(src), "-o", str(out), "--codec", "png", "--no-film", "--allow-larger"]) == 0
    rec = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert not rec.get("warnings")
    rgb = tmp_path / "rgb.jpg"
    PILImage.fromarray(photo_like(64, 80, seed=3)).save(rgb, "JPEG", quality=85)
    assert main(["compress", str(rgb), "-o", str(tmp_path / "b"), "--codec", "png", "--no-film"]) == 0
    rec = json.loads((tmp_path / "b" / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert rec["bytes"] <= rgb.stat().st_size and not rec.get("warnings")  # the JPEG itself competed


def test_json_per_file_rows_carry_the_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """QA: ``--json`` per-file rows had no warnings, so a pipeline reading them never learnt an output grew."""
    src = _cmyk(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "j"), "--codec", "png", "--no-film", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["per_file"][0]
    assert any("larger than the input" in w for w in row["warnings"]), row
