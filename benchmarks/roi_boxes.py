"""What the ROI coverage figures measure on the box-only people photos (issue 14, session 11).

On the 8 photos annotated with person boxes only (AI Challenger, CrowdPose, PoseTrack) ``roi_gt.py --coverage-only``
scores the ROI blocks against the boxes. This script splits both of its figures into causes:

* **not covered** (annotated box pixels outside the ROI blocks): pixels that a box-seeded segmentation of each
  person (OpenCV GrabCut, started from the person's box, its visible keypoints marked as certain person, run on a
  crop around the box) calls background — what a box holds besides its person (floor between the legs, the
  desk in front of a sitter) — against estimated person pixels, split by the kind of person (:data:`PERSON_KINDS`:
  missed, small, cut off by the image edge, overlapped). The same estimate on the 12 photos with annotated person
  masks says how far it is from a drawn mask (IoU, person share of the boxes, the ROI's coverage of the estimate
  against its coverage of the mask, the uncovered pixels by kind by both); in boxes cut by the image edge GrabCut
  keeps the edge as person, hence a second reading with those uncovered pixels counted as background
  (``est_coverage_cut_off_as_background``). The share of the visible keypoints' discs in ROI blocks
  (``keypoint_coverage``) is a second check that needs no segmentation.
* **outside** (ROI blocks with no pixel in any annotated box), each block given to the first class it falls in:
  ``marked`` (a region the annotators marked as holding people they did not annotate: PoseTrack's ignore
  regions), ``unannotated`` (a box of a visibly unannotated person, drawn for this benchmark in
  ``roi_boxes_unannotated.json`` from looking at the photos), ``text`` and ``faces`` (blocks the detector's text or
  face regions alone would make ROI), and the rest, split into
  ``attached`` (groups of blocks touching an annotated box or a marked region: the segmentation running on past a
  person into its cast shadow or wheelchair, or the refinement's dilation) and ``apart`` (the person segmentation
  on something else: curtains, flowers, a planter).

Every block count is of 8×8 blocks on the grid shifted 3 px, as ``roi_gt.py`` scores. Detections are cached under
results/roi/boxes_cache/ (``--fresh`` recomputes them).

    python benchmarks/roi_boxes.py --tag r11
    python benchmarks/roi_boxes.py --only posetrack --crops /tmp/crops

Writes results/roi/boxes_<tag>.json (per photo and per group); ``--crops DIR`` also saves a picture per photo with
the classes drawn (green: boxes, orange: marked regions, cyan: unannotated people, red / violet: the other ROI
blocks outside).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roi_gt import load_pair
from roi_rd import DATA, OUT

UNANNOTATED = Path(__file__).resolve().parent / "roi_boxes_unannotated.json"
OUTSIDE_CLASSES = ("marked", "unannotated", "text", "faces", "attached", "apart")
MCU = (8, 8)
#: GrabCut runs on a crop around the box with this margin (fraction of the box side), its longer side scaled to at
#: most GRABCUT_SIDE pixels.
GRABCUT_MARGIN = 0.25
GRABCUT_SIDE = 320
GRABCUT_ITERATIONS = 5
#: Small crops are scaled up to GRABCUT_SIDE too (chosen on the 9 COCO photos: IoU of the estimate with the masks
#: 0.63 → 0.74, its coverage 91.4 → 93.5 % where the masks give 95.4 %; 480 px, margins 0.15 / 0.5 and 10
#: iterations no better).
GRABCUT_UPSCALE = True


def person_annotations(path: Path) -> tuple[list[list[float]], list[list[float]]]:
    """Boxes ``[x, y, w, h]`` and flat keypoint lists of the persons of one photo, from its annotation file."""
    from qualipress.roi.groundtruth import _image_path

    for jp in sorted((DATA / "people").rglob("*.json")):
        doc = json.loads(jp.read_text())
        if not isinstance(doc, dict) or "images" not in doc or "categories" not in doc:
            continue
        ids = {c["id"] for c in doc["categories"] if str(c.get("name", "")).lower() == "person"}
        for info in doc["images"]:
            if _image_path(jp, info["file_name"]) == path:
                anns = [a for a in doc["annotations"] if a["image_id"] == info["id"] and a.get("category_id") in ids
                        and a.get("bbox") and a["bbox"][2] > 0 and a["bbox"][3] > 0]
                return [a["bbox"] for a in anns], [a.get("keypoints") or [] for a in anns]
    raise SystemExit(f"{path}: no annotation file lists it")


def person_planes(shape: tuple[int, int], boxes: list[list[float]], keypoints: list[list[float]],
                  posetrack: bool) -> list[np.ndarray]:
    """Per person a uint8 plane: 1 in its box, 2 on its visible keypoints (discs of 2 % of the box height).

    Visible: COCO's flag 2 (1 = labelled but hidden); PoseTrack flags every labelled keypoint 1.
    """
    out = []
    for (x, y, w, h), kp in zip(boxes, keypoints, strict=True):
        plane = np.zeros(shape, np.uint8)
        x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
        x1, y1 = min(shape[1], int(np.ceil(x + w))), min(shape[0], int(np.ceil(y + h)))
        plane[y0:y1, x0:x1] = 1
        r = max(2, round(0.02 * h))
        for kx, ky, v in zip(kp[0::3], kp[1::3], kp[2::3], strict=True):
            if (v >= 1 if posetrack else v >= 2) and 0 <= ky < shape[0] and 0 <= kx < shape[1]:
                cv2.circle(plane, (round(kx), round(ky)), r, 2, -1)
        plane[:y0] = plane[y1:] = 0
        plane[:, :x0] = plane[:, x1:] = 0
        out.append(plane)
    return out


def grabcut_person(rgb: np.ndarray, plane: np.ndarray) -> np.ndarray:
    """Box-seeded GrabCut of one person: bool ``(H, W)``, inside its box only."""
    ys, xs = np.nonzero(plane)
    if not len(ys):
        return np.zeros(plane.shape, bool)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    my, mx = round(GRABCUT_MARGIN * (y1 - y0)), round(GRABCUT_MARGIN * (x1 - x0))
    cy0, cy1 = max(0, y0 - my), min(plane.shape[0], y1 + my)
    cx0, cx1 = max(0, x0 - mx), min(plane.shape[1], x1 + mx)
    crop, seeds = rgb[cy0:cy1, cx0:cx1], plane[cy0:cy1, cx0:cx1]
    scale = GRABCUT_SIDE / max(crop.shape[:2])
    if not GRABCUT_UPSCALE:
        scale = min(1.0, scale)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    resized = scale != 1
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR) if resized else crop
    seeds = cv2.resize(seeds, size, interpolation=cv2.INTER_NEAREST) if resized else seeds
    gc = np.full(seeds.shape, cv2.GC_BGD, np.uint8)
    gc[seeds >= 1] = cv2.GC_PR_FGD
    gc[seeds == 2] = cv2.GC_FGD
    if (gc == cv2.GC_BGD).sum() < 16 or not (gc != cv2.GC_BGD).any():  # box fills the crop: nothing to learn from
        return plane > 0
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # GrabCut starts its colour models with k-means: the same start every run
    cv2.grabCut(np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_RGB2BGR)), gc, None, bgd, fgd,
                GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    fg = ((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)).astype(np.uint8)
    if resized:
        fg = cv2.resize(fg, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_NEAREST)
    out = np.zeros(plane.shape, bool)
    out[cy0:cy1, cx0:cx1] = fg > 0
    return out & (plane > 0)


def detection(name: str, px: np.ndarray, fresh: bool) -> dict[str, Any]:
    """The default refined ROI mask and its regions (cached)."""
    from qualipress.io import as_image
    from qualipress.roi.mask import analyse

    cache = OUT / "boxes_cache" / (name.replace("/", "__") + ".pkl")
    if cache.exists() and not fresh:
        return pickle.loads(cache.read_bytes())
    an = analyse(as_image(px), ["faces", "persons", "text"])
    det = {"mask": an.mask, "regions": an.regions}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(det))
    return det


def label_blocks(regions: list[Any], label: str, shape: tuple[int, int]) -> np.ndarray:
    """Blocks that the regions of one class alone make ROI (grown and refined as ``analyse`` does)."""
    from qualipress.detect import priority_map
    from qualipress.roi.mask import FACE_MARGIN, _grow, block_levels, refine_priority

    regs = [(_grow(r, FACE_MARGIN, shape) if label == "faces" else r) for r in regions if r.label == label]
    if not regs:
        return np.zeros((-(-shape[0] // MCU[0]), -(-shape[1] // MCU[1])), bool)
    return block_levels(refine_priority(priority_map(regs, shape)) > 0, MCU) > 0


def boxes_mask(shape: tuple[int, int], boxes: list[list[float]]) -> np.ndarray:
    m = np.zeros(shape, bool)
    for x, y, w, h in boxes:
        m[max(0, int(y)) : max(0, int(y + h)), max(0, int(x)) : max(0, int(x + w))] = True
    return m


def load_photo(path: Path, truth0: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """Pixels (grid shifted 3 px, upright), the truth, each person's box and keypoint discs and the drawn boxes of
    unannotated people, all in one frame."""
    from qualipress.roi.groundtruth import PersonTruth

    name = str(path.relative_to(DATA))
    boxes, kps = person_annotations(path)
    planes = person_planes(truth0.shape, boxes, kps, "posetrack" in name)
    unann = boxes_mask(truth0.shape, extra.get(name, {}).get("boxes", []))
    # the per-person planes and the drawn boxes ride along as areas, so they follow orientation and crop
    carrier = PersonTruth(truth0.boxes, truth0.mask, truth0.persons, truth0.masked,
                          [*truth0.areas, *(p.astype(bool) for p in planes), *(p == 2 for p in planes), unann],
                          truth0.ignore)
    px, moved, _ = load_pair(path, carrier, 3)
    n = truth0.persons
    return {"name": name, "px": px,
            "truth": PersonTruth(moved.boxes, moved.mask, n, truth0.masked, moved.areas[:n], moved.ignore),
            "box_i": moved.areas[n : 2 * n], "seed_i": moved.areas[2 * n : 3 * n], "unannotated": moved.areas[3 * n]}


#: Kinds of annotated person, first match wins: not found (under half of the box in ROI blocks), small (box under
#: SMALL of the image height), cut off (box within 2 pixels of the image edge), overlapped (over OVERLAPPED of the box
#: inside other persons' boxes), and the rest.
PERSON_KINDS = ("missed", "small", "cut_off", "overlapped", "whole")
SMALL = 0.1
OVERLAPPED = 0.25


def person_kinds(box_i: list[np.ndarray], found: list[bool], shape: tuple[int, int]) -> list[str]:
    """The kind of each annotated person (:data:`PERSON_KINDS`) from its box."""
    out = []
    for i, (b, f) in enumerate(zip(box_i, found, strict=True)):
        ys, xs = np.nonzero(b)
        if not len(ys):
            out.append("whole")
            continue
        others = np.zeros(shape, bool)
        for j, o in enumerate(box_i):
            if j != i:
                others |= o
        edge = ys.min() <= 2 or xs.min() <= 2 or ys.max() >= shape[0] - 3 or xs.max() >= shape[1] - 3
        out.append("missed" if not f else "small" if ys.max() - ys.min() + 1 < SMALL * shape[0]
                   else "cut_off" if edge else "overlapped" if (b & others).sum() > OVERLAPPED * b.sum() else "whole")
    return out


def not_covered(photo: dict[str, Any], roi: np.ndarray) -> dict[str, Any]:
    """Box pixels outside the ROI blocks split by the box-seeded estimate of each person (in blocks of 64 pixels),
    the estimate's own coverage and, where masks exist, how far it is from them."""
    truth, px = photo["truth"], photo["px"]
    est_i = [grabcut_person(px, b.astype(np.uint8) + s.astype(np.uint8))
             for b, s in zip(photo["box_i"], photo["seed_i"], strict=True)]
    est, missed, seeds = (np.zeros(truth.shape, bool) for _ in range(3))
    found = [bool((roi & b).sum() >= 0.5 * b.sum()) for b in photo["box_i"]]
    for e, f, k in zip(est_i, found, photo["seed_i"], strict=True):
        est |= e
        seeds |= k
        if not f:
            missed |= e
    box_px = truth.boxes
    unc = box_px & ~roi
    # the estimated person pixels not covered, each given to the first kind of person it belongs to
    kinds = person_kinds(photo["box_i"], found, truth.shape)
    left = unc & est
    by_kind: dict[str, int] = {}
    for kind in PERSON_KINDS:
        take = np.zeros(truth.shape, bool)
        for e, k in zip(est_i, kinds, strict=True):
            if k == kind:
                take |= e & left
        by_kind[kind] = int(take.sum())
        left &= ~take
    rec: dict[str, Any] = {
        "persons_missed": int(sum(not f for f in found)),
        "est_share_of_boxes": float(est.sum() / box_px.sum()),
        "est_coverage": float((roi & est).sum() / max(1, est.sum())),
        "uncovered_box_blocks": round(float(unc.sum()) / 64, 1),
        "uncovered_est_background_blocks": round(float((unc & ~est).sum()) / 64, 1),
        "uncovered_est_person_blocks": round(float((unc & est).sum()) / 64, 1),
        "uncovered_missed_person_blocks": round(float((unc & missed).sum()) / 64, 1),
        "uncovered_est_person_blocks_by_kind": {k: round(v / 64, 1) for k, v in by_kind.items()},
        # on the masked photos the estimate keeps background at the frame edge of cut-off boxes (GrabCut has no
        # background there to learn from): the coverage with those uncovered pixels counted as background instead
        "est_coverage_cut_off_as_background": float((roi & est).sum() / max(1, est.sum() - by_kind["cut_off"])),
        "persons_by_kind": {kind: kinds.count(kind) for kind in PERSON_KINDS},
    }
    if seeds.any():  # the visible keypoints: points on the person that need no segmentation at all
        rec["keypoint_coverage"] = float((roi & seeds).sum() / seeds.sum())
    if truth.masked == truth.persons and len(truth.areas) == len(kinds):  # the same split by the drawn masks
        left = unc.copy()
        rec["uncovered_mask_blocks_by_kind"] = {}
        for kind in PERSON_KINDS:
            take = np.zeros(truth.shape, bool)
            for a, k in zip(truth.areas, kinds, strict=True):
                if k == kind:
                    take |= a & left
            rec["uncovered_mask_blocks_by_kind"][kind] = round(float(take.sum()) / 64, 1)
            left &= ~take
    if truth.masked:
        m = truth.mask
        rec["est_iou_with_masks"] = float((est & m).sum() / max(1, (est | m).sum()))
        rec["mask_share_of_boxes"] = float((m & box_px).sum() / box_px.sum())
    return rec


