"""Per-image table of ``benchmarks/roi_gt.py`` results: why some photos gain less than others.

For every annotated people photo: its dataset, the source file's own JPEG history (estimated IJG quality and
chroma subsampling from its tables; the encoder never sees these), the fine chroma energy the encoder does see
(``qualipress.roi.adapt.chroma_energy``, grid shifted 3 px as encoded) and the quality from which the adapted
profile writes 4:4:4, the annotated and detected ROI shares, block coverage of the annotated people, and per rate
the ROI PSNR gain (background change) over Pillow 4:2:0 ``optimize=True`` of one or two variants; then group
means (COCO against the held-out datasets).

    python benchmarks/roi_gt_images.py results/roi/gt_adapt.json results/roi/gt_final.json \\
        --codec gt_adapt:jpeg-roi-fixed --codec gt_final:jpeg-roi --markdown
    python benchmarks/roi_gt_images.py results/roi/gt_s3.json --codec gt_s3:jpeg-roi \\
        --codec gt_s3:jpeg-roi-uniform --codec gt_s3:jpeg-roi-truth

Variants are named ``<file stem>:<variant>``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roi_gt_split import GROUPS, RATES, dataset
from roi_rd import DATA, OUT


def source_history(path: Path) -> tuple[int | None, str]:
    """Estimated IJG quality and chroma subsampling of a source JPEG (from its header tables)."""
    from PIL import Image as PILImage

    from qualipress.io.metadata import jpeg_settings

    with PILImage.open(path) as im:
        s = jpeg_settings(im)
    return s.get("jpeg_quality"), str(s.get("jpeg_subsampling", "?"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("results", type=Path, nargs="+")
    ap.add_argument("--codec", action="append", help="<file stem>:<variant> to show (default: the first file's "
                                                     "jpeg-roi)")
    ap.add_argument("--roi", default="mask")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    codecs = args.codec or [f"{args.results[0].stem}:jpeg-roi"]
    d = {"images": {}, "summary": {"per_image": {}}}
    for path in args.results:
        part = json.loads(path.read_text())
        for name, info in part["images"].items():
            cov = {f"{path.stem}:{k}": v for k, v in info.get("coverage", {}).items()}
            d["images"].setdefault(name, {**info, "coverage": {}})["coverage"].update(cov)
        for name, by_codec in part["summary"]["per_image"].items():
            d["summary"]["per_image"].setdefault(name, {}).update({f"{path.stem}:{k}": v for k, v in by_codec.items()})
    feats_path = OUT / "adapt_features.json"
    feats = json.loads(feats_path.read_text()) if feats_path.exists() else {}
    per = d["summary"]["per_image"]
    from qualipress.roi.mapping import switch_quality

    head = ["photo", "set", "source q / sub", "chroma E", "4:4:4 from", "ROI ann / det", "coverage / outside"]
    head += [f"{c} {r}" for c in codecs for r in RATES]
    rows = []
    for name, info in d["images"].items():
        q, sub = source_history(DATA / name)
        e = feats.get(name, {}).get("chroma_energy")
        cov = info.get("coverage", {}).get(codecs[0]) or next(iter(info.get("coverage", {}).values()), {})
        cells = [Path(name).stem[:10] if "posetrack" not in name else Path(name).parent.name[:10], dataset(name),
                 f"{q} / {sub}", "—" if e is None else f"{e:.2f}",
                 "—" if e is None else str(switch_quality(e) or "never"),
                 f"{info['mask_fraction']:.2f} / {info['det_fraction']:.2f}",
                 f"{cov.get('coverage', 0) or 0:.2f} / {cov.get('outside', 0) or 0:.2f}"]
        for c in codecs:
            for r in RATES:
                v = per.get(name, {}).get(c, {}).get(r, {}).get(args.roi)
                cells.append("—" if v is None else f"{v[0]:+.2f} ({v[1]:+.2f})")
        rows.append(cells)
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        for r in [head, *rows]:
            print("  ".join(f"{c:>16}" for c in r))
    print()
    for label, keep in GROUPS.items():
        names = [n for n in d["images"] if keep(dataset(n))]
        parts = []
        for c in codecs:
            for r in RATES:
                v = [per[n][c][r][args.roi] for n in names if r in per.get(n, {}).get(c, {})]
                if v:
                    a = np.array(v)
                    parts.append(f"{c} {r}: {a[:, 0].mean():+.2f} ({a[:, 1].mean():+.2f}) n={len(v)}")
        fr = np.mean([d["images"][n]["mask_fraction"] for n in names])
        fd = np.mean([d["images"][n]["det_fraction"] for n in names])
        print(f"{label}: ROI share annotated {fr:.2f} / detected {fd:.2f}; " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
