"""Fractional JPEG quality: IJG quantisation tables scaled continuously between integer qualities.

libjpeg's quality ``q`` (1–100) scales the standard tables of ITU-T T.81 Annex K by ``S(q)`` percent, with
``S(q) = 5000 // q`` below 50 and ``200 - 2 q`` from 50 up. An integer quality here gives exactly libjpeg's
tables; between two integer qualities every entry steps from its value at one to its value at the other at its own
fraction (:func:`qtables`), so the tables, and in practice the file size, move in small monotone steps. (Scaling
all entries together moves in steps of up to 4 % of the file at high qualities: entries of 2-3 and the 39
chrominance entries of 99 all change at once.) The file is an ordinary
baseline JPEG with its own quantisation tables; Pillow writes it (the same libjpeg-turbo as imagecodecs; at an
integer quality both give the same bytes, which the tests check). These are the tables a model of the ``jpeg``
codec must use (``tests/codecs/test_jpeg_fractional.py`` reads them back from real encodes below quality 50 and between
integers, where :func:`qualipress.io.jpegtables.ijg_table`'s continuous scaling differs).
"""

from __future__ import annotations

import io
import math

import numpy as np

from qualipress.io.jpegtables import ANNEX_K_CHROMA, ANNEX_K_LUMA, libjpeg_scale

#: ITU-T T.81 Annex K.1 luminance and K.2 chrominance tables, natural (row-major) order, as integers.
LUMA_BASE = tuple(int(v) for v in ANNEX_K_LUMA.ravel())
CHROMA_BASE = tuple(int(v) for v in ANNEX_K_CHROMA.ravel())


def _int_tables(q: int) -> list[list[int]]:
    """libjpeg's baseline tables for an integer quality: ``(base * S(q) + 50) // 100`` clamped to 1..255."""
    s = libjpeg_scale(q)
    return [[min(max((b * s + 50) // 100, 1), 255) for b in base] for base in (LUMA_BASE, CHROMA_BASE)]


#: Fixed offsets in [0, 1), one per table entry (128), spread by the golden ratio: entries that share a base value
#: (39 chrominance entries are 99) then step at different fractions instead of all at once.
_STAGGER = tuple((k * 0.6180339887498949) % 1.0 for k in range(128))


def qtables(quality: float) -> list[list[int]]:
    """Luminance and chrominance tables (natural order, baseline range 1–255) for a fractional quality.

    Between the integer qualities ``n`` and ``n + 1`` each entry moves from libjpeg's value at ``n`` to its value
    at ``n + 1`` in unit steps, at a fraction staggered per entry, so the tables shrink a few entries at a time
    and every entry is non-increasing in the quality.
    """
    q = min(max(float(quality), 1.0), 100.0)
    lo = math.floor(q)
    t = q - lo
    t_lo = _int_tables(lo)
    if t == 0.0:
        return t_lo
    t_hi = _int_tables(lo + 1)
    out: list[list[int]] = []
    for j, (a_tab, b_tab) in enumerate(zip(t_lo, t_hi, strict=True)):
        out.append([a - math.floor(t * (a - b) + _STAGGER[64 * j + k])
                    for k, (a, b) in enumerate(zip(a_tab, b_tab, strict=True))])
    return out


def encode_fractional(px: np.ndarray, quality: float, subsampling: str | None, optimize: bool) -> bytes:
    """Baseline 8-bit JPEG of ``px`` (H×W or H×W×3 uint8) with the tables of :func:`qtables`.

    Parameters
    ----------
    quality : float
        1–100, any real value.
    subsampling : {"444", "422", "420"} or None
        Chroma subsampling for RGB input (ignored for grey).
    optimize : bool
        Optimised Huffman tables.
    """
    from PIL import Image as PILImage

    tables = qtables(quality)
    im = PILImage.fromarray(np.ascontiguousarray(px))
    kw: dict = {"optimize": optimize}
    if im.mode == "L":
        kw["qtables"] = tables[:1]
    else:
        kw["qtables"] = tables
        kw["subsampling"] = {"444": 0, "422": 1, "420": 2}[subsampling or "420"]
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()
