"""``bench rd`` presentation: one colour per curve everywhere, the codec's own quality name, units on times."""

from __future__ import annotations

from qualipress.bench.colours import PALETTE, curve_colour
from qualipress.rd.report import column_label


def test_colours_are_fixed_per_name() -> None:
    assert curve_colour("jpegxl") != curve_colour("webp")
    assert curve_colour("learned:x") == curve_colour("learned:x") and curve_colour("learned:x") in PALETTE


def test_column_labels() -> None:
    assert column_label("jpegxl", "quality").startswith("distance (lower is better)")
    assert column_label("jpeg", "quality").startswith("quality (higher")
    assert column_label("jpeg", "encoding_time") == "encoding time (s/image)"
    assert column_label("jpeg", "psnr-rgb") == "psnr-rgb"
