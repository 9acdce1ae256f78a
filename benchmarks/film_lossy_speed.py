"""Lossy film throughput: ``compress`` at a profile on grainy 2K 10-bit DPX shots, per codec, with ``--jobs`` workers.

Usage (from the repository root)::

    python benchmarks/film_lossy_speed.py --out /tmp/qp-lossy-speed --shots 2 --frames 3 --jobs 2 \
        --codecs jpegxl,htj2k,jpeg2000   # or htj2k,jpegxl,avif,auto: auto ÷ the codec it chose is printed

Frames come from ``film_archive_speed.make_frames`` (same generator and seeds). For each codec the core
``compress_paths`` runs with ``FilmHooks`` (analysis, warm starts, decision checks, seals) and the sequence-aware
scheduler; then every chosen setting is encoded once more, alone, in this process, to time "one encode at the
chosen setting". Printed per codec: frames/s (wall), mean worker seconds per frame, encodes per frame, worker
seconds per frame divided by one encode at the chosen setting (search overhead; 2.0 = 100 %), the same ratio in
CPU seconds (all CPU of the run per frame over one encode's CPU: the figure to read on a loaded machine), cold vs warm
encodes per shot, bytes and SSIM. Writes ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def _value(m: float | dict) -> float:
    """A metric as a number (the report stores either the value or a dict with ``value``)."""
    return float(m["value"] if isinstance(m, dict) else m)


def _frame_cpu(frames: Path, out: Path, codec: str, prof: object, one_encode_cpu: float) -> dict:
    """CPU seconds of every frame, ``compress_paths`` with one worker in this process (``process_one`` timed)."""
    from qualipress.film.hooks import FilmHooks
    from qualipress.pipeline import CompressOptions, batch, compress_paths

    cpu: dict[str, float] = {}
    inner = batch.process_one

    def timed(job, *a, **k):  # type: ignore[no-untyped-def]
        c = time.process_time()
        rec = inner(job, *a, **k)
        cpu[str(job.source)] = time.process_time() - c
        return rec

    batch.process_one = timed
    try:
        opts = CompressOptions(target=prof.target, codec=codec, profile=prof.name, jobs=1,  # type: ignore[attr-defined]
                               hooks=FilmHooks(profile=prof.name))  # type: ignore[attr-defined]
        summary = compress_paths([frames], out, opts)
    finally:
        batch.process_one = inner
    cold, warm = [], []
    for r in summary.records:
        first = (r.get("analysis") or {}).get("sequence_position", 0) == 0
        (cold if first else warm).append((cpu.get(str(r["input"]), float("nan")), r["encodes"]))
    out_d = {}
    for key, rows in (("cold", cold), ("warm", warm)):
        if rows:
            c = float(np.mean([x for x, _ in rows]))
            encodes = float(np.mean([e for _, e in rows]))
            out_d[key] = {"frames": len(rows), "cpu_s": round(c, 2), "encodes": round(encodes, 2),
                          "cpu_vs_one_encode": round(c / one_encode_cpu, 2)}
    return out_d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-lossy-speed"))
    ap.add_argument("--shots", type=int, default=2)
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--profile", default="C1")
    ap.add_argument("--codecs", default="jpegxl,htj2k,jpeg2000")
    ap.add_argument("--frame-cpu", action="store_true",
                    help="also run each codec in this process (one worker) and time every frame's CPU seconds: "
                         "cold (first of a shot) vs warm frames, each over one encode's CPU")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from film_archive_speed import _cpu, fresh_frames

    from qualipress import codecs
    from qualipress.film.hooks import FilmHooks
    from qualipress.io import read_image
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.pipeline.schedule import shot_encodes
    from qualipress.profiles import get_profile

    frames = fresh_frames(args.out, args.source, args.shots, args.frames)
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
        single, single_cpu = [], []
        for r in recs:  # one encode at the chosen setting, alone
            codec = codecs.get(r["codec"])
            img = read_image(r["input"])
            q = None if (r["params"] or {}).get("lossless") else (r["params"] or {}).get(codec.info.quality.name)
            t1, c1 = time.perf_counter(), time.process_time()
            codec.encode(img, quality=q, lossless=q is None)
            single.append(time.perf_counter() - t1)
            single_cpu.append(time.process_time() - c1)
        worker = [float(r["seconds"]) for r in recs]
        results[name] = {
            "wall_s": round(wall, 2), "frames_per_s": round(len(frames) / wall, 3), "failed": len(summary.failures),
            "cpu_s_per_frame": round(cpu / len(frames), 2),
            "worker_s_per_frame": round(float(np.mean(worker)), 2),
            "one_encode_s": round(float(np.mean(single)), 3),
            "search_vs_one_encode": round(float(np.mean(worker) / np.mean(single)), 2),
            "one_encode_cpu_s": round(float(np.mean(single_cpu)), 3),
            # CPU seconds per frame over one encode's CPU seconds: the overhead figure a loaded machine keeps
            "cpu_vs_one_encode": round(cpu / len(frames) / float(np.mean(single_cpu)), 2),
            "encodes_per_frame": round(float(np.mean([r["encodes"] for r in recs])), 2),
            "bytes_mean": int(np.mean([r["bytes"] for r in recs])),
            "ssim_min": round(min(_value(r["metrics"]["ssim"]) for r in recs), 4),
            "winners": {c: sum(r["codec"] == c for r in recs) for c in {r["codec"] for r in recs}},
            "shots": shot_encodes(recs),
        }
        if args.frame_cpu:
            results[name]["frame_cpu"] = _frame_cpu(args.out / "frames", args.out / f"{name}-1", name, prof,
                                                    float(np.mean(single_cpu)))
        print(name, json.dumps(results[name]), flush=True)
    results["load_after"] = os.getloadavg()
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print(f"load {results['load_before'][0]:.1f} -> {results['load_after'][0]:.1f}")
    print("| codec | frames/s | CPU s/frame | worker s/frame | one encode s | search ÷ one encode | one encode CPU s | "
          "CPU ÷ one encode CPU | encodes/frame | cold → warm encodes | mean bytes | SSIM min |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.codecs.split(","):
        r = results[name]
        cw = "; ".join(f"{s['cold_encodes_mean']} → {s['warm_encodes_mean']}" for s in r["shots"])
        print(f"| {name} | {r['frames_per_s']} | {r['cpu_s_per_frame']} | {r['worker_s_per_frame']} | "
              f"{r['one_encode_s']} | {r['search_vs_one_encode']} | {r['one_encode_cpu_s']} | "
              f"{r['cpu_vs_one_encode']} | {r['encodes_per_frame']} | {cw} | "
              f"{r['bytes_mean']} | {r['ssim_min']} |")
    for name in args.codecs.split(","):
        for kind, f in results[name].get("frame_cpu", {}).items():
            print(f"{name} {kind} frames (one worker): {f['cpu_s']} CPU-s/frame, {f['encodes']} encodes, "
                  f"{f['cpu_vs_one_encode']}x one encode's CPU ({f['frames']} frames)")
    if "auto" in results:  # issue 18: auto's time over the time of the codec it chose, measured alone in this run
        for chosen in results["auto"]["winners"]:
            if chosen not in results:
                continue
            a, c = results["auto"], results[chosen]
            parts = [f"CPU-s/frame {a['cpu_s_per_frame'] / c['cpu_s_per_frame']:.2f}"]
            for kind in ("cold", "warm"):
                fa, fc = a.get("frame_cpu", {}).get(kind), c.get("frame_cpu", {}).get(kind)
                if fa and fc:
                    parts.append(f"{kind} {fa['cpu_s'] / fc['cpu_s']:.2f}")
            print(f"auto ÷ {chosen} alone: " + ", ".join(parts))


if __name__ == "__main__":
    main()
