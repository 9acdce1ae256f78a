"""One colour per codec or curve name, shared by every plot and page (``bench rd`` plots and report, the demo)."""

from __future__ import annotations

import zlib

#: matplotlib's tab10 colours.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
_CODEC_COLOUR = {"jpeg": 0, "jpegli": 1, "webp": 2, "avif": 3, "jpegxl": 4, "jpeg2000": 5, "heif": 6}


def curve_colour(name: str) -> str:
    """The colour of a curve, the same in every plot: fixed for known codecs, from the name's hash otherwise."""
    if name in _CODEC_COLOUR:
        return PALETTE[_CODEC_COLOUR[name]]
    return PALETTE[zlib.crc32(name.encode()) % len(PALETTE)]
