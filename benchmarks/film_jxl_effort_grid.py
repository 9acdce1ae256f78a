"""Would cheaper JPEG XL probes find the same setting? The film search at effort 7, then a window of grid settings
around each frame's result probed at other efforts with the same target and film checks.

Usage (from the repository root)::

    python benchmarks/film_jxl_effort_grid.py --out /tmp/qp-jxl-effort --shots 2 --frames 3 --efforts 5,6,7

Frames come from ``film_archive_speed.make_frames`` (the grainy 2K 10-bit DPX shots of
``film_lossy_speed.py``). Each shot is compressed with ``compress_paths`` (one worker, ``FilmHooks``, profile
C1, ``--codec jpegxl``); after each frame's search, every grid setting from ``--below`` steps under its result to
``--above`` steps over it is probed at each effort of ``--efforts`` (the search's own probe: encode, decode,
target metrics and the film checks of that frame). Printed per frame and effort: pass/fail, bytes and margin at
each offset, and the lowest passing offset; a lowest passing offset of 0 at effort 7 says the search's result is
the smallest file on that stretch of the grid. Writes ``results.json``. Steering-free and slow (about 20 probes
per frame): a measurement, not a search.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-jxl-effort"))
    ap.add_argument("--shots", type=int, default=2)
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--efforts", default="5,6,7")
    ap.add_argument("--below", type=int, default=4)
    ap.add_argument("--above", type=int, default=2)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from film_archive_speed import fresh_frames

    from qualipress import codecs
    from qualipress.film.hooks import FilmHooks
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.profiles import get_profile

    search_mod = importlib.import_module("qualipress.search.search")  # the package re-exports the function
    efforts = [int(e) for e in args.efforts.split(",")]
    fresh_frames(args.out, args.source, args.shots, args.frames)
    rows: list[dict[str, Any]] = []
    original = search_mod.search

    def windowed(image: Any, codec: Any, target: Any, **kw: Any) -> Any:
        res = original(image, codec, target, **kw)
        cdc = codecs.get(codec) if isinstance(codec, str) else codec
        grid = list(cdc.info.quality.grid)
        if res.lossless or res.setting not in grid:
            return res
        r = grid.index(res.setting)
        row: dict[str, Any] = {"frame": len(rows), "setting": res.setting, "bytes": len(res.data),
                               "encodes": res.encodes, "efforts": {}}
        for effort in efforts:
            runner = search_mod._Runner(image, cdc, search_mod.parse_target(target), kw.get("reference"),
                                        kw.get("masks"), {**dict(kw.get("encode_options") or {}), "effort": effort},
                                        kw.get("checks", ()), kw.get("tile", 256))
            probes = []
            for i in range(max(0, r - args.below), min(len(grid), r + args.above + 1)):
                c0 = time.process_time()
                p = runner.run(grid[i])
                probes.append({"offset": i - r, "distance": grid[i], "passed": p.passed, "bytes": p.bytes,
                               "margin": round(p.margin, 4), "cpu_s": round(time.process_time() - c0, 2),
                               "failed": [o.name for o in p.checks if not o.passed]})
            low = min((p["offset"] for p in probes if p["passed"]), default=None)
            row["efforts"][str(effort)] = {"lowest_passing_offset": low, "probes": probes}
        rows.append(row)
        print(f"frame {row['frame']}: result {res.setting:g} ({len(res.data):,} B, {res.encodes} encodes)")
        for effort, e in row["efforts"].items():
            cells = " ".join(f"{p['offset']:+d}:{'P' if p['passed'] else 'F'} {p['bytes']:,}" for p in e["probes"])
            low = e["lowest_passing_offset"]
            print(f"  effort {effort}: lowest passing {'none' if low is None else f'{low:+d}'}  {cells}", flush=True)
        return res

    search_mod.search = windowed
    try:
        prof = get_profile("C1")
        for shot in sorted((args.out / "frames").iterdir()):
            compress_paths([shot], args.out / "out" / shot.name,
                           CompressOptions(target=prof.target, codec="jpegxl", profile=prof.name, jobs=1,
                                           hooks=FilmHooks(profile=prof.name)))
    finally:
        search_mod.search = original
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
