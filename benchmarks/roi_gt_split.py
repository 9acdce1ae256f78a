"""Per-dataset split of ``benchmarks/roi_gt.py`` results: tuning side (COCO) against the held-out datasets.

The ``jpeg-roi`` defaults were tuned on all 20 annotated people photos (issue 14, session 3). This script reads the
per-image gains that ``roi_gt.py`` stored (``summary.per_image``: ROI and background PSNR change over Pillow 4:2:0
``optimize=True`` at equal bpp, per rate and ROI definition) and averages them per group of source datasets, so the
photos the profile's choices can be judged on (COCO: ``clarifai_coco_val2017`` and ``mmpose_testdata/coco``)
and the others (AI Challenger, CrowdPose, OCHuman, PoseTrack) are reported apart. Nothing is re-encoded.

    python benchmarks/roi_gt.py --no-uniform --variants '{"jpeg-roi": {}}' --tag roi2
    python benchmarks/roi_gt_split.py results/roi/gt_roi2.json
    python benchmarks/roi_gt_split.py results/roi/gt_roi2.json results/roi/gt_roi2_split.json --common

``--common`` keeps, per rate and group, only the images every variant reaches (so the variants are compared on
the same photos); without it each variant is averaged over the images it reaches, as ``roi_gt.py`` does.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

RATES = ("0.5", "0.8", "1.0")
HELD_OUT = ("aic", "crowdpose", "ochuman", "posetrack")
GROUPS: dict[str, Callable[[str], bool]] = {
    "COCO (tuning side)": lambda d: d == "coco",
    "held-out: AIC, CrowdPose, OCHuman, PoseTrack": lambda d: d in HELD_OUT,
    "held-out without PoseTrack": lambda d: d in HELD_OUT[:3],
    "all": lambda d: True,
}


def dataset(name: str) -> str:
    """Source dataset of an image path as ``roi_gt.py`` names it (``people/mmpose_testdata/aic/...``)."""
    for d in HELD_OUT:
        if f"/{d}" in name:
            return d
    return "coco"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="+", type=Path, help="results/roi/gt_<tag>.json files of roi_gt.py")
    ap.add_argument("--roi", default="mask", help="ROI definition: mask (default), box, det or mask_y")
    ap.add_argument("--common", action="store_true", help="only images every variant reaches")
    args = ap.parse_args()
    variants: dict[str, dict] = {}
    for path in args.results:
        per = json.loads(path.read_text())["summary"]["per_image"]
        for name, by_codec in per.items():
            for codec, cells in by_codec.items():
                variants.setdefault(f"{path.stem}:{codec}", {})[name] = cells
    images = sorted({n for v in variants.values() for n in v})
    print("images per dataset:", {d: sum(dataset(n) == d for n in images) for d in ("coco", *HELD_OUT)})
    for label, keep in GROUPS.items():
        print(f"\n{label}  (ROI gain dB (background change), n, photos reaching +2 dB)")
        for rate in RATES:
            def reaches(v: dict, n: str, rate: str = rate) -> bool:
                return rate in v.get(n, {})

            common = [n for n in images if keep(dataset(n)) and all(reaches(v, n) for v in variants.values())]
            cells = []
            for vname, v in variants.items():
                names = common if args.common else [n for n in images if keep(dataset(n)) and reaches(v, n)]
                if not names:
                    cells.append(f"{vname} —")
                    continue
                x = np.array([v[n][rate][args.roi] for n in names], dtype=float)
                cells.append(f"{vname} {x[:, 0].mean():+.2f} ({x[:, 1].mean():+.2f}) n={len(names)} "
                             f"{int((x[:, 0] >= 2.0).sum())}≥+2")
            print(f"  {rate} bpp: " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
