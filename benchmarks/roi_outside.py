"""Where the ROI blocks outside every annotated person come from, and rules that remove them (issue 14, session 10).

Detection runs once per photo and is split by where each person pixel came from: the whole image and the
half-side tiles (``coarse``), the quarter-side fine pass (``fine``, kept per tile) and the crops framed on faces
(``crops``); faces and text come as regions. Each rule then rebuilds the ROI as ``qualipress.roi.mask.analyse``
does (faces grown by their margin, union, refinement, 8×8 blocks at a 50 % share) and is scored with
``qualipress.roi.groundtruth.block_coverage`` (grid shifted 3 px as in ``roi_gt.py``).

Rule keys (all optional; ``{}`` is the library's default):

* ``threshold``: person probability of the coarse scales (default 0.5);
* ``fine_threshold``: probability the fine pass and the face crops need where the coarse scales stay under
  ``threshold`` (default: ``threshold``);
* ``tile_full``: a fine tile whose person share (probability > threshold) is above this is dropped when the
  coarse scales found less than ``tile_full_coarse`` × that share there (the selfie model marks a crowd tile
  as one square blob);
* ``min_score``: person components of lower mean probability dropped (default: the library's
  ``persons.MIN_MEAN``, 0.6 since session 10; 0 = session 9);
* ``no_fine`` / ``no_crops`` / ``no_text`` / ``no_faces``: leave that source out (attribution);
* ``dilate``: refinement dilation as a fraction of the shorter side (closing twice that);
* ``block_threshold``: share of an 8×8 block the ROI needs.

    python benchmarks/roi_outside.py --only clarifai,mmpose_testdata/coco --tag dev
    python benchmarks/roi_outside.py --rules '{"default": {}, "ft0.7": {"fine_threshold": 0.7}}'

Prints per photo the coverage / outside of each rule, and per group (all, masked, box-only) coverage / outside /
ROI share / persons found. Writes results/roi/outside_<tag>.json. Detections are cached under
results/roi/outside_cache/ (``--fresh`` recomputes them).
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
from roi_rd import DATA, OUT

DEFAULT_RULES = {
    "default": {},
    "no fine": {"no_fine": True},
    "no crops": {"no_crops": True},
    "no text": {"no_text": True},
    "no faces": {"no_faces": True},
    "dilate 0": {"dilate": 0.0},
}


def split_detection(px: np.ndarray) -> dict[str, Any]:
    """The person probability by source, the fine tiles' own outputs, faces and text (as ``detect`` runs them)."""
    from qualipress.detect import detect
    from qualipress.detect import persons as pm

    others = detect(px, ("faces", "text"))
    faces = [r for r in others if r.label == "faces"]
    h, w = px.shape[:2]
    coarse = np.zeros((h, w), np.float32)
    for k in pm.TILE_SCALES:
        if k <= 1:
            np.maximum(coarse, pm.person_probability(px), out=coarse)
        else:
            pm._max_into(coarse, px, pm._square_tiles((h, w), k, pm.TILE_OVERLAP), 0)
    fine_tiles = []
    for y, x, s in pm.fine_tiles(coarse, pm.FINE_SCALE):
        fine_tiles.append((y, x, s, pm.person_probability(np.ascontiguousarray(px[y : y + s, x : x + s]))))
    fine = np.zeros((h, w), np.float32)
    for y, x, s, p in fine_tiles:
        view = fine[y : y + s, x : x + s]
        np.maximum(view, p, out=view)
    both = np.maximum(coarse, fine)
    crops = np.zeros((h, w), np.float32)
    pm._max_into(crops, px, pm.face_crops(both, faces), 0)
    return {"coarse": coarse, "fine_tiles": fine_tiles, "crops": crops, "others": others}


def person_prob(det: dict[str, Any], rule: dict[str, Any]) -> np.ndarray:
    """The person probability map of one rule, with the fine and crop evidence mapped so that ``> threshold``
    keeps what the rule keeps."""
    t = rule.get("threshold", 0.5)
    ft = rule.get("fine_threshold", t)
    coarse = det["coarse"]
    h, w = coarse.shape
    fine = np.zeros((h, w), np.float32)
    if not rule.get("no_fine"):
        for y, x, s, p in det["fine_tiles"]:
            share = float((p > t).mean())
            if "tile_full" in rule and share > rule["tile_full"]:
                cshare = float((coarse[y : y + s, x : x + s] > t).mean())
                if cshare < rule.get("tile_full_coarse", 0.5) * share:
                    continue
            view = fine[y : y + s, x : x + s]
            np.maximum(view, p, out=view)
    extra = fine if rule.get("no_crops") else np.maximum(fine, det["crops"])
    if ft != t:  # extra evidence counts where it reaches ft; below, it cannot lift a pixel over t
        extra = np.where(extra > ft, extra, np.minimum(extra, t))
    return np.maximum(coarse, extra)


def build(shape: tuple[int, int], det: dict[str, Any], rule: dict[str, Any]) -> np.ndarray:
    """The refined boolean ROI of one rule."""
    from qualipress.detect.persons import MIN_MEAN
    from qualipress.detect.regions import component_regions

    prob = person_prob(det, rule)
    persons = component_regions(prob > rule.get("threshold", 0.5), prob, "persons", "mediapipe-selfie",
                                min_area=0.0005)
    persons = [r for r in persons if r.score >= rule.get("min_score", MIN_MEAN)]
    others = [r for r in det["others"]
              if not (rule.get("no_text") and r.label == "text") and not (rule.get("no_faces") and r.label == "faces")]
    return refined_roi(others + persons, shape, rule.get("dilate"))


def cached_detection(name: str, px: np.ndarray, fresh: bool) -> dict[str, Any]:
    """:func:`split_detection`, cached as a pickle under results/roi/outside_cache/."""
    import pickle

    cache = OUT / "outside_cache" / (name.replace("/", "__") + ".pkl")
    if cache.exists() and not fresh:
        return pickle.loads(cache.read_bytes())
    det = split_detection(px)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(det))
    return det


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", default=json.dumps(DEFAULT_RULES))
    ap.add_argument("--only", default="", help="comma-separated substrings of the image paths")
    ap.add_argument("--tag", default="")
    ap.add_argument("--grid-offset", type=int, default=3)
    ap.add_argument("--fresh", action="store_true", help="detect again instead of reading the cache")
    args = ap.parse_args()
    rules = json.loads(args.rules)
    per: dict[str, dict] = {}
    t0 = time.time()
    for path, truth0 in annotated_people(args.only):
        px, truth, _ = load_pair(path, truth0, args.grid_offset)
        name = str(path.relative_to(DATA))
        det = cached_detection(name, px, args.fresh)
        per[name] = {"masked": truth.masked == truth.persons}
        for rname, rule in rules.items():
            per[name][rname] = block_scores(build(px.shape[:2], det, rule), truth,
                                            threshold=rule.get("block_threshold", 0.5))
        print(f"{name[-40:]:>40} " + " ".join(f"{per[name][r]['coverage']:.3f}/{per[name][r]['outside']:.3f}"
                                             for r in rules) + f" {time.time() - t0:.0f}s", flush=True)
    summary = rule_summary(per, rules, width=28)
    write_result("outside", args.tag, {"rules": rules, "summary": summary, "images": per})
    return 0


if __name__ == "__main__":
    sys.exit(main())
