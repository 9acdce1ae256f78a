"""A/B of the first full-image probe's shift (:data:`qualipress.search.proxy.FIRST_PROBE_SHIFT`) for one codec.

Usage::

    python benchmarks/search_first_shift.py DATASET [--limit N] [--skip K] [--codec jpeg] [--shifts "0;-0.25;-0.5"]
        [--modes cold,warm] [--sweeps CACHE.json] [--as-jpeg DIR] [--json OUT.json]

Every image (the files ``K`` to ``K + N`` of ``DATASET`` by name) is searched, as ``qualipress bench search`` does
(cold: each alone from the predictor; warm: in order, each started from the previous result's hint), for SSIM ≥ 0.90
/ 0.95 / 0.99 and profile C1, once per shift: the shift is set in ``FIRST_PROBE_SHIFT`` for ``--codec`` before
each search, the first listed being the reference. Each file found is decoded and measured again (a miss: it does
not meet its target) and compared with the smallest passing file of an exhaustive sweep of every setting
(``bench.search_bench.sweep``, cached in ``--sweeps``). ``--as-jpeg DIR`` first saves every image as a 4:2:0
Pillow JPEG of quality 75, 80, 85, 90, 95 in turn in ``DIR`` (outside the repository) and searches those files,
as JPEG sources. Reports per shift and mode: mean full-image probes per search, max, misses, bytes against the
exhaustive minimum, and against the reference shift the searches with fewer and more probes and those whose file
differs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from _cold_search import TARGETS, image_files, targets
from PIL import Image as PILImage

from qualipress import codecs as _codecs
from qualipress.bench.search_bench import sweep
from qualipress.io import Image, read_image, sha256_file
from qualipress.search import Target, measure_encoded, search
from qualipress.search import proxy as _proxy

#: JPEG qualities the ``--as-jpeg`` sources are saved at, image by image in turn.
SOURCE_QUALITIES = (75, 80, 85, 90, 95)


def _inputs(files: list[Path], as_jpeg: Path | None) -> list[Path]:
    """``files``, or each saved as a JPEG source in ``as_jpeg`` (qualities :data:`SOURCE_QUALITIES` in turn)."""
    if as_jpeg is None:
        return files
    as_jpeg.mkdir(parents=True, exist_ok=True)
    out = []
    for k, f in enumerate(files):
        q = SOURCE_QUALITIES[k % len(SOURCE_QUALITIES)]
        dst = as_jpeg / f"{f.stem}_q{q}.jpg"
        if not dst.exists():
            PILImage.open(f).convert("RGB").save(dst, quality=q, subsampling=2)
        out.append(dst)
    return out


def _one(img: Image, codec: Any, tgt: Target, start: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Search ``img`` (a fresh copy: no cached features) and compare the result with the sweep's ``rows``."""
    res = search(img.with_pixels(img.pixels.copy()), codec, tgt, start=start)
    again = measure_encoded(res.data, _codecs.get(res.codec), img, metrics=tgt.metrics).metrics
    ok = [r for r in rows if all(r[c.metric if c.stat == "mean" else f"{c.metric}@{c.stat}"] >= c.value
                                 for c in tgt.constraints)]
    return {"encodes": res.encodes, "steering": res.steering, "bytes": len(res.data),
            "exhaustive_bytes": min(r["bytes"] for r in ok), "setting": res.setting,
            "met": bool(tgt.satisfied(again)), "probes": [[p.setting, bool(p.passed)] for p in res.probes],
            "hint": getattr(res, "hint", None)}


