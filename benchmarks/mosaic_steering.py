"""How often the first full-image probe lands on the final pair, from the predictor alone and from the mosaic.

Usage::

    python benchmarks/mosaic_steering.py ../shared/data/kodak --limit 8 [--tile 32]

For each image the exhaustive sweep of the codec's grid gives the lowest passing setting k for each target; the
search's proof needs k and k − 1, so a first probe elsewhere costs an extra full-image encode. Reported: the share
of first probes in {k − 1, k} and the mean distance |first − k|, for the predictor's guess, after one mosaic probe
and after up to two (``qualipress.search.proxy.steer``), and the CPU seconds of the steering.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from qualipress import codecs as _codecs
from qualipress import metrics as _metrics
from qualipress.bench.search_bench import resolve_target
from qualipress.io import IMAGE_SUFFIXES, read_image
from qualipress.search import proxy
from qualipress.search.search import _predicted

TARGETS = ("ssim>=0.90", "ssim>=0.95", "ssim>=0.99", "C1")


def run(dataset: Path, codec_name: str, limit: int, tile: int | None) -> str:
    codec = _codecs.get(codec_name)
    assert codec.info.quality is not None
    grid = codec.info.quality.grid
    files = sorted(p for p in dataset.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    found: dict[str, list[tuple[bool, int]]] = {"predictor": [], "one mosaic probe": [], "up to two": []}
    cost: list[float] = []
    for f in files:
        img = read_image(f)
        ref = _metrics.prepare_reference(img)
        sweep = [_metrics.measure(ref, _codecs.decode_like(codec, codec.encode(img, quality=q), img)) for q in grid]
        mos = proxy.Mosaic(img, img, _metrics.DEFAULT_TILE, ref, tile or proxy.tile_for(codec))
        for text in TARGETS:
            tgt = resolve_target(text)
            ok = [tgt.satisfied(r) for r in sweep]
            k = next((i for i in range(len(ok)) if all(ok[i:])), None)
            pred = _predicted(img, codec, tgt, len(grid))
            if k is None or pred is None:
                continue
            i0 = min(max(int(round(pred.index)), 0), len(grid) - 1)
            x1 = proxy.steer(mos, codec, tgt, grid, i0, pred.slope, {}, max_probes=1)[0]
            t0 = time.process_time()
            x2 = proxy.steer(mos, codec, tgt, grid, i0, pred.slope, {})[0]
            cost.append(time.process_time() - t0)
            for key, x in (("predictor", pred.index), ("one mosaic probe", x1), ("up to two", x2)):
                first = math.ceil(x - 1e-9)
                found[key].append((first in (k - 1, k), first - k))
    lines = [f"{codec_name} on {dataset.name}, {len(files)} images × {len(TARGETS)} targets, mosaic tiles "
             f"{tile or proxy.tile_for(codec)} px; steering CPU {1000 * np.mean(cost):.1f} ms per search", "",
             "| first probe from | in the final pair | mean distance (grid steps) |", "|---|---|---|"]
    for key, v in found.items():
        lines.append(f"| {key} | {100 * np.mean([a for a, _ in v]):.0f} % | {np.mean([abs(b) for _, b in v]):.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--codec", default="jpeg")
    ap.add_argument("--limit", type=int, default=8)
    ap.add_argument("--tile", type=int, default=None)
    a = ap.parse_args()
    print(run(a.dataset, a.codec, a.limit, a.tile))


if __name__ == "__main__":
    main()
