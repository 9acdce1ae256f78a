"""Meta 18: never grow compares a JPEG source holding bytes after its primary image (a motion photo's video, MPF
depth maps) on the primary image. Before, the source's whole size was compared with files holding the primary
image only: a lossless mozjpeg optimisation that gained nothing on an already optimised primary image won by
dropping 30 kB of video, and the report said "5,705 bytes vs input 35,705"."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.pipeline.delivery import _extras_fate, jpeg_extras_note
from tests.conftest import photo_like

mlo = pytest.importorskip("mozjpeg_lossless_optimization")


def _motion_photo(path: Path) -> tuple[int, int]:
    """An optimised JPEG (mozjpeg gains nothing more on it) followed by 30,000 bytes of "video"."""
    buf = io.BytesIO()
    PILImage.fromarray(photo_like(192, 256)).save(buf, "JPEG", quality=70)
    primary = bytes(mlo.optimize(buf.getvalue()))
    video = np.random.default_rng(0).integers(0, 256, 30_000, dtype=np.uint8).tobytes()
    path.write_bytes(primary + video)
    return len(primary), len(video)


def _record(tmp_path: Path, src: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    out = tmp_path / "o"
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp", "--target", "ssim>=0.97", "--json"]) == 0
    capsys.readouterr()
    return json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[-1])


def test_the_source_is_kept_when_nothing_beats_its_primary_image(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "motion.jpg"
    primary, video = _motion_photo(src)
    rec = _record(tmp_path, src, capsys)
    beaten = [p for p in rec["probes"] if p["passed"] and not p["codec"].startswith("source:")]
    assert beaten and min(p["bytes"] for p in beaten) >= primary  # nothing smaller than the primary image
    assert rec["codec"] == "source:jpeg", rec["decisions"]  # before: transcode:jpeg, the video dropped
    assert rec["bytes"] == primary + video
    assert rec["analysis"]["jpeg_extras_bytes"] == video
    kept = next(d for d in rec["decisions"] if d.startswith("never grow: kept the source file"))
    assert f"{primary:,} bytes against {primary:,} for the primary image" in kept


def test_the_report_compares_a_dropping_output_with_the_primary_image() -> None:
    note = jpeg_extras_note({"trailing_bytes": 30_000})
    assert note is not None
    record = {"input_bytes": 35_705, "analysis": {"jpeg_extras_bytes": 30_000}}
    fate = str(_extras_fate("webp", [note], 5_000, record))
    assert "dropped (5,000 bytes against the 5,705 bytes of the source's primary image, not the input's 35,705)" \
        in fate
    assert "keeps" in str(_extras_fate("source:jpeg", [note], 35_705, record))
