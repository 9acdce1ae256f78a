"""Cost of the check that a source is unchanged after its compress (``require_unchanged``), per 2K DPX frame:
a full re-hash (before fix19) against the stat-first check (attributes taken before the hash).

Usage: python benchmarks/unchanged_check.py [frames]   (page cache warm: a cold or network read costs more)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from qualipress.io import as_image, files, write_image


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    with tempfile.TemporaryDirectory() as d:
        rng = np.random.default_rng(0)
        paths = []
        for i in range(n):
            p = Path(d) / f"f.{i:04d}.dpx"
            write_image(p, as_image(rng.integers(0, 1023, (1556, 2048, 3), dtype=np.uint16), bit_depth=10))
            paths.append(p)
        time.sleep(files._SETTLED_S + 0.1)  # new files: their attributes vouch only once settled
        states = [files.file_state(p) for p in paths]
        shas = [files.sha256_file(p) for p in paths]
        t0 = time.perf_counter()
        for p, s in zip(paths, shas, strict=True):
            files.require_unchanged(p, s)
        old = time.perf_counter() - t0
        t0 = time.perf_counter()
        for p, s, st in zip(paths, shas, states, strict=True):
            files.require_unchanged(p, s, st)
        new = time.perf_counter() - t0
        size = os.path.getsize(paths[0])
    print(f"{n} frames of {size / 1e6:.1f} MB: re-hash {old / n * 1e3:.2f} ms/frame, "
          f"stat-first {new / n * 1e3:.3f} ms/frame")


if __name__ == "__main__":
    main()
