"""Our harness measures what CompressAI measured: Kodak JPEG within 0.2 dB of the published curve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import DATA

PUBLISHED = Path(__file__).resolve().parents[2] / "src" / "qualipress" / "rd" / "published"


def test_published_reference_files_are_valid() -> None:
    from qualipress.rd import bd_tables, load_curves

    curves = load_curves([PUBLISHED])
    jpeg = "JPEG (CompressAI published)"
    assert jpeg in curves and len(curves[jpeg]["results"]["bpp"]) == 19
    # our BD code on CompressAI's own numbers gives CompressAI's headline figure (about -55 %)
    bd = bd_tables(curves, jpeg, ["psnr-rgb"])["psnr-rgb"]
    (name,) = bd
    assert -60.0 < bd[name]["pchip"]["bd_rate"] < -50.0


@pytest.mark.data
@pytest.mark.slow
def test_kodak_pillow_jpeg_matches_compressai(tmp_path: Path) -> None:
    kodak = DATA / "kodak"
    if not kodak.is_dir():
        pytest.skip("../shared/data/kodak not present")
    from qualipress.rd import run_rd

    qs = [10.0, 50.0, 90.0]
    res = run_rd(kodak, tmp_path / "r", codecs=["pillow-jpeg"], qualities={"pillow-jpeg": qs}, metrics=["psnr"],
                 anchor=None)
    assert not res.errors
    ours = res.curves["pillow-jpeg"]["results"]
    pub = json.loads((PUBLISHED / "compressai-kodak-jpeg.json").read_text())["results"]
    for q in qs:
        i, j = pub["quality"].index(int(q)), ours["quality"].index(q)
        assert abs(ours["psnr-rgb"][j] - pub["psnr-rgb"][i]) < 0.2
        assert abs(ours["bpp"][j] / pub["bpp"][i] - 1) < 0.02
