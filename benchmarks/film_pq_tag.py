"""What tagging PQ-coded JPEG XL outputs as PQ would cost (issue 17 item 8), measured before changing the codec.

Usage (from the repository root)::

    python benchmarks/film_pq_tag.py [EXR]        # default ../shared/data/hdr_film/Desk.exr

The EXR is PQ-coded to 16 bits as ``compress`` does (:func:`qualipress.io.transfer.to_perceptual_image`) and
encoded at the same butteraugli distances twice: by imagecodecs (what the JPEG XL codec does today; libjxl then
tags the integers linear Rec. 709) and by OpenImageIO's JPEG XL writer with ``CICP = (1, 16, 0, 1)`` (BT.709
primaries, PQ transfer). Both are decoded by imagecodecs; printed: bytes, seconds and RMSE in 16-bit PQ code
values, and what OpenImageIO reads back from the PQ-tagged file.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def oiio_encode(px: np.ndarray, distance: float, cicp: tuple[int, int, int, int] = (1, 16, 0, 1)) -> bytes:
    """16-bit RGB ``px`` as JPEG XL through OpenImageIO with a CICP colour tag."""
    import OpenImageIO as oiio

    h, w, c = px.shape
    spec = oiio.ImageSpec(w, h, c, "uint16")
    spec.attribute("CICP", "int[4]", cicp)
    spec.attribute("jpegxl:distance", float(distance))
    spec.attribute("jpegxl:effort", 7)
    fd, path = tempfile.mkstemp(suffix=".jxl")
    os.close(fd)
    try:
        out = oiio.ImageOutput.create(path)
        if not out.open(path, spec):
            raise RuntimeError(out.geterror())
        out.write_image(px)
        out.close()
        return Path(path).read_bytes()
    finally:
        os.unlink(path)


def main() -> None:
    import imagecodecs
    import OpenImageIO as oiio

    from qualipress.io import read_image
    from qualipress.io.transfer import to_perceptual_image

    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/hdr_film/Desk.exr")
    px = np.ascontiguousarray(to_perceptual_image(read_image(src).color()).pixels[..., :3])
    print(f"{src.name}: {px.shape[1]}x{px.shape[0]} PQ 16-bit")
    print("| distance | imagecodecs (tag linear) bytes / s / RMSE | OIIO CICP 1/16/0/1 bytes / s / RMSE |")
    for d in (0.5, 1.0, 2.0):
        t = time.perf_counter()
        tagged = oiio_encode(px, d)
        t_tagged = time.perf_counter() - t
        t = time.perf_counter()
        plain = bytes(imagecodecs.jpegxl_encode(px, distance=d, effort=7, bitspersample=16, numthreads=2))
        t_plain = time.perf_counter() - t

        def rmse(data: bytes) -> float:
            return float(np.sqrt(((imagecodecs.jpegxl_decode(data).astype(np.float64) - px) ** 2).mean()))

        print(f"| {d} | {len(plain)} / {t_plain:.2f} / {rmse(plain):.0f} | "
              f"{len(tagged)} / {t_tagged:.2f} / {rmse(tagged):.0f} |")
    fd, path = tempfile.mkstemp(suffix=".jxl")
    os.close(fd)
    Path(path).write_bytes(oiio_encode(px, 1.0))
    inp = oiio.ImageInput.open(path)
    print("OpenImageIO reads the tagged file as CICP", inp.spec().getattribute("CICP"))
    inp.close()
    os.unlink(path)


if __name__ == "__main__":
    main()
