"""Lossless coder options on grainy 2K 10-bit DPX frames against FFmpeg FFV1, same frames, same run.

Usage (from the repository root)::

    python benchmarks/film_lossless_options.py --out /tmp/qp-lossless-options --shots 2

Frames: the first frame of each of ``--shots`` shots of ``film_archive_speed.make_frames`` (same generator and
seeds). For each frame: FFV1 (``-level 3 -g 1 -slicecrc 1``) bytes, then every coder option imagecodecs offers that
could make a grainy frame smaller (JPEG XL efforts, planar or per-plane input, a reversible colour transform
before JPEG XL / JPEG-LS, JPEG-LS interleaved or per plane, HTJ2K decomposition levels, JPEG 2000 5/3 with and
without its colour transform), each as bytes ÷ FFV1's bytes and CPU seconds of the encode. Sizes only: these are
experiments, nothing here is decoded back (the archive's own coders are checked bit-exact by
``film_archive_speed.py``). Writes ``results.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def ffv1_bytes(path: Path) -> int:
    """Bytes of one frame as FFV1 level 3 in Matroska."""
    from film_lossless import ffv1_encode

    with tempfile.TemporaryDirectory() as d:
        return ffv1_encode(path, Path(d) / "f.mkv")


def rct(px: np.ndarray) -> list[np.ndarray]:
    """JPEG 2000's reversible colour transform of 10-bit RGB as three unsigned planes (Y 10-bit, U/V 11-bit)."""
    r, g, b = (px[..., i].astype(np.int32) for i in range(3))
    return [((r + 2 * g + b) >> 2).astype(np.uint16), (b - g + 1023).astype(np.uint16),
            (r - g + 1023).astype(np.uint16)]


def options(px: np.ndarray) -> dict[str, Callable[[], int]]:
    """Every option tried, as a function returning the encoded bytes."""
    import imagecodecs

    planes = [np.ascontiguousarray(px[..., i]) for i in range(3)]
    yuv = rct(px)

    def jxl(a: np.ndarray, effort: int, bits: int = 10, **kw: object) -> int:
        return len(imagecodecs.jpegxl_encode(a, lossless=True, effort=effort, bitspersample=bits, **kw))

    return {
        "JPEG XL effort 2 (archive default)": lambda: jxl(px, 2),
        "JPEG XL effort 3": lambda: jxl(px, 3),
        "JPEG XL effort 7": lambda: jxl(px, 7),
        "JPEG XL effort 2, planar input": lambda: jxl(np.moveaxis(px, 2, 0).copy(), 2, planar=True),
        "JPEG XL effort 2, three grey planes": lambda: sum(jxl(p, 2) for p in planes),
        "JPEG XL effort 2, RCT planes (11-bit)": lambda: sum(jxl(p, 2, 11) for p in yuv),
        "JPEG-LS interleaved": lambda: len(imagecodecs.jpegls_encode(px)),
        "JPEG-LS three grey planes": lambda: sum(len(imagecodecs.jpegls_encode(p)) for p in planes),
        "JPEG-LS RCT planes": lambda: sum(len(imagecodecs.jpegls_encode(p)) for p in yuv),
        "JPEG-LS G, B−G, R−G planes": lambda: sum(len(imagecodecs.jpegls_encode(p)) for p in [planes[1], *yuv[1:]]),
        "HTJ2K reversible (5 levels)": lambda: len(imagecodecs.htj2k_encode(px, level=0, reversible=True)),
        "HTJ2K reversible, 3 levels": lambda: len(imagecodecs.htj2k_encode(px, level=0, reversible=True,
                                                                          resolutions=3)),
        "HTJ2K reversible, 8 levels": lambda: len(imagecodecs.htj2k_encode(px, level=0, reversible=True,
                                                                          resolutions=8)),
        "JPEG 2000 5/3": lambda: len(imagecodecs.jpeg2k_encode(px, level=0, reversible=True, bitspersample=10,
                                                              codecformat="j2k")),
        "JPEG 2000 5/3, no colour transform": lambda: len(imagecodecs.jpeg2k_encode(
            px, level=0, reversible=True, bitspersample=10, codecformat="j2k", mct=False)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-lossless-options"))
    ap.add_argument("--shots", type=int, default=2)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from film_archive_speed import make_frames

    from qualipress.film.testset import default_source
    from qualipress.io import read_image

    frames = make_frames(args.source or default_source(), args.out / "frames", args.shots, 1)
    results: dict[str, dict] = {}
    for path in frames:
        px = np.ascontiguousarray(read_image(path).pixels[..., :3]).astype(np.uint16)
        base = ffv1_bytes(path)
        row: dict = {"ffv1_bytes": base}
        for name, fn in options(px).items():
            c = time.process_time()
            n = fn()
            row[name] = {"bytes": n, "vs_ffv1": round(n / base, 4), "cpu_s": round(time.process_time() - c, 2)}
            print(path.name, name, row[name], flush=True)
        results[path.name] = row
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    names = list(next(iter(results.values())))[1:]
    print("| option | " + " | ".join(f"{k} ÷ FFV1" for k in results) + " | CPU s |")
    print("|---" * (len(results) + 2) + "|")
    for n in names:
        print(f"| {n} | " + " | ".join(f"{r[n]['vs_ffv1']:.3f}" for r in results.values()) + " | "
              + " / ".join(f"{r[n]['cpu_s']:.2f}" for r in results.values()) + " |")


if __name__ == "__main__":
    main()
