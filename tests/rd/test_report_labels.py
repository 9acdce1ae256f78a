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


def test_html_bd_headers_carry_the_units_the_cli_table_has(dataset, tmp_path) -> None:
    """QA session 17: the CLI table said 'BD-ms-ssim-rgb pchip (dB of 1-MS-SSIM)', the report only
    'BD-ms-ssim-rgb pchip', so +1.02 read as MS-SSIM units."""
    from pathlib import Path

    from qualipress.rd.report import html_report
    from qualipress.rd.sweep import run_rd

    out = Path(tmp_path) / "r"
    q = [20.0, 40.0, 60.0, 80.0, 95.0]
    run_rd(dataset, out, codecs=["jpeg", "pillow-jpeg"], qualities={"jpeg": q, "pillow-jpeg": q},
           metrics=["psnr", "ms-ssim"])
    page = html_report(out).read_text()
    assert "BD-ms-ssim-rgb pchip (dB of 1-MS-SSIM)" in page and "BD-psnr-rgb pchip (dB)" in page
    assert "BD-rate pchip (%)" in page