def outside_classes(photo: dict[str, Any], levels: np.ndarray, regions: list[Any]) -> dict[str, np.ndarray]:
    """The ROI blocks with no pixel in an annotated box, each given to the first class of :data:`OUTSIDE_CLASSES`
    it falls in."""
    from qualipress.roi.mask import coverage

    truth = photo["truth"]
    in_box = coverage(truth.boxes, MCU) > 0
    left = (levels > 0) & ~in_box
    ign = coverage(truth.ignore, MCU) > 0 if truth.ignore is not None else np.zeros_like(left)
    classes: dict[str, np.ndarray] = {}
    for cname, blocks in (("marked", ign), ("unannotated", coverage(photo["unannotated"], MCU) >= 0.5),
                          ("text", label_blocks(regions, "text", truth.shape)),
                          ("faces", label_blocks(regions, "faces", truth.shape))):
        classes[cname] = left & blocks
        left = left & ~blocks
    # the rest: connected groups of blocks that touch the blocks next to an annotated box or a marked region
    # (the segmentation running on past a person: cast shadows, wheelchairs, the refinement's dilation) or not
    near = cv2.dilate((in_box | ign).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    _, groups = cv2.connectedComponents(left.astype(np.uint8), connectivity=8)
    touching = np.unique(groups[left & near])
    attached = left & np.isin(groups, touching[touching > 0])
    classes["attached"], classes["apart"] = attached, left & ~attached
    return classes


def summarise(per: dict[str, dict]) -> dict[str, dict]:
    """Means over photos (coverage figures, each class's share of the ROI blocks) and block sums, per group."""
    groups = {"all": list(per.values()), "masked": [v for v in per.values() if v["masked"]],
              "boxes_only": [v for v in per.values() if not v["masked"]]}
    summary: dict[str, dict] = {}
    for g, vs in groups.items():
        if not vs:
            continue
        s: dict[str, Any] = {"images": len(vs)}
        for k in ("coverage", "box_coverage", "est_coverage", "est_coverage_cut_off_as_background",
                  "keypoint_coverage", "est_share_of_boxes", "outside",
                  "outside_unmarked", "persons_found", "est_iou_with_masks", "mask_share_of_boxes"):
            vals = [v[k] for v in vs if v.get(k) is not None]
            if vals:
                s[k] = round(float(np.mean(vals)), 4)
        s["outside_blocks"] = {c: int(sum(v["outside_blocks"][c] for v in vs)) for c in OUTSIDE_CLASSES}
        s["roi_blocks"] = int(sum(v["roi_blocks"] for v in vs))
        # mean per photo of each class's share of the ROI blocks (the way "outside" is averaged)
        s["outside_share"] = {c: round(float(np.mean([v["outside_blocks"][c] / max(1, v["roi_blocks"])
                                                       for v in vs])), 4) for c in OUTSIDE_CLASSES}
        for k in ("uncovered_box_blocks", "uncovered_est_background_blocks", "uncovered_est_person_blocks",
                  "uncovered_missed_person_blocks", "box_blocks"):
            s[k] = round(float(sum(v[k] for v in vs)), 1)
        s["uncovered_est_person_blocks_by_kind"] = {
            kind: round(float(sum(v["uncovered_est_person_blocks_by_kind"][kind] for v in vs)), 1)
            for kind in PERSON_KINDS}
        s["persons_by_kind"] = {kind: int(sum(v["persons_by_kind"][kind] for v in vs)) for kind in PERSON_KINDS}
        drawn = [v["uncovered_mask_blocks_by_kind"] for v in vs if "uncovered_mask_blocks_by_kind" in v]
        if drawn:
            s["uncovered_mask_blocks_by_kind"] = {kind: round(float(sum(d[kind] for d in drawn)), 1)
                                                  for kind in PERSON_KINDS}
        summary[g] = s
    return summary


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="comma-separated substrings of the image paths")
    ap.add_argument("--tag", default="")
    ap.add_argument("--fresh", action="store_true", help="detect again instead of reading the cache")
    ap.add_argument("--crops", type=Path, default=None, help="save a picture of the classes per photo here")
    args = ap.parse_args()

    from qualipress.roi.groundtruth import block_coverage, load_person_truth
    from qualipress.roi.mask import block_levels, coverage, expand_blocks

    extra = json.loads(UNANNOTATED.read_text())["photos"]
    items = [(p, t) for p, t in sorted(load_person_truth(DATA / "people").items()) if t.persons > 0]
    if args.only:
        items = [(p, t) for p, t in items if any(o in str(p) for o in args.only.split(","))]
    per: dict[str, dict] = {}
    t0 = time.time()
    for path, truth0 in items:
        photo = load_photo(path, truth0, extra)
        name, truth = photo["name"], photo["truth"]
        det = detection(name, photo["px"], args.fresh)
        levels = block_levels(det["mask"], MCU)
        roi = expand_blocks(levels > 0, MCU, truth.shape).astype(bool)
        cov = block_coverage(levels, MCU, truth)
        classes = outside_classes(photo, levels, det["regions"])
        rec: dict[str, Any] = {
            "masked": truth.masked == truth.persons, "persons": truth.persons,
            **{k: cov[k] for k in ("coverage", "box_coverage", "outside", "outside_unmarked", "persons_found")},
            "box_blocks": int((coverage(truth.boxes, MCU) > 0).sum()), **not_covered(photo, roi),
            "roi_blocks": int((levels > 0).sum()), "outside_blocks": {c: int(b.sum()) for c, b in classes.items()},
        }
        per[name] = rec
        mask_note = (f", iou {rec['est_iou_with_masks']:.2f}, mask share {rec['mask_share_of_boxes']:.2f}"
                     if truth.masked else "")
        print(f"{name[-44:]:>44} cov {cov['coverage']:.3f} box {cov['box_coverage']:.3f} est "
              f"{rec['est_coverage']:.3f} (share {rec['est_share_of_boxes']:.2f}{mask_note}) "
              f"kp {rec.get('keypoint_coverage', float('nan')):.3f} outside {cov['outside']:.3f}: "
              + " ".join(f"{c} {rec['outside_blocks'][c]}" for c in OUTSIDE_CLASSES)
              + f" of {rec['roi_blocks']} | {time.time() - t0:.0f}s", flush=True)
        if args.crops is not None:
            save_picture(args.crops / (name.replace("/", "__") + ".png"), photo["px"], truth, photo["unannotated"],
                         classes, levels)
    summary = summarise(per)
    for g, s in summary.items():
        print(g, json.dumps(s))
    OUT.mkdir(parents=True, exist_ok=True)
    tag = "boxes" + (f"_{args.tag}" if args.tag else "")
    (OUT / f"{tag}.json").write_text(json.dumps({"command": "python benchmarks/roi_boxes.py " + " ".join(sys.argv[1:]),
                                                 "summary": summary, "images": per}, indent=1))
    return 0


