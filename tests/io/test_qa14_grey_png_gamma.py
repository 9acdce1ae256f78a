"""QA session 14: a grey PNG's gAMA chunk is shown by browsers, so its outputs carry it as a grey profile.

Before: the reader built a profile from gAMA/cHRM for RGB PNGs only; a grey PNG with gAMA 0.6 became an untagged
WebP under ``--for web`` that Chromium drew 16 code values darker on average (max 43) than the PNG, and nothing in
the report said so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageCms

from qualipress.cli import main
from qualipress.io.iccmake import png_chunk_profile
from qualipress.io.metadata import icc_usable, read_metadata
from qualipress.pipeline import read_report
from tests.io.test_qa13_png_gamma import _gama, png_with

RAMP = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (8, 1))


def _grey_to_srgb(icc: bytes, px: np.ndarray) -> np.ndarray:
    import io

    out = ImageCms.profileToProfile(PILImage.fromarray(px, "L"), ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                    ImageCms.createProfile("sRGB"), outputMode="RGB")
    return np.asarray(out).astype(float)[..., 1]


@pytest.mark.parametrize("gamma", [1.0, 0.6])
def test_a_grey_png_gama_becomes_a_grey_profile_with_its_curve(tmp_path: Path, gamma: float) -> None:
    src = tmp_path / "grey.png"
    png_with(src, RAMP, _gama(gamma))
    meta = read_metadata(src.read_bytes(), "png")
    icc = meta.get("icc_profile")
    assert icc is not None and icc[16:20] == b"GRAY" and icc_usable(icc)
    assert meta.get("icc_from") == "the PNG's gAMA/cHRM chunks"
    # the profile decodes samples with exponent 1/gamma: mid-grey 128 is linear (128/255)**(1/gamma)
    shown = _grey_to_srgb(icc, RAMP)[0]
    linear = (RAMP[0] / 255.0) ** (1.0 / gamma)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055) * 255
    lit = RAMP[0] >= 16  # littleCMS bends the curve's first codes (its black-point handling)
    assert np.abs(shown - srgb)[lit].max() <= 3


def test_a_grey_png_with_srgb_like_gamma_stays_untagged() -> None:
    assert png_chunk_profile(1 / 2.2, grey=True) is None


def test_a_grey_gama_png_output_for_web_carries_the_profile(tmp_path: Path) -> None:
    src = tmp_path / "grey.png"
    png_with(src, np.tile(np.arange(0, 256, 2, dtype=np.uint8), (64, 1)), _gama(0.6))
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--for", "web", "--target", "ssim>=0.9",
                 "--no-film", "--allow-larger"]) == 0
    rec = read_report(tmp_path / "out" / "qualipress-report.jsonl")[-1]
    out = Path(rec["output"])
    held = read_metadata(out.read_bytes(), {".jpg": "jpeg"}.get(out.suffix, out.suffix[1:]))
    assert "icc" in rec["metadata"]["carried"], rec["decisions"]
    assert held.get("icc_profile", b"")[16:20] == b"GRAY"
