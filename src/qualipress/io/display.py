"""Scene-linear decoding and a display rendering of film frames, shared by film checks and the review page.

Display rendering (:func:`display_code`)
    Scene-linear → a simple filmic curve ``t(x) = x (1 + x / W²) / (1 + x)`` with ``W`` = :data:`DISPLAY_WHITE`
    (linear ``W`` maps to display white; 0.18 maps to ≈ 0.15) → the Rec. 709 OETF
    (``4.5 L`` below 0.018, ``1.099 L^0.45 − 0.099`` above). Shadows and highlights get the weight a viewer's
    display gives them instead of the weight of the storage code.
"""

from __future__ import annotations

import numpy as np

from qualipress.io.image import Image
from qualipress.io.logcurves import log_curve, log_to_linear
from qualipress.io.transfer import pq_decode

#: Linear value the display rendering maps to white.
DISPLAY_WHITE = 16.0


def to_linear(code: np.ndarray, reference: Image, *, display_only: bool = True) -> np.ndarray | None:
    """Scene-linear values of perceptual code values ``code`` (``[0, 1]``), decoded with the transfer of
    ``reference``: PQ for float (scene-linear) frames, the log curve of a DPX, and with ``display_only=False``
    also sRGB / Rec. 709 / gamma code. None when the transfer is unknown (or display-referred and
    ``display_only``)."""
    t = "pq" if reference.is_float else reference.transfer
    if t == "linear":
        return code
    if t == "log":
        return log_to_linear(code, reference.metadata)
    if t == "pq":
        return pq_decode(code)
    if not display_only and t in ("srgb", "bt709", "gamma"):
        return np.where(code <= 0.04045, code / 12.92, ((np.maximum(code, 0.0) + 0.055) / 1.055) ** 2.4)
    return None


def encoding_name(image: Image) -> str:
    """What the code values of a frame's outputs mean, for seals and reports (the codecs' own colour tags
    cannot say it: see ``docs/film.md``)."""
    if image.is_float:
        return "scene-linear light stored as SMPTE ST 2084 (PQ) code values"
    if image.transfer == "log":
        if log_curve(image.metadata) == "cineon":
            return "Cineon printing-density log (10-bit white 685, black 95, 0.002 D/code, gamma 0.6)"
        return "ACEScct log (S-2016-001)"
    return str(image.transfer)


def display_code(linear: np.ndarray) -> np.ndarray:
    """Display-referred code in [0, 1] of scene-linear values (see module docstring)."""
    x = np.maximum(np.asarray(linear, np.float32), np.float32(0.0))
    t = np.minimum(x * (1 + x * np.float32(1.0 / DISPLAY_WHITE**2)) / (1 + x), np.float32(1.0))
    out = np.where(t < np.float32(0.018), np.float32(4.5) * t,
                   np.float32(1.099) * np.power(t, np.float32(0.45)) - np.float32(0.099))
    return out.astype(np.float32, copy=False)


def display_rgb(code: np.ndarray, reference: Image) -> np.ndarray | None:
    """The display rendering of every channel of ``code`` (as :func:`display_code`); None for transfers that
    are already display-referred or unknown."""
    lin = to_linear(code, reference)
    return None if lin is None else display_code(lin)
