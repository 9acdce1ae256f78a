"""Peak memory of one ``compress`` worker on a shot of grainy 2K 10-bit DPX frames (profile C1, film hooks).

Usage (from the repository root)::

    python benchmarks/film_lossy_memory.py --out /tmp/qp-lossy-memory --frames 1,10 --codec htj2k

Frames come from ``film_archive_speed.make_frames`` (one shot, the same generator and seeds). For each count in
``--frames`` a fresh Python process compresses the first N frames of the shot with one worker (``jobs=1``) and
reports its resident set before the run (after the imports) and its peak (``VmHWM``); "× frame" is
(peak − before) ÷ the frame as 16-bit RGB samples (2048×1080×3×2 bytes). Writes ``results.json``.

``--trace`` also runs each count under ``tracemalloc`` and prints, for every step of the pipeline (read, plan,
the search's runner set-up and each probe, the whole search, seal, verify), the traced memory at its start, its
peak and at its end (tracing slows the run; the RSS figures come from the untraced run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

JOB = r"""
import json, sys
from pathlib import Path
from qualipress.film.hooks import FilmHooks
from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.profiles import get_profile

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024

src, out, codec = sys.argv[1:4]
before = status("VmRSS")
prof = get_profile("C1")
s = compress_paths([src], out, CompressOptions(target=prof.target, codec=codec, profile="C1", jobs=1,
                                               hooks=FilmHooks(profile="C1")))
print(json.dumps({"before_mb": round(before), "peak_mb": round(status("VmHWM")), "failed": len(s.failures),
                  "encodes": [r["encodes"] for r in s.records]}))
"""

TRACE = r"""
import functools, importlib, tracemalloc
from qualipress.film import hooks as _hooks
from qualipress.pipeline import batch as _batch
_search = importlib.import_module("qualipress.search.search")

def _wrap(owner, name, label):
    f = getattr(owner, name)

    @functools.wraps(f)
    def g(*a, **k):
        c0 = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        try:
            return f(*a, **k)
        finally:
            c1, p = tracemalloc.get_traced_memory()
            print(f"trace {label:22s} start {c0 / 2**20:7.1f} MB  peak {p / 2**20:7.1f}  end {c1 / 2**20:7.1f}")
    setattr(owner, name, g)

for owner, name, label in ((_batch, "read_image", "read"), (_hooks.FilmHooks, "plan", "plan"),
                           (_search._Runner, "__init__", "search: set-up"), (_search._Runner, "run", "search: probe"),
                           (_batch, "_search_codecs", "search (all)"), (_hooks.FilmHooks, "seal_result", "seal"),
                           (_batch, "_verify_written", "verify")):
    _wrap(owner, name, label)
tracemalloc.start()
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-lossy-memory"))
    ap.add_argument("--frames", default="1,10")
    ap.add_argument("--codec", default="htj2k")
    ap.add_argument("--trace", action="store_true", help="also print tracemalloc figures per pipeline step")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from film_archive_speed import SIZE, make_frames

    from qualipress.film.testset import default_source

    counts = [int(n) for n in args.frames.split(",")]
    if args.out.exists():
        shutil.rmtree(args.out)
    frames = make_frames(args.source or default_source(), args.out / "frames", 1, max(counts))
    frame_mb = SIZE[0] * SIZE[1] * 3 * 2 / 2**20
    results: dict = {"codec": args.codec, "frame_mb": round(frame_mb, 1)}
    for n in counts:
        shot = args.out / f"shot-{n}"
        shot.mkdir()
        for f in frames[:n]:
            os.link(f, shot / f.name)
        run = subprocess.run([sys.executable, "-c", JOB, str(shot), str(args.out / f"out-{n}"), args.codec],
                             capture_output=True, text=True, check=True)
        r = json.loads(run.stdout.strip().splitlines()[-1])
        r["x_frame"] = round((r["peak_mb"] - r["before_mb"]) / frame_mb, 1)
        results[str(n)] = r
        print(f"{n} frames: before {r['before_mb']} MB, peak {r['peak_mb']} MB, "
              f"{r['x_frame']}x the 16-bit frame, encodes {r['encodes']}, failed {r['failed']}", flush=True)
        if args.trace:
            job = JOB.replace("before = status", TRACE + "\nbefore = status", 1)
            traced = subprocess.run([sys.executable, "-c", job, str(shot), str(args.out / f"trace-{n}"), args.codec],
                                    capture_output=True, text=True, check=True)
            lines = [ln for ln in traced.stdout.splitlines() if ln.startswith("trace ")]
            r["trace"] = lines
            print("\n".join(lines), flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
