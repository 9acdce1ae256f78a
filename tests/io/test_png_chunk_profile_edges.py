"""PNG gAMA/cHRM profiles (qa13web) on unusual chunks: review of session 11."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image as PILImage
from PIL import PngImagePlugin

from qualipress.io.iccmake import png_chunk_profile
from qualipress.io.metadata import read_metadata


def test_broken_chromaticities_give_no_crash():
    # all-zero cHRM (ZeroDivisionError before) and collinear primaries (LinAlgError before)
    for chrm in ([0.0] * 8, [0.3127, 0.329, 0.3, 0.3, 0.4, 0.4, 0.5, 0.5]):
        icc = png_chunk_profile(1.0, chrm)
        assert icc is None or icc[36:40] == b"acsp"


def test_a_grey_png_with_gamma_gets_no_rgb_profile():
    buf = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    PILImage.fromarray(np.tile(np.arange(256, dtype=np.uint8), (16, 1))).save(buf, "PNG", pnginfo=info)
    data = bytearray(buf.getvalue())
    # insert a gAMA chunk (gamma 1.0) after IHDR: Pillow reads it as info["gamma"]
    import struct
    import zlib

    body = b"gAMA" + struct.pack(">I", 100000)
    chunk = struct.pack(">I", 4) + body + struct.pack(">I", zlib.crc32(body))
    data[33:33] = chunk
    meta = read_metadata(bytes(data), "png")
    icc = meta.get("icc_profile")
    assert icc is None or icc[16:20] == b"GRAY"  # an RGB profile on a grey image stops JPEG XL and auto
