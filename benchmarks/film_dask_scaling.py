"""Dask scaling: ``archive`` and ``restore`` of grainy 2K DPX frames on a LocalCluster of 1 and of 2 workers.

Usage (from the repository root)::

    python benchmarks/film_dask_scaling.py --out /tmp/qp-dask-scaling --shots 2 --frames 6

Frames come from ``film_archive_speed.make_frames`` (same generator, same seeds). Each worker is one process with
one thread; the cluster is started before the clock starts. Prints frames/s per configuration and the 2-worker
speed-up, and writes ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-dask-scaling"))
    ap.add_argument("--shots", type=int, default=2)
    ap.add_argument("--frames", type=int, default=6)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from distributed import LocalCluster
    from film_archive_speed import make_frames

    from qualipress.film.archive import archive_paths, restore_archive
    from qualipress.film.testset import default_source

    if args.out.exists():
        shutil.rmtree(args.out)
    frames = make_frames(args.source or default_source(), args.out / "frames", args.shots, args.frames)
    results: dict = {"date": time.strftime("%Y-%m-%d"), "frames": len(frames), "load_before": os.getloadavg()}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
            t0 = time.perf_counter()
            res = archive_paths([args.out / "frames"], args.out / f"w{workers}" / "archive",
                                scheduler=lc.scheduler_address)
            t_arch = time.perf_counter() - t0
            t0 = time.perf_counter()
            back = restore_archive(args.out / f"w{workers}" / "archive", args.out / f"w{workers}" / "restored",
                                   scheduler=lc.scheduler_address)
            t_rest = time.perf_counter() - t0
        exact = sum((args.out / f"w{workers}" / "restored" / p.relative_to(args.out / "frames")).read_bytes()
                    == p.read_bytes() for p in frames)
        results[f"workers_{workers}"] = {
            "archive_s": round(t_arch, 2), "archive_fps": round(len(frames) / t_arch, 3),
            "restore_s": round(t_rest, 2), "restore_fps": round(len(frames) / t_rest, 3),
            "errors": len(res.errors) + len(back.errors), "bit_exact": exact}
    results["load_after"] = os.getloadavg()
    w1, w2 = results["workers_1"], results["workers_2"]
    results["speedup_archive"] = round(w2["archive_fps"] / w1["archive_fps"], 2)
    results["speedup_restore"] = round(w2["restore_fps"] / w1["restore_fps"], 2)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
