"""Peak memory of one ``compress`` worker on a shot of grainy 10- or 16-bit DPX frames (profile C1, film hooks).

Usage (from the repository root)::

    python benchmarks/film_lossy_memory.py --out /tmp/qp-lossy-memory --frames 1,10 --codec htj2k
    python benchmarks/film_lossy_memory.py --out /tmp/qp-lossy-memory-8k --frames 1 --size 8k --bits 16 \
        --codec jpegxl --compare /tmp/qp-lossy-memory-8k-before

At 2K with 10 bits, frames come from ``film_archive_speed.make_frames`` (one shot, the same generator and seeds).
Other ``--size`` / ``--bits`` make the frames the same way at that size (the first EXR of ``--source`` in
ACEScct, resized with cubic interpolation, panned 8 px per frame, blurred Gaussian grain of 4.5 10-bit code
values RMS, Printing-density DPX so every film check applies), written to ``--out`` (never to the source
folder). For each count in ``--frames`` a fresh Python process compresses the first N frames of the shot with
one worker (``jobs=1``) and reports its resident set before the run (after the imports) and its peak
(``VmHWM``); "× frame" is (peak − before) ÷ the frame as 16-bit RGB samples (width×height×3×2 bytes). Writes
``results.json``.

``--repeat N`` runs each count N times (fresh processes) and reports the median "× frame" with its range: the
peak of identical runs varies by up to about 0.8× the frame at 2K (heap layout). ``--effort N`` passes JPEG XL's
effort as an encode option. Each run also reports its process CPU seconds and the output bytes.

``--compare DIR`` checks that every output file (the compressed frames, seals included) is byte-identical to the
file of the same name under an earlier run's ``--out`` (e.g. the same command on an older commit), and exits 1
otherwise.

``--trace`` also runs each count under ``tracemalloc`` and prints, for every step of the pipeline (read, plan,
the search's runner set-up and each probe, the whole search, seal, verify), the traced memory at its start, its
peak and at its end (tracing slows the run; the RSS figures come from the untraced run).

``--rss-trace`` runs each count once more and prints, for the same steps and the parts of a probe (encode,
decode, metrics, each film check), the resident set at the step's start, its peak and at its end, over the RSS
before the run (Linux: the peak is reset through ``/proc/self/clear_refs`` at every step's start, and a step's
peak includes its sub-steps'). This is what ``VmHWM`` sees, codec libraries' own buffers included.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

SIZES = {"2k": (2048, 1080), "4k": (4096, 2160), "8k": (8192, 4320)}

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
effort = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
before = status("VmRSS")
prof = get_profile("C1")
s = compress_paths([src], out, CompressOptions(target=prof.target, codec=codec, profile="C1", jobs=1,
                                               hooks=FilmHooks(profile="C1"),
                                               encode_options={} if effort is None else {"effort": effort}))
import resource
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"before_mb": round(before), "peak_mb": round(status("VmHWM")), "failed": len(s.failures),
                  "encodes": [r["encodes"] for r in s.records], "cpu_s": round(use.ru_utime + use.ru_stime, 2),
                  "bytes": [r.get("bytes") for r in s.records]}))
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


RSS_TRACE = r"""
import functools, importlib
from qualipress.film import decisions as _dec, hooks as _hooks
from qualipress.pipeline import batch as _batch
_probe = importlib.import_module("qualipress.search.probe")
_search = importlib.import_module("qualipress.search.search")
_codecs = importlib.import_module("qualipress.codecs")
_base = None
_open = []  # [label, peak] of the steps running now, outermost first

