"""Log encodings of film frames (ACEScct, Academy S-2016-001; Kodak Cineon printing-density log; ARRI LogC3 at
EI 800; Sony S-Log3) and the film display rendering.

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
one whose ImageDescription names one of :data:`CURVES` is read as log with that curve (:func:`curve_named_in`,
:data:`LOG_CURVE_KEY`); other TIFFs stay sRGB.

ARRI LogC3 (ALEXA Log C, version 3, exposure index 800; camera originals and their DPX/TIFF renders), scene-linear
``x`` (0.18 mid grey) to code ``t`` in ``[0, 1]``::

    t = c·log10(a·x + b) + d   for x > cut,   t = e·x + f   below
    cut 0.010591, a 5.555556, b 0.052272, c 0.247190, d 0.385537, e 5.367655, f 0.092809

(mid grey at code 0.391). Sony S-Log3, ``x`` to ``t``::

    t = (420 + 261.5·log10((x + 0.01) / 0.19)) / 1023   for x ≥ 0.01125,
    t = (95 + x·(171.2102946929 − 95) / 0.01125) / 1023  below

(mid grey at 420/1023). LogC4 and S-Log2 are other curves and are not read as these.
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


#: ARRI LogC3 (EI 800) constants.
_LC_CUT, _LC_A, _LC_B, _LC_C, _LC_D, _LC_E, _LC_F = (0.010591, 5.555556, 0.052272, 0.247190, 0.385537, 5.367655,
                                                     0.092809)
#: Sony S-Log3 constants (10-bit code values, linear break, mid grey + offset).
_SL_BRK, _SL_TOE, _SL_GREY, _SL_BLACK, _SL_SLOPE, _SL_CODE_BRK = 0.01125, 0.01, 420.0, 95.0, 261.5, 171.2102946929


def linear_to_logc3(lin: np.ndarray) -> np.ndarray:
    """Scene-linear to ARRI LogC3 (EI 800) code in ``[0, 1]`` (float32, not clipped)."""
    x = np.asarray(lin, np.float64)
    safe = np.maximum(_LC_A * x + _LC_B, 1e-12)
    out = np.where(x > _LC_CUT, _LC_C * np.log10(safe) + _LC_D, _LC_E * x + _LC_F)
    return out.astype(np.float32)


def logc3_to_linear(code: np.ndarray) -> np.ndarray:
    """Inverse of :func:`linear_to_logc3` (computed in float32)."""
    c = np.asarray(code, np.float32)
    brk = np.float32(_LC_E * _LC_CUT + _LC_F)
    out = np.where(c > brk, (np.power(np.float32(10.0), (c - np.float32(_LC_D)) / np.float32(_LC_C))
                             - np.float32(_LC_B)) / np.float32(_LC_A),
                   (c - np.float32(_LC_F)) / np.float32(_LC_E))
    return out.astype(np.float32, copy=False)


def linear_to_slog3(lin: np.ndarray) -> np.ndarray:
    """Scene-linear to Sony S-Log3 code in ``[0, 1]`` (float32, not clipped)."""
    x = np.asarray(lin, np.float64)
    safe = np.maximum(x + _SL_TOE, 1e-12)
    code10 = np.where(x >= _SL_BRK, _SL_GREY + np.log10(safe / (0.18 + _SL_TOE)) * _SL_SLOPE,
                      _SL_BLACK + x * (_SL_CODE_BRK - _SL_BLACK) / _SL_BRK)
    return (code10 / 1023.0).astype(np.float32)


def slog3_to_linear(code: np.ndarray) -> np.ndarray:
    """Inverse of :func:`linear_to_slog3` (computed in float32)."""
    c10 = np.asarray(code, np.float32) * np.float32(1023.0)
    out = np.where(c10 >= np.float32(_SL_CODE_BRK),
                   np.power(np.float32(10.0), (c10 - np.float32(_SL_GREY)) / np.float32(_SL_SLOPE))
                   * np.float32(0.18 + _SL_TOE) - np.float32(_SL_TOE),
                   (c10 - np.float32(_SL_BLACK)) * np.float32(_SL_BRK / (_SL_CODE_BRK - _SL_BLACK)))
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


#: The log curves qualipress reads, by name: (code → scene-linear, the pattern a description names it by, what
#: seals and reports call it). The one table :func:`curve_named_in`, :func:`log_curve`, :func:`log_to_linear` and
#: :func:`encoding_name` read.
CURVES: dict[str, tuple[Any, str, str]] = {
    "acescct": (acescct_to_linear, r"acescct", "ACEScct log (S-2016-001)"),
    "cineon": (cineon_to_linear, r"cineon|printing density",
               "Cineon printing-density log (10-bit white 685, black 95, 0.002 D/code, gamma 0.6)"),
    "logc3": (logc3_to_linear, r"\blog[\s_-]?c3?\b", "ARRI LogC3 (EI 800)"),
    "slog3": (slog3_to_linear, r"\bs[\s_-]?log3\b", "Sony S-Log3"),
}

#: Metadata key a reader sets when the file itself names its log curve (a key of :data:`CURVES`): a TIFF has no
#: transfer field, so a log scan's curve can only be said in its ImageDescription (:func:`curve_named_in`).
LOG_CURVE_KEY = "log_curve"


def curve_named_in(text: str | None) -> str | None:
    """The log curve (a key of :data:`CURVES`) a free-text description names, case-insensitive, else None: ACEScct;
    Cineon or printing density; ARRI LogC / LogC3 / Log C (not LogC4, and not when it names an exposure index
    other than EI 800: LogC3's constants depend on it); S-Log3 (not S-Log2). A bare "log" is not
    read as a curve. Only the text before a word "from" counts: "ACEScct 16-bit full range from scan.exr" names its
    curve, "Rec.709, converted from Cineon log" names where it came from."""
    t = re.split(r"\bfrom\b", (text or "").lower(), maxsplit=1)[0]
    for name, (_, pattern, _) in CURVES.items():
        if re.search(pattern, t):
            if name == "logc3" and (ei := re.search(r"\bei\s*[-:=]?\s*(\d{2,5})\b", t)) and ei.group(1) != "800":
                return None  # LogC3's constants change with the exposure index: only EI 800's are known here
            return name
    return None


def log_curve(metadata: dict[str, Any] | None) -> str:
    """The curve a file names (:data:`LOG_CURVE_KEY`), else ``"cineon"`` for DPX "Printing density" frames and
    ``"acescct"`` for any other log frame (see module docstring)."""
    named = (metadata or {}).get(LOG_CURVE_KEY)
    if named in CURVES:
        return str(named)
    t = str((metadata or {}).get("dpx:Transfer", ""))
    return "cineon" if t == "Printing density" else "acescct"


def log_to_linear(code: np.ndarray, metadata: dict[str, Any] | None = None) -> np.ndarray:
    """Log code in ``[0, 1]`` to scene-linear, with the curve :func:`log_curve` names."""
    return CURVES[log_curve(metadata)][0](code)


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
        curve = log_curve(image.metadata)
        if curve == "cineon" or (image.metadata or {}).get(LOG_CURVE_KEY) == curve:
            return CURVES[curve][2] + ("" if curve == "cineon" else ", as the file's description says")
        # no DPX transfer code names ACEScct (or any log curve but Cineon's printing density): say it was assumed
        said = str((image.metadata or {}).get("dpx:Transfer") or "log")
        return f"{CURVES['acescct'][2]}, assumed: the file's header says only \"{said}\""
    return str(image.transfer)
