"""Compare jpeg-roi encoder variants: ROI / background PSNR gain over libjpeg-turbo 4:2:0 at equal size.

A smaller, faster companion of ``roi_rd.py`` for design decisions (the background DC rule, subsampling, the
background quality ratio). Each variant is a JSON object of ``RoiJpegCodec.encode_roi`` options plus an
optional ``"ratio"`` (background quality = ratio × ROI quality). For every image the ROI is detected once;
each variant is swept over ROI qualities and compared with libjpeg-turbo 4:2:0 at 0.5 / 0.8 / 1.0 bpp
(interpolated in log-bpp, mean over the images where both reach the rate).

    python benchmarks/roi_variants.py --set people --limit 8 --grid-offset 3 \\
        --variants '{"dc0": {"dc_rdo": 0}, "dc1": {}, "r40": {"dc_rdo": 0, "ratio": 0.40}}'
    python benchmarks/roi_variants.py --set kodak --variants '{"444": {}, "420": {"subsampling": "420"}}'

With ``--limit N`` the N images are spread evenly over the ROI fractions of the images that have an ROI.
Writes results/roi/variants_<set>[_<tag>].json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roi_rd import DATA, OUT, RATES, UNIFORM_Q, images, interp, load_rgb8, measure_row

ROI_Q = [20, 30, 40, 50, 60, 70, 80, 90, 95]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=("people", "kodak"), default="people")
    ap.add_argument("--roi", default="", help="classes (default faces,persons,text; kodak adds saliency)")
    ap.add_argument("--variants", required=True, help="JSON: name -> encode_roi options (+ 'ratio')")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--grid-offset", type=int, default=0)
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    import imagecodecs

    from qualipress.roi import RoiJpegCodec
    from qualipress.roi.mask import analyse

    variants = json.loads(args.variants)
    classes = [c for c in (args.roi or ("faces,persons,text" + (",saliency" if args.set == "kodak" else ""))).split(",")
               if c]
    codec = RoiJpegCodec()
    t0 = time.time()
    prepared = []
    for path in images(args.set):
        img = load_rgb8(path, args.grid_offset)
        an = analyse(img, classes)
        if not an.empty:
            prepared.append((float(an.mask.mean()), str(path.relative_to(DATA)), img, an))
    prepared.sort(key=lambda t: t[0])
    if args.limit and args.limit < len(prepared):
        prepared = [prepared[i] for i in np.linspace(0, len(prepared) - 1, args.limit).astype(int)]
    rows: list[dict] = []
    for frac, name, img, an in prepared:
        px, mask = np.ascontiguousarray(img.pixels), an.mask
        for q in UNIFORM_Q:
            data = bytes(imagecodecs.jpeg8_encode(px, level=q, subsampling="420", optimize=True))
            rows.append({"image": name, "codec": "turbo-420", "bpp": 8 * len(data) / mask.size,
                         **measure_row(px, imagecodecs.jpeg8_decode(data), mask)})
        for vname, opts in variants.items():
            opts = dict(opts)
            ratio = opts.pop("ratio", None)
            for q in ROI_Q:
                bg = None if ratio is None else max(5, round(ratio * q))
                data = codec.encode_roi(img, quality=q, bg_quality=bg, analysis=an, **opts).data
                rows.append({"image": name, "codec": vname, "bpp": 8 * len(data) / mask.size,
                             **measure_row(px, imagecodecs.jpeg8_decode(data), mask)})
        print(f"{name} roi={frac:.2f} {time.time() - t0:.0f}s", flush=True)
    summary: dict = {}
    for vname in variants:
        summary[vname] = {}
        for rate in RATES:
            gain, bg = [], []
            for _, name, _, _ in prepared:
                a = [r for r in rows if r["image"] == name and r["codec"] == vname]
                b = [r for r in rows if r["image"] == name and r["codec"] == "turbo-420"]
                x, y = interp(a, "roi_psnr", rate), interp(b, "roi_psnr", rate)
                xb, yb = interp(a, "bg_psnr", rate), interp(b, "bg_psnr", rate)
                if x is not None and y is not None and xb is not None and yb is not None:
                    gain.append(x - y)
                    bg.append(xb - yb)
            summary[vname][f"{rate}"] = {"n": len(gain),
                                         "roi_psnr_gain": round(float(np.mean(gain)), 3) if gain else None,
                                         "bg_psnr_change": round(float(np.mean(bg)), 3) if bg else None}
        cells = [f"{r}: ROI {v['roi_psnr_gain']:+.2f} / background {v['bg_psnr_change']:+.2f} (n={v['n']})"
                 for r, v in summary[vname].items() if v["n"]]
        print(vname, " | ".join(cells))
    OUT.mkdir(parents=True, exist_ok=True)
    tag = args.set + (f"_{args.tag}" if args.tag else "")
    (OUT / f"variants_{tag}.json").write_text(json.dumps({
        "command": "python benchmarks/roi_variants.py " + " ".join(sys.argv[1:]),
        "images": [n for _, n, _, _ in prepared], "summary": summary, "rows": rows}, indent=0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
