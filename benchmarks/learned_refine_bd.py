"""BD-rate vs Pillow JPEG of learned-codec runs, restricted to the images all of them have (issue 16, refine).

``benchmarks/learned_eval.py --refine N`` leaves its rows in ``results/learned_eval/<label>/cache.jsonl``; when
runs cover different numbers of Kodak images (refinement is slow on this shared CPU), this script puts them on
the same footing: it keeps the images every given run (and the JPEG anchor) has, averages per setting as
``qualipress.rd`` does and computes BD-rate / BD-PSNR (PCHIP) and the curve overlap.

    python benchmarks/learned_refine_bd.py results/learned_eval/anchor-first6 \
        refine0=results/learned_eval/v3-first6 refine10=results/learned_eval/v3-refine10-first6 \
        refine30=results/learned_eval/v3-refine30-first3

Prints a markdown table (and the curves).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ANCHOR = "pillow-jpeg"
LEARNED = "learned:bmshj2018-hyperprior"
JPEG_QUALITIES = [float(q) for q in range(5, 100, 5)]
LEVELS = [float(q) for q in range(1, 9)]


def _rows(run_dir: Path, codec: str) -> list[dict]:
    rows = []
    with open(run_dir / "cache.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["codec"] == codec:
                rows.append(r)
    return rows


def _complete_images(rows: list[dict], settings: list[float]) -> set[str]:
    have: dict[str, set[float]] = {}
    for r in rows:
        have.setdefault(r["image_sha256"], set()).add(float(r["setting"]))
    return {img for img, s in have.items() if set(settings) <= s}


def main() -> int:
    from qualipress.rd import bd_tables
    from qualipress.rd.sweep import aggregate

    ap = argparse.ArgumentParser()
    ap.add_argument("anchor_dir", type=Path)
    ap.add_argument("runs", nargs="+", help="label=run directory (with cache.jsonl)")
    args = ap.parse_args()
    anchor = _rows(args.anchor_dir, ANCHOR)
    runs = {label: _rows(Path(d), LEARNED) for label, _, d in (s.partition("=") for s in args.runs)}
    images = _complete_images(anchor, JPEG_QUALITIES)
    for rows in runs.values():
        images &= _complete_images(rows, LEVELS)
    if not images:
        print("no image is complete in every run")
        return 1
    names = sorted({r["image"] for r in anchor if r["image_sha256"] in images})
    print(f"{len(images)} images common to every run: {', '.join(names)}\n")
    print("| run | BD-rate PSNR (pchip) | overlap | BD-PSNR (dB) | BD-rate MS-SSIM | PSNR range (dB) | bpp range | "
          "mean encode s (wall) |\n|---|---:|---:|---:|---:|---|---|---:|")
    keep = [r for r in anchor if r["image_sha256"] in images]
    curves_txt = []
    for label, rows in runs.items():
        mine = [r for r in rows if r["image_sha256"] in images]
        curves = {
            ANCHOR: {"name": ANCHOR, "results": aggregate(keep, ANCHOR, JPEG_QUALITIES, len(images))},
            LEARNED: {"name": LEARNED, "results": aggregate(mine, LEARNED, LEVELS, len(images))},
        }
        bd = bd_tables(curves, ANCHOR, ["psnr-rgb", "ms-ssim-rgb"])
        p, m = bd["psnr-rgb"][LEARNED]["pchip"], bd["ms-ssim-rgb"][LEARNED]["pchip"]
        res = curves[LEARNED]["results"]
        enc = sum(res["encoding_time"]) / len(res["encoding_time"])
        print(f"| {label} | {p['bd_rate']:+.1f} % | {100 * p['overlap']:.0f} % | {p['bd_metric']:+.2f} | "
              f"{m['bd_rate']:+.1f} % | {min(res['psnr-rgb']):.2f}-{max(res['psnr-rgb']):.2f} | "
              f"{min(res['bpp']):.3f}-{max(res['bpp']):.3f} | {enc:.1f} |")
        curves_txt.append(f"{label}: " + ", ".join(f"{b:.3f}/{ps:.2f}" for b, ps in
                                                     zip(res["bpp"], res["psnr-rgb"], strict=True)))
    print("\ncurves (bpp/PSNR, q1..q8):\n" + "\n".join(curves_txt))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
