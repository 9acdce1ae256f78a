"""CPU seconds of every frame of a lossy film ``compress`` in one process, with an output comparison.

Usage (from the repository root; run it once per version of ``src`` to compare, e.g. with ``PYTHONPATH``)::

    python benchmarks/film_frame_cpu.py --out /tmp/qp-frame-cpu-after --codec htj2k \
        --compare /tmp/qp-frame-cpu-before [--cli]

Frames come from ``film_archive_speed.make_frames`` (one shot of ``--frames`` grainy 2K 10-bit DPX frames, the same
generator and seeds; made under ``--frames-dir``, default ``/tmp/qp-frame-cpu-frames``, and reused when present).
The frames are compressed at profile C1 with one worker in this process: by default through ``compress_paths`` with
``FilmHooks`` (as the other film benchmarks), with ``--cli`` through ``qualipress compress FRAMES -o OUT --profile
C1 --codec CODEC`` (the hooks a user gets: ``PhotoHooks`` around ``FilmHooks``). Each frame's CPU seconds are the
process time of its ``process_one``; warm frames are those after the first of the shot. Writes ``rows.json`` in
``--out`` (per frame: CPU, encodes, bytes, how it was verified, its film figures without their time stamp).

``--compare DIR`` (an earlier run's ``--out``) reports whether every output file is byte-identical and every
frame's film figures equal, and exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path


def _rows(records: list[dict], cpu: dict[str, float], out: Path) -> list[dict]:
    rows = []
    for r in sorted(records, key=lambda r: r["input"]):
        name = Path(r["input"]).name
        rows.append({"frame": name, "cpu_s": round(cpu[name], 3), "encodes": r["encodes"], "bytes": r["bytes"],
                     "warm": (r.get("analysis") or {}).get("sequence_position", 0) > 0,
                     "verify": r.get("verify"),
                     "output": Path(r["output"]).relative_to(out).as_posix() if r.get("output") else None,
                     "film": {k: v for k, v in (r.get("film") or {}).items() if k != "finished_at"},
                     "error": r.get("error")})
    return rows


def _compare(out: Path, rows: list[dict], earlier: Path) -> bool:
    old = {r["frame"]: r for r in json.loads((earlier / "rows.json").read_text())}
    same = True
    for r in rows:
        o = old.get(r["frame"])
        identical = o is not None and r["output"] and o["output"] and \
            (out / "out" / r["output"]).read_bytes() == (earlier / "out" / o["output"]).read_bytes()
        if not identical or o["film"] != r["film"]:
            same = False
            print(f"{r['frame']}: {'bytes differ' if not identical else 'film figures differ'}")
    print(f"outputs vs {earlier}: {'byte-identical, same film figures' if same else 'DIFFERENT'}")
    return same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--codec", default="htj2k")
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--frames-dir", type=Path, default=Path("/tmp/qp-frame-cpu-frames"))
    ap.add_argument("--source", type=Path, default=None)
    ap.add_argument("--cli", action="store_true", help="through `qualipress compress` (PhotoHooks around FilmHooks)")
    ap.add_argument("--compare", type=Path, default=None, help="an earlier run's --out: outputs must be identical")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from film_archive_speed import make_frames

    from qualipress.film.hooks import FilmHooks
    from qualipress.film.testset import default_source
    from qualipress.pipeline import CompressOptions, batch, compress_paths
    from qualipress.pipeline.batch import read_report
    from qualipress.profiles import get_profile

    if not args.frames_dir.exists():
        make_frames(args.source or default_source(), args.frames_dir, 1, args.frames)
    if args.out.exists():
        shutil.rmtree(args.out)
    out = args.out / "out"
    cpu: dict[str, float] = {}
    inner = batch.process_one

    def timed(job, *a, **k):  # type: ignore[no-untyped-def]
        c = time.process_time()
        rec = inner(job, *a, **k)
        cpu[job.source.name] = time.process_time() - c
        return rec

    batch.process_one = timed
    try:
        if args.cli:
            from qualipress.cli import main as cli

            cli(["compress", str(args.frames_dir), "-o", str(out), "--profile", "C1", "--codec", args.codec])
            records = read_report(out / batch.REPORT_NAME)
        else:
            prof = get_profile("C1")
            opts = CompressOptions(target=prof.target, codec=args.codec, profile=prof.name, jobs=1,
                                   hooks=FilmHooks(profile=prof.name))
            records = compress_paths([args.frames_dir], out, opts).records
    finally:
        batch.process_one = inner
    rows = _rows(records, cpu, out.resolve())
    (args.out / "rows.json").write_text(json.dumps(rows, indent=1))
    warm = [r["cpu_s"] for r in rows if r["warm"]]
    cold = [r["cpu_s"] for r in rows if not r["warm"]]
    print(f"{args.codec}{' (cli)' if args.cli else ''}: warm {sum(warm) / max(1, len(warm)):.3f} CPU-s/frame "
          f"({len(warm)} frames), cold {sum(cold) / max(1, len(cold)):.3f}, all "
          f"{sum(r['cpu_s'] for r in rows) / len(rows):.3f}; encodes {[r['encodes'] for r in rows]}; "
          f"verify {sorted({str(r['verify']) for r in rows})}; errors {sum(bool(r['error']) for r in rows)}")
    if args.compare is not None and not _compare(args.out, rows, args.compare):
        sys.exit(1)


if __name__ == "__main__":
    main()
