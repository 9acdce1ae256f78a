"""Quality-targeted search: the smallest encoding that meets every constraint, proven by decoding it.

Examples
--------
>>> from qualipress.search import search
>>> r = search(image, "jpeg", ["ssim>=0.95", "psnr>=38"])   # doctest: +SKIP
>>> r.setting, len(r.data), r.encodes                         # doctest: +SKIP
"""

from qualipress.search.probe import ProbeResult, measure_decoded, measure_encoded, probe
from qualipress.search.search import (
    COSTLY,
    COSTLY_GAIN,
    PROBE_COST,
    RACE_ORDER,
    RACE_TIE,
    SKIP_MARGIN,
    CheckOutcome,
    Hint,
    Probe,
    SearchResult,
    best_of,
    budget_order,
    expected_sizes,
    race_order,
    search,
    size_scale,
    skip_reason,
)
from qualipress.search.targets import STATS, Constraint, Target, parse_constraint, parse_target

__all__ = [
    "COSTLY",
    "COSTLY_GAIN",
    "PROBE_COST",
    "RACE_ORDER",
    "RACE_TIE",
    "SKIP_MARGIN",
    "STATS",
    "CheckOutcome",
    "Constraint",
    "Hint",
    "Probe",
    "ProbeResult",
    "SearchResult",
    "Target",
    "best_of",
    "budget_order",
    "expected_sizes",
    "measure_decoded",
    "measure_encoded",
    "parse_constraint",
    "parse_target",
    "probe",
    "race_order",
    "search",
    "size_scale",
    "skip_reason",
]
