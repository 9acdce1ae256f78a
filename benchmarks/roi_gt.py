"""jpeg-roi scored on annotated people (ground truth), against Pillow with optimised Huffman tables and others.

Images: every people photo whose COCO-style annotation file outlines persons (``qualipress.roi.groundtruth``:
COCO and OCHuman masks, CrowdPose / AI Challenger / PoseTrack boxes; 20 images with persons). For each image
and codec a quality sweep is encoded, decoded and measured, and PSNR (over RGB samples) is taken on three ROI
definitions, each with its complement as background:

* ``mask``: the annotated person masks (boxes for persons without a mask),
* ``box``: the annotated person boxes,
* ``det``: the tool's own refined detections (faces, persons, text by default).

``mask_y`` is the ``mask`` ROI scored on BT.601 luma instead of the RGB samples (the issue does not say which;
the figures quoted in the docs are RGB).

Codecs: ``pillow-opt`` (Pillow 4:2:0, ``optimize=True``: the anchor, since jpeg-roi optimises its Huffman
tables too), ``pillow`` (default tables), ``turbo-420`` (libjpeg-turbo through imagecodecs, optimised),
``jpegli`` and the jpeg-roi variants (``--variants``, default: the codec's defaults on the detected ROI, and the
same encoder given the annotated masks, i.e. perfect detection). Per image each metric is interpolated at
0.5 / 0.8 / 1.0 bpp (linear in log bpp, inside the measured range only); gains are differences to
``pillow-opt`` averaged over the images where both reach the rate.

Block coverage of every jpeg-roi variant's ROI blocks against the annotation (``block_coverage``): share of
annotated person pixels in ROI blocks, share of ROI blocks outside every person box, IoU.

Sources are JPEGs: ``--grid-offset 3`` (default) crops 3 px from the top and left (annotations follow) so that
re-encoding does not land on the source's own 8×8 grid. EXIF orientation: when a file has an orientation
tag that ``read_image`` did not apply, the pixels are turned upright here and the annotations follow them, so
detection, annotation and scoring share one frame.

    python benchmarks/roi_gt.py                    # all 20 annotated images, grid shifted 3 px
    python benchmarks/roi_gt.py --only coco,ochuman --tag quick
    python benchmarks/roi_gt.py --variants '{"r30": {"ratio": 0.3}}' --tag r30

Writes results/roi/gt_<tag>.json (rows, per-image values, summary).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roi_rd import DATA, OUT, RATES, interp

UNIFORM_Q = [5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95]
ROI_Q = [10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100]
ANCHOR = "pillow-opt"
#: Block-coverage figures averaged over images (``qualipress.roi.groundtruth.block_coverage``).
COVERAGE_KEYS = ("coverage", "box_coverage", "outside", "outside_unmarked", "iou", "roi_fraction", "persons_found")
DEFAULT_VARIANTS = '{"jpeg-roi": {}, "jpeg-roi-truth": {"truth": true}}'


def load_pair(path: Path, truth: Any, grid_offset: int) -> tuple[np.ndarray, Any, int]:
    """Upright 8-bit RGB pixels and the annotation in the same frame; returns (pixels, truth, orientation)."""
    from PIL import Image as PILImage

    from qualipress.io import read_image
    from qualipress.roi.groundtruth import apply_orientation

    with PILImage.open(path) as im:
        orientation = int(im.getexif().get(0x0112, 1) or 1)
        stored = np.asarray(im.convert("RGB"))
    img = read_image(path)
    px = img.pixels
    if img.n_channels != 3 or img.bit_depth != 8:
        px = np.repeat(img.color().pixels[..., :1], 3, 2)
    if orientation != 1:
        if px.shape == stored.shape and np.array_equal(px, stored):
            px = apply_orientation(px, orientation)  # read_image kept the stored frame: turn it here
        truth = truth.oriented(orientation)
    if px.shape[:2] != truth.shape:
        raise SystemExit(f"{path}: pixels {px.shape[:2]} and annotation {truth.shape} disagree")
    if grid_offset:
        px = px[grid_offset:, grid_offset:]
        truth = truth.cropped(grid_offset, grid_offset)
    return np.ascontiguousarray(px), truth, orientation


def annotated_people(only: str = "") -> list[tuple[Path, Any]]:
    """``(path, annotation)`` of every annotated people photo with persons, by path; ``only``: comma-separated
    substrings of the paths, one of which a photo's must contain (empty: every photo)."""
    from qualipress.roi.groundtruth import load_person_truth

    items = [(p, t) for p, t in sorted(load_person_truth(DATA / "people").items()) if t.persons > 0]
    if only:
        items = [(p, t) for p, t in items if any(o in str(p) for o in only.split(","))]
    return items


