"""Lossless archive benchmark: qualipress archive vs raw DPX/TIFF vs FFmpeg FFV1 (level 3), bit-exact restores.

Usage (from the repository root)::

    .venv/bin/python benchmarks/film_lossless.py --testset /tmp/qp-film-testset --out /tmp/qp-film-lossless

Makes the test set first when ``--testset`` does not exist (``qualipress film make-testset``), archives the DPX
and TIFF frames, restores them and compares every restored file with the original byte for byte, encodes every
frame with ``ffmpeg -c:v ffv1 -level 3 -g 1 -slicecrc 1`` into Matroska and checks FFV1 decodes to the same
pixels, then prints a Markdown table and writes ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np


def ffv1_encode(src: Path, dst: Path) -> int:
    """``src`` as FFV1 level 3, intra only, in Matroska (the lossless reference of the film benchmarks); its bytes."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-c:v", "ffv1", "-level", "3", "-g", "1",
                    "-slicecrc", "1", str(dst)], check=True)
    return dst.stat().st_size


def rgb48(p: Path) -> bytes:
    """The pixels of ``p`` as FFmpeg decodes them, 16-bit RGB."""
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(p), "-f", "rawvideo", "-pix_fmt", "rgb48le", "-"],
                          check=True, capture_output=True).stdout


def ffv1(src: Path, dst: Path) -> tuple[int, float, bool]:
    """FFV1 size, seconds and whether it decodes to the source's pixels (compared as 16-bit RGB)."""
    t0 = time.perf_counter()
    size = ffv1_encode(src, dst)
    return size, time.perf_counter() - t0, rgb48(src) == rgb48(dst)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--testset", type=Path, default=Path("/tmp/qp-film-testset"))
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-film-lossless"))
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    from qualipress.film.archive import archive_paths, restore_archive
    from qualipress.film.testset import default_source, make_testset

    if not (args.testset / "testset.json").is_file():
        make_testset(default_source(), args.testset)
    if args.out.exists():
        shutil.rmtree(args.out)
    results = {}
    for kind in ("dpx", "tiff"):
        src = args.testset / kind
        frames = sorted(p for p in src.rglob("*") if p.is_file())
        t0 = time.perf_counter()
        res = archive_paths([src], args.out / kind / "archive", jobs=args.jobs)
        t_arch = time.perf_counter() - t0
        t0 = time.perf_counter()
        back = restore_archive(args.out / kind / "archive", args.out / kind / "restored", jobs=args.jobs)
        t_rest = time.perf_counter() - t0
        exact = sum((args.out / kind / "restored" / p.relative_to(src)).read_bytes() == p.read_bytes()
                    for p in frames)
        raw = sum(p.stat().st_size for p in frames)
        arch = sum(r["archive_bytes"] for r in res.records if r["status"] == "ok")
        ff_bytes, ff_secs, ff_ok = 0, 0.0, 0
        for p in frames:
            dst = args.out / kind / "ffv1" / (p.name + ".mkv")
            dst.parent.mkdir(parents=True, exist_ok=True)
            n, s, ok = ffv1(p, dst)
            ff_bytes += n
            ff_secs += s
            ff_ok += ok
        codecs: dict[str, int] = {}
        for r in res.records:
            codecs[r["codec"]] = codecs.get(r["codec"], 0) + 1
        results[kind] = {
            "frames": len(frames), "errors": len(res.errors), "raw_bytes": raw, "archive_bytes": arch,
            "ratio_vs_raw": round(raw / arch, 3), "ffv1_bytes": ff_bytes,
            "ffv1_ratio_vs_raw": round(raw / ff_bytes, 3), "archive_vs_ffv1": round(arch / ff_bytes, 4),
            "bit_exact_restores": exact, "restore_errors": len(back.errors),
            "ffv1_pixel_exact": ff_ok, "archive_s_per_frame": round(t_arch / len(frames), 3),
            "restore_s_per_frame": round(t_rest / len(frames), 3),
            "ffv1_s_per_frame": round(ff_secs / len(frames), 3),
            "codec_wins": codecs,
            # full encodes only (with the default probe selection, only the chosen codec's)
            "mean_codec_sizes": {c: int(np.mean(v)) for c in ("jpegxl", "jpeg2000", "jpegls", "htj2k")
                                 if (v := [r["sizes"][c] for r in res.records if c in r.get("sizes", {})])},
        }
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print("| set | frames | raw MB | qualipress MB | ratio vs raw | FFV1 MB | FFV1 ratio | qualipress/FFV1 "
          "| bit-exact restores | s/frame archive | s/frame restore | s/frame FFV1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, r in results.items():
        print(f"| {kind} | {r['frames']} | {r['raw_bytes'] / 1e6:.1f} | {r['archive_bytes'] / 1e6:.1f} | "
              f"{r['ratio_vs_raw']}:1 | {r['ffv1_bytes'] / 1e6:.1f} | {r['ffv1_ratio_vs_raw']}:1 | "
              f"{r['archive_vs_ffv1']:.3f} | {r['bit_exact_restores']}/{r['frames']} | {r['archive_s_per_frame']} | "
              f"{r['restore_s_per_frame']} | {r['ffv1_s_per_frame']} |")
    print(json.dumps({k: {"codec_wins": v["codec_wins"], "mean_codec_sizes": v["mean_codec_sizes"],
                          "ffv1_pixel_exact": v["ffv1_pixel_exact"]} for k, v in results.items()}))


if __name__ == "__main__":
    main()
