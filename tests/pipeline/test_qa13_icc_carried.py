"""QA session 13 (web): what the report says it carried is what the output holds (ICC profiles).

Finding 1: a grey JPEG with a grey ICC profile compressed to AVIF, WebP or jpegli (which store grey as RGB) lost the
profile, as it must (a grey profile on RGB data would be misread), but the report said ``carried: ["icc"]`` and no
decision named the loss.
Finding 2: a JPEG whose ICC header is malformed (declared size, version or PCS illuminant wrong) displays in
Chromium (the profile is ignored), but the same profile copied into an AVIF makes Chromium refuse the whole image:
an AVIF must not receive a profile that Chromium cannot parse.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.cli import main
from qualipress.io.metadata import icc_usable, present
from qualipress.pipeline import read_report
from tests.pipeline.test_jxl_icc import P3

# the data colour space is what decides where a profile may go; this one has no grey curve (kTRC), so it has no RGB
# equivalent (issue 13 converts grey profiles with a curve: tests/io/test_grey_icc_as_rgb.py)
GREY_ICC = P3[:16] + b"GRAY" + P3[20:]


def _patched(icc: bytes, at: int, value: bytes) -> bytes:
    return icc[:at] + value + icc[at + len(value):]


def _photo(h: int = 48, w: int = 64) -> np.ndarray:
    rng = np.random.default_rng(13)
    y, x = np.mgrid[:h, :w]
    base = 90 + 60 * np.sin(x / 7.0) * np.cos(y / 9.0)
    return np.clip(base[..., None] + rng.normal(0, 6, (h, w, 3)) + [0, 20, -20], 0, 255).astype(np.uint8)


def _compress(src: Path, out: Path, codec: str) -> dict:
    assert main(["compress", str(src), "-o", str(out), "--codec", codec, "--target", "ssim>=0.9", "--no-film",
                 "--allow-larger"]) == 0
    return read_report(out / "qualipress-report.jsonl")[-1]


@pytest.mark.parametrize("codec", ["avif", "webp", "jpegli"])
def test_a_grey_profile_dropped_for_rgb_output_is_not_reported_as_carried(tmp_path: Path, codec: str) -> None:
    if codec not in codecs.available_names():
        pytest.skip(f"{codec} not installed")
    src = tmp_path / "grey.jpg"
    PILImage.fromarray(_photo()[..., 1]).save(src, "JPEG", quality=90, icc_profile=GREY_ICC)
    rec = _compress(src, tmp_path / "out", codec)
    held = present(Path(rec["output"]).read_bytes(), codec if codec != "jpegli" else "jpeg")["icc"]
    assert not held  # an RGB file with a grey profile would be misread
    assert "icc" not in rec["metadata"]["carried"]
    assert any(d.startswith("metadata:") and "icc" in d for d in rec["decisions"]), rec["decisions"]


def test_icc_usable_checks_what_chromium_checks() -> None:
    assert icc_usable(P3) and icc_usable(GREY_ICC)
    assert not icc_usable(_patched(P3, 0, struct.pack(">I", len(P3) + 100)))  # declared size
    assert not icc_usable(_patched(P3, 8, bytes([5])))  # major version 5
    assert not icc_usable(_patched(P3, 68, bytes(12)))  # PCS illuminant not D50
    assert not icc_usable(_patched(P3, 68, struct.pack(">i", round((0.9642 + 0.02) * 65536))))
    assert icc_usable(_patched(P3, 68, struct.pack(">i", round((0.9642 + 0.004) * 65536))))  # rounding: fine
    assert not icc_usable(_patched(P3, 36, b"xxxx")) and not icc_usable(P3[:100])


def test_a_malformed_profile_is_not_written_into_an_avif(tmp_path: Path) -> None:
    src = tmp_path / "p3.jpg"
    bad = _patched(P3, 68, bytes(12))  # the JPEG still shows in Chromium; an AVIF with this profile does not
    PILImage.fromarray(_photo()).save(src, "JPEG", quality=90, icc_profile=bad)
    rec = _compress(src, tmp_path / "out", "avif")
    assert not present(Path(rec["output"]).read_bytes(), "avif")["icc"]
    assert "icc" not in rec["metadata"]["carried"]
    assert any("ICC" in d and "malformed" in d for d in rec["decisions"]), rec["decisions"]