def block_scores(roi: np.ndarray, truth: Any, mcu: int = 8, threshold: float = 0.5) -> dict[str, float]:
    """``block_coverage`` of the ``mcu`` × ``mcu`` blocks that hold at least ``threshold`` of ROI pixels, a figure
    that cannot be computed (``None``) given as 0."""
    from qualipress.roi.groundtruth import block_coverage
    from qualipress.roi.mask import block_levels

    levels = block_levels(roi, (mcu, mcu), threshold=threshold)
    return {k: (0.0 if v is None else v) for k, v in block_coverage(levels, (mcu, mcu), truth).items()}


def by_group(per: dict[str, dict]) -> dict[str, list[dict]]:
    """Per-photo values (each with ``masked``: every person outlined by a mask) in the groups the ROI scripts
    average over: ``all``, ``masked``, ``boxes_only``."""
    return {"all": list(per.values()), "masked": [v for v in per.values() if v["masked"]],
            "boxes_only": [v for v in per.values() if not v["masked"]]}


def rule_summary(per: dict[str, dict], rules: dict[str, Any], width: int) -> dict[str, dict]:
    """Per rule and group (:func:`by_group`, empty groups left out) the mean of each of :data:`COVERAGE_KEYS`,
    printed one line a rule (rule names right-aligned in ``width``) as coverage / outside / ROI share / persons
    found."""
    summary: dict[str, dict] = {}
    for rname in rules:
        summary[rname] = {g: {k: round(float(np.mean([v[rname][k] for v in vs])), 4) for k in COVERAGE_KEYS}
                          for g, vs in by_group(per).items() if vs}
        s = summary[rname]
        print(f"{rname:>{width}}: " + " | ".join(f"{g} {s[g]['coverage']:.3f}/{s[g]['outside']:.3f}/"
                                                 f"{s[g]['roi_fraction']:.2f}/{s[g]['persons_found']:.2f}" for g in s))
    return summary


def refined_roi(regions: list[Any], shape: tuple[int, int], dilate: float | None, *, min_dilate: int = 0) -> np.ndarray:
    """The boolean ROI of detected ``regions`` as ``qualipress.roi.mask.analyse`` builds it: faces grown by their
    margin, the priority map, refined with the library's dilation (``dilate`` None) or with ``dilate`` × the
    shorter side in pixels (at least ``min_dilate``; closing twice that)."""
    from qualipress.detect import priority_map
    from qualipress.roi.mask import FACE_MARGIN, _grow, refine_priority

    pmap = priority_map([_grow(r, FACE_MARGIN, shape) if r.label == "faces" else r for r in regions], shape)
    if not pmap.any():
        return pmap > 0
    if dilate is None:
        return refine_priority(pmap) > 0
    d = max(min_dilate, round(dilate * min(shape)))
    return refine_priority(pmap, dilate=d, close=2 * d) > 0


def write_result(name: str, tag: str, payload: dict[str, Any]) -> None:
    """``payload`` after the command that made it, as results/roi/``name``[_``tag``].json."""
    OUT.mkdir(parents=True, exist_ok=True)
    command = f"python benchmarks/{Path(sys.argv[0]).name} " + " ".join(sys.argv[1:])
    (OUT / f"{name}{f'_{tag}' if tag else ''}.json").write_text(json.dumps({"command": command, **payload}, indent=1))


