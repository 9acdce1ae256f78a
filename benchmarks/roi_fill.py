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
from roi_gt import annotated_people, block_scores, load_pair, refined_roi, rule_summary, write_result
from roi_rd import DATA

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
    from qualipress.detect.regions import component_regions
    from qualipress.roi.mask import fill_person_regions

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
    return refined_roi(others + persons, shape, rule.get("dilate"), min_dilate=2)


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

    rules = json.loads(args.rules)
    per: dict[str, dict] = {}
    t0 = time.time()
    for path, truth0 in annotated_people():
        px, truth, _ = load_pair(path, truth0, args.grid_offset)
        shape = px.shape[:2]
        others = detect(px, ("faces", "text"))
        prob = tiled_person_probability(px, faces=[r for r in others if r.label == "faces"])  # as detect() does
        name = str(path.relative_to(DATA))
        per[name] = {"masked": truth.masked == truth.persons}
        for rname, rule in rules.items():
            roi = truth_roi(truth, rule) if rule.get("truth") else build(shape, prob, others, rule)
            per[name][rname] = block_scores(roi, truth, args.mcu, rule.get("block_threshold", args.block_threshold))
        print(f"{name} " + " ".join(f"{r}: {per[name][r]['coverage']:.3f}/{per[name][r]['outside']:.3f}"
                                    for r in rules) + f" {time.time() - t0:.0f}s", flush=True)
    summary = rule_summary(per, rules, width=24)
    write_result("fill", args.tag, {"rules": rules, "summary": summary, "images": per})
    return 0


if __name__ == "__main__":
    sys.exit(main())
