"""Choose per-image allocation rules for jpeg-roi on one group of datasets and score them on the other.

Input: ``benchmarks/roi_gt.py`` result files whose variants are *arms*, i.e. fixed encoder settings over the
whole quality sweep (``benchmarks/roi_arms.json``: ``L45`` = the ``LOW_RATE`` settings at every quality with
background 0.45 × ROI, ``H55`` = ``HIGH_RATE`` settings with 0.55 × ROI, ...). A rule picks, per image and
quality, the arm whose encode it would have made: taking ``L45`` below quality 45 (``mapping.LOW_RATE_QUALITY``)
and ``H45`` from there is the session-3 default. Per image and rate the ROI PSNR gain and background change over
Pillow 4:2:0 ``optimize=True`` are interpolated exactly as ``roi_gt.py`` does (annotated masks, RGB).

Rule families (what the encoder can see in an image → arms):

* ``subq``, the chroma switch: ``LOW_RATE`` while the fine chroma energy (``qualipress.roi.adapt.chroma_energy``)
  is below ``k`` × (chroma DC step of the quality)², ``HIGH_RATE`` from there;
* ``sub``: ``chroma_detail`` (the same relative to luma) below a threshold ``t`` → ``LOW_RATE`` at every quality;
* ``bg``: detected ROI share (pixels) at or above ``f0`` → background ``r`` × ROI quality instead of 0.45;
* ``subq+bg``, ``sub+bg``: both.

The rule's parameters are chosen on the tuning group only (highest mean ROI gain over the three rates, with the
mean background loss within 1.5 dB at each rate; thresholds are midpoints between neighbouring tuning images'
values) and then applied unchanged to the evaluation group. Both directions are printed.

    python benchmarks/roi_gt.py --no-uniform --tag arms1 --variants "$(cat benchmarks/roi_arms.json)"
    python benchmarks/roi_adapt.py results/roi/gt_arms1.json --tune coco
    python benchmarks/roi_adapt.py results/roi/gt_arms1.json --tune heldout

    python benchmarks/roi_adapt.py results/roi/gt_arms1.json --tune all --families subq,subq+bg

Writes results/roi/adapt_<tune>[_w<bg-weight>].json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roi_gt import ANCHOR, load_pair
from roi_gt_split import dataset
from roi_rd import DATA, OUT, RATES, interp

SWITCH = 45
BG_LIMIT = -1.5


def chroma_detail(pixels: np.ndarray) -> float:
    """Fine chroma detail relative to fine luma detail (the ``sub`` family's feature; 0 for grey images).

    Each of Y, Cb, Cr (JFIF) is reduced to half size by 2×2 means and enlarged back bilinearly; the mean squared
    difference to the original is the plane's fine energy (what 4:2:0 would lose): ``(E(Cb) + E(Cr)) / (2 E(Y))``.
    Photos decoded from 4:2:0 JPEGs score about 0.002–0.02, photos with real colour detail 0.03–0.15 on the people
    set. Measured and not used by the codec (``docs/roi.md`` §7, *Per-image adaptation*).
    """
    from qualipress.roi.adapt import fine_energies, jfif_planes

    px = np.asarray(pixels)
    if px.ndim != 3 or px.shape[2] != 3 or px.shape[0] < 2 or px.shape[1] < 2:
        return 0.0
    e_y, e_cb, e_cr = fine_energies(jfif_planes(px, slice(0, 3)))
    return 0.0 if e_y <= 1e-9 else float((e_cb + e_cr) / (2.0 * e_y))


def features(images: dict[str, dict], cache: Path) -> dict[str, dict[str, float]]:
    """``chroma_detail`` of each image (as encoded: grid shifted 3 px) and its detected ROI share."""
    from qualipress.roi.adapt import chroma_energy
    from qualipress.roi.groundtruth import load_person_truth

    known = json.loads(cache.read_text()) if cache.exists() else {}
    missing = [n for n in images if "chroma_energy" not in known.get(n, {})]
    if missing:
        truth = {str(p.relative_to(DATA)): (p, t) for p, t in load_person_truth(DATA / "people").items()}
        for n in missing:
            px, _, _ = load_pair(*truth[n], 3)
            known[n] = {"chroma_detail": round(chroma_detail(px), 5), "chroma_energy": round(chroma_energy(px), 4)}
        cache.write_text(json.dumps(known, indent=1))
    return {n: {**known[n], "roi_fraction": float(images[n]["det_fraction"])} for n in images}


def arm_rows(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        out.setdefault((r["image"], r["codec"]), []).append(r)
    return out


def gains(by: dict, image: str, pick: Any) -> dict[str, tuple[float, float]]:
    """Per rate (ROI gain, background change) of the sweep that takes, at each quality q, the encode of arm
    ``pick(q)`` (rates it reaches only)."""
    qs = sorted({r["q"] for (n, c), rs in by.items() if n == image and c != ANCHOR for r in rs})
    a = [r for q in qs for r in by.get((image, pick(q)), []) if r["q"] == q]
    b = by[(image, ANCHOR)]
    out = {}
    for rate in RATES:
        vals = [interp(a, "mask_roi", rate), interp(b, "mask_roi", rate), interp(a, "mask_bg", rate),
                interp(b, "mask_bg", rate)]
        if None not in vals:
            out[f"{rate}"] = (vals[0] - vals[1], vals[2] - vals[3])
    return out


def score(table: dict[str, dict[str, tuple[float, float]]]) -> dict[str, Any]:
    """Mean ROI gain and background change per rate over the images that reach it."""
    res: dict[str, Any] = {}
    for rate in RATES:
        v = [g[f"{rate}"] for g in table.values() if f"{rate}" in g]
        res[f"{rate}"] = {"roi_gain": round(float(np.mean([x[0] for x in v])), 3) if v else None,
                          "bg_change": round(float(np.mean([x[1] for x in v])), 3) if v else None,
                          "n": len(v), "reach_2db": int(sum(x[0] >= 2.0 for x in v))}
    return res


def objective(s: dict[str, Any], bg_weight: float = 0.0) -> float:
    """Mean ROI gain over the rates plus ``bg_weight`` × the mean background change, minus a large penalty per dB
    of background loss beyond the limit."""
    roi = [c["roi_gain"] for c in s.values() if c["roi_gain"] is not None]
    bg = [c["bg_change"] for c in s.values() if c["bg_change"] is not None]
    bg_excess = sum(max(0.0, BG_LIMIT - b) for b in bg)
    return float(np.mean(roi)) + bg_weight * float(np.mean(bg)) - 10.0 * bg_excess


def midpoints(values: list[float]) -> list[float]:
    """Thresholds between neighbouring values (geometric midpoints; 0 is treated as 1e-4), plus both ends."""
    v = sorted({max(x, 1e-4) for x in values})
    mids = [float(np.sqrt(a * b)) for a, b in itertools.pairwise(v)]
    return [v[0] / 2, *mids, v[-1] * 2]


def chroma_step(q: float) -> float:
    """DC step of the chroma table at IJG quality ``q`` (unchanged by the table flattening)."""
    from qualipress.roi.encoder import STD_CHROMA, quality_table

    return float(quality_table(STD_CHROMA, q)[0, 0])


def apply(rule: dict[str, Any], feat: dict[str, float], arms: set[str]) -> Any:
    """The arm a rule picks at each quality for an image with features ``feat`` (a function of q)."""
    ratio = rule["r"] if feat["roi_fraction"] >= rule["f0"] else 45
    if "k" in rule:  # 4:2:0 while the fine chroma energy is below k x (chroma DC step)^2
        def low(q: float) -> bool:
            return feat["chroma_energy"] < rule["k"] * chroma_step(q) ** 2
    else:
        def low(q: float) -> bool:
            return q < SWITCH or feat["chroma_detail"] < rule["t"]

    def pick(q: float) -> str:
        arm = f"L{ratio}" if q < SWITCH else f"{rule['hi420']}{ratio}" if low(q) else f"H{ratio}"
        if "k" in rule:
            arm = f"L{ratio}" if low(q) else f"H{ratio}"
        if arm not in arms:
            raise KeyError(f"arm {arm} missing")
        return arm

    return pick


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="+", type=Path)
    ap.add_argument("--tune", choices=("coco", "heldout", "all"), default="coco")
    ap.add_argument("--bg-weight", type=float, default=0.0,
                    help="weight of the mean background change in the objective (0: ROI gain only, within the limit)")
    ap.add_argument("--families", default="sub,subq,bg,subq+bg", help="rule families to search (also sub+bg)")
    args = ap.parse_args()
    rows: list[dict] = []
    images: dict[str, dict] = {}
    for p in args.results:
        d = json.loads(p.read_text())
        rows += [r for r in d["rows"] if not (r["codec"] == ANCHOR and any(x["image"] == r["image"] and
                                                                          x["codec"] == ANCHOR for x in rows))]
        images.update(d["images"])
    by = arm_rows(rows)
    arms = {c for (_, c) in by}
    feat = features(images, OUT / "adapt_features.json")
    tune = [n for n in images if args.tune == "all" or (dataset(n) == "coco") == (args.tune == "coco")]
    evaluate = [n for n in images if n not in tune]

    def run(rule: dict[str, Any], names: list[str]) -> dict[str, Any]:
        return score({n: gains(by, n, apply(rule, feat[n], arms)) for n in names})

    base = {"t": 0.0, "f0": 9.0, "r": 45, "hi420": "L"}
    ts = midpoints([feat[n]["chroma_detail"] for n in tune])
    fs = midpoints([feat[n]["roi_fraction"] for n in tune])
    ratios = sorted({int(c[1:]) for c in arms if c[:1] in "LH" and c[1:].isdigit()} - {45})
    his = [h for h in ("L", "M") if any(c.startswith(h) for c in arms if h == "L" or c[1:].isdigit())]
    cands: list[dict[str, Any]] = [base]
    fams = args.families.split(",")
    if "sub" in fams:
        cands += [{**base, "t": t, "hi420": h} for t in ts for h in his]
    if "bg" in fams:
        cands += [{**base, "f0": f, "r": r} for f in fs for r in ratios]
    if "subq" in fams:
        ks = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
        cands += [{**base, "k": k} for k in ks]
    if "subq+bg" in fams:
        ks = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
        cands += [{**base, "k": k, "f0": f, "r": r} for k in ks for f in fs for r in ratios]
    if "sub+bg" in fams:
        cands += [{**base, "t": t, "hi420": h, "f0": f, "r": r} for t in ts for h in his for f in fs for r in ratios]
    scored = []
    for rule in cands:
        try:
            s = run(rule, tune)
        except KeyError:
            continue
        scored.append((objective(s, args.bg_weight), rule, s))
    scored.sort(key=lambda x: -x[0])
    out: dict[str, Any] = {"tune": args.tune, "tune_images": tune, "eval_images": evaluate, "features": feat,
                           "command": "python benchmarks/roi_adapt.py " + " ".join(sys.argv[1:]), "best": {}}
    print(f"tuning on {args.tune}: {len(tune)} images, evaluating on {len(evaluate)}; {len(scored)} rules")
    for fam in ["default", *fams]:
        def in_fam(rule: dict[str, Any], fam: str = fam) -> bool:
            has_sub, has_bg = rule["t"] > 0, rule["f0"] < 9
            if "k" in rule:
                return fam == ("subq+bg" if has_bg else "subq")
            return {"default": not has_sub and not has_bg, "sub": has_sub and not has_bg, "subq": False,
                    "subq+bg": False, "bg": has_bg and not has_sub, "sub+bg": has_sub and has_bg}[fam]

        best = next((x for x in scored if in_fam(x[1])), None)
        if best is None:
            continue
        obj, rule, s_tune = best
        s_eval = run(rule, evaluate)
        s_all = run(rule, list(images))
        out["best"][fam] = {"rule": rule, "tune": s_tune, "eval": s_eval, "all": s_all, "objective": obj}
        print(f"\n{fam}: rule {rule}")
        for label, s in (("tune", s_tune), ("eval", s_eval), ("all", s_all)):
            print(f"  {label:>4}: " + "  ".join(
                f"{r} {c['roi_gain']:+.2f} ({c['bg_change']:+.2f}) n={c['n']} {c['reach_2db']}≥2" for r, c in s.items()
                if c["roi_gain"] is not None))
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = f"_w{args.bg_weight:g}" if args.bg_weight else ""
    (OUT / f"adapt_{args.tune}{suffix}.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
