"""Which text components the flat-blob rule of ``qualipress.detect.text`` drops (QA 11 finding 7).

For every image (files or folders; DPX/EXR/16-bit frames go through the film catalogue's perceptual code, as
``analyse`` does), every component the text network keeps (threshold 0.3, mean probability 0.6, as
``detect_text``) is listed with its box aspect and the standard deviation of its 5×5-smoothed luma (8-bit
codes); those under ``FLAT_STD`` with an aspect up to ``FLAT_ASPECT`` are the ones now dropped.

    python benchmarks/text_flat_blobs.py ../shared/data/kodak ../shared/data/people
    python benchmarks/text_flat_blobs.py /tmp/qa11/mat/film/dpx12/shotA.1001.dpx /tmp/qa11/mat/film/exr
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".dpx", ".exr")


def as_rgb8(path: Path) -> np.ndarray:
    from qualipress.film.catalogue import to_perceptual
    from qualipress.io import read_image

    img = read_image(path)
    if img.is_float or img.bit_depth != 8:  # as the film catalogue hands frames to the detector
        px = np.rint(np.clip(np.asarray(to_perceptual(img), np.float32), 0, 1) * 255).astype(np.uint8)
    else:
        px = img.pixels
    return px[..., :3] if px.shape[2] >= 3 else np.repeat(px[..., :1], 3, axis=2)


def components(rgb: np.ndarray) -> list[dict]:
    from qualipress.detect.text import text_probability

    prob = text_probability(rgb)
    n, labels, stats, _ = cv2.connectedComponentsWithStats((prob > 0.3).astype(np.uint8), connectivity=4)
    luma = cv2.blur(rgb.astype(np.float32).mean(axis=2), (5, 5))
    rows = []
    for i in range(1, n):
        x, y, bw, bh, _area = (int(v) for v in stats[i])
        if min(bw, bh) < 3:
            continue
        inside = labels[y : y + bh, x : x + bw] == i
        score = float(prob[y : y + bh, x : x + bw][inside].mean())
        if score < 0.6:
            continue
        rows.append({"box": [x, y, bw, bh], "aspect": round(max(bw, bh) / min(bw, bh), 2),
                     "score": round(score, 3), "std": round(float(luma[y : y + bh, x : x + bw][inside].std()), 2)})
    return rows


def main() -> int:
    from qualipress.detect.text import FLAT_ASPECT, FLAT_STD

    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--json", type=Path, help="also write every component here")
    args = ap.parse_args()
    files = [q for p in args.paths for q in (sorted(p.rglob("*")) if p.is_dir() else [p])
             if q.suffix.lower() in SUFFIXES]
    every = []
    for f in files:
        for r in components(as_rgb8(f)):
            r["image"] = str(f)
            r["dropped"] = r["aspect"] <= FLAT_ASPECT and r["std"] < FLAT_STD
            every.append(r)
    kept = [r for r in every if not r["dropped"]]
    print(f"{len(files)} images, {len(every)} components, {len(every) - len(kept)} dropped "
          f"(FLAT_STD {FLAT_STD}, FLAT_ASPECT {FLAT_ASPECT})")
    for r in every:
        if r["dropped"]:
            print(f"  dropped: {r['image']} box {r['box']} aspect {r['aspect']} std {r['std']} score {r['score']}")
    if kept:
        low = min(kept, key=lambda r: r["std"])
        print(f"lowest smoothed-luma std kept: {low['std']} ({low['image']} box {low['box']} aspect {low['aspect']})")
        compact = [r for r in kept if r["aspect"] <= FLAT_ASPECT]
        if compact:
            low = min(compact, key=lambda r: r["std"])
            print(f"lowest among compact ones kept: {low['std']} ({low['image']} box {low['box']})")
    if args.json:
        args.json.write_text(json.dumps(every, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
