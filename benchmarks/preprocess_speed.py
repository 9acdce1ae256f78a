"""Speed of every pool method and of the network (8-bit Kodak size, and a 16-bit 4K frame through tiles).

Usage::

    python benchmarks/preprocess_speed.py [--model kuchen] [--threads 1] [--repeat 3]

Prints a Markdown table (median wall time of ``--repeat`` runs). Timings depend on the machine's load.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="kuchen")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    import cv2
    import torch

    cv2.setNumThreads(args.threads)
    torch.set_num_threads(args.threads)
    from qualipress.io import Image
    from qualipress.preprocess import get_preprocessor
    from qualipress.preprocess.pool import DEFAULT_POOL

    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.integers(0, 256, (512, 768, 3)).astype(np.float32), (0, 0), 3)
    img8 = Image(np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8), 8)
    big = cv2.resize(img8.pixels, (3840, 2160), interpolation=cv2.INTER_CUBIC).astype(np.uint16) * 257
    img16 = Image(big, 16)

    def timed(f, img) -> float:
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            f(img)
            runs.append(time.perf_counter() - t)
        return statistics.median(runs)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, threads={args.threads}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| method | 768×512 8-bit (s) | 3840×2160 16-bit (s) |")
    print("|---|---|---|")
    for name in [*DEFAULT_POOL, args.model]:
        f = get_preprocessor(name)
        small = timed(f, img8)
        large = timed(f, img16) if name != "nlm" else float("nan")  # 16-bit NLM at 4K takes minutes
        print(f"| {name} | {small:.3f} | {large:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
