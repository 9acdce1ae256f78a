"""JPEG facts several layers share: the Annex K quantisation tables, IJG quality scaling, the 8×8 DCT matrix, the
JFIF colour matrix.

Their one home. Users: :func:`qualipress.io.metadata.estimate_jpeg_quality` (also the search's
predictor's JPEG-source feature), :mod:`qualipress.codecs.jpegq` (libjpeg's integer scaling, fractional
qualities), preprocessing's pool and RD proxy (models of libjpeg) and ``jpeg-roi`` (its own per-block tables).
"""

from __future__ import annotations

import numpy as np

#: ITU-T T.81 Annex K.1 luminance quantisation table (IJG quality 50), natural (row-major) order.
ANNEX_K_LUMA = np.array([
    [16, 11, 10, 16, 24, 40, 51, 61],
    [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56],
    [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77],
    [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101],
    [72, 92, 95, 98, 112, 100, 103, 99],
], dtype=np.float64)
#: ITU-T T.81 Annex K.2 chrominance quantisation table, natural order.
ANNEX_K_CHROMA = np.array([
    [17, 18, 24, 47, 99, 99, 99, 99],
    [18, 21, 26, 66, 99, 99, 99, 99],
    [24, 26, 56, 99, 99, 99, 99, 99],
    [47, 66, 99, 99, 99, 99, 99, 99],
    *([99] * 8 for _ in range(4)),
], dtype=np.float64)
ANNEX_K_LUMA.flags.writeable = ANNEX_K_CHROMA.flags.writeable = False  # shared: never changed in place


def libjpeg_scale(quality: int) -> int:
    """libjpeg's integer quality scaling in percent for an integer ``quality`` clamped to 1..100: ``5000 // q``
    below 50, ``200 - 2 q`` from 50 up. The tables the core ``jpeg`` codec writes are built on it
    (:func:`qualipress.codecs.jpegq.qtables`, also between integer qualities)."""
    q = min(max(int(quality), 1), 100)
    return 5000 // q if q < 50 else 200 - 2 * q


def ijg_scale(quality: float) -> float:
    """IJG quality scaling in percent (table step = base × scale / 100) for ``quality`` clamped to 1..100.

    ``5000 / q`` below quality 50 and ``200 - 2 q`` from 50 up, as a real number, continuous in the quality:
    libjpeg truncates ``5000 / q`` to an integer (:func:`libjpeg_scale`), so below 50 some entries of
    :func:`ijg_table` differ from its tables by one (at qualities 23, 30, 33 for instance), and between integer
    qualities the ``jpeg`` codec's tables are :func:`qualipress.codecs.jpegq.qtables`'s, not these. A model of what
    the ``jpeg`` codec writes uses ``qtables``; ``jpeg-roi``, which writes its own tables, uses
    ``ijg_table(..., libjpeg=True)`` (libjpeg's tables at integer qualities, this scale between them).
    """
    q = min(100.0, max(1.0, float(quality)))
    return 5000.0 / q if q < 50 else 200.0 - 2.0 * q


def ijg_table(base: np.ndarray, quality: float, *, libjpeg: bool = False) -> np.ndarray:
    """``base`` scaled by :func:`ijg_scale`, floored and clamped to the baseline range 1..255, in ``base``'s dtype.

    With ``libjpeg=True`` an integer ``quality`` is scaled by :func:`libjpeg_scale`, so the table equals the one
    libjpeg writes at that quality; fractional qualities keep the real-valued scale. ``jpeg-roi`` builds its tables
    this way (:func:`qualipress.roi.encoder.quality_table`).
    """
    q = min(100.0, max(1.0, float(quality)))
    scale = float(libjpeg_scale(int(q))) if libjpeg and q.is_integer() else ijg_scale(q)
    return np.clip(np.floor((base * scale + 50.0) / 100.0), 1, 255)


#: JFIF (full-range ITU-R BT.601) RGB → YCbCr matrix (rows Y, Cb, Cr; add 128 to Cb and Cr for 8-bit samples),
#: derived from the luma weights Kr = 0.299, Kb = 0.114.
RGB_TO_YCBCR = np.array([
    [0.299, 0.587, 0.114],
    [-0.299 / 1.772, -0.587 / 1.772, 0.5],
    [0.5, -0.587 / 1.402, -0.114 / 1.402],
])
RGB_TO_YCBCR.flags.writeable = False
#: The same conversion and its inverse with the six-decimal constants of ITU-T T.871 (within 1e-6 of the above),
#: as Python floats for numpy and torch alike: what the preprocessing's JPEG models compute with.
RGB_TO_YCBCR_T871 = ((0.299, 0.587, 0.114), (-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312))
YCBCR_TO_RGB_T871 = ((1.0, 0.0, 1.402), (1.0, -0.344136, -0.714136), (1.0, 1.772, 0.0))


def dct_matrix() -> np.ndarray:
    """The orthonormal 8×8 DCT-II matrix ``D`` (float64): ``D @ block @ D.T`` is JPEG's forward DCT."""
    k = np.arange(8)
    m = np.cos((2 * k[None, :] + 1) * k[:, None] * np.pi / 16) * np.sqrt(2 / 8)
    m[0] /= np.sqrt(2)
    return m
