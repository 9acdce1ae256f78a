"""Quantisation-table flatness of the jpeg-roi encoder as a plain (no-ROI) JPEG vs Pillow with optimised tables.

For each annotated people photo (every other one of the 20 by default, grid shifted 3 px like
``roi_gt.py``), the jpeg-roi encoder without any ROI (uniform quality, its RDO) is swept over qualities
for each ``--flatness`` value (``table_flatness``: 0 = Annex K) and compared with Pillow 4:2:0 ``optimize=True``
at 0.5 / 0.8 / 1.0 bpp: whole-image PSNR (RGB) and SSIM (``qualipress.metrics``), mean difference over the
images where both reach the rate.

    python benchmarks/roi_tables.py --flatness 0,0.5,1
    python benchmarks/roi_tables.py --flatness default     # the codec's quality profile (qualipress.roi.mapping)
    python benchmarks/roi_tables.py --flatness default,fixed   # ... and the same without the per-image adaptation

A number forces ``table_flatness`` and leaves the rest of the profile (subsampling, RDO) as the codec sets it.

Writes results/roi/tables.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roi_gt import ANCHOR, ROI_Q, UNIFORM_Q, annotated_people, load_pair, psnr_rows, uniform_codecs
from roi_rd import DATA, OUT, RATES, interp


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--flatness", default="0,0.5,1")
    ap.add_argument("--step", type=int, default=2, help="take every n-th annotated photo")
    args = ap.parse_args()
    import imagecodecs

    from qualipress.io import as_image
    from qualipress.metrics import measure
    from qualipress.roi import RoiJpegCodec
    from qualipress.roi.mask import analyse

    items = annotated_people()[:: args.step]
    flats: list[float | str | None] = [None if f == "default" else f if f == "fixed" else float(f)
                                       for f in args.flatness.split(",")]
    anchor = uniform_codecs()[ANCHOR]
    codec = RoiJpegCodec()
    diffs: dict = {f: {r: {"psnr": [], "ssim": []} for r in RATES} for f in flats}

    def row(px: np.ndarray, data: bytes) -> dict:
        dec = imagecodecs.jpeg8_decode(data)
        return {"bpp": 8 * len(data) / (px.shape[0] * px.shape[1]), "psnr": psnr_rows(px, dec, {})["whole"],
                "ssim": measure(px, dec, ("ssim",))["ssim"].value}

    for path, truth in items:
        px, _, _ = load_pair(path, truth, 3)
        img = as_image(px)
        no_roi = analyse(img, None)
        base = [row(px, anchor(px, q)) for q in UNIFORM_Q]
        for f in flats:
            opts = {} if f is None else {"adapt": False} if f == "fixed" else {"table_flatness": f}
            rows = [row(px, codec.encode_roi(img, quality=q, analysis=no_roi, **opts).data) for q in ROI_Q]
            for r in RATES:
                for k in ("psnr", "ssim"):
                    a, b = interp(rows, k, r), interp(base, k, r)
                    if a is not None and b is not None:
                        diffs[f][r][k].append(a - b)
        print(path.name, flush=True)
    out = {("default" if f is None else str(f)): {str(r): {k: (round(float(np.mean(v)), 4) if v else None)
                                                          for k, v in d.items()} | {"n": len(d["psnr"])}
                                                  for r, d in dr.items()} for f, dr in diffs.items()}
    for f, dr in out.items():
        print(f"flatness {f}: " + " | ".join(f"{r} bpp PSNR {v['psnr']:+.2f} dB SSIM {v['ssim']:+.4f} (n={v['n']})"
                                              for r, v in dr.items() if v["n"]))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tables.json").write_text(json.dumps({"command": "python benchmarks/roi_tables.py " + " ".join(sys.argv[1:]),
                                                 "images": [str(p.relative_to(DATA)) for p, _ in items],
                                                 "vs": ANCHOR, "diffs": out}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
