"""ACEScct, the log encoding of the film test set (Academy S-2016-001).

ACEScct maps scene-linear values to a log code where one stop is a constant step of 1/17.52 above the toe
(linear 0.0078125), with a linear toe below it. Full-range 10-bit DPX code = round(ACEScct × 1023). Linear values
above ≈ 222.9 reach code 1.0 and clip.
"""

from __future__ import annotations

import numpy as np

_X_BRK = 0.0078125
_Y_BRK = 0.155251141552511
_A = 10.5402377416545
_B = 0.0729055341958355


def linear_to_acescct(lin: np.ndarray) -> np.ndarray:
    """Scene-linear (float) to ACEScct code values (float32, not clipped)."""
    x = np.asarray(lin, np.float64)
    safe = np.maximum(x, _X_BRK)
    out = np.where(x <= _X_BRK, _A * x + _B, (np.log2(safe) + 9.72) / 17.52)
    return out.astype(np.float32)


def acescct_to_linear(code: np.ndarray) -> np.ndarray:
    """Inverse of :func:`linear_to_acescct`."""
    c = np.asarray(code, np.float64)
    out = np.where(c <= _Y_BRK, (c - _B) / _A, np.exp2(c * 17.52 - 9.72))
    return out.astype(np.float32)
