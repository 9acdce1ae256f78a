"""Dask scaling: ``archive``, ``restore`` and lossy ``compress`` of grainy 2K DPX frames on a LocalCluster of 1 and 2.

Usage (from the repository root)::

    python benchmarks/film_dask_scaling.py --out /tmp/qp-dask-scaling --shots 2 --frames 6 \
        --profile C1 --codec htj2k

Frames come from ``film_archive_speed.make_frames`` (same generator, same seeds). Each worker is one process with
one thread; the cluster is started before the clock starts. ``compress`` runs the core ``compress_paths`` with
``FilmHooks`` (as ``qualipress compress --profile C1 --codec htj2k --scheduler ADDR``); ``--codec ''`` skips it.
Prints, per command and cluster size, frames/s (wall), the workers' CPU seconds per frame (``time.process_time``
of every worker process, asked through ``Client.run`` before and after: the figure the machine's load inflates
least; for ``compress`` also its system-time part) and the 2-worker speed-up, and writes ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-dask-scaling"))
    ap.add_argument("--shots", type=int, default=2)
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--profile", default="C1", help="profile of the lossy compress run")
    ap.add_argument("--codec", default="htj2k", help="codec of the lossy compress run ('' to skip it)")
    ap.add_argument("--order", default="1,2", choices=("1,2", "2,1"),
                    help="cluster sizes in the order run ('2,1' to cancel a load that drifts during the run)")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from distributed import Client, LocalCluster
    from film_archive_speed import fresh_frames

    from qualipress.film.archive import archive_paths, restore_archive
    from qualipress.film.hooks import FilmHooks
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.profiles import get_profile

    frames = fresh_frames(args.out, args.source, args.shots, args.frames)
    results: dict = {"date": time.strftime("%Y-%m-%d"), "frames": len(frames), "order": args.order,
                     "load_before": os.getloadavg()}
    prof = get_profile(args.profile)
    for workers in (int(w) for w in args.order.split(",")):
        with (LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
              Client(lc) as client):

            def worker_cpu(c: Client = client) -> float:
                return float(sum(c.run(time.process_time).values()))

            def worker_sys(c: Client = client) -> float:
                return float(sum(t[1] for t in c.run(os.times).values()))

            c0, t0 = worker_cpu(), time.perf_counter()
            res = archive_paths([args.out / "frames"], args.out / f"w{workers}" / "archive",
                                scheduler=lc.scheduler_address)
            t_arch, cpu_arch = time.perf_counter() - t0, worker_cpu() - c0
            c0, t0 = worker_cpu(), time.perf_counter()
            back = restore_archive(args.out / f"w{workers}" / "archive", args.out / f"w{workers}" / "restored",
                                   scheduler=lc.scheduler_address)
            t_rest, cpu_rest = time.perf_counter() - t0, worker_cpu() - c0
            lossy: dict = {}
            if args.codec:
                opts = CompressOptions(target=prof.target, codec=args.codec, profile=prof.name,
                                       scheduler=lc.scheduler_address, hooks=FilmHooks(profile=prof.name))
                c0, s0, t0 = worker_cpu(), worker_sys(), time.perf_counter()
                summary = compress_paths([args.out / "frames"], args.out / f"w{workers}" / "lossy", opts)
                t_lossy, cpu_lossy, sys_lossy = time.perf_counter() - t0, worker_cpu() - c0, worker_sys() - s0
                recs = [r for r in summary.records if not r.get("error")]
                lossy = {"compress_s": round(t_lossy, 2), "compress_fps": round(len(frames) / t_lossy, 3),
                         "compress_worker_cpu_s_per_frame": round(cpu_lossy / len(frames), 2),
                         "compress_worker_sys_s_per_frame": round(sys_lossy / len(frames), 2),
                         "compress_failed": len(summary.failures),
                         "compress_encodes_per_frame": round(sum(r["encodes"] for r in recs) / max(1, len(recs)), 2),
                         "compress_bytes": sum(r["bytes"] for r in recs)}
        exact = sum((args.out / f"w{workers}" / "restored" / p.relative_to(args.out / "frames")).read_bytes()
                    == p.read_bytes() for p in frames)
        results[f"workers_{workers}"] = {
            "archive_s": round(t_arch, 2), "archive_fps": round(len(frames) / t_arch, 3),
            "archive_worker_cpu_s_per_frame": round(cpu_arch / len(frames), 2),
            "restore_s": round(t_rest, 2), "restore_fps": round(len(frames) / t_rest, 3),
            "restore_worker_cpu_s_per_frame": round(cpu_rest / len(frames), 2),
            "errors": len(res.errors) + len(back.errors), "bit_exact": exact, **lossy}
        print(workers, json.dumps(results[f"workers_{workers}"]), f"load {os.getloadavg()}", flush=True)
    results["load_after"] = os.getloadavg()
    w1, w2 = results["workers_1"], results["workers_2"]
    results["speedup_archive"] = round(w2["archive_fps"] / w1["archive_fps"], 2)
    results["speedup_restore"] = round(w2["restore_fps"] / w1["restore_fps"], 2)
    if args.codec:
        results["lossy"] = f"compress --profile {prof.name} --codec {args.codec}"
        results["speedup_compress"] = round(w2["compress_fps"] / w1["compress_fps"], 2)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
