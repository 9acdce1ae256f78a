"""How often the first full-image probe lands on the final pair, from the predictor alone and from the mosaic.

Usage::

    python benchmarks/mosaic_steering.py ../shared/data/kodak --limit 8 [--tile 32] [--codec avif]
        [--sweeps results/search/sweep-cache.json] [--shifts "0;0.5;1"]

For each image the exhaustive sweep of the codec's grid gives the lowest passing setting k for each target; the
search's proof needs k and k − 1, so a first probe elsewhere costs an extra full-image encode. Reported: the share
of first probes in {k − 1, k} and the mean distance |first − k|, for the predictor's guess, after one mosaic probe
and as the search steers (``qualipress.search.proxy.steer``: up to two mosaic probes, more for JPEG; AVIF's at its
fast setting with the learnt offsets), the mosaic probes made and the CPU seconds of the steering. ``--sweeps``
reads the exhaustive sweeps from a ``qualipress bench search`` cache instead of encoding every setting again;
``--no-fast`` steers on a mosaic at the codec's default setting (as before AVIF's fast steering). Settings that
write the same file (:mod:`qualipress.search.plateaus`) count as one: a first probe in the group of k or of k − 1 is
in the final pair, and without ``--sweeps`` only each group's first setting is encoded. ``--shifts`` also reports
the first probe at ceil(estimate + shift) for each shift (how :data:`qualipress.search.proxy.FIRST_PROBE_SHIFT` is
chosen, on training photographs only).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
from _cold_search import TARGETS, image_files

from qualipress import codecs as _codecs
from qualipress import metrics as _metrics
from qualipress.bench.search_bench import _key, resolve_target
from qualipress.io import read_image, sha256_file
from qualipress.search import plateaus, proxy
from qualipress.search.search import _predicted


def run(dataset: Path, codec_name: str, limit: int, tile: int | None, sweeps: Path | None = None,
        no_fast: bool = False, shifts: tuple[float, ...] = ()) -> str:
    codec = _codecs.get(codec_name)
    assert codec.info.quality is not None
    grid = codec.info.quality.grid
    files = image_files(dataset, limit)
    cache = json.loads(sweeps.read_text()) if sweeps is not None else {}
    fast = None if no_fast else proxy.fast_options(codec, {})
    found: dict[str, list[tuple[bool, int]]] = {"predictor": [], "one mosaic probe": [], "as the search steers": []}
    cost: list[float] = []
    made: list[int] = []
    for f in files:
        img = read_image(f)
        ref = _metrics.prepare_reference(img)
        rows = cache.get(f"{sha256_file(f)}|{codec_name}|{codec.version()}|v2")
        gr = plateaus.groups(codec, grid)
        firsts = {a for a, _ in gr}
        encoded = {} if rows is not None else {
            a: _metrics.measure(ref, _codecs.decode_like(codec, codec.encode(img, quality=grid[a]), img))
            for a in sorted(firsts)}
        sweep = None if rows is not None else [encoded[gr[i][0]] for i in range(len(grid))]
        mos = proxy.Mosaic(img, img, _metrics.DEFAULT_TILE, ref, tile or proxy.tile_for(codec), fast=fast)
        for text in TARGETS:
            tgt = resolve_target(text)
            if rows is not None:
                ok = [all(r[_key(c)] >= c.value for c in tgt.constraints) for r in rows[: len(grid)]]
            else:
                ok = [tgt.satisfied(r) for r in sweep or []]
            k = next((i for i in range(len(ok)) if all(ok[i:])), None)
            pred = _predicted(img, codec, tgt, len(grid))
            if k is None or pred is None:
                continue
            i0 = min(max(int(round(pred.index)), 0), len(grid) - 1)
            x1 = proxy.steer(mos, codec, tgt, grid, i0, pred.slope, {}, max_probes=1)[0]
            t0 = time.process_time()
            x2, _, n = proxy.steer(mos, codec, tgt, grid, i0, pred.slope, {})
            cost.append(time.process_time() - t0)
            made.append(n)
            shifted = [(f"steered, shift {d:+g}", x2 + d) for d in shifts]
            for key, x in (("predictor", pred.index), ("one mosaic probe", x1), ("as the search steers", x2),
                           *shifted):
                first = min(max(math.ceil(x - 1e-9), 0), len(grid) - 1)
                found.setdefault(key, []).append((gr[first] in (gr[k], gr[k - 1] if k else gr[k]), first - k))
    lines = [f"{codec_name} on {dataset.name}, {len(files)} images × {len(TARGETS)} targets, mosaic tiles "
             f"{tile or proxy.tile_for(codec)} px{f', encoded with {fast}' if fast else ''}; steering "
             f"{np.mean(made):.2f} mosaic probes, CPU {1000 * np.mean(cost):.1f} ms per search", "",
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
    ap.add_argument("--sweeps", type=Path, default=None, help="A bench search sweep-cache.json.")
    ap.add_argument("--no-fast", action="store_true", help="Mosaic at the codec's default setting (for comparison).")
    ap.add_argument("--shifts", default="", help='Shifts of the steered estimate to report, e.g. "0;0.5;1".')
    a = ap.parse_args()
    shifts = tuple(float(v) for v in a.shifts.split(";") if v.strip())
    print(run(a.dataset, a.codec, a.limit, a.tile, a.sweeps, a.no_fast, shifts))


if __name__ == "__main__":
    main()
