"""Cost of the batch-safety bookkeeping per file, and a whole small batch with and without interruption.

Measures, on the local disk: the atomic marker write (temp + fsync + rename, done twice per file: before
writing and with the finished record) and the fsynced report append (once per file); then ``compress`` of N tiny
images with ``--jobs 2``.

Usage: python benchmarks/batch_safety.py [--files 24] [--repeats 200]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from qualipress.io import append_jsonl, as_image, atomic_write_bytes, write_image
from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.search import parse_target


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=200)
    args = ap.parse_args()
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        rec = {"input": "x" * 200, "metrics": {"ssim": {"value": 0.95}}, "probes": [{"q": i} for i in range(12)]}
        blob = json.dumps(rec).encode()
        t0 = time.perf_counter()
        for _ in range(args.repeats):
            atomic_write_bytes(d / "m.json", blob)
        marker = (time.perf_counter() - t0) / args.repeats
        t0 = time.perf_counter()
        for _ in range(args.repeats):
            append_jsonl(d / "r.jsonl", rec)
        append = (time.perf_counter() - t0) / args.repeats
        rng = np.random.default_rng(0)
        for i in range(args.files):
            write_image(d / "in" / f"img{i:03d}.png", as_image(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)))
        opts = CompressOptions(target=parse_target("ssim>=0.9"), codec="jpeg", jobs=2)
        t0 = time.perf_counter()
        s = compress_paths([d / "in"], d / "out", opts)
        batch = time.perf_counter() - t0
    print(json.dumps({"marker_write_ms": round(marker * 1e3, 2), "report_append_ms": round(append * 1e3, 2),
                      "bookkeeping_per_file_ms": round((2 * marker + append) * 1e3, 1),
                      "batch_files": args.files, "batch_seconds": round(batch, 2),
                      "batch_failures": len(s.failures)}, indent=1))


if __name__ == "__main__":
    main()
