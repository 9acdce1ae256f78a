"""Lossless archive speed and size vs FFmpeg FFV1 on grainy 2K 10-bit DPX frames, same run, same workers.

Usage (from the repository root)::

    python benchmarks/film_archive_speed.py --out /tmp/qp-archive-speed --shots 3 --frames 4 --jobs 2

1. Makes grainy test frames (benchmark-local, deterministic): each shot is one EXR of ``--source``
   (``../shared/data/hdr_film``) encoded to ACEScct, resized to 2048x1080, panned 8 px per frame, plus film-like
   grain: Gaussian noise blurred with a 0.7 px Gaussian, scaled to an RMS of 3-6 10-bit code values (per shot),
   written as 10-bit DPX (filled method A) by ``qualipress.io.dpx.encode_dpx``.
2. FFV1: ``ffmpeg -c:v ffv1 -level 3 -g 1 -slicecrc 1`` one ``.mkv`` per frame, ``--jobs`` ffmpeg processes at a
   time (the wall time of the whole set is what counts); every output checked to decode to the source's pixels.
3. qualipress ``archive_paths`` with ``--jobs`` workers, for each configuration in ``--configs``
   (``select:effort``, e.g. ``probe:3``), then ``restore_archive`` and a byte-for-byte comparison of every file.

Prints a Markdown table (per configuration: total bytes vs FFV1, worst and best per-frame ratio, frames at or
under 0.92x FFV1, wall time vs FFV1's, bit-exact restores) and writes ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

GRAIN_BLUR = 0.7
SIZE = (2048, 1080)


def make_frames(source: Path, out: Path, shots: int, frames: int) -> list[Path]:
    """Grainy 10-bit ACEScct DPX frames ``out/<shot>/<shot>.<n>.dpx`` (deterministic)."""
    import cv2

    from qualipress.io import dpx, read_image
    from qualipress.io.logcurves import linear_to_acescct

    exrs = sorted(source.glob("*.exr"))[:shots]
    paths = []
    for s, exr in enumerate(exrs):
        lin = np.asarray(read_image(exr).color().pixels[..., :3], np.float32)
        lin = np.maximum(np.nan_to_num(lin, nan=0.0, posinf=0.0, neginf=0.0), 0.0)
        code = np.clip(linear_to_acescct(lin), 0.0, 1.0)
        pan = 8 * (frames - 1)
        code = cv2.resize(code, (SIZE[0] + pan, SIZE[1]), interpolation=cv2.INTER_AREA)
        rms = 3.0 + 3.0 * s / max(1, len(exrs) - 1)
        rng = np.random.default_rng(1000 + s)
        for k in range(frames):
            crop = code[:, 8 * k:8 * k + SIZE[0]] * 1023.0
            noise = cv2.GaussianBlur(rng.standard_normal(crop.shape).astype(np.float32), (0, 0), GRAIN_BLUR)
            noise *= rms / float(noise.std())
            px = np.clip(np.rint(crop + noise), 0, 1023).astype(np.uint16)
            p = out / exr.stem / f"{exr.stem}.{86400 + k:07d}.dpx"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(dpx.encode_dpx(px, bit_size=10, frame_rate=24, frame=86400 + k))
            paths.append(p)
    return paths


def fresh_frames(out: Path, source: Path | None, shots: int, frames: int) -> list[Path]:
    """:func:`make_frames` into ``out/frames`` after removing ``out`` (the benchmark's whole scratch folder) when
    it exists; ``source`` None: the test set's default source (``qualipress.film.testset.default_source``)."""
    from qualipress.film.testset import default_source

    if out.exists():
        shutil.rmtree(out)
    return make_frames(source or default_source(), out / "frames", shots, frames)


def _cpu() -> float:
    """CPU seconds (user + system) of this process and its finished children so far."""
    import resource

    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def ffv1(frames: list[Path], root: Path, out: Path, jobs: int) -> dict:
    from film_lossless import ffv1_encode, rgb48

    dsts = [out / (p.relative_to(root).as_posix().replace("/", "__") + ".mkv") for p in frames]
    out.mkdir(parents=True, exist_ok=True)
    t0, c0 = time.perf_counter(), _cpu()
    with ThreadPoolExecutor(jobs) as pool:
        sizes = list(pool.map(ffv1_encode, frames, dsts))
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    exact = sum(rgb48(a) == rgb48(b) for a, b in zip(frames, dsts, strict=True))
    return {"wall_s": round(wall, 3), "cpu_s_per_frame": round(cpu / len(frames), 3), "bytes": sizes,
            "pixel_exact": exact}


def qualipress(frames: list[Path], root: Path, out: Path, jobs: int, select: str, effort: int) -> dict:
    from qualipress.film.archive import archive_paths, restore_archive

    arch, back = out / "archive", out / "restored"
    t0, c0 = time.perf_counter(), _cpu()
    res = archive_paths([root], arch, jobs=jobs, select=select, effort=effort)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    t0, c0 = time.perf_counter(), _cpu()
    rest = restore_archive(arch, back, jobs=jobs)
    wall_restore, cpu_restore = time.perf_counter() - t0, _cpu() - c0
    by = {r["source"]: r for r in res.records}
    rels = [p.relative_to(root).as_posix() for p in frames]
    exact = sum((back / r).read_bytes() == p.read_bytes() for r, p in zip(rels, frames, strict=True))
    codecs: dict[str, int] = {}
    for r in res.records:
        codecs[str(r.get("codec"))] = codecs.get(str(r.get("codec")), 0) + 1
    return {"wall_s": round(wall, 3), "restore_wall_s": round(wall_restore, 3),
            "cpu_s_per_frame": round(cpu / len(frames), 3),
            "restore_cpu_s_per_frame": round(cpu_restore / len(frames), 3),
            "bytes": [by[r]["archive_bytes"] for r in rels], "errors": len(res.errors) + len(rest.errors),
            "bit_exact": exact, "codec_wins": codecs,
            "encodes_per_frame": round(float(np.mean([by[r]["encodes"] for r in rels])), 2),
            "seconds_in_worker_per_frame": round(float(np.mean([by[r]["seconds"] for r in rels])), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None, help="directory of EXRs (default: shared hdr_film)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-archive-speed"))
    ap.add_argument("--shots", type=int, default=3)
    ap.add_argument("--frames", type=int, default=4, help="frames per shot")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--configs", default="probe:1,probe:2,probe:3,all:3",
                    help="comma-separated select:effort archive configurations")
    args = ap.parse_args()
    frames = fresh_frames(args.out, args.source, args.shots, args.frames)
    frames_dir = args.out / "frames"
    raw = [p.stat().st_size for p in frames]
    results: dict = {"date": time.strftime("%Y-%m-%d"), "frames": len(frames), "size": SIZE, "jobs": args.jobs,
                     "cores": os.cpu_count(), "load_before": os.getloadavg(), "raw_bytes": sum(raw)}
    results["ffv1"] = ff = ffv1(frames, frames_dir, args.out / "ffv1", args.jobs)
    for cfg in args.configs.split(","):
        select, effort = cfg.split(":")
        results[cfg] = qualipress(frames, frames_dir, args.out / cfg.replace(":", "-e"), args.jobs, select,
                                  int(effort))
    results["load_after"] = os.getloadavg()
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    ffb = np.array(ff["bytes"], float)
    print(f"{len(frames)} frames {SIZE[0]}x{SIZE[1]} 10-bit DPX, {sum(raw) / 1e6:.1f} MB raw; jobs {args.jobs}; "
          f"FFV1 {ffb.sum() / 1e6:.2f} MB in {ff['wall_s']} s ({len(frames) / ff['wall_s']:.2f} frames/s), "
          f"pixel-exact {ff['pixel_exact']}/{len(frames)}; load {results['load_before'][0]:.1f} -> "
          f"{results['load_after'][0]:.1f}")
    print(f"FFV1 CPU s/frame {ff['cpu_s_per_frame']}")
    print("| select:effort | MB | bytes vs FFV1 | per-frame ratio worst / best | frames <= 0.92x | wall s | "
          "wall vs FFV1 | frames/s | CPU s/frame | restore s | restore CPU s/frame | bit-exact | encodes/frame | "
          "codecs |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cfg in args.configs.split(","):
        r = results[cfg]
        b = np.array(r["bytes"], float)
        ratio = b / ffb
        print(f"| {cfg} | {b.sum() / 1e6:.2f} | {b.sum() / ffb.sum():.3f} | {ratio.max():.3f} / {ratio.min():.3f} | "
              f"{int((ratio <= 0.92).sum())}/{len(b)} | {r['wall_s']} | {r['wall_s'] / ff['wall_s']:.2f} | "
              f"{len(b) / r['wall_s']:.2f} | {r['cpu_s_per_frame']} | {r['restore_wall_s']} | "
              f"{r['restore_cpu_s_per_frame']} | {r['bit_exact']}/{len(b)} | "
              f"{r['encodes_per_frame']} | {r['codec_wins']} |")


if __name__ == "__main__":
    main()