def _mb(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0

def _fold():  # the peak since the last reset counts for every open step; then start a new peak
    hwm = _mb("VmHWM")
    for frame in _open:
        frame[1] = max(frame[1], hwm)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

def _wrap(owner, name, label):
    f = getattr(owner, name)

    @functools.wraps(f)
    def g(*a, **k):
        _fold()
        start = _mb("VmRSS")
        frame = [label, start]
        _open.append(frame)
        try:
            return f(*a, **k)
        finally:
            _fold()
            _open.pop()
            if _open:
                _open[-1][1] = max(_open[-1][1], frame[1])
            end = _mb("VmRSS")
            print(f"rss {'  ' * len(_open)}{label:{24 - 2 * len(_open)}s} start {start - _base:6.1f} MB  "
                  f"peak {frame[1] - _base:6.1f}  end {end - _base:6.1f}", flush=True)
    setattr(owner, name, g)

for owner, name, label in ((_batch, "read_image", "read"), (_hooks.FilmHooks, "plan", "plan"),
                           (_search._Runner, "__init__", "search: set-up"), (_search._Runner, "run", "probe"),
                           (_probe, "measure_decoded", "metrics"), (_codecs, "decode_like", "decode"),
                           (_batch, "_search_codecs", "search (all)"), (_hooks.FilmHooks, "seal_result", "seal"),
                           (_batch, "_verify_written", "verify")):
    _wrap(owner, name, label)
for cls in (_dec.GrainCheck, _dec.TemporalCheck, _dec.TonalCheck, _dec.BandingCheck, _dec.DetailCheck,
            _dec.WorstTileCheck, _dec.DisplayCheck):
    _wrap(cls, "__call__", "check " + cls.__name__.removesuffix("Check").lower())
"""


def make_sized(source: Path, out: Path, frames: int, size: tuple[int, int], bits: int) -> list[Path]:
    """Grainy ACEScct DPX frames ``out/<shot>/<shot>.<n>.dpx`` of ``size`` and ``bits`` (deterministic)."""
    import cv2

    from qualipress.io import dpx, read_image
    from qualipress.io.logcurves import linear_to_acescct

    exr = sorted(source.glob("*.exr"))[0]
    lin = np.asarray(read_image(exr).color().pixels[..., :3], np.float32)
    lin = np.maximum(np.nan_to_num(lin, nan=0.0, posinf=0.0, neginf=0.0), 0.0)
    code = np.clip(linear_to_acescct(lin), 0.0, 1.0)
    w, h = size
    pan = 8 * (frames - 1)
    scale = max((w + pan) / code.shape[1], h / code.shape[0])
    code = cv2.resize(code, (round(code.shape[1] * scale), round(code.shape[0] * scale)),
                      interpolation=cv2.INTER_CUBIC)[:h, : w + pan]
    peak = (1 << bits) - 1
    rng = np.random.default_rng(2000 + bits)
    paths = []
    for k in range(frames):
        crop = np.clip(code[:, 8 * k:8 * k + w], 0.0, 1.0) * peak
        noise = cv2.GaussianBlur(rng.standard_normal(crop.shape).astype(np.float32), (0, 0), 0.7)
        noise *= 4.5 * peak / 1023.0 / float(noise.std())
        px = np.clip(np.rint(crop + noise), 0, peak).astype(np.uint16)
        del crop, noise
        p = out / exr.stem / f"{exr.stem}.{86400 + k:07d}.dpx"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(dpx.encode_dpx(px, bit_size=bits, frame_rate=24, frame=86400 + k))
        paths.append(p)
    return paths


def compare(out: Path, other: Path) -> list[str]:
    """Output files under ``out/out-*`` that differ from (or are missing in) ``other`` (manifest excluded)."""
    from qualipress.io import sha256_file

    bad = []
    def listed(f: Path) -> bool:  # the frames and their seals; not the reports (times), the lock or the sums
        return f.is_file() and not f.name.startswith(".") and f.suffix != ".jsonl" and f.name != "SHA256SUMS"

    files = sorted(f for f in out.glob("out-*/**/*") if listed(f) and "-again" not in f.relative_to(out).parts[0])
    for f in files:
        g = other / f.relative_to(out)
        if not g.is_file() or sha256_file(f) != sha256_file(g):
            bad.append(str(f.relative_to(out)))
    return bad if files else ["no output files"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-lossy-memory"))
    ap.add_argument("--frames", default="1,10")
    ap.add_argument("--codec", default="htj2k")
    ap.add_argument("--size", choices=sorted(SIZES), default="2k")
    ap.add_argument("--bits", type=int, choices=(10, 16), default=10)
    ap.add_argument("--compare", type=Path, default=None, help="an earlier run's --out: outputs must be identical")
    ap.add_argument("--trace", action="store_true", help="also print tracemalloc figures per pipeline step")
    ap.add_argument("--rss-trace", action="store_true", help="also print resident-set figures per pipeline step")
    ap.add_argument("--repeat", type=int, default=1, help="runs per count (fresh processes): median, min, max")
    ap.add_argument("--effort", type=int, default=None, help="JPEG XL effort (encode option; default the codec's)")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from film_archive_speed import SIZE, make_frames

    from qualipress.film.testset import default_source

    counts = [int(n) for n in args.frames.split(",")]
    if args.out.exists():
        shutil.rmtree(args.out)
    size = SIZES[args.size]
    if size == SIZE and args.bits == 10:
        frames = make_frames(args.source or default_source(), args.out / "frames", 1, max(counts))
    else:
        frames = make_sized(args.source or default_source(), args.out / "frames", max(counts), size, args.bits)
    frame_mb = size[0] * size[1] * 3 * 2 / 2**20
    results: dict = {"codec": args.codec, "size": args.size, "bits": args.bits, "frame_mb": round(frame_mb, 1)}
    for n in counts:
        shot = args.out / f"shot-{n}"
        shot.mkdir()
        for f in frames[:n]:
            os.link(f, shot / f.name)
        extra = [] if args.effort is None else [str(args.effort)]
        runs = []
        for k in range(args.repeat):  # the same job again in a fresh process (RSS varies a little between runs)
            dest = args.out / (f"out-{n}" if k == 0 else f"out-{n}-again{k}")
            run = subprocess.run([sys.executable, "-c", JOB, str(shot), str(dest), args.codec, *extra],
                                 capture_output=True, text=True, check=True)
            one = json.loads(run.stdout.strip().splitlines()[-1])
            one["x_frame"] = round((one["peak_mb"] - one["before_mb"]) / frame_mb, 1)
            runs.append(one)
        r = dict(runs[0])
        if args.repeat > 1:
            xs = sorted(o["x_frame"] for o in runs)
            r = dict(sorted(runs, key=lambda o: o["x_frame"])[len(runs) // 2])  # the median run's figures
            r.update(runs=runs, x_frame_min=xs[0], x_frame_max=xs[-1])
        results[str(n)] = r
        spread = f" (median of {args.repeat}: {r['x_frame_min']}-{r['x_frame_max']})" if args.repeat > 1 else ""
        print(f"{n} frames: before {r['before_mb']} MB, peak {r['peak_mb']} MB, "
              f"{r['x_frame']}x the 16-bit frame{spread}, encodes {r['encodes']}, failed {r['failed']}, "
              f"CPU {r['cpu_s']} s (whole process), bytes {sum(b or 0 for b in r['bytes']):,}", flush=True)
        if args.trace:
            job = JOB.replace("before = status", TRACE + "\nbefore = status", 1)
            traced = subprocess.run([sys.executable, "-c", job, str(shot), str(args.out / f"trace-{n}"), args.codec],
                                    capture_output=True, text=True, check=True)
            lines = [ln for ln in traced.stdout.splitlines() if ln.startswith("trace ")]
            r["trace"] = lines
            print("\n".join(lines), flush=True)
        if args.rss_trace:
            job = JOB.replace("before = status(\"VmRSS\")", RSS_TRACE + "\nbefore = status(\"VmRSS\")\n_base = before",
                              1)
            traced = subprocess.run([sys.executable, "-c", job, str(shot), str(args.out / f"rss-{n}"), args.codec],
                                    capture_output=True, text=True)
            if traced.returncode:
                sys.exit(traced.stderr)
            lines = [ln for ln in traced.stdout.splitlines() if ln.startswith("rss ")]
            r["rss_trace"] = lines
            print("\n".join(lines), flush=True)
    if args.compare is not None:
        bad = compare(args.out, args.compare)
        results["identical_to"] = {"run": str(args.compare), "differ": bad}
        print(f"outputs vs {args.compare}: " + ("byte-identical" if not bad else "DIFFER: " + ", ".join(bad)))
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    if args.compare is not None and results["identical_to"]["differ"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
