"""``compress --jobs 2`` on two shots: each shot's frames run on one worker in order, so only the first frame of
each shot starts cold (before, neighbouring frames ran at the same time on different workers, both cold)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qualipress.io import dpx
from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.pipeline.schedule import shot_encodes
from qualipress.search.targets import parse_target

from .synth import photo_like


def test_two_shots_on_two_workers_start_cold_once_each(tmp_path: Path) -> None:
    src = tmp_path / "shots"
    src.mkdir()
    for shot, seed in (("a", 0), ("b", 5)):
        for k in range(3):
            px = np.roll(photo_like(seed=seed), 2 * k, axis=1)
            (src / f"{shot}.{1001 + k:04d}.dpx").write_bytes(dpx.encode_dpx(px, frame_rate=24, frame=1001 + k))
    from qualipress.film.hooks import FilmHooks

    opts = CompressOptions(target=parse_target(["ssim>=0.9"]), codec="jpegxl", jobs=2, hooks=FilmHooks())
    summary = compress_paths([src], tmp_path / "out", opts)
    assert not summary.failures
    per_shot = shot_encodes(summary.records)
    assert [(s["frames"], s["cold"], s["warm"]) for s in per_shot] == [(3, 1, 2), (3, 1, 2)]
    assert all(s["warm_encodes_mean"] <= s["cold_encodes_mean"] for s in per_shot)
