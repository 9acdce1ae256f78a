"""Peak memory and time for one 4096x2160 16-bit frame per worker (compress C1 per codec, lossless archive).

Usage (from the repository root)::

    .venv/bin/python benchmarks/film_memory.py --out /tmp/qp-film-4k

Builds a 4096x2160 16-bit RGB TIFF from the MtTamWest EXR (ACEScct code, resized with area/cubic filtering,
plus Gaussian grain of 0.2% so it is not unnaturally smooth), then runs each job in a fresh Python process and
reads its peak resident set size (the child's own ``ru_maxrss``, printed at its end). The goal is < 2 GB per worker.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

JOB = r"""
import sys
from pathlib import Path
kind, src, out, arg = sys.argv[1:5]
if kind == "compress":
    from qualipress.film.hooks import FilmHooks
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.profiles import get_profile
    opts = CompressOptions(target=get_profile("C1").target, codec=arg, profile="C1", hooks=FilmHooks())
    s = compress_paths([src], out, opts)
    r = s.records[0]
    print("RESULT", r.get("error"), r.get("bytes"), r.get("encodes"), r.get("metrics", {}).get("ssim"))
else:
    from qualipress.film.archive import archive_paths
    res = archive_paths([src], out)
    r = res.records[0]
    print("RESULT", r.get("error"), r.get("archive_bytes"), r.get("codec"))
import resource
print("MAXRSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def make_frame(path: Path) -> None:
    import cv2
    import numpy as np

    from qualipress.film.testset import default_source, encode_tiff16
    from qualipress.io import read_image
    from qualipress.io.logcurves import linear_to_acescct

    lin = np.maximum(read_image(default_source() / "MtTamWest.exr").color().pixels, 0)
    code = np.clip(linear_to_acescct(lin), 0, 1)
    big = cv2.resize(code, (4096, 2160), interpolation=cv2.INTER_CUBIC)
    big += np.random.default_rng(0).normal(0, 0.002, big.shape).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode_tiff16(np.rint(np.clip(big, 0, 1) * 65535).astype(np.uint16), description="4k test"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-film-4k"))
    ap.add_argument("--codecs", default="jpegxl,jpeg2000")
    args = ap.parse_args()
    frame = args.out / "src" / "frame4k.0000001.tif"
    if not frame.exists():
        make_frame(frame)
    rows = []
    jobs = [("compress", c) for c in args.codecs.split(",")] + [("archive", "-")]
    for kind, arg in jobs:
        out = args.out / f"{kind}-{arg}"
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", JOB, kind, str(frame), str(out), arg], capture_output=True,
                           text=True)
        secs = time.perf_counter() - t0
        rss = [int(ln.split()[1]) for ln in p.stdout.splitlines() if ln.startswith("MAXRSS_KB")]
        peak_kb = rss[0] if rss else 0
        line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT")]
        rows.append({"job": kind, "codec": arg, "peak_rss_mb": round(peak_kb / 1024, 1),
                     "seconds": round(secs, 1),
                     "result": line[0] if line else p.stderr[-500:], "rc": p.returncode})
        print(rows[-1], flush=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))
    print("| job | codec | peak RSS (MB) | seconds | result |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['job']} | {r['codec']} | {r['peak_rss_mb']} | "
              f"{r['seconds']} | {r['result']} |")


if __name__ == "__main__":
    main()
