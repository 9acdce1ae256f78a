"""How many times a lossy film run hashes a frame's pixels (``qualipress.io.pixel_digest``), per 2K frame.

Usage (from the repository root)::

    python benchmarks/film_pixel_hashes.py --out /tmp/qp-pixel-hashes --frames 3 --codecs htj2k,jpegxl

Makes one shot of grainy 2K 10-bit DPX frames with ``film_archive_speed.make_frames`` (the same generator and
seeds as the other film benchmarks), compresses the first ``--frames`` of them with profile C1 and the film hooks
(one worker, in this process), and counts the SHA-256 passes over at least 1 MiB that ``pixel_digest`` makes,
by the function that asked for the digest. A 2K frame's pixels are 13 MB (uint16): one pass costs about 7 ms, 16×
that at 8K. Prints one JSON line per codec: the counts, the output sizes and SHA-256s (so two commits' runs can be
compared for identical outputs).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

_REAL = hashlib.sha256
CALLS: list[str] = []


def _note(data: Any) -> None:
    if memoryview(data).nbytes >= 1 << 20:
        stack = traceback.extract_stack(limit=4)
        if stack[1].name == "pixel_digest":  # not the input file's chunked SHA-256
            CALLS.append(stack[0].name)


class _Counted:
    """A hashlib object that notes each large ``update``."""

    def __init__(self, h: Any) -> None:
        self._h = h

    def update(self, data: Any) -> None:
        _note(data)
        self._h.update(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._h, name)


def _counting(data: Any = b"", *args: Any, **kwargs: Any) -> Any:
    _note(data)
    return _Counted(_REAL(data, *args, **kwargs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-pixel-hashes"))
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--codecs", default="htj2k,jpegxl")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from film_archive_speed import make_frames

    hashlib.sha256 = _counting  # before qualipress is imported, so every module sees it
    from qualipress.film.hooks import FilmHooks
    from qualipress.film.testset import default_source
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.profiles import get_profile

    frames_dir = args.out / "frames"
    frames = sorted(frames_dir.rglob("*.dpx"))
    if len(frames) < args.frames:
        shutil.rmtree(frames_dir, ignore_errors=True)
        frames = make_frames(args.source or default_source(), frames_dir, 1, args.frames)
    prof = get_profile("C1")
    for codec in args.codecs.split(","):
        dest = args.out / f"out-{codec}"
        shutil.rmtree(dest, ignore_errors=True)
        CALLS.clear()
        s = compress_paths(frames[:args.frames], dest, CompressOptions(
            target=prof.target, codec=codec, profile="C1", jobs=1, hooks=FilmHooks(profile="C1")))
        print(json.dumps({"codec": codec, "frames": args.frames, "pixel_hashes": len(CALLS),
                          "per_frame": round(len(CALLS) / args.frames, 2), "by_caller": Counter(CALLS),
                          "failed": len(s.failures),
                          "outputs": [{k: r.get(k) for k in ("bytes", "encodes", "verify", "seal", "output_sha256")}
                                      for r in s.records]}), flush=True)


if __name__ == "__main__":
    main()
