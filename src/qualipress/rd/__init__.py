"""The rate–distortion benchmark harness (``qualipress bench rd`` / ``bench plot``).

- :mod:`qualipress.rd.sweep` — datasets × codecs × settings × metrics, per-row cache, CompressAI-style JSON,
  per-image CSV; coding-for-machines F1 (``task``).
- :mod:`qualipress.rd.bd` — BD-rate / BD-PSNR tables (``bjontegaard``, PCHIP and Akima).
- :mod:`qualipress.rd.report` — RD plots and the HTML report.
- :mod:`qualipress.rd.reference` — ``pillow-jpeg``, the JPEG CompressAI measured its published results with.
"""

from qualipress.rd.bd import bd_pair, bd_tables, format_table
from qualipress.rd.report import html_report, load_curves, plot_rd
from qualipress.rd.sweep import RdResult, parse_qualities, run_rd

__all__ = [
    "RdResult",
    "bd_pair",
    "bd_tables",
    "format_table",
    "html_report",
    "load_curves",
    "parse_qualities",
    "plot_rd",
    "run_rd",
]