def uniform_codecs() -> dict[str, Any]:
    import imagecodecs
    import pyjpegli
    from PIL import Image as PILImage

    def pillow(optimize: bool):
        def enc(px: np.ndarray, q: int) -> bytes:
            buf = io.BytesIO()
            PILImage.fromarray(px).save(buf, "JPEG", quality=q, optimize=optimize, subsampling="4:2:0")
            return buf.getvalue()

        return enc

    return {
        ANCHOR: pillow(True),
        "pillow": pillow(False),
        "turbo-420": lambda px, q: bytes(imagecodecs.jpeg8_encode(px, level=q, subsampling="420", optimize=True)),
        "jpegli": lambda px, q: bytes(pyjpegli.encode(px.tobytes(), px.shape[1], px.shape[0], int(q))),
    }


#: BT.601 luma weights, for the luma-only PSNR reported next to the RGB one (``mask_y``).
LUMA = np.array([0.299, 0.587, 0.114])


def psnr_rows(ref: np.ndarray, dec: np.ndarray, masks: dict[str, np.ndarray]) -> dict[str, float]:
    """PSNR over RGB samples on each ROI and its complement (``<name>_roi``, ``<name>_bg``) and the whole; for
    the ``mask`` ROI also over BT.601 luma (``mask_y_roi``, ``mask_y_bg``)."""
    diff = ref.astype(np.float64) - dec.astype(np.float64)
    err = (diff**2).sum(axis=2)
    out = {"whole": _psnr(err.sum(), err.size * 3)}
    for name, m in masks.items():
        if m.any():
            out[f"{name}_roi"] = _psnr(err[m].sum(), m.sum() * 3)
        if (~m).any():
            out[f"{name}_bg"] = _psnr(err[~m].sum(), (~m).sum() * 3)
    if "mask" in masks and diff.shape[2] == 3:
        ey = (diff @ LUMA) ** 2
        m = masks["mask"]
        if m.any():
            out["mask_y_roi"] = _psnr(ey[m].sum(), m.sum())
        if (~m).any():
            out["mask_y_bg"] = _psnr(ey[~m].sum(), (~m).sum())
    return out


