"""JPEG XL of 9–16-bit images: the colour-tagged writer (OpenImageIO, real transfer function) against the
imagecodecs encode that tagged everything linear light (issue 17 item 8, QA session 5).

Usage (from the repository root)::

    python benchmarks/jxl_colour_tag.py [--target C1] [IMAGE ...]

Default images: ``Desk.exr`` and ``CandleGlass.exr`` colour only (PQ-coded to 16 bits as ``compress`` does),
``dpx_nuke_10bits_rgb.dpx``, ``flower-rgb-contig-16.tif`` (shared data) and Kodak 1 and 13 widened to 16 bits. For each:
the search's result for the target with both encoders (bytes, distance, full-image encodes, CPU seconds of the
search), the lossless size with both, and the CICP tag OpenImageIO reads from the new file.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _paths import DATA


def _linear_tagged_codec() -> Any:
    """The JPEG XL codec as it was: imagecodecs at the image's own depth (libjxl tags it linear)."""
    import imagecodecs

    from qualipress.codecs.builtin import JpegXlCodec, _plane

    class LinearTagged(JpegXlCodec):
        name = "jpegxl"
        info = dataclasses.replace(JpegXlCodec.info, scales_to_container=False)

        def storage_depth(self, bit_depth: int) -> int | None:
            return bit_depth if bit_depth in self.info.bit_depths else None

        def container_depth(self, reference: Any) -> int:
            return int(reference.bit_depth)  # imagecodecs writes the image's own depth

        def _encode(self, image: Any, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
            kw = {"bitspersample": image.bit_depth, "effort": int(options.get("effort", 7)), "numthreads": 2}
            if lossless:
                return bytes(imagecodecs.jpegxl_encode(_plane(image), lossless=True, **kw))
            return bytes(imagecodecs.jpegxl_encode(_plane(image), lossless=False, distance=float(quality or 1.0),
                                                   **kw))

    return LinearTagged()


def _images(paths: list[str]) -> list[tuple[str, Any]]:
    from qualipress.io import Image, read_image, to_perceptual_image

    out = []
    if paths:
        for p in paths:
            out.append((Path(p).name, to_perceptual_image(read_image(p))))
        return out
    for name in ("Desk.exr", "CandleGlass.exr"):
        out.append((name, to_perceptual_image(read_image(DATA / "hdr_film" / name).color())))
    for name in ("dpx_nuke_10bits_rgb.dpx", "flower-rgb-contig-16.tif"):
        out.append((name, read_image(DATA / "hdr_film" / name)))
    for k in (1, 13):
        img = read_image(DATA / "kodak" / f"kodim{k:02d}.png")
        wide = (img.pixels.astype(np.uint16) * 257).astype(np.uint16)
        out.append((f"kodim{k:02d} x257 16-bit", Image(wide, 16, "srgb")))
    return out


def _cicp(data: bytes) -> Any:
    import OpenImageIO as oiio

    fd, path = tempfile.mkstemp(suffix=".jxl")
    os.write(fd, data)
    os.close(fd)
    try:
        inp = oiio.ImageInput.open(path)
        cicp = inp.spec().getattribute("CICP")
        inp.close()
        return cicp
    finally:
        os.unlink(path)


def main() -> None:
    from qualipress import codecs
    from qualipress.profiles import get_profile
    from qualipress.search import search

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("images", nargs="*")
    ap.add_argument("--target", default="C1")
    args = ap.parse_args()
    old, new = _linear_tagged_codec(), codecs.get("jpegxl")
    target = get_profile(args.target).target if args.target[:1] == "C" else args.target
    print(f"target {args.target}: {target}")
    print("| image | size | linear-tagged bytes / distance / encodes / CPU s | tagged bytes / distance / encodes / "
          "CPU s | lossless linear-tagged / tagged | CICP read back |")
    print("|---|---|---|---|---|---|")
    for name, img in _images(args.images):
        cells = []
        for cdc in (old, new):
            t = time.process_time()
            res = search(img, cdc, target)
            cpu = time.process_time() - t
            cells.append(f"{len(res.data):,} / {res.setting if res.setting is None else round(res.setting, 3)}"
                         f"{' (lossless)' if res.lossless else ''} / {res.encodes} / {cpu:.1f}")
        lossless = [len(c.encode(img, lossless=True)) for c in (old, new)]
        tagged = new.encode(img, quality=1.0)
        print(f"| {name} | {img.width}x{img.height} {img.bit_depth}-bit {img.transfer} | {cells[0]} | {cells[1]} | "
              f"{lossless[0]:,} / {lossless[1]:,} | {_cicp(tagged)} |", flush=True)


if __name__ == "__main__":
    main()
