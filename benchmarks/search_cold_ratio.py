"""Cold search CPU ÷ one encode, quickly, for A/B runs of two trees on a loaded machine.

Usage (alternate the trees a few times; the machine's load drifts)::

    PYTHONPATH=/tmp/before/src python benchmarks/search_cold_ratio.py ../shared/data/kodak --limit 6
    PYTHONPATH=src python benchmarks/search_cold_ratio.py ../shared/data/kodak --limit 6

Each image is searched alone (a fresh image object: no cached features), as ``qualipress bench search --modes
cold`` does, for SSIM ≥ 0.90 / 0.95 / 0.99 and profile C1; the ratio is the search's CPU seconds
(``time.process_time``) over one encode at the setting it chose (best of 3), averaged over images, then over
targets. Without the exhaustive sweep (no misses or excess bytes: ``bench search`` reports those).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from qualipress import codecs as _codecs
from qualipress.io import IMAGE_SUFFIXES, read_image
from qualipress.profiles import get_profile
from qualipress.search import parse_target, search

TARGETS = ("ssim>=0.90", "ssim>=0.95", "ssim>=0.99", "C1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--codec", default="jpeg")
    ap.add_argument("--limit", type=int, default=6)
    args = ap.parse_args()
    files = sorted(p for p in args.dataset.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[: args.limit]
    images = [read_image(f) for f in files]
    codec = _codecs.get(args.codec)
    search(images[0], codec, get_profile("C1").target)  # imports and the model, outside the timing
    per_target = []
    for text in TARGETS:
        tgt = get_profile(text).target if text == "C1" else parse_target(text)
        ratios, encodes, steering = [], [], []
        for img in images:
            fresh = img.with_pixels(img.pixels.copy())
            t0 = time.process_time()
            res = search(fresh, codec, tgt)
            cpu = time.process_time() - t0
            one = np.inf
            for _ in range(3):
                t1 = time.process_time()
                codec.encode(img, quality=res.setting, lossless=res.lossless)
                one = min(one, time.process_time() - t1)
            ratios.append(cpu / max(one, 1e-6))
            encodes.append(res.encodes)
            steering.append(res.steering)
        per_target.append(float(np.mean(ratios)))
        print(f"{args.codec} {text}: {np.mean(ratios):.1f}x one encode, {np.mean(encodes):.2f} encodes, "
              f"{np.mean(steering):.2f} mosaic probes", flush=True)
    print(f"{args.codec} all: {np.mean(per_target):.1f}x one encode ({len(images)} images of {args.dataset.name})")


if __name__ == "__main__":
    main()
