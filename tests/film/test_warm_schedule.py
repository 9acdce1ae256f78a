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


def test_one_shot_on_two_workers_starts_cold_once(tmp_path: Path) -> None:
    # one shot, two workers: the shot is cut into two chunks; its first frame runs first and seeds the second
    # chunk, which therefore starts warm (before: each chunk's first frame was searched cold)
    src = tmp_path / "shot"
    src.mkdir()
    for k in range(4):
        px = np.roll(photo_like(seed=3), 2 * k, axis=1)
        (src / f"a.{1001 + k:04d}.dpx").write_bytes(dpx.encode_dpx(px, frame_rate=24, frame=1001 + k))
    from qualipress.film.hooks import FilmHooks

    opts = CompressOptions(target=parse_target(["ssim>=0.9"]), codec="jpegxl", jobs=2, hooks=FilmHooks())
    summary = compress_paths([src], tmp_path / "out", opts)
    assert not summary.failures and all(r.get("verified") for r in summary.records)
    (shot,) = shot_encodes(summary.records)
    assert (shot["frames"], shot["cold"], shot["warm"]) == (4, 1, 3)
    seeded = next(r for r in summary.records if r["input"].endswith("a.1003.dpx"))
    assert seeded["analysis"]["sequence_position"] == 1  # warm from frame 1001, handed over by the other worker
    assert seeded["encodes"] <= shot["cold_encodes_mean"]
