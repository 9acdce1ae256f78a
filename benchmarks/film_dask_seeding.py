"""A shot cut into chunks, local workers vs Dask: cold frames, encodes per frame, and whether the outputs match.

Usage (from the repository root)::

    python benchmarks/film_dask_seeding.py --out /tmp/qp-dask-seeding --shots 1 --frames 4 --codec jpegxl

Frames come from ``film_archive_speed.make_frames`` (same generator and seeds). ``compress`` (``FilmHooks``,
the profile's target) runs twice on the same frames with two workers: ``--jobs 2`` (local process pool), then
through a ``LocalCluster`` of two one-thread worker processes (``--scheduler``). With fewer shots than workers a
shot is cut into chunks: printed per run are the cold and warm frames per shot
(:func:`qualipress.pipeline.schedule.shot_encodes`), encodes per frame, wall seconds, and per frame whether the
Dask output is byte-identical to the local one. Writes ``results.json``.
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
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-dask-seeding"))
    ap.add_argument("--shots", type=int, default=1)
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--profile", default="C1")
    ap.add_argument("--codec", default="jpegxl")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from distributed import LocalCluster
    from film_archive_speed import fresh_frames

    from qualipress.film.hooks import FilmHooks
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.pipeline.schedule import shot_encodes
    from qualipress.profiles import get_profile

    frames = fresh_frames(args.out, args.source, args.shots, args.frames)
    prof = get_profile(args.profile)
    results: dict = {"date": time.strftime("%Y-%m-%d"), "frames": len(frames), "codec": args.codec,
                     "profile": prof.name, "load_before": os.getloadavg()}
    outputs: dict[str, dict[str, bytes]] = {}

    def run(name: str, **where: object) -> None:
        opts = CompressOptions(target=prof.target, codec=args.codec, profile=prof.name,
                               hooks=FilmHooks(profile=prof.name), **where)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        summary = compress_paths([args.out / "frames"], args.out / name, opts)
        wall = time.perf_counter() - t0
        recs = sorted((r for r in summary.records if not r.get("error")), key=lambda r: r["input"])
        outputs[name] = {Path(r["input"]).name: Path(r["output"]).read_bytes() for r in recs}
        results[name] = {"wall_s": round(wall, 2), "failed": len(summary.failures),
                         "encodes_per_frame": round(sum(r["encodes"] for r in recs) / max(1, len(recs)), 2),
                         "encodes": {Path(r["input"]).name: r["encodes"] for r in recs},
                         "bytes": sum(r["bytes"] for r in recs), "shots": shot_encodes(recs)}
        print(name, json.dumps(results[name]), f"load {os.getloadavg()}", flush=True)

    run("local", jobs=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        run("dask", scheduler=lc.scheduler_address)
    same = {k: outputs["dask"].get(k) == v for k, v in outputs["local"].items()}
    results["identical_outputs"] = f"{sum(same.values())}/{len(same)}"
    results["load_after"] = os.getloadavg()
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps({k: results[k] for k in ("identical_outputs", "load_before", "load_after")}))


if __name__ == "__main__":
    main()
