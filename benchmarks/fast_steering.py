"""Steering probes at a fast encoder setting: how far their margins are from the real setting's, and what they cost.

Learns :data:`qualipress.search.proxy.FAST_OFFSET` (the mean margin offset of a steering probe against the full
image at the codec's default setting) on *training* photographs, and reports for each way of steering how much
that offset varies between images (the steering error left after the mean is removed, also in grid steps) and
what one steering probe costs relative to a full-image probe at the default setting (CPU time)::

    python benchmarks/fast_steering.py jpegxl --images 8 \
        --variants "full:effort=7;mosaic:effort=7;mosaic:effort=5;full:effort=5;full:effort=3"
    python benchmarks/fast_steering.py avif --images 8 --variants "full:speed=6;mosaic:speed=6;mosaic:speed=8"

The first variant is the reference (the full image at the default setting). Images: the first ``--images`` of
``bsd300_train200`` and ``urban100_x2hr`` taken in turn (training data: never Kodak, BSD300 test or the people
photos). Settings: every 6th grid index from 22 to 88 (where the SSIM 0.90-0.99 and C1 crossings lie).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _paths import DATA

from qualipress import codecs as _codecs
from qualipress import metrics as _metrics
from qualipress.io import IMAGE_SUFFIXES, read_image
from qualipress.metrics import MetricResult
from qualipress.search import parse_target, probe
from qualipress.search.proxy import Mosaic, tile_for

TRAIN = DATA / "train"
#: One constraint per metric: the margin unit is the constraint's (its threshold cancels in the differences).
_UNITS = {"ssim": parse_target("ssim>=0.5").constraints[0], "psnr": parse_target("psnr>=30").constraints[0]}


def _images(train: Path, n: int) -> list[Path]:
    folders = [sorted(p for p in (train / d).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
               for d in ("bsd300_train200", "urban100_x2hr")]
    out: list[Path] = []
    for k in range(n):
        out.append(folders[k % 2][k // 2])
    return out


def _measure(kind: str, codec: _codecs.Codec, image, ref, setting: float, opts: dict) -> dict[str, MetricResult]:
    if kind == "mosaic":
        return Mosaic(image, image, _metrics.DEFAULT_TILE, ref, tile_for(codec), fast=opts).measure(codec, setting, {})
    return probe(image, codec, setting, reference=ref, metrics=("ssim", "psnr"), options=opts).metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("codec")
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--variants", required=True, help="KIND:OPTION=VALUE;... (KIND full or mosaic)")
    ap.add_argument("--train", type=Path, default=TRAIN)
    ap.add_argument("--json", type=Path, help="Write the raw margins here.")
    args = ap.parse_args()
    codec = _codecs.get(args.codec)
    assert codec.info.quality is not None
    grid = codec.info.quality.grid
    idx = list(range(22, 89, 6))
    variants = [v.strip() for v in args.variants.split(";") if v.strip()]
    raw: dict[str, dict[str, dict[str, list[float]]]] = {}
    for f in _images(args.train, args.images):
        img = read_image(f)
        ref = _metrics.prepare_reference(img)
        rec: dict[str, dict[str, list[float]]] = {}
        for v in variants:
            kind, _, opt = v.partition(":")
            key, _, val = opt.partition("=")
            opts = {key: int(val) if val.lstrip("-").isdigit() else val} if key else {}
            rows: dict[str, list[float]] = {"ssim": [], "psnr": [], "cpu": []}
            for i in idx:
                t0 = time.process_time()
                res = _measure(kind, codec, img, ref, grid[i], opts)
                rows["cpu"].append(time.process_time() - t0)
                for m, c in _UNITS.items():
                    rows[m].append(c.margin(res))
            rec[v] = rows
        raw[f.name] = rec
        print(f"measured {f.name}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"settings": [grid[i] for i in idx], "margins": raw}))
    real = variants[0]
    print(f"\n{args.codec}, {len(raw)} training images, settings {grid[idx[0]]:g}..{grid[idx[-1]]:g} (every 6th grid "
          f"index); reference: {real}\n")
    print("| steering probe | cost (÷ full probe) | metric | mean offset | spread between images | in grid steps |")
    print("|---|---|---|---|---|---|")
    for v in variants[1:]:
        cost = np.mean([np.sum(r[v]["cpu"]) / np.sum(r[real]["cpu"]) for r in raw.values()])
        for m in _UNITS:
            ref_m = np.array([r[real][m] for r in raw.values()])
            off = np.array([r[v][m] for r in raw.values()]) - ref_m
            slope = float(np.median(np.diff(ref_m, axis=1))) / 6
            spread = float((off - off.mean(axis=0)).std())
            print(f"| {v} | {cost:.2f} | {m} | {off.mean():+.4f} | {spread:.4f} | {spread / slope:.2f} |")


if __name__ == "__main__":
    main()
