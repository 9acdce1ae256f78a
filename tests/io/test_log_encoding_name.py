"""What a seal says a log DPX's code values mean (qa10).

A DPX transfer code of 3 ("Logarithmic") names no curve: qualipress reads such frames as ACEScct, its test set's
encoding, but the seal and the record must say that this was assumed, not state it as the file's own (an
OpenImageIO-written Cineon-style scan with transfer "Logarithmic" was sealed "ACEScct log (S-2016-001)").
"""

from __future__ import annotations

import numpy as np

from qualipress.io.image import Image
from qualipress.io.logcurves import encoding_name


def _log_frame(transfer: str) -> Image:
    return Image(np.zeros((4, 4, 3), np.uint16), 10, "log", "unknown", {"dpx:Transfer": transfer})


def test_generic_logarithmic_dpx_is_said_to_be_read_as_acescct_not_to_be_acescct() -> None:
    name = encoding_name(_log_frame("Logarithmic"))
    assert "ACEScct" in name
    assert "assumed" in name and "Logarithmic" in name


def test_printing_density_dpx_is_cineon_without_assumption() -> None:
    name = encoding_name(_log_frame("Printing density"))
    assert name.startswith("Cineon printing-density log")
    assert "assumed" not in name