def _psnr(sse: float, n: int) -> float:
    mse = sse / n
    return 99.0 if mse <= 1e-12 else float(10 * np.log10(255.0**2 / mse))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--roi", default="faces,persons,text", help="detector classes of the detected ROI")
    ap.add_argument("--variants", default=DEFAULT_VARIANTS,
                    help="JSON: name -> encode_roi options, plus 'ratio' (background = ratio x ROI quality), "
                         "'truth' (encode with the annotated masks instead of detections), 'uniform' (no ROI: "
                         "the jpeg-roi encoder as a plain JPEG) and 'bg_step_cap' (background steps at most this "
                         "many times the ROI's, on top of the adapted mapping) and 'analyse' (keyword arguments of "
                         "qualipress.roi.mask.analyse for this variant's detected ROI, e.g. person_fill)")
    ap.add_argument("--only", default="", help="comma-separated substrings of the image paths")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--grid-offset", type=int, default=3)
    ap.add_argument("--no-uniform", action="store_true", help="jpeg-roi variants and the anchor only")
    ap.add_argument("--tag", default="")
    ap.add_argument("--dense", action="store_true",
                    help="quality sweeps in steps of 5 instead of 10 (checks the equal-bpp interpolation)")
    ap.add_argument("--coverage-only", action="store_true", help="block coverage of the detected ROI, no encoding")
    ap.add_argument("--dilate", type=float, default=None,
                    help="refinement dilation as a fraction of the shorter side (default: the library's 1%%)")
    ap.add_argument("--block-threshold", type=float, default=0.5, help="ROI share a block needs (coverage)")
    ap.add_argument("--mcu", type=int, default=8, help="block size of the coverage map: 8 (4:4:4) or 16 (4:2:0)")
    ap.add_argument("--scales", default="", help="person tile scales, e.g. 1 (whole image only) or 1,2 (default)")
    ap.add_argument("--overlap", type=float, default=None, help="person tile overlap (default: the library's)")
    ap.add_argument("--person-threshold", type=float, default=None,
                    help="person probability threshold (default: the library's 0.5)")
    ap.add_argument("--fine-scale", type=int, default=None,
                    help="scale of the person fine pass (default: the library's 4; 0 = no fine pass)")
    ap.add_argument("--person-min-mean", type=float, default=None,
                    help="smallest mean probability of a kept person component (default: the library's 0.6; "
                         "0 = session 9 and before)")
    ap.add_argument("--no-face-crops", action="store_true",
                    help="person segmentation without the crops framed on unexplained faces (session 8 and before)")
    args = ap.parse_args()
    if args.no_face_crops:
        from qualipress.detect import api

        api.FACE_HINTED = frozenset()
    if (args.scales or args.overlap is not None or args.person_threshold is not None or args.fine_scale is not None
            or args.person_min_mean is not None):
        from functools import partial

        from qualipress.detect import api, persons

        tiles: dict[str, Any] = {}
        if args.scales:
            tiles["scales"] = tuple(int(k) for k in args.scales.split(","))
        if args.overlap is not None:
            tiles["overlap"] = args.overlap
        if args.person_threshold is not None:
            tiles["threshold"] = args.person_threshold
        if args.fine_scale is not None:
            tiles["fine_scale"] = args.fine_scale or None
        if args.person_min_mean is not None:
            tiles["min_mean"] = args.person_min_mean
        api.BACKENDS["persons"]["mediapipe"] = partial(persons.detect_persons_mediapipe, **tiles)
    if args.coverage_only:
        return coverage_only(args)

    import imagecodecs

    from qualipress.io import as_image
    from qualipress.metrics import measure
    from qualipress.roi import RoiJpegCodec
    from qualipress.roi.groundtruth import block_coverage
    from qualipress.roi.mask import analyse

    items = annotated_people(args.only)
    if args.limit:
        items = items[: args.limit]
    if not items:
        print(f"no annotated people under {DATA / 'people'}", file=sys.stderr)
        return 1
    variants = json.loads(args.variants)
    uniform = uniform_codecs()
    if args.no_uniform:
        uniform = {ANCHOR: uniform[ANCHOR]}
    classes = [c for c in args.roi.split(",") if c]
    uniform_q = sorted({*UNIFORM_Q, *range(15, 100, 10)}) if args.dense else UNIFORM_Q
    roi_q = sorted({*ROI_Q, *range(15, 100, 10)}) if args.dense else ROI_Q
    codec = RoiJpegCodec()
    rows: list[dict] = []
    per_image: dict[str, dict] = {}
    t0 = time.time()
    for i, (path, truth0) in enumerate(items):
        name = str(path.relative_to(DATA))
        px, truth, orientation = load_pair(path, truth0, args.grid_offset)
        img = as_image(px)
        an = analyse(img, classes)
        masks = {"mask": truth.mask, "box": truth.boxes, "det": an.mask}
        truth_an = analyse(img, None, roi_mask=truth.mask)
        empty_an = analyse(img, None)
        info: dict[str, Any] = {
            "size": [img.width, img.height], "orientation": orientation, "persons": truth.persons,
            "masked": truth.masked, "mask_fraction": float(truth.mask.mean()),
            "box_fraction": float(truth.boxes.mean()), "det_fraction": float(an.mask.mean()),
            "det_seconds": an.seconds, "coverage": {},
        }
        check_done = False
        for cname, enc in uniform.items():
            for q in uniform_q:
                data = enc(px, q)
                dec = imagecodecs.jpeg8_decode(data)
                vals = psnr_rows(px, dec, masks)
                if not check_done:  # the fast masked PSNR agrees with qualipress.metrics
                    ref = measure(px, dec, ("psnr",), mask=truth.mask)["psnr"].value
                    assert abs(ref - vals["mask_roi"]) < 0.05, (ref, vals["mask_roi"])
                    check_done = True
                rows.append({"image": name, "codec": cname, "q": q, "bytes": len(data),
                             "bpp": 8 * len(data) / (img.width * img.height), **vals})
        for vname, opts in variants.items():
            opts = dict(opts)
            ratio = opts.pop("ratio", None)
            step_cap = opts.pop("bg_step_cap", None)  # background steps at most this many times the ROI's
            step_min = opts.pop("bg_min_step", None)  # ... and at least this many times (adapted mapping)
            use_truth = bool(opts.pop("truth", False))
            uniform_roi = bool(opts.pop("uniform", False))  # no ROI at all: the encoder's own uniform JPEG
            an_opts = opts.pop("analyse", None)  # another mask construction for this variant
            analysis = empty_an if uniform_roi else truth_an if use_truth else an
            if an_opts is not None and not (uniform_roi or use_truth):
                analysis = analyse(img, classes, **an_opts)
            levels_seen = None
            for q in roi_q:
                bg = None if ratio is None else max(5, round(ratio * q))
                if step_cap is not None or step_min is not None:
                    from qualipress.roi.mapping import MAX_BG_STEP_RATIO, bg_quality_for

                    bg = bg_quality_for(q, float(analysis.mask.mean()),
                                        max_step_ratio=float(MAX_BG_STEP_RATIO if step_cap is None else step_cap),
                                        min_step_ratio=None if step_min is None else float(step_min))
                res = codec.encode_roi(img, quality=q, bg_quality=bg, analysis=analysis, **opts)
                dec = imagecodecs.jpeg8_decode(res.data)
                rows.append({"image": name, "codec": vname, "q": q, "bytes": len(res.data),
                             "bpp": 8 * len(res.data) / (img.width * img.height), **psnr_rows(px, dec, masks)})
                levels_seen = (res.levels, res.mcu)
            if levels_seen is not None:
                info["coverage"][vname] = block_coverage(levels_seen[0], levels_seen[1], truth)
        per_image[name] = info
        cov = info["coverage"].get("jpeg-roi", {})
        print(f"[{i + 1}/{len(items)}] {name} mask={truth.mask.mean():.2f} det={an.mask.mean():.2f} "
              f"coverage={cov.get('coverage')} outside={cov.get('outside')} {time.time() - t0:.0f}s", flush=True)

    summary = summarise(rows, per_image, list(uniform) + list(variants))
    summary["command"] = "python benchmarks/roi_gt.py " + " ".join(sys.argv[1:])
    OUT.mkdir(parents=True, exist_ok=True)
    tag = "gt" + (f"_{args.tag}" if args.tag else "")
    (OUT / f"{tag}.json").write_text(json.dumps({"summary": summary, "images": per_image, "rows": rows}, indent=0))
    print_summary(summary)
    return 0


