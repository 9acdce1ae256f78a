"""Lossy film throughput: ``compress`` at a profile on grainy 2K 10-bit DPX shots, per codec, with ``--jobs`` workers.

Usage (from the repository root)::

    python benchmarks/film_lossy_speed.py --out /tmp/qp-lossy-speed --shots 2 --frames 3 --jobs 2 \
        --codecs jpegxl,htj2k,jpeg2000

Frames come from ``film_archive_speed.make_frames`` (same generator and seeds). For each codec the core
``compress_paths`` runs with ``FilmHooks`` (analysis, warm starts, decision checks, seals) and the sequence-aware
scheduler; then every chosen setting is encoded once more, alone, in this process, to time "one encode at the
chosen setting". Printed per codec: frames/s (wall), mean worker seconds per frame, encodes per frame, worker
seconds per frame divided by one encode at the chosen setting (search overhead; 2.0 = 100 %), cold vs warm
encodes per shot, bytes and SSIM. Writes ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np


def _cpu() -> float:
    """CPU seconds (user + system) of this process and its finished children so far."""
    import resource

    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def _value(m: float | dict) -> float:
    """A metric as a number (the report stores either the value or a dict with ``value``)."""
    return float(m["value"] if isinstance(m, dict) else m)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-lossy-speed"))
    ap.add_argument("--shots", type=int, default=2)
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--profile", default="C1")
    ap.add_argument("--codecs", default="jpegxl,htj2k,jpeg2000")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from film_archive_speed import make_frames

    from qualipress import codecs
    from qualipress.film.hooks import FilmHooks
    from qualipress.film.testset import default_source
    from qualipress.io import read_image
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.pipeline.schedule import shot_encodes
    from qualipress.profiles import get_profile

    if args.out.exists():
        shutil.rmtree(args.out)
    frames = make_frames(args.source or default_source(), args.out / "frames", args.shots, args.frames)
    prof = get_profile(args.profile)
    results: dict = {"date": time.strftime("%Y-%m-%d"), "frames": len(frames), "jobs": args.jobs,
                     "profile": prof.name, "load_before": os.getloadavg()}
    for name in args.codecs.split(","):
        opts = CompressOptions(target=prof.target, codec=name, profile=prof.name, jobs=args.jobs,
                               hooks=FilmHooks(profile=prof.name))
        t0, c0 = time.perf_counter(), _cpu()
        summary = compress_paths([args.out / "frames"], args.out / name, opts)
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        recs = [r for r in summary.records if not r.get("error")]
        single = []
        for r in recs:  # one encode at the chosen setting, alone
            codec = codecs.get(r["codec"])
            img = read_image(r["input"])
            q = None if (r["params"] or {}).get("lossless") else (r["params"] or {}).get(codec.info.quality.name)
            t1 = time.perf_counter()
            codec.encode(img, quality=q, lossless=q is None)
            single.append(time.perf_counter() - t1)
        worker = [float(r["seconds"]) for r in recs]
        results[name] = {
            "wall_s": round(wall, 2), "frames_per_s": round(len(frames) / wall, 3), "failed": len(summary.failures),
            "cpu_s_per_frame": round(cpu / len(frames), 2),
            "worker_s_per_frame": round(float(np.mean(worker)), 2),
            "one_encode_s": round(float(np.mean(single)), 3),
            "search_vs_one_encode": round(float(np.mean(worker) / np.mean(single)), 2),
            "encodes_per_frame": round(float(np.mean([r["encodes"] for r in recs])), 2),
            "bytes_mean": int(np.mean([r["bytes"] for r in recs])),
            "ssim_min": round(min(_value(r["metrics"]["ssim"]) for r in recs), 4),
            "winners": {c: sum(r["codec"] == c for r in recs) for c in {r["codec"] for r in recs}},
            "shots": shot_encodes(recs),
        }
        print(name, json.dumps(results[name]), flush=True)
    results["load_after"] = os.getloadavg()
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print(f"load {results['load_before'][0]:.1f} -> {results['load_after'][0]:.1f}")
    print("| codec | frames/s | CPU s/frame | worker s/frame | one encode s | search ÷ one encode | encodes/frame | "
          "cold → warm encodes | mean bytes | SSIM min |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.codecs.split(","):
        r = results[name]
        cw = "; ".join(f"{s['cold_encodes_mean']} → {s['warm_encodes_mean']}" for s in r["shots"])
        print(f"| {name} | {r['frames_per_s']} | {r['cpu_s_per_frame']} | {r['worker_s_per_frame']} | "
              f"{r['one_encode_s']} | {r['search_vs_one_encode']} | {r['encodes_per_frame']} | {cw} | "
              f"{r['bytes_mean']} | {r['ssim_min']} |")


if __name__ == "__main__":
    main()
