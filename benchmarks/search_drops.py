"""Where a codec's metric falls as its setting rises, from the exhaustive sweeps ``qualipress bench search`` caches.

For each dataset, codec and measurement (SSIM, SSIM@min, PSNR, in the search's margin units), every grid setting
(the first of each group of settings that write the same file, :mod:`qualipress.search.plateaus`) whose value is
below the one before it: on how many images, by how much at most (``depth``, margin units), and how many grid steps
on the setting before the drop still measured better (``reach``: the failing end of a proof within that many steps
of the drop may hide a passing setting below it, :mod:`qualipress.search.drops`). Also counts, per target, the
searches the non-monotone curve could trap: a passing setting with a failing one just below it that is not the
smallest passing file.

Usage::

    python benchmarks/search_drops.py SWEEP_CACHE.json [...] --dataset ../shared/data/kodak --limit 12 \
        --dataset ../shared/data/train/bsd300_test100
"""

from __future__ import annotations

import argparse
import collections
import json
import math
from pathlib import Path

from qualipress import codecs
from qualipress.bench.search_bench import _bench_files, _key, resolve_target
from qualipress.io import sha256_file
from qualipress.search import plateaus
from qualipress.search.drops import drops

MEASURES = {"ssim": lambda v: -math.log10(max(1.0 - v, 1e-12)),
            "ssim@min": lambda v: -math.log10(max(1.0 - v, 1e-12)),
            "psnr": lambda v: v / 10.0}
TARGETS = ("ssim>=0.90", "ssim>=0.93", "ssim>=0.95", "ssim>=0.97", "ssim>=0.98", "ssim>=0.99", "C1")


def _margin_rows(rows: list[dict], firsts: list[int], key: str) -> list[float]:
    return [MEASURES[key](rows[i][key]) for i in firsts]


def analyse(cache: dict, files: list[Path], codec_name: str) -> dict:
    """Drops and trapping searches of one codec on ``files`` (those with a cached sweep)."""
    codec = codecs.get(codec_name)
    grid = list(codec.info.quality.grid)
    firsts = sorted({a for a, _ in plateaus.groups(codec, grid)})
    stats: dict = collections.defaultdict(lambda: {"images": 0, "depth": 0.0, "reach": 0})
    traps, searches, n = [], 0, 0
    for f in files:
        rows = cache.get(f"{sha256_file(f)}|{codec_name}|{codec.version()}|v2")
        if rows is None:
            continue
        n += 1
        rows = rows[:-1]
        for key in MEASURES:
            m = _margin_rows(rows, firsts, key)
            for q in range(1, len(m)):
                if m[q] < m[q - 1] - 1e-4 and 0.3 < m[q - 1] < 3.5:  # SSIM 0.5-0.9997, PSNR 3-35 dB
                    s = stats[(grid[firsts[q]], key)]
                    s["images"] += 1
                    s["depth"] = max(s["depth"], m[q - 1] - m[q])
                    r = 1
                    while q + r < len(m) and m[q + r] < m[q - 1]:
                        r += 1
                    s["reach"] = max(s["reach"], r)
        for text in TARGETS:
            tgt = resolve_target(text)
            mg = {i: min(MEASURES[_key(c)](rows[i][_key(c)]) - MEASURES[_key(c)](c.value)
                         for c in tgt.constraints) for i in firsts}
            ok = [i for i in firsts if mg[i] >= 0]
            if not ok:
                continue
            searches += 1
            best = min(ok, key=lambda i: rows[i]["bytes"])
            for k in range(1, len(firsts)):
                i, j = firsts[k], firsts[k - 1]
                if mg[i] >= 0 > mg[j] and rows[i]["bytes"] > rows[best]["bytes"]:
                    traps.append({"image": f.name, "target": text, "setting": grid[i], "neighbour": grid[j],
                                  "excess": rows[i]["bytes"] / rows[best]["bytes"] - 1})
    return {"images": n, "searches": searches, "declared": [(grid[d], r) for d, r in drops(codec, grid)],
            "drops": [{"setting": k[0], "measure": k[1], **v} for k, v in sorted(stats.items())], "traps": traps}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("caches", nargs="+", help="sweep-cache.json files of qualipress bench search")
    ap.add_argument("--dataset", action="append", required=True)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--codecs", default="jpeg,jpegxl,avif")
    args = ap.parse_args()
    cache: dict = {}
    for c in args.caches:
        cache.update(json.loads(Path(c).read_text()))
    out = {}
    for ds in args.dataset:
        files = _bench_files(ds, args.limit)
        for name in args.codecs.split(","):
            res = analyse(cache, files, name)
            out[f"{Path(ds).name}|{name}"] = res
            print(f"{Path(ds).name} {name}: {res['images']} sweeps, declared drops {res['declared']}")
            for d in res["drops"]:
                if d["images"] >= 1:
                    print(f"  drop at {d['setting']:g} ({d['measure']}): {d['images']} images, depth "
                          f"{d['depth']:.4f}, reach {d['reach']}")
            print(f"  traps: {len(res['traps'])} of {res['searches']} (image, target) pairs "
                  f"{[(t['image'], t['target'], round(100 * t['excess'], 2)) for t in res['traps']]}")



if __name__ == "__main__":
    main()