def print_summary(summary: dict) -> None:
    """Compact table: gain over the anchor per codec, rate and ROI definition; coverage per variant."""
    for rate, cell in summary["gains_vs_" + ANCHOR].items():
        for c, cc in cell.items():
            parts = [f"{roi} {v['roi_gain']:+.2f}/{v['bg_change']:+.2f} (n={v['n']})" for roi, v in cc.items()
                     if v["n"]]
            print(f"{rate} bpp {c:>16}: " + " | ".join(parts))
    for c, v in summary["coverage"].items():
        print(f"coverage {c}: {v}")
    print("images reaching each rate:", summary["images_reaching_rate"])


def detected(img: Any, classes: list[str], dilate: float | None) -> Any:
    """The refined detected ROI, with the library's refinement or a given dilation (fraction of the shorter
    side; closing radius twice that)."""
    from qualipress.roi.mask import RoiAnalysis, analyse, refine_priority

    if dilate is None:
        return analyse(img, classes)
    an = analyse(img, classes, refine=False)
    d = round(dilate * min(img.height, img.width))
    pmap = refine_priority(an.priority, dilate=d, close=2 * d) if an.priority.any() else an.priority
    return RoiAnalysis(an.regions, pmap, an.notes, an.seconds, an.backends)


def coverage_only(args: argparse.Namespace) -> int:
    """Block coverage of the detected ROI against the annotations, per image and averaged (masked images,
    box-only images, all)."""
    from qualipress.io import as_image

    classes = [c for c in args.roi.split(",") if c]
    per: dict[str, dict] = {}
    for path, truth0 in annotated_people(args.only):
        px, truth, _ = load_pair(path, truth0, args.grid_offset)
        an = detected(as_image(px), classes, args.dilate)
        cov = block_scores(an.mask, truth, args.mcu, args.block_threshold)
        cov["masked"] = truth.masked == truth.persons
        per[str(path.relative_to(DATA))] = cov
        print(f"{path.relative_to(DATA)}: coverage {cov['coverage']:.3f} outside {cov['outside']:.3f} "
              f"iou {cov['iou']:.3f} roi {cov['roi_fraction']:.3f}", flush=True)
    summary = {g: {"images": len(vs), **{k: round(float(np.mean([v[k] for v in vs])), 4)
                                         for k in COVERAGE_KEYS}}
               for g, vs in by_group(per).items() if vs}
    for g, v in summary.items():
        print(g, v)
    write_result("gtcov", args.tag, {"summary": summary, "images": per})
    return 0


