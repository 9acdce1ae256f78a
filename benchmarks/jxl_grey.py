"""JPEG XL of 9-16-bit grey images: one grey channel against three equal colour channels.

Usage (from the repository root)::

    python benchmarks/jxl_grey.py [--target C1] [--bits 16] [--transfer srgb|bt709] [IMAGE ...]

Default images: Kodak 1-6 (shared data) turned grey (BT.601 luma) and widened to ``--bits``. For each: the bytes
of the lossless file and of lossy files at a few distances written three ways (:mod:`qualipress.codecs.jxlcolour`):
three equal colour channels through OpenImageIO's writer (BT.709 grey and grey with alpha before session 6), one
channel through that writer (sRGB grey before session 6; "-" for other transfers, which it cannot tag), one channel
at the image's own depth through libjxl's API (:mod:`qualipress.codecs.jxlapi`, session 6); and the search's result
for the target with the first and the last.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from _paths import DATA

DISTANCES = (0.5, 1.0, 2.0)


def grey_image(path: Path, bits: int) -> Any:
    from qualipress.io import as_image
    from qualipress.io.readers import read_image

    rgb = read_image(path).pixels[..., :3].astype(np.float64)
    luma = rgb @ np.array([0.299, 0.587, 0.114])
    peak = (1 << bits) - 1
    return as_image(np.rint(luma / 255 * peak).astype(np.uint16)[..., None], bit_depth=bits)


def main() -> None:
    from qualipress import codecs
    from qualipress.codecs import jxlcolour
    from qualipress.io import Image
    from qualipress.profiles import get_profile
    from qualipress.search import search

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("images", nargs="*", type=Path)
    ap.add_argument("--target", default="C1")
    ap.add_argument("--bits", type=int, default=16)
    ap.add_argument("--transfer", default="srgb", choices=("srgb", "bt709"))
    args = ap.parse_args()
    paths = args.images or [DATA / "kodak" / f"kodim{i:02d}.png" for i in range(1, 7)]
    target = get_profile(args.target).target
    jxl = codecs.get("jpegxl")
    print(f"{'image':12s} {'mode':10s} {'3-ch OIIO B':>12s} {'1-ch OIIO B':>12s} {'1-ch API B':>12s} {'vs 3-ch':>8s}")
    for path in paths:
        grey = grey_image(path, args.bits)
        grey = Image(grey.pixels, grey.bit_depth, args.transfer)
        rgb = grey.with_pixels(np.repeat(grey.pixels, 3, axis=2))
        for label, dist in [("lossless", None), *((f"d={d:g}", d) for d in DISTANCES)]:
            three = len(jxlcolour.encode_tagged(rgb, distance=dist))
            with _without_api():
                oiio_one = len(jxlcolour.encode_tagged(grey, distance=dist)) if jxlcolour.one_channel(grey) else None
            one = len(jxlcolour.encode_tagged(grey, distance=dist))
            mid = f"{oiio_one:12,d}" if oiio_one is not None else f"{'-':>12s}"
            print(f"{path.stem:12s} {label:10s} {three:12,d} {mid} {one:12,d} {100 * (one / three - 1):+7.1f}%")
        for label, img in (("3-channel", rgb), ("1-channel", grey)):
            t0 = time.process_time()
            r = search(img, jxl, target)
            secs = time.process_time() - t0
            print(f"{path.stem:12s} search {args.target} {label}: {len(r.data):,} B, distance {r.setting}, "
                  f"{r.encodes} encodes, {secs:.1f} s CPU")


@contextlib.contextmanager
def _without_api() -> Iterator[None]:
    """As where libjxl's API is not reachable: grey goes through OpenImageIO's writer."""
    from qualipress.codecs import jxlapi

    saved = jxlapi.available
    jxlapi.available = lambda: False  # type: ignore[assignment]
    try:
        yield
    finally:
        jxlapi.available = saved  # type: ignore[assignment]


if __name__ == "__main__":
    main()
