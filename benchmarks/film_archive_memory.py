"""Peak memory of ``archive`` and ``restore`` per worker for one grainy 10-bit DPX frame at 2K, 4K and 8K.

Usage (from the repository root)::

    python benchmarks/film_archive_memory.py --out /tmp/qp-archive-memory --sizes 2k,4k,8k

Each frame is synthetic (a smooth colour field plus blurred Gaussian grain of 4 code values RMS, 10-bit DPX,
filled method A). Each job runs in a fresh Python process that first imports everything it needs and records
its resident set size, then archives (or restores) the one frame and reports its peak (``VmHWM``). Printed:
peak RSS, peak minus the process's size before the job, and that difference divided by the raw frame
(``width * height * 3 * 2`` bytes: the frame as 16-bit samples). Writes ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SIZES = {"2k": (2048, 1080), "4k": (4096, 2160), "8k": (8192, 4320)}

# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork + exec
JOB = r"""
import sys, time
from pathlib import Path
from qualipress.film.archive import archive_paths, restore_archive
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
kind, src, out = sys.argv[1:4]
base = hwm()
t0 = time.perf_counter()
res = archive_paths([src], out) if kind == "archive" else restore_archive(src, out)
secs = time.perf_counter() - t0
print("RESULT", len(res.errors), round(secs, 2), base, hwm())
"""


def make_frame(path: Path, w: int, h: int) -> None:
    import cv2

    from qualipress.io import dpx

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([0.3 + 0.3 * xx / w, 0.35 + 0.25 * yy / h, 0.4 + 0.1 * np.sin(xx / 97.0)], axis=-1) * 1023
    rng = np.random.default_rng(7)
    noise = cv2.GaussianBlur(rng.standard_normal((h, w, 3)).astype(np.float32), (0, 0), 0.7)
    noise *= 4.0 / float(noise.std())
    px = np.clip(np.rint(base + noise), 0, 1023).astype(np.uint16)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dpx.encode_dpx(px, bit_size=10))


def run(kind: str, src: Path, out: Path) -> dict:
    p = subprocess.run([sys.executable, "-c", JOB, kind, str(src), str(out)], capture_output=True, text=True,
                       check=True)
    line = next(ln for ln in p.stdout.splitlines() if ln.startswith("RESULT"))
    _, errors, secs, base, peak = line.split()
    return {"errors": int(errors), "seconds": float(secs), "base_mb": int(base) / 1024, "peak_mb": int(peak) / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-archive-memory"))
    ap.add_argument("--sizes", default="2k,4k,8k")
    args = ap.parse_args()
    results: dict = {"date": time.strftime("%Y-%m-%d")}
    print("| size | job | raw frame MB | peak RSS MB | peak - before MB | (peak - before) / raw | seconds |")
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes.split(","):
        w, h = SIZES[size]
        src = args.out / size / "frames" / f"f.{1:07d}.dpx"
        make_frame(src, w, h)
        raw_mb = w * h * 3 * 2 / 2**20
        for kind, a, b in (("archive", src.parent, args.out / size / "archive"),
                           ("restore", args.out / size / "archive", args.out / size / "restored")):
            r = run(kind, a, b)
            r["raw_mb"] = raw_mb
            r["ratio"] = round((r["peak_mb"] - r["base_mb"]) / raw_mb, 2)
            results[f"{size}_{kind}"] = r
            print(f"| {size} | {kind} | {raw_mb:.0f} | {r['peak_mb']:.0f} | {r['peak_mb'] - r['base_mb']:.0f} | "
                  f"{r['ratio']} | {r['seconds']} |", flush=True)
        assert (args.out / size / "restored" / src.name).read_bytes() == src.read_bytes()
    (args.out / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