def summarise(rows: list[dict], per_image: dict, codecs: list[str]) -> dict:
    """Per rate and ROI definition: mean ROI / background PSNR gain of each codec over the anchor (images
    where both reach the rate), per-image gains, mean block coverage."""
    gains: dict = {}
    per: dict = {n: {} for n in per_image}
    for rate in RATES:
        cell: dict = {}
        for c in codecs:
            if c == ANCHOR:
                continue
            cc: dict = {}
            for roi in ("mask", "box", "det", "mask_y"):
                d_roi, d_bg = [], []
                for n in per_image:
                    a = [r for r in rows if r["image"] == n and r["codec"] == c]
                    b = [r for r in rows if r["image"] == n and r["codec"] == ANCHOR]
                    x, y = interp(a, f"{roi}_roi", rate), interp(b, f"{roi}_roi", rate)
                    xb, yb = interp(a, f"{roi}_bg", rate), interp(b, f"{roi}_bg", rate)
                    if None in (x, y, xb, yb):
                        continue
                    d_roi.append(x - y)
                    d_bg.append(xb - yb)
                    per[n].setdefault(c, {}).setdefault(f"{rate}", {})[roi] = [round(x - y, 3), round(xb - yb, 3)]
                cc[roi] = {"n": len(d_roi),
                           "roi_gain": round(float(np.mean(d_roi)), 3) if d_roi else None,
                           "bg_change": round(float(np.mean(d_bg)), 3) if d_bg else None}
            cell[c] = cc
        gains[f"{rate}"] = cell
    cover: dict = {}
    for c in codecs:
        vals = [v["coverage"][c] for v in per_image.values() if c in v["coverage"]]
        if vals:
            cover[c] = {k: round(float(np.mean([v[k] for v in vals if v[k] is not None])), 4)
                        for k in COVERAGE_KEYS}
            cover[c]["images_coverage_ge_0.9"] = sum(1 for v in vals if (v["coverage"] or 0) >= 0.9)
            cover[c]["images_outside_le_0.2"] = sum(1 for v in vals if (v["outside"] or 0) <= 0.2)
            cover[c]["images"] = len(vals)
    reach = {c: {f"{rate}": sum(1 for n in per_image if interp([r for r in rows if r["image"] == n and r["codec"] == c],
                                                                 "whole", rate) is not None) for rate in RATES}
             for c in codecs}
    return {"gains_vs_" + ANCHOR: gains, "coverage": cover, "images_reaching_rate": reach,
            "per_image": per, "mean_mask_fraction": round(float(np.mean([v["mask_fraction"]
                                                                          for v in per_image.values()])), 4)}


if __name__ == "__main__":
    sys.exit(main())
