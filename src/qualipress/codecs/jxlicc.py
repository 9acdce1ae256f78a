"""JPEG XL that keeps a non-sRGB colour profile, through jxlpy (libjxl 0.10 with ``JxlEncoderSetICCProfile``).

imagecodecs' ``jpegxl_encode`` has no ICC option, so its files always say sRGB. jxlpy (PyPI, a wheel bundling
libjxl 0.10.1, installed with ``--no-deps``: its metadata asks for Cython, which it does not use at run time) hands
the profile to libjxl. For a lossy file libjxl turns a profile it can describe exactly (RGB primaries, white point,
a gamma or standard transfer curve, as Display P3 or Adobe RGB are) into the codestream's colour encoding and
stores no ICC bytes; decoders rebuild an equivalent profile (its description reads like
``RGB_0.3457;0.3585_..._Per_g0.4547``). A lossless file keeps the profile byte for byte. Either way the decoded
pixels are in the source's colour space and colour-managed viewers show the source's colours (Chromium is checked in
``tests/pipeline/test_photo_browser.py``); :func:`qualipress.io.metadata.read_metadata` reads the profile back.

jxlpy takes libjxl's integer "quality" (``JxlEncoderDistanceFromQuality``: 90 is distance 1.0), not a distance, so
the codec's distance is rounded to the nearest quality (:func:`quality_for_distance`): steps of 0.09 in distance
from 0.1 to 6.4, coarser above. 8-bit grey or RGB, with or without alpha. A lossy file of grey samples with a grey
profile decodes in linear light (libjxl 0.10/0.11), so ``JpegXlCodec`` hands such an image here as RGB with the
profile's RGB equivalent (:func:`qualipress.io.iccmake.rgb_from_grey`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qualipress.errors import CodecError, backend_available
from qualipress.io.metadata import is_srgb


def available() -> bool:
    """True when jxlpy imports."""
    return backend_available("jxlpy")


def can_carry(bit_depth: int) -> bool:
    """True when an image of ``bit_depth`` bits can be written with its profile here (jxlpy takes 8-bit only)."""
    return bit_depth <= 8 and available()


def writes(carry: Any, bit_depth: int) -> bool:
    """Whether the JPEG XL of an image of ``bit_depth`` bits with metadata ``carry`` (a
    :class:`qualipress.io.metadata.Carry` or None) is written here, through jxlpy: its profile is not sRGB and
    jxlpy can write it. Distances then round to libjxl's integer quality (:func:`quality_for_distance`), so
    neighbouring distances may write one file (the search's plateau groups)."""
    icc = getattr(carry, "icc", None)
    return bool(icc) and not is_srgb(icc) and can_carry(bit_depth)


def quality_for_distance(distance: float) -> int:
    """libjxl quality (0–99) whose distance (``JxlEncoderDistanceFromQuality``) is nearest ``distance``."""
    d = float(distance)
    if d <= 6.4:
        q = 100.0 - (d - 0.1) / 0.09
    else:  # below quality 30 libjxl uses 53/3000 q^2 - 23/20 q + 25
        a, b, c = 53.0 / 3000.0, -23.0 / 20.0, 25.0 - min(d, 25.0)
        q = (-b - math.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a)
    return int(min(max(round(q), 0), 99))


def encode(px: np.ndarray, icc: bytes, *, distance: float | None, lossless: bool, effort: int) -> bytes:
    """JPEG XL (container) of 8-bit ``px`` (H×W, H×W×2/3/4) tagged with ``icc``.

    Parameters
    ----------
    icc : bytes
        The source's ICC profile.
    distance : float or None
        Butteraugli distance (lossy); ignored when ``lossless``.
    effort : int
        libjxl effort 1–9.
    """
    import jxlpy

    arr = np.ascontiguousarray(px)
    if arr.dtype != np.uint8:
        raise CodecError("jpegxl with an ICC profile (jxlpy) takes 8-bit images only")
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    quality = 100 if lossless else quality_for_distance(distance if distance is not None else 1.0)
    try:
        enc = jxlpy.JXLPyEncoder(quality=quality, size=(arr.shape[1], arr.shape[0]), colorspace=mode,
                                 effort=int(min(max(effort, 1), 9)), decoding_speed=0, use_container=True,
                                 num_threads=2, icc_profile=bytes(icc))
        enc.add_frame(arr.tobytes())
        data = enc.get_output()
        enc.close()
    except Exception as exc:  # jxlpy raises plain exceptions for profiles libjxl rejects
        raise CodecError(f"jpegxl (jxlpy): {exc}") from exc
    return bytes(data)
