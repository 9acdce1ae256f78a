"""The person-tile bound (``qualipress.detect.persons.MAX_TILES``, QA 11 finding 11): where it applies, and what
it saves on a long strip.

1. Plans the half-side and fine tile grids of every photo under ``people/`` (the ROI development set of
   ``roi_gt.py``) and ``kodak/``, stored and turned a quarter, with and without the 3-px grid shift of
   ``roi_gt.py``, with the bound and without: the plans must be identical (then the same model runs happen and
   the ROI masks cannot change), and the largest counts are printed.
2. Counts the model runs and times the person pass on noise strips (``--strips``), bound and unbound; the
   fake "someone everywhere" count is the worst case (every fine tile runs).

    python benchmarks/roi_tile_cap.py --strips 64x15000,64x3840
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shapes(roots: list[Path]) -> dict[str, tuple[int, int]]:
    out = {}
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".tif", ".tiff"):
                with Image.open(p) as im:
                    w, h = im.size
                out[str(p)] = (h, w)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--strips", default="64x15000,64x3840", help="HxW of noise strips to time ('' for none)")
    args = ap.parse_args()
    from qualipress.detect import persons as pm

    found = shapes([args.data / "people", args.data / "kodak"])
    if not found:
        print(f"no photos under {args.data}/people or kodak", file=sys.stderr)
        return 1
    worst = {"half": 0, "fine": 0}
    changed = []
    for path, (h, w) in found.items():
        for s in ((h, w), (w, h), (h - 3, w - 3), (w - 3, h - 3)):
            for name, k, ov in (("half", 2, pm.TILE_OVERLAP), ("fine", pm.FINE_SCALE, 0.0)):
                capped = pm._square_tiles(s, k, ov)
                if capped != pm._square_tiles(s, k, ov, limit=None):
                    changed.append((path, s, name))
                worst[name] = max(worst[name], len(capped))
    print(f"{len(found)} photos, 4 frames each: plans changed by the bound: {len(changed)}; largest grids: "
          f"half-side {worst['half']}, fine {worst['fine']} (bound {pm.MAX_TILES})")
    for c in changed:
        print("  changed:", *c)

    real = pm.person_probability
    for spec in filter(None, args.strips.split(",")):
        h, w = (int(v) for v in spec.split("x"))
        img = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
        for label, planner in (("unbound", functools.partial(pm._square_tiles, limit=None)),
                               ("bound", pm._square_tiles)):
            orig = pm._square_tiles
            pm._square_tiles = planner
            try:
                n = [0]

                def everywhere(rgb: np.ndarray, *, model_selection: int = 0, n: list = n) -> np.ndarray:
                    n[0] += 1
                    return np.full(rgb.shape[:2], 0.9, np.float32)

                pm.person_probability = everywhere
                pm.tiled_person_probability(img)
                worst_runs = n[0]
                pm.person_probability = real
                t0 = time.process_time()
                pm.tiled_person_probability(img)
                cpu = time.process_time() - t0
            finally:
                pm._square_tiles = orig
                pm.person_probability = real
            print(f"{h}x{w} {label}: {worst_runs} model runs at most, person pass {cpu:.2f} CPU-s on noise")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
