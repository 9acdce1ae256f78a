"""Person-mask construction rules scored by block coverage of the annotated people (issue 14, session 8).

Detection runs once per photo (faces and text as regions, persons as the tiled MediaPipe probability); each
rule then builds the ROI from them the way ``qualipress.roi.mask.analyse`` does (faces grown by their margin,
union, refinement, 8×8 blocks at a 50% share) and is scored with ``qualipress.roi.groundtruth.block_coverage``
on the 20 annotated photos (grid shifted 3 px as in ``roi_gt.py``). A rule is ``threshold`` (person
probability), ``fill`` (``none``; ``hull``: each person component's convex hull; ``rows``: per row, the span
between a component's leftmost and rightmost pixels; ``box``: the component's bounding box) and ``dilate``
(fraction of the shorter side, closing twice that), ``min_score`` (person components whose mean probability is
lower are dropped) and ``block_threshold`` (share of an 8×8 block the ROI needs). ``{"truth": true}`` (with
``"refine": true``: dilated and closed as detections are) scores the annotated masks themselves: on the masked
photos it shows what a perfect person segmentation covers of the annotated *boxes* (``box_coverage``).

    python benchmarks/roi_fill.py --tag fill1
    python benchmarks/roi_fill.py --rules '{"t0.5": {}, "hull": {"fill": "hull"}}'

Printed per group: coverage / outside / ROI share of the picture / share of the annotated persons found (half of
their own mask or box in ROI blocks). Writes results/roi/fill_<tag>.json (per photo and per group: all 20, the
12 with masks, the 8 box-only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roi_gt import load_pair
from roi_rd import DATA, OUT

KEYS = ("coverage", "box_coverage", "outside", "iou", "roi_fraction", "persons_found")
DEFAULT_RULES = {
    "t0.5 (default)": {},
    "t0.3": {"threshold": 0.3},
    "hull": {"fill": "hull"},
    "rows": {"fill": "rows"},
    "box": {"fill": "box"},
    "t0.3 hull": {"threshold": 0.3, "fill": "hull"},
    "d2%": {"dilate": 0.02},
    "hull d2%": {"fill": "hull", "dilate": 0.02},
}


def build(shape: tuple[int, int], prob: np.ndarray, others: list[Any], rule: dict[str, Any]) -> np.ndarray:
    """The refined boolean ROI of one rule."""
    from qualipress.detect import priority_map
    from qualipress.detect.regions import component_regions
    from qualipress.roi.mask import FACE_MARGIN, _grow, fill_person_regions, refine_priority

    persons = component_regions(prob > rule.get("threshold", 0.5), prob, "persons", "mediapipe-selfie",
                                min_area=0.0005)
    persons = [r for r in persons if r.score >= rule.get("min_score", 0.0)]
    fill = rule.get("fill", "none")
    if fill != "none":
        persons = fill_person_regions(persons, shape, fill, max_growth=rule.get("max_growth"))
    if rule.get("close_persons"):
        from dataclasses import replace

        import cv2

        c = max(1, round(rule["close_persons"] * min(shape)))
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * c + 1, 2 * c + 1))
        persons = [replace(r, mask=cv2.morphologyEx(r.mask.astype(np.uint8), cv2.MORPH_CLOSE, k).astype(bool))
                   for r in persons]
    regions = [_grow(r, FACE_MARGIN, shape) if r.label == "faces" else r for r in others] + persons
    pmap = priority_map(regions, shape)
    if not pmap.any():
        return pmap > 0
    dil = rule.get("dilate")
    if dil is None:
        return refine_priority(pmap) > 0
    d = max(2, round(dil * min(shape)))
    return refine_priority(pmap, dilate=d, close=2 * d) > 0


def truth_roi(truth: Any, rule: dict[str, Any]) -> np.ndarray:
    """A perfect segmentation: the annotated masks themselves (boxes where a person has none), refined by the
    library's rule when ``rule["refine"]``; what any person segmentation can score against boxes at best."""
    from qualipress.roi.mask import refine_mask

    return refine_mask(truth.mask) if rule.get("refine") else truth.mask


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", default=json.dumps(DEFAULT_RULES))
    ap.add_argument("--tag", default="")
    ap.add_argument("--grid-offset", type=int, default=3)
    ap.add_argument("--mcu", type=int, default=8)
    ap.add_argument("--block-threshold", type=float, default=0.5)
    args = ap.parse_args()

    from qualipress.detect import detect
    from qualipress.detect.persons import tiled_person_probability
    from qualipress.roi.groundtruth import block_coverage, load_person_truth
    from qualipress.roi.mask import block_levels

    rules = json.loads(args.rules)
    items = [(p, t) for p, t in sorted(load_person_truth(DATA / "people").items()) if t.persons > 0]
    per: dict[str, dict] = {}
    t0 = time.time()
    for path, truth0 in items:
        px, truth, _ = load_pair(path, truth0, args.grid_offset)
        shape = px.shape[:2]
        others = detect(px, ("faces", "text"))
        prob = tiled_person_probability(px, faces=[r for r in others if r.label == "faces"])  # as detect() does
        name = str(path.relative_to(DATA))
        per[name] = {"masked": truth.masked == truth.persons}
        for rname, rule in rules.items():
            roi = truth_roi(truth, rule) if rule.get("truth") else build(shape, prob, others, rule)
            mcu = (args.mcu, args.mcu)
            levels = block_levels(roi, mcu, threshold=rule.get("block_threshold", args.block_threshold))
            cov = {k: (0.0 if v is None else v) for k, v in block_coverage(levels, mcu, truth).items()}
            per[name][rname] = cov
        print(f"{name} " + " ".join(f"{r}: {per[name][r]['coverage']:.3f}/{per[name][r]['outside']:.3f}"
                                    for r in rules) + f" {time.time() - t0:.0f}s", flush=True)
    groups = {"all": list(per.values()), "masked": [v for v in per.values() if v["masked"]],
              "boxes_only": [v for v in per.values() if not v["masked"]]}
    summary: dict[str, dict] = {}
    for rname in rules:
        summary[rname] = {g: {k: round(float(np.mean([v[rname][k] for v in vs])), 4) for k in KEYS}
                          for g, vs in groups.items()}
        s = summary[rname]
        print(f"{rname:>24}: " + " | ".join(f"{g} {s[g]['coverage']:.3f}/{s[g]['outside']:.3f}/"
                                            f"{s[g]['roi_fraction']:.2f}/{s[g]['persons_found']:.2f}" for g in groups))
    OUT.mkdir(parents=True, exist_ok=True)
    tag = "fill" + (f"_{args.tag}" if args.tag else "")
    (OUT / f"{tag}.json").write_text(json.dumps({"command": "python benchmarks/roi_fill.py " + " ".join(sys.argv[1:]),
                                                 "rules": rules, "summary": summary, "images": per}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
