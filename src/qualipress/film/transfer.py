"""Log encodings of film frames (ACEScct, Cineon): defined in :mod:`qualipress.io.logcurves`, the core layer,
because the display rendering of log frames (:mod:`qualipress.io.display`) is shared by film and review."""

from qualipress.io.logcurves import (
    CINEON_BLACK,
    CINEON_WHITE,
    acescct_to_linear,
    cineon_to_linear,
    linear_to_acescct,
    linear_to_cineon,
    log_curve,
    log_to_linear,
)

__all__ = [
    "CINEON_BLACK",
    "CINEON_WHITE",
    "acescct_to_linear",
    "cineon_to_linear",
    "linear_to_acescct",
    "linear_to_cineon",
    "log_curve",
    "log_to_linear",
]
