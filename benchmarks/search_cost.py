"""What one search probe costs: encode, decode and measure, before and after the prepared reference.

Usage::

    python benchmarks/search_cost.py ../shared/data/kodak --limit 6 --codecs jpeg,jpegxl,avif

Times are CPU seconds of this process (``time.process_time``, best of ``--repeats``), because the development
machine is shared and wall time there is mostly other people's work. "from scratch" is ``metrics.measure(image,
decoded)`` (the reference normalised and blurred again for every probe, as before issue 13); "prepared" is
``metrics.measure(prepare_reference(image), decoded)`` as the search does now; both give identical values. The
error columns compare that float32 measurement with the float64 one (``Reference.precise``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from _cold_search import image_files
from _timing import best_of

from qualipress import codecs as _codecs
from qualipress import metrics as _metrics
from qualipress.io import read_image
from qualipress.search import predict as _predict

#: Setting measured per codec (a typical search result at SSIM ≥ 0.95 on Kodak).
SETTINGS = {"jpeg": 85, "jpegxl": 1.5, "avif": 70, "webp": 80}


def _best(fn: Callable[[], Any], repeats: int) -> float:
    return best_of(fn, repeats)


def run(dataset: Path, codecs: list[str], limit: int, repeats: int) -> str:
    files = image_files(dataset, limit)
    rows = []
    for name in codecs:
        codec = _codecs.get(name)
        acc: dict[str, list[float]] = {}
        errs: dict[str, list[float]] = {"ssim": [], "psnr": []}
        for f in files:
            img = read_image(f)
            data = codec.encode(img, quality=SETTINGS[name])
            dec = _codecs.decode_like(codec, data, img)
            ref = _metrics.prepare_reference(img)
            same = _metrics.measure(img, dec)["ssim"].value == _metrics.measure(ref, dec)["ssim"].value
            assert same, "prepared and from-scratch measurements differ"
            exact = _metrics.measure(ref.precise(), dec)
            fast = _metrics.measure(ref, dec)
            errs["ssim"].append(abs(fast["ssim"].value - exact["ssim"].value))
            errs["psnr"].append(abs(fast["psnr"].value - exact["psnr"].value))
            calls: dict[str, Callable[[], Any]] = {
                "encode": partial(codec.encode, img, quality=SETTINGS[name]),
                "decode": partial(_codecs.decode_like, codec, data, img),
                "scratch": partial(_metrics.measure, img, dec),
                "prepared": partial(_metrics.measure, ref, dec),
                "reference": partial(_metrics.prepare_reference, img),
                "features": partial(_predict.image_features, img),
            }
            for key, fn in calls.items():
                acc.setdefault(key, []).append(_best(fn, repeats))
        m = {k: 1000 * float(np.mean(v)) for k, v in acc.items()}
        err_s, err_p = max(errs["ssim"]), max(errs["psnr"])
        rows.append(f"| {name} {SETTINGS[name]} | {m['encode']:.1f} | {m['decode']:.1f} | {m['scratch']:.1f} | "
                    f"{m['prepared']:.1f} | {m['scratch'] / m['prepared']:.2f}x | "
                    f"{(m['encode'] + m['decode'] + m['prepared']) / m['encode']:.2f}x | "
                    f"{m['reference']:.1f} | {m['features']:.1f} | {err_s:.1e} | {err_p:.1e} |")
    head = (f"CPU ms per call, mean over {len(files)} images of {dataset.name} (best of {repeats} each)\n\n"
            "| codec, setting | encode | decode | measure from scratch | measure prepared | speed-up | "
            "probe / encode | prepare reference (once) | features (once) | max SSIM error (float32 vs float64) | "
            "max PSNR error (dB) |\n|---|---|---|---|---|---|---|---|---|---|---|")
    return head + "\n" + "\n".join(rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--codecs", default="jpeg,jpegxl,avif")
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    print(run(a.dataset, a.codecs.split(","), a.limit, a.repeats))


if __name__ == "__main__":
    main()
