"""The ``--for web`` race on images with alpha: ordered by the alpha-aware size curves, no codec skipped on a
prediction when some pixels are fully transparent (issue 13)."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.pipeline import read_report
from tests.conftest import photo_like

_search = importlib.import_module("qualipress.search.search")  # the package's name `search` is the function


def _predicted_skips(rec: dict) -> list[str]:
    return [d for d in rec["decisions"] if d.startswith("skipped") and "predicted" in d]


def test_web_race_on_a_cutout_skips_no_codec_on_a_prediction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # With a margin this low every codec predicted at all larger than a hundredth of the best file is skipped:
    # the opaque photo shows the rule at work, the cut-out that it does not apply there.
    monkeypatch.setattr(_search, "SKIP_MARGIN", -0.99)
    rgb = photo_like(128, 160, seed=2)
    h, w = rgb.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    alpha = np.where(np.hypot(y - h / 2, x - w / 2) < 50, 255, 0).astype(np.uint8)
    PILImage.fromarray(rgb).save(tmp_path / "opaque.png")
    PILImage.fromarray(np.dstack([rgb, alpha])).save(tmp_path / "cutout.png")
    recs = {}
    for name in ("opaque", "cutout"):
        out = tmp_path / f"out_{name}"
        src = tmp_path / f"{name}.png"
        assert main(["compress", str(src), "-o", str(out), "--for", "web", "--target", "ssim>=0.9",
                     "--no-film"]) == 0
        recs[name] = rec = read_report(out / "qualipress-report.jsonl")[-1]
        assert rec["target_met"] and rec["bytes"] <= src.stat().st_size
    assert _predicted_skips(recs["opaque"]), recs["opaque"]["decisions"]
    assert not _predicted_skips(recs["cutout"]), recs["cutout"]["decisions"]
    raced = {p["codec"] for p in recs["cutout"]["probes"]}
    assert {"avif", "jpegxl", "webp"} <= raced, recs["cutout"]["decisions"]
