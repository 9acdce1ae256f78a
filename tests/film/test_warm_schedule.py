"""``compress --jobs 2`` on two shots: each shot's frames run on one worker in order, so only the first frame of
each shot starts cold (before, neighbouring frames ran at the same time on different workers, both cold)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

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


def _shot(folder: Path, frames: int = 4) -> Path:
    folder.mkdir()
    for k in range(frames):
        px = np.roll(photo_like(seed=3), 2 * k, axis=1)
        (folder / f"a.{1001 + k:04d}.dpx").write_bytes(dpx.encode_dpx(px, frame_rate=24, frame=1001 + k))
    return folder


@pytest.mark.slow
def test_one_shot_on_dask_starts_cold_once_with_the_local_bytes(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # through Dask the shot's second chunk starts from its first frame's warm start, as with --jobs 2 (before:
    # each chunk's first frame was searched cold), and every output is the local run's, byte for byte
    distributed = pytest.importorskip("distributed")
    from qualipress.film.hooks import FilmHooks

    src = _shot(tmp_path / "shot")
    opts = CompressOptions(target=parse_target(["ssim>=0.9"]), codec="jpegxl", jobs=2, hooks=FilmHooks())
    local = compress_paths([src], tmp_path / "local", opts)
    monkeypatch.chdir(tmp_path)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        on_dask = compress_paths([src], tmp_path / "dask", dataclasses.replace(opts, scheduler=lc.scheduler_address))
    assert not on_dask.failures and all(r.get("verified") for r in on_dask.records)
    (shot,) = shot_encodes(on_dask.records)
    assert (shot["frames"], shot["cold"], shot["warm"]) == (4, 1, 3)
    assert shot_encodes(local.records) == [{**shot, "sequence": shot_encodes(local.records)[0]["sequence"]}]
    for rec in local.records:
        twin = tmp_path / "dask" / Path(rec["output"]).name
        assert twin.read_bytes() == Path(rec["output"]).read_bytes(), rec["output"]


def test_only_a_seeding_frame_returns_its_hints(tmp_path: Path) -> None:
    # every task's warm state used to travel back to the main process; only a shot's first frame that seeds the
    # shot's other chunks needs to (its record with its hints), the others return their record alone
    from qualipress.io import sha256_file
    from qualipress.pipeline.batch import WarmStart, _lead_task, _process_task, _Task, expand_inputs

    src = _shot(tmp_path / "shot", frames=2)
    opts = CompressOptions(target=parse_target(["ssim>=0.9"]), codec="jpegxl", run_id="t")
    first, second = expand_inputs([src])
    out = tmp_path / "out"
    out.mkdir()
    led = _process_task(_lead_task(_Task(first, out, opts, sha256_file(first.source))))
    assert isinstance(led, WarmStart) and led.previous is not None and led.previous["error"] is None
    assert led.hints, "the seeding frame left no search hints"
    plain = _process_task(_Task(second, out, opts, sha256_file(second.source)))
    assert isinstance(plain, dict) and plain["error"] is None
