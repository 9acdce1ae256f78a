"""Log encodings of film frames: ACEScct (Academy S-2016-001) and Kodak Cineon printing-density log.

ACEScct maps scene-linear values to a log code where one stop is a constant step of 1/17.52 above the toe
(linear 0.0078125), with a linear toe below it. Full-range 10-bit DPX code = round(ACEScct × 1023). Linear values
above ≈ 222.9 reach code 1.0 and clip.

Cineon (Kodak, as written by film scanners; DPX transfer 1 "printing density"): 10-bit code ``c``, reference
white 685 (linear 1.0), reference black 95 (linear 0), 0.002 density per code value, negative gamma 0.6, so one
stop is 0.6·log10(2)/0.002 ≈ 90.3 code values::

    lin = (10^((c − 685)·0.002/0.6) − b) / (1 − b),   b = 10^((95 − 685)·0.002/0.6)

Code 1023 is linear ≈ 13.5 (≈ 3.75 stops over reference white). The functions below take and return code values
scaled to ``[0, 1]`` (``c / 1023``), like every other code in qualipress.

:func:`log_to_linear` picks the curve from a DPX's transfer field: "Printing density" is Cineon, anything else
called log is ACEScct (the film test set's encoding, :mod:`qualipress.film.testset`).
The film layer re-exports these as :mod:`qualipress.film.transfer`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_X_BRK = 0.0078125
_Y_BRK = 0.155251141552511
_A = 10.5402377416545
_B = 0.0729055341958355

#: Cineon constants (10-bit code values).
CINEON_WHITE = 685.0
CINEON_BLACK = 95.0
_CIN_STEP = 0.002 / 0.6
_CIN_OFFSET = 10.0 ** ((CINEON_BLACK - CINEON_WHITE) * _CIN_STEP)


def linear_to_acescct(lin: np.ndarray) -> np.ndarray:
    """Scene-linear (float) to ACEScct code values (float32, not clipped)."""
    x = np.asarray(lin, np.float64)
    safe = np.maximum(x, _X_BRK)
    out = np.where(x <= _X_BRK, _A * x + _B, (np.log2(safe) + 9.72) / 17.52)
    return out.astype(np.float32)


def acescct_to_linear(code: np.ndarray) -> np.ndarray:
    """Inverse of :func:`linear_to_acescct` (computed in float32: it runs on every probe of a search)."""
    c = np.asarray(code, np.float32)
    out = np.where(c <= np.float32(_Y_BRK), (c - np.float32(_B)) / np.float32(_A),
                   np.exp2(c * np.float32(17.52) - np.float32(9.72)))
    return out.astype(np.float32, copy=False)


def linear_to_cineon(lin: np.ndarray) -> np.ndarray:
    """Scene-linear to Cineon code in ``[0, 1]`` units (``code10 / 1023``; float32, not clipped).

    Negative linear values are treated as 0 (code 95).
    """
    x = np.maximum(np.asarray(lin, np.float64), 0.0)
    code10 = CINEON_WHITE + np.log10(x * (1.0 - _CIN_OFFSET) + _CIN_OFFSET) / _CIN_STEP
    return (code10 / 1023.0).astype(np.float32)


def cineon_to_linear(code: np.ndarray) -> np.ndarray:
    """Inverse of :func:`linear_to_cineon` (codes below reference black give small negative values; computed in
    float32: it runs on every probe of a search)."""
    c = np.asarray(code, np.float32)
    k = np.float32(1023.0 * _CIN_STEP * np.log(10.0))
    e = np.exp(c * k - np.float32(CINEON_WHITE * _CIN_STEP * np.log(10.0)))
    return ((e - np.float32(_CIN_OFFSET)) / np.float32(1.0 - _CIN_OFFSET)).astype(np.float32, copy=False)


def log_curve(metadata: dict[str, Any] | None) -> str:
    """``"cineon"`` for DPX "Printing density" frames, else ``"acescct"`` (see module docstring)."""
    t = str((metadata or {}).get("dpx:Transfer", ""))
    return "cineon" if t == "Printing density" else "acescct"


def log_to_linear(code: np.ndarray, metadata: dict[str, Any] | None = None) -> np.ndarray:
    """Log code in ``[0, 1]`` to scene-linear, with the curve :func:`log_curve` names."""
    return cineon_to_linear(code) if log_curve(metadata) == "cineon" else acescct_to_linear(code)
