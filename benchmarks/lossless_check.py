"""Lossy search result against the same codec's lossless file: what the rule in :mod:`qualipress.search.lossless`
costs and wins.

Usage (from the repository root)::

    python benchmarks/lossless_check.py [--target C1|ssim>=0.99] [--codecs jpegxl,webp] [IMAGE ...]

Default images: Kodak 1-6 and every hdr_film frame (shared data). For each image and codec: the search without
the comparison (before) and with it (after): file bytes, full-image encodes, whether the lossless encode was made
and kept (``skipped``: JPEG XL's second stage, the fast effort-1/2 lossless sizes, left out the effort-7 encode that
the estimate alone would have made), the lossy file as a fraction of the estimated lossless size, and the
estimate's CPU milliseconds.
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

from _paths import DATA


def default_images() -> list[Path]:
    kodak = [DATA / "kodak" / f"kodim{i:02d}.png" for i in range(1, 7)]
    film = sorted(p for p in (DATA / "hdr_film").iterdir() if p.suffix.lower() in (".exr", ".dpx", ".tif"))
    return kodak + film


def main() -> None:
    from qualipress.errors import QualipressError
    from qualipress.io.readers import read_image
    from qualipress.profiles import get_profile
    from qualipress.search import lossless, parse_target, search
    from qualipress.search.probe import encodable

    mod = importlib.import_module("qualipress.search.search")  # the module, not the function of that name

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("images", nargs="*", type=Path)
    ap.add_argument("--target", default="C1")
    ap.add_argument("--codecs", default="jpegxl,webp")
    args = ap.parse_args()
    try:
        target = get_profile(args.target).target
    except QualipressError:
        target = parse_target(args.target)
    print(f"{'image':26s} {'codec':7s} {'before B':>10s} {'enc':>4s} {'after B':>10s} {'enc':>4s} "
          f"{'lossless':>9s} {'lossy/est':>9s} {'est ms':>7s}")
    totals = [0, 0]
    for path in args.images or default_images():
        image = read_image(path)
        t0 = time.process_time()
        estimate = lossless.estimate_lossless_bytes(encodable(image))
        est_ms = 1000 * (time.process_time() - t0)
        for codec in args.codecs.split(","):
            real = mod._lossless.smaller_of
            mod._lossless.smaller_of = lambda runner, result: result
            try:
                before = search(image, codec, target)
            except QualipressError as exc:  # e.g. WebP and a 16-bit frame
                print(f"{path.name:26s} {codec:7s} skipped: {exc}")
                continue
            finally:
                mod._lossless.smaller_of = real
            after = search(image, codec, target)
            tried = any(p.lossless for p in after.probes) and not before.lossless
            skipped = any("without the full lossless encode" in n for n in after.notes)
            what = "kept" if tried and after.lossless else ("tried" if tried else ("skipped" if skipped else "-"))
            totals[0] += before.encodes
            totals[1] += after.encodes
            print(f"{path.name:26s} {codec:7s} {len(before.data):10,d} {before.encodes:4d} {len(after.data):10,d} "
                  f"{after.encodes:4d} {what:>9s} {len(before.data) / max(estimate, 1.0):9.3f} {est_ms:7.1f}",
                  flush=True)
    print(f"total encodes: before {totals[0]}, after {totals[1]}")


if __name__ == "__main__":
    main()
