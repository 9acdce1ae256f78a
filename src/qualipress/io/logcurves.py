"""Log encodings of film frames (ACEScct, Academy S-2016-001; Kodak Cineon printing-density log) and the film
display rendering.

They live in the ``io`` layer because both the film capability (test set, checks, seals) and the review page
(display rendering) need them, and capabilities may not import each other (``docs/design.md``).

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
called log is ACEScct (the film test set's encoding, :mod:`qualipress.film.testset`). A TIFF has no transfer field:
one whose ImageDescription names ACEScct, Cineon or printing density is read as log with that curve
(:func:`curve_named_in`, :data:`LOG_CURVE_KEY`); other TIFFs stay sRGB.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from qualipress.io.image import Image
from qualipress.io.transfer import pq_decode

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


#: Metadata key a reader sets when the file itself names its log curve (``"cineon"`` / ``"acescct"``): a TIFF has no
#: transfer field, so a log scan's curve can only be said in its ImageDescription (:func:`curve_named_in`).
LOG_CURVE_KEY = "log_curve"


def curve_named_in(text: str | None) -> str | None:
    """The log curve a free-text description names: ``"acescct"`` when it says ACEScct, ``"cineon"`` when it says
    Cineon or printing density (case-insensitive), else None (a bare "log" is not read as a curve). Only the text
    before a word "from" counts: "ACEScct 16-bit full range from scan.exr" names its curve, "Rec.709, converted
    from Cineon log" names where it came from."""
    t = re.split(r"\bfrom\b", (text or "").lower(), maxsplit=1)[0]
    if "acescct" in t:
        return "acescct"
    if "cineon" in t or "printing density" in t:
        return "cineon"
    return None


def log_curve(metadata: dict[str, Any] | None) -> str:
    """The curve a file names (:data:`LOG_CURVE_KEY`), else ``"cineon"`` for DPX "Printing density" frames and
    ``"acescct"`` for any other log frame (see module docstring)."""
    named = (metadata or {}).get(LOG_CURVE_KEY)
    if named in ("cineon", "acescct"):
        return str(named)
    t = str((metadata or {}).get("dpx:Transfer", ""))
    return "cineon" if t == "Printing density" else "acescct"


def log_to_linear(code: np.ndarray, metadata: dict[str, Any] | None = None) -> np.ndarray:
    """Log code in ``[0, 1]`` to scene-linear, with the curve :func:`log_curve` names."""
    return cineon_to_linear(code) if log_curve(metadata) == "cineon" else acescct_to_linear(code)


#: Linear value the film display rendering maps to white.
DISPLAY_WHITE = 16.0


def display_code(linear: np.ndarray) -> np.ndarray:
    """Film display rendering: scene-linear → display-referred code in [0, 1].

    A simple filmic curve ``t(x) = x (1 + x / W²) / (1 + x)`` with ``W`` = :data:`DISPLAY_WHITE` (linear ``W``
    maps to display white; 0.18 maps to ≈ 0.15), then the Rec. 709 OETF (``4.5 L`` below 0.018,
    ``1.099 L^0.45 − 0.099`` above). Computed in float32.
    """
    x = np.maximum(np.asarray(linear, np.float32), np.float32(0.0))
    t = np.minimum(x * (1 + x * np.float32(1.0 / DISPLAY_WHITE**2)) / (1 + x), np.float32(1.0))
    out = np.where(t < np.float32(0.018), np.float32(4.5) * t,
                   np.float32(1.099) * np.power(t, np.float32(0.45)) - np.float32(0.099))
    return out.astype(np.float32, copy=False)


def to_scene_linear(code: np.ndarray, reference: Image) -> np.ndarray | None:
    """Scene-linear values of perceptual code values ``code`` of a frame like ``reference``: PQ for float
    frames (qualipress codes them so), the log curve of a log frame, as is for integer linear frames; None for
    display-referred or unknown transfers."""
    if reference.is_float:
        return np.asarray(pq_decode(code), np.float32)
    if reference.transfer == "log":
        return log_to_linear(code, reference.metadata)
    if reference.transfer == "linear":
        return np.asarray(code, np.float32)
    return None


def display_rgb(code: np.ndarray, reference: Image) -> np.ndarray | None:
    """:func:`display_code` of every channel of ``code`` decoded like ``reference`` (:func:`to_scene_linear`),
    None for display-referred or unknown transfers."""
    lin = to_scene_linear(code, reference)
    return None if lin is None else display_code(lin)


def encoding_name(image: Image) -> str:
    """What the code values of a frame (and of its outputs) mean, for seals, reports and the review page."""
    if image.is_float:
        return "scene-linear light stored as SMPTE ST 2084 (PQ) code values"
    if image.transfer == "log":
        if log_curve(image.metadata) == "cineon":
            return "Cineon printing-density log (10-bit white 685, black 95, 0.002 D/code, gamma 0.6)"
        if (image.metadata or {}).get(LOG_CURVE_KEY) == "acescct":
            return "ACEScct log (S-2016-001), as the file's description says"
        # no DPX transfer code names ACEScct (or any log curve but Cineon's printing density): say it was assumed
        said = str((image.metadata or {}).get("dpx:Transfer") or "log")
        return f"ACEScct log (S-2016-001), assumed: the file's header says only \"{said}\""
    return str(image.transfer)
