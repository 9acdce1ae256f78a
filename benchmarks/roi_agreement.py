"""Detector agreement after compression: do CenterFace / MediaPipe still find the same faces and persons?

For every image of ../shared/data/people: detect faces and persons on the original; encode with jpeg-roi at
``--quality`` (ROI q, background 0.45 q) and with libjpeg-turbo 4:2:0 at the highest quality whose file is not
larger (equal size); detect again on both decoded images; match boxes one-to-one at IoU >= 0.5
(``qualipress.detect.match_regions``). Reports micro-averaged precision / recall / F1 per class and the ROI /
background PSNR of both files.

    python benchmarks/roi_agreement.py [--quality 60]

Writes results/roi/agreement_q<Q>.json.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from _paths import DATA, ROOT

CLASSES = ("faces", "persons")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quality", type=float, default=60)
    ap.add_argument("--face-margin", type=float, default=None, help="face box growth (default: the library's)")
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    import imagecodecs

    from qualipress.detect import detect, match_regions
    from qualipress.io import read_image
    from qualipress.metrics import measure
    from qualipress.roi import RoiJpegCodec
    from qualipress.roi.mask import analyse

    codec = RoiJpegCodec()
    paths = sorted(p for p in (DATA / "people").rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    totals = {k: {c: [0, 0, 0] for c in CLASSES} for k in ("jpeg-roi", "turbo-420")}
    rows = []
    for p in paths:
        img = read_image(p)
        ref = detect(img, CLASSES)
        an = analyse(img, ("faces", "persons", "text"), face_margin=args.face_margin)
        enc = codec.encode_roi(img, quality=args.quality, analysis=an)
        lo, hi, best = 1, 100, None
        while lo <= hi:  # highest turbo quality with bytes <= jpeg-roi bytes
            mid = (lo + hi) // 2
            d = bytes(imagecodecs.jpeg8_encode(img.pixels, level=mid, subsampling="420", optimize=True))
            if len(d) <= len(enc.data):
                best, lo = d, mid + 1
            else:
                hi = mid - 1
        row = {"image": p.name, "roi_fraction": round(float(an.mask.mean()), 4), "bytes_roi": len(enc.data)}
        for name, data in (("jpeg-roi", enc.data), ("turbo-420", best)):
            if data is None:
                continue
            dec = imagecodecs.jpeg8_decode(data)
            found = detect(dec, CLASSES)
            for c in CLASSES:
                a = match_regions(ref, found, classes=(c,))
                t = totals[name][c]
                t[0] += a.matched
                t[1] += a.n_reference
                t[2] += a.n_candidate
                row[f"{name}:{c}:f1"] = round(a.f1, 3)
            if an.mask.any():
                row[f"{name}:roi_psnr"] = round(measure(img, dec, ("psnr",), mask=an.mask)["psnr"].value, 2)
            if (~an.mask).any():
                row[f"{name}:bg_psnr"] = round(measure(img, dec, ("psnr",), mask=~an.mask)["psnr"].value, 2)
            row[f"{name}:bytes"] = len(data)
        rows.append(row)
        print(row, flush=True)
    summary = {}
    for name, per in totals.items():
        summary[name] = {}
        for c, (m, nr, nc) in per.items():
            prec = m / nc if nc else 1.0
            rec = m / nr if nr else 1.0
            summary[name][c] = {"precision": round(prec, 3), "recall": round(rec, 3),
                                "f1": round(2 * prec * rec / (prec + rec), 3) if prec + rec else 0.0,
                                "matched": m, "reference": nr, "found": nc}
        for k in ("roi_psnr", "bg_psnr"):
            vals = [r[f"{name}:{k}"] for r in rows if f"{name}:{k}" in r]
            summary[name][k + "_mean"] = round(float(np.mean(vals)), 2) if vals else None
        summary[name]["bytes_mean"] = round(float(np.mean([r[f"{name}:bytes"] for r in rows
                                                           if f"{name}:bytes" in r])), 0)
    out = ROOT / "results" / "roi"
    out.mkdir(parents=True, exist_ok=True)
    q = int(args.quality)
    name = f"agreement_q{q}" + (f"_{args.tag}" if args.tag else "") + ".json"
    command = "python benchmarks/roi_agreement.py " + " ".join(sys.argv[1:])
    (out / name).write_text(json.dumps({"command": command, "summary": summary, "rows": rows}, indent=1))
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
