"""Seed a ``bench preprocess --cache`` file with the anchor (``none``) sweeps of an earlier ``--json`` result.

The anchor is the codec alone on the unedited image: it does not change between methods, so a new method can be
compared against the anchor points already measured (and committed) instead of encoding and measuring them again.
Before writing, the first image is re-encoded and re-measured at every setting; the seed is refused unless bytes
match exactly and every metric to 1e-6.

    python benchmarks/preprocess_seed_cache.py benchmarks/preprocess_rd_kodak_jpeg.json --cache results/kodak.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("result", type=Path, help="JSON written by `qualipress bench preprocess --json`")
    ap.add_argument("--cache", type=Path, required=True, help="JSON-lines cache to append to")
    args = ap.parse_args(argv)

    from qualipress.io import append_jsonl, read_image
    from qualipress.preprocess.evaluate import sweep

    res = json.loads(args.result.read_text())
    codec, qs, mets = res["codec"], [float(q) for q in res["settings"]], res["metrics"]
    sweeps = res["results"]["none"]["sweeps"]
    lines = []
    for i, (path, pts) in enumerate(zip(res["images"], sweeps, strict=True)):
        img = read_image(path).color()
        if i == 0:
            again = sweep(img, img, codec, qs, metrics=mets)
            for old, new in zip(pts, again, strict=True):
                if old["nbytes"] != new.nbytes or any(abs(old[m] - new.metrics[m]) > 1e-6 for m in mets):
                    print(f"{path} q{old['quality']}: stored {old} but measured {new}; not seeding", file=sys.stderr)
                    return 1
        key = json.dumps([hashlib.sha256(img.pixels.tobytes()).hexdigest(), list(img.pixels.shape), "none", codec,
                          qs])
        points = [{"quality": p["quality"], "nbytes": p["nbytes"], "bpp": p["bpp"],
                   "metrics": {m: p[m] for m in mets}} for p in pts]
        lines.append({"key": key, "seconds": 0.0, "points": points})
    for rec in lines:  # io's append starts a fresh line after a torn one (as evaluate's cache does)
        append_jsonl(args.cache, rec)
    print(f"seeded {len(lines)} anchor sweeps ({codec}, settings {qs}, checked on {res['images'][0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
