"""Cold search CPU ÷ one encode, quickly, for A/B runs of two trees on a loaded machine.

Usage (alternate the trees a few times; the machine's load drifts)::

    PYTHONPATH=/tmp/before/src python benchmarks/search_cold_ratio.py ../shared/data/kodak --limit 6
    PYTHONPATH=src python benchmarks/search_cold_ratio.py ../shared/data/kodak --limit 6

Each image is searched alone (a fresh image object: no cached features), as ``qualipress bench search --modes
cold`` does, for SSIM ≥ 0.90 / 0.95 / 0.99 and profile C1 (or ``--targets``); the ratio is the search's CPU seconds
(``time.process_time``) over one encode at the setting it chose (best of 3), averaged over images, then over
targets. Without the exhaustive sweep (no misses or excess bytes: ``bench search`` reports those).
"""

from __future__ import annotations

import time

import numpy as np
from _cold_search import cold_search_inputs, one_encode, targets, warm_up

from qualipress.search import search


def main() -> None:
    args, images, codec = cold_search_inputs(__doc__.splitlines()[0], limit=6, codec="jpeg")
    warm_up(images[0], codec)
    per_target = []
    for text, tgt in targets(args.targets):
        ratios, encodes, steering = [], [], []
        for img in images:
            fresh = img.with_pixels(img.pixels.copy())
            t0 = time.process_time()
            res = search(fresh, codec, tgt)
            cpu = time.process_time() - t0
            ratios.append(cpu / max(one_encode(codec, img, res), 1e-6))
            encodes.append(res.encodes)
            steering.append(res.steering)
        per_target.append(float(np.mean(ratios)))
        print(f"{args.codec} {text}: {np.mean(ratios):.1f}x one encode, {np.mean(encodes):.2f} encodes, "
              f"{np.mean(steering):.2f} mosaic probes", flush=True)
    print(f"{args.codec} all: {np.mean(per_target):.1f}x one encode ({len(images)} images of {args.dataset.name})")


if __name__ == "__main__":
    main()