def run(files: list[Path], codec_name: str, shifts: list[float], modes: list[str], target_text: str,
        cache_path: Path | None) -> list[dict[str, Any]]:
    """Every search's figures: one row per image, target, mode and shift."""
    codec = _codecs.get(codec_name)
    cache: dict[str, Any] = json.loads(cache_path.read_text()) if cache_path and cache_path.exists() else {}
    images = [(f, read_image(f), sha256_file(f)) for f in files]
    sweeps = {f: sweep(img, codec_name, cache, sha) for f, img, sha in images}
    if cache_path is not None:
        cache_path.write_text(json.dumps(cache))
    search(images[0][1], codec, targets("C1")[0][1])  # warm-up: the predictor and kernels load outside the rows
    shipped = _proxy.FIRST_PROBE_SHIFT.get(codec_name)
    out = []
    try:
        for text, tgt in targets(target_text):
            for mode in modes:
                for shift in shifts:
                    _proxy.FIRST_PROBE_SHIFT[codec_name] = shift
                    hint = None
                    for f, img, _ in images:
                        row = _one(img, codec, tgt, hint if mode == "warm" else None, sweeps[f])
                        hint = row.pop("hint") or hint
                        out.append({"image": f.name, "target": text, "mode": mode, "shift": shift, **row})
    finally:
        if shipped is None:
            _proxy.FIRST_PROBE_SHIFT.pop(codec_name, None)
        else:
            _proxy.FIRST_PROBE_SHIFT[codec_name] = shipped
    return out


def table(rows: list[dict[str, Any]], shifts: list[float]) -> str:
    """Per mode and shift: probes per search, misses, bytes, and the changes against the first shift."""
    lines = ["| mode | shift | searches | encodes/search | max | misses | bytes vs exhaustive | "
             "fewer / more probes than ref. | files differing from ref. |", "|---|---|---|---|---|---|---|---|---|"]
    for mode in dict.fromkeys(r["mode"] for r in rows):
        ref = {(r["image"], r["target"]): r for r in rows if r["mode"] == mode and r["shift"] == shifts[0]}
        for shift in shifts:
            sel = [r for r in rows if r["mode"] == mode and r["shift"] == shift]
            pairs = [(r, ref[(r["image"], r["target"])]) for r in sel]
            fewer = sum(r["encodes"] < b["encodes"] for r, b in pairs)
            more = sum(r["encodes"] > b["encodes"] for r, b in pairs)
            differ = sum(r["bytes"] != b["bytes"] for r, b in pairs)
            excess = 100 * (sum(r["bytes"] for r in sel) / sum(r["exhaustive_bytes"] for r in sel) - 1)
            lines.append(f"| {mode} | {shift:+g} | {len(sel)} | {np.mean([r['encodes'] for r in sel]):.2f} | "
                         f"{max(r['encodes'] for r in sel)} | {sum(not r['met'] for r in sel)} | {excess:+.2f} % | "
                         f"{fewer} / {more} | {differ} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--limit", type=int, default=12)
    ap.add_argument("--skip", type=int, default=0, help="leave out the first SKIP files")
    ap.add_argument("--codec", default="jpeg")
    ap.add_argument("--shifts", default="0;-0.25;-0.5", help='";"-separated; the first is the reference')
    ap.add_argument("--modes", default="cold")
    ap.add_argument("--targets", default=";".join(TARGETS))
    ap.add_argument("--sweeps", type=Path, help="JSON cache of the exhaustive sweeps")
    ap.add_argument("--as-jpeg", type=Path, help="save the images as JPEG sources here and search those")
    ap.add_argument("--json", type=Path, help="write every search's row here")
    a = ap.parse_args()
    files = _inputs(image_files(a.dataset, a.skip + a.limit)[a.skip:], a.as_jpeg)
    shifts = [float(v) for v in a.shifts.split(";")]
    rows = run(files, a.codec, shifts, a.modes.split(","), a.targets, a.sweeps)
    if a.json is not None:
        a.json.write_text(json.dumps(rows, indent=1))
    print(f"{a.codec} on {len(files)} images of {a.dataset}{' as JPEG sources' if a.as_jpeg else ''}")
    print(table(rows, shifts))


if __name__ == "__main__":
    main()
