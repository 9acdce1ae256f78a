"""Film log encodings: re-exported from :mod:`qualipress.io.logcurves` (where they are defined, so the review
page can use them too)."""

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

__all__ = ["CINEON_BLACK", "CINEON_WHITE", "acescct_to_linear", "cineon_to_linear", "linear_to_acescct",
           "linear_to_cineon", "log_curve", "log_to_linear"]
