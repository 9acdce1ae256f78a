"""What a cold search costs against what its proof alone costs: the floor of "search CPU ÷ one encode".

Usage::

    PYTHONPATH=src python benchmarks/search_floor.py ../shared/data/kodak --limit 12 --codec jpegxl
        [--targets "ssim>=0.90;ssim>=0.95;ssim>=0.99;C1"]

Each image is searched cold (a fresh image object, as ``qualipress bench search --modes cold`` does). Then its
*proof* is made again as if the search had known the answer beforehand: the reference prepared, and the two
full-image probes the result rests on (the lowest passing setting and the highest failing one below it, as the
search found them) encoded, decoded and measured the way the search measures them. No search can cost less than
that proof (plus the lossless comparison, listed apart: it runs only where the lossy file may lose). Everything the
search spends beyond it is *locating* the pair: the predictor's features, the steering mosaic, the full-image
probes that were not in the final pair, bookkeeping.

All times are CPU seconds of this process (``time.process_time``), divided by one encode at the chosen setting
(best of 3, as ``qualipress bench search`` times it); the figures are ratios of the means over all searches.
"""

from __future__ import annotations

import time

import numpy as np
from _cold_search import cold_search_inputs, one_encode, targets, warm_up

from qualipress.metrics import core as _core
from qualipress.metrics import prepare_reference
from qualipress.search import search
from qualipress.search.probe import probe


def _cpu(fn: object, *args: object, **kwargs: object) -> tuple[float, object]:
    t0 = time.process_time()
    out = fn(*args, **kwargs)  # type: ignore[operator]
    return time.process_time() - t0, out


class _LosslessClock:
    """CPU seconds of the codec's lossless encodes (the lossless comparison's sizing and full encodes)."""

    def __init__(self, codec: object) -> None:
        self.seconds = 0.0
        cls = type(codec)
        inner = cls._encode  # type: ignore[attr-defined]

        def timed(this: object, image: object, *, quality: object, lossless: bool, **options: object) -> bytes:
            if not lossless:
                return inner(this, image, quality=quality, lossless=lossless, **options)  # type: ignore[no-any-return]
            t0 = time.process_time()
            try:
                return inner(this, image, quality=quality, lossless=lossless, **options)  # type: ignore[no-any-return]
            finally:
                self.seconds += time.process_time() - t0

        cls._encode = timed  # type: ignore[attr-defined]


def main() -> None:
    args, images, codec = cold_search_inputs(__doc__.splitlines()[0], limit=12, codec="jpegxl")
    if _core.USE_FUSED is not False:
        _core._fused()  # the kernels loaded first, as bench search does
    warm_up(images[0], codec)
    clock = _LosslessClock(codec)
    sums = {"search": 0.0, "proof": 0.0, "lossless": 0.0, "one": 0.0}
    n = pairs = 0
    for _, tgt in targets(args.targets):
        keys = ("psnr",) if set(tgt.metrics) == {"psnr"} else tuple(dict.fromkeys([*tgt.metrics, "ssim", "psnr"]))
        for img in images:
            before = clock.seconds
            secs, res = _cpu(search, img.with_pixels(img.pixels.copy()), codec, tgt)
            sums["lossless"] += clock.seconds - before
            lossy = [p for p in res.probes if not p.lossless]
            passing = [p for p in lossy if p.passed]
            best = min(passing, key=lambda p: p.bytes) if passing else None
            below = [p for p in lossy if not p.passed and best is not None and p.bytes < best.bytes]
            fail = max(below, key=lambda p: p.bytes) if below else None
            n += 1
            sums["search"] += secs
            sums["one"] += one_encode(codec, img, res)
            if best is None or fail is None:
                sums["proof"] += secs  # no two-probe proof (lossless fallback): the search is its own floor
                continue
            pairs += 1
            fresh = img.with_pixels(img.pixels.copy())
            t0 = time.process_time()
            ref = prepare_reference(fresh)
            for p in (best, fail):
                probe(fresh, codec, p.setting, reference=ref, metrics=keys)
            sums["proof"] += time.process_time() - t0
    one = sums["one"]
    print(f"{n} cold {codec.name} searches of {len(images)} images of {args.dataset.name} ({pairs} with a two-probe "
          f"proof); one encode {one / n * 1e3:.1f} ms")
    print(f"search {sums['search'] / one:.2f}x one encode; its proof alone (reference + the final pair encoded, "
          f"decoded, measured) {sums['proof'] / one:.2f}x; locating the pair "
          f"{(sums['search'] - sums['proof'] - sums['lossless']) / one:.2f}x; lossless encodes "
          f"{sums['lossless'] / one:.2f}x")
    print(f"per search: search {sums['search'] / n * 1e3:.1f} ms, proof {sums['proof'] / n * 1e3:.1f} ms "
          f"({np.round(sums['proof'] / sums['search'] * 100, 1)} %)")


if __name__ == "__main__":
    main()
