"""Visual review: a local web app where specialists score original/compressed pairs blind, side by side.

Examples
--------
>>> from qualipress.review import build_app, scan_collections     # doctest: +SKIP
>>> app = build_app(scan_collections(["out/"]), "review.sqlite", blind=True)   # doctest: +SKIP
"""

from qualipress.review.app import build_app
from qualipress.review.db import ARTIFACTS, SCORE_LABELS, ReviewDB
from qualipress.review.pairs import REPORT_NAME, CollectionScan, Pair, scan_collection, scan_collections
from qualipress.review.results import DEFAULT_THRESHOLD, compute_results, results_csv

__all__ = [
    "ARTIFACTS",
    "DEFAULT_THRESHOLD",
    "REPORT_NAME",
    "SCORE_LABELS",
    "CollectionScan",
    "Pair",
    "ReviewDB",
    "build_app",
    "compute_results",
    "results_csv",
    "scan_collection",
    "scan_collections",
]
