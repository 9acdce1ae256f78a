"""QA session 14: a frame after a cut starts cold, as its decisions say.

Before: with ``--codec`` set, a frame that the selection found not alike its predecessor (a cut: grain and
brightness changed) was noted "no warm start: previous frame differs" and "cold start at X", but the hooks still
dropped that cold start for the previous frame's hint (its bracket or the core's), so the search began at the
previous shot's setting: contradictory decisions, and on the QA material one encode more than a cold search.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from qualipress.cli import main
from qualipress.film.hooks import FilmHooks
from qualipress.io import dpx


def _cut(src: Path, h: int = 128, w: int = 192) -> Path:
    """Two frames of a grainy dark scene, then two of a clean bright gradient (10-bit DPX, one sequence)."""
    src.mkdir()
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    rng = np.random.default_rng(14)
    for k in range(4):
        if k < 2:
            img = 300 + 80 * np.sin(x / 9.0) * np.cos(y / 7.0) + rng.normal(0, 8, (h, w))
        else:
            img = 420 + 300 * (y / h) + 40 * np.sin(x / 60.0) + rng.normal(0, 1.0, (h, w))
        px = np.clip(np.rint(np.repeat(img[..., None], 3, axis=2)), 0, 1023).astype(np.uint16)
        (src / f"cut.{1001 + k:04d}.dpx").write_bytes(dpx.encode_dpx(px, frame_rate=24, frame=1001 + k))
    return src


def test_the_frame_after_a_cut_starts_where_its_cold_start_says(tmp_path: Path) -> None:
    src = _cut(tmp_path / "cut")
    FilmHooks.sequences.clear()
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--profile", "C1", "--codec", "jpegxl", "--jobs", "1"]) == 0
    recs = sorted((json.loads(line) for line in (out / "qualipress-report.jsonl").read_text().splitlines()
                   if line.strip() and '"probes"' in line), key=lambda r: r["input"])
    after = recs[2]
    assert any(d.startswith("no warm start") for d in after["decisions"]), after["decisions"]
    assert not any("previous frame's bracket" in d for d in after["decisions"]), after["decisions"]
    cold = next(d for d in after["decisions"] if "cold start at" in d)
    assert after["probes"][0]["setting"] == float(re.search(r"cold start at ([0-9.]+)", cold).group(1))
    # the next frame is alike again: warm from the cut frame
    assert any(d.startswith("warm start: previous frame alike") for d in recs[3]["decisions"])
