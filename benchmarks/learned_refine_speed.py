"""Encode cost of latent refinement on one 768×512 Kodak image (issue 16): CPU and wall seconds per setting.

On a machine shared with other jobs wall time mostly measures the wait for a core, so the CPU seconds of the
process (one torch thread) are the figure to compare; the decode is the same for every setting.

    python benchmarks/learned_refine_speed.py 0 10 30 [--image kodim01.png] [--quality 4] [--threads 1] \
        [--weights MODEL]

Prints one JSON line per refine setting (bpp, PSNR, encode/decode CPU and wall seconds).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
from _paths import DATA


def main() -> int:
    import torch

    from qualipress.io import read_image
    from qualipress.learned.codec import make_codec

    ap = argparse.ArgumentParser()
    ap.add_argument("refine", nargs="+", type=int)
    ap.add_argument("--image", default="kodim01.png")
    ap.add_argument("--quality", type=float, default=4.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--weights", help="model file (default: the shipped model)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    img = read_image(DATA / "kodak" / args.image)
    codec = make_codec("bmshj2018-hyperprior").with_weights(args.weights)
    codec.decode(codec.encode(img, quality=args.quality))  # warm-up: model load
    for n in args.refine:
        t0, c0 = time.perf_counter(), time.process_time()
        data = codec.encode(img, quality=args.quality, refine=n)
        t1, c1 = time.perf_counter(), time.process_time()
        out = codec.decode(data)
        t2, c2 = time.perf_counter(), time.process_time()
        mse = float(np.mean((out.pixels.astype(np.float64) - img.pixels.astype(np.float64)) ** 2))
        bpp = len(data) * 8 / (img.width * img.height)
        print(json.dumps({"image": args.image, "size": f"{img.width}x{img.height}", "quality": args.quality,
                          "refine": n, "threads": args.threads, "bpp": round(bpp, 4),
                          "psnr": round(10 * math.log10(255.0**2 / mse), 3), "encode_cpu_s": round(c1 - c0, 2),
                          "encode_wall_s": round(t1 - t0, 2), "decode_cpu_s": round(c2 - c1, 2),
                          "decode_wall_s": round(t2 - t1, 2)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
