"""Lossless archive of one TIFF frame's pixels in three layouts: strips (as ``make-testset`` writes), tiles and
planar-separate strips (fix20film: the last two were stored whole, zstd only).

Usage (from the repository root)::

    PYTHONPATH=src .venv/bin/python benchmarks/film_tiff_layouts.py --testset /tmp/qp-film-testset --limit 6

Makes the TIFF test set first when ``--testset`` does not exist (``make_testset``, one frame per shot), rewrites
each frame's pixels with ``tifffile`` as 256x256 tiles and as planar-separate strips (uncompressed, little-endian),
archives every file with :func:`qualipress.film.lossless.archive_bytes` (defaults), checks the restore byte for
byte and prints a Markdown table: bytes in, archive bytes, model, CPU seconds per layout.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np


def layouts(data: bytes) -> dict[str, bytes]:
    """The frame as it is, and its pixels as tiles and as planar strips."""
    import tifffile

    px = tifffile.imread(io.BytesIO(data))
    out = {"strips": data}
    for name, kw, arr in (("tiles 256", {"tile": (256, 256)}, px),
                          ("planar", {"planarconfig": "separate"}, np.moveaxis(px, -1, 0))):
        buf = io.BytesIO()
        tifffile.imwrite(buf, arr, photometric="rgb", compression=None, metadata=None, byteorder="<", **kw)
        out[name] = buf.getvalue()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--testset", type=Path, default=Path("/tmp/qp-film-testset"))
    ap.add_argument("--limit", type=int, default=0, help="First N frames only (0: all).")
    args = ap.parse_args()
    from qualipress.film.lossless import archive_bytes, restore_bytes
    from qualipress.film.testset import default_source, make_testset

    if not (args.testset / "testset.json").is_file():
        make_testset(default_source(), args.testset, frames_per_shot=1, formats=("tiff",))
    frames = sorted((args.testset / "tiff").rglob("*.tif*"))[: args.limit or None]
    totals: dict[str, list[float]] = {}
    models: dict[str, set[str]] = {}
    for f in frames:
        for name, data in layouts(f.read_bytes()).items():
            t0 = time.process_time()
            out, rec = archive_bytes(data, name=f.name)
            cpu = time.process_time() - t0
            assert restore_bytes(out) == data, f"{f.name} {name}: restore differs"
            t = totals.setdefault(name, [0, 0, 0.0])
            t[0] += len(data)
            t[1] += len(out)
            t[2] += cpu
            models.setdefault(name, set()).add(rec["model"])
    print(f"{len(frames)} frame(s), restores bit-exact\n")
    print("| layout | bytes in | archive bytes | ratio | vs strips | model | CPU s |")
    print("|---|---:|---:|---:|---:|---|---:|")
    base = totals["strips"][1]
    for name, (src, arc, cpu) in totals.items():
        print(f"| {name} | {src:,} | {arc:,} | {src / arc:.3f} | {arc / base - 1:+.1%} | "
              f"{', '.join(sorted(models[name]))} | {cpu:.1f} |")


if __name__ == "__main__":
    main()
