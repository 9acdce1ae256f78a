"""A Dask worker dying in the middle of a shot: how much of the shot is done again?

Usage (from the repository root; ``tests`` must be importable for its photo-like frames)::

    PYTHONPATH=src:. python benchmarks/dask_worker_death.py --out /tmp/qp-dask-death [--frames 8] [--kill-at 7]

Writes ``--frames`` 640×960 photo-like PNG frames of one shot (``shot.0001.png`` …, so they form one lane on one
worker), starts a ``LocalCluster`` with one worker process and runs ``compress_paths`` (JPEG, ssim ≥ 0.95) on it.
The worker process exits (``os._exit``, as a node dying) when it starts frame ``--kill-at`` for the first time,
so the frames of its lane before it are finished and not yet returned (the shot of 8 frames runs as two lanes of
4 on one worker: frame 7 is the third of the second lane); Dask then runs the lane again on the restarted worker
(``distributed.scheduler.allowed-failures``). Prints how many frames the rerun took from their first
attempt (``"recovered": true`` in the report), the failures, the encodes reported and the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

from qualipress.pipeline.hooks import DefaultHooks


class DieOnce(DefaultHooks):
    """The default hooks, but the worker process exits when it plans ``frame`` while ``sentinel`` is absent."""

    def __init__(self, frame: str, sentinel: Path) -> None:
        self.frame, self.sentinel = frame, sentinel

    def plan(self, image, *, path, codec, target, previous):
        if Path(path).name == self.frame and not self.sentinel.exists():
            self.sentinel.write_text("died here once\n")
            os._exit(9)
        return super().plan(image, path=path, codec=codec, target=target, previous=previous)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--kill-at", type=int, default=7)
    a = ap.parse_args()

    import distributed
    from tests.conftest import photo_like

    from qualipress.io import as_image, write_image
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.search import parse_target

    shutil.rmtree(a.out, ignore_errors=True)
    src, out = a.out / "frames", a.out / "out"
    src.mkdir(parents=True)
    for i in range(a.frames):
        write_image(src / f"shot.{i + 1:04d}.png", as_image(photo_like(640, 960, seed=i)))
    hooks = DieOnce(f"shot.{a.kill_at:04d}.png", a.out / "died")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc:
        opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg", scheduler=lc.scheduler_address,
                               hooks=hooks)
        t0 = time.perf_counter()
        compress_paths([src], out, opts)
        wall = time.perf_counter() - t0
    recs = [json.loads(line) for line in (out / "qualipress-report.jsonl").read_text().splitlines()]
    print(json.dumps({"frames": a.frames, "died_at_frame": a.kill_at, "died": (a.out / "died").exists(),
                      "records": len(recs), "recovered": sum(bool(r.get("recovered")) for r in recs),
                      "failed": sum(bool(r.get("error")) for r in recs),
                      "encodes_reported": sum(int(r.get("encodes") or 0) for r in recs),
                      "wall_s": round(wall, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