def save_picture(path: Path, px: np.ndarray, truth: Any, unann: np.ndarray, classes: dict[str, np.ndarray],
                 levels: np.ndarray) -> None:
    """The photo with ROI blocks tinted, outside blocks by class, boxes, marked regions and drawn boxes outlined."""
    from qualipress.roi.mask import expand_blocks

    shape = truth.shape
    vis = px.astype(np.float32)
    roi = expand_blocks(levels > 0, MCU, shape).astype(bool)
    vis[roi] = 0.75 * vis[roi] + 0.25 * np.array([255.0, 255.0, 0.0])
    colours = {"marked": (255, 140, 0), "unannotated": (0, 255, 255), "text": (255, 0, 255), "faces": (0, 0, 255),
               "attached": (255, 0, 0), "apart": (128, 0, 255)}
    for c, blocks in classes.items():
        m = expand_blocks(blocks, MCU, shape).astype(bool)
        vis[m] = 0.5 * vis[m] + 0.5 * np.array(colours[c], np.float64)
    vis = np.ascontiguousarray(vis.astype(np.uint8))
    for plane, colour in ((truth.boxes, (0, 255, 0)), (unann, (0, 255, 255)),
                          (truth.ignore if truth.ignore is not None else np.zeros(shape, bool), (255, 140, 0))):
        cnt, _ = cv2.findContours(plane.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(vis, cnt, -1, colour, 2)
    scale = min(1.0, 1000 / max(shape))
    if scale < 1:
        vis = cv2.resize(vis, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(vis, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    sys.exit(main())
