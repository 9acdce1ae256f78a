"""Turn stored judgements into acceptance per configuration.

Definitions (also in ``docs/review.md``):

* A judgement is the *latest* score an evaluator gave a pair (earlier ones, if any, are superseded).
* **Accepted**: score ≤ ``threshold`` (default 1: "no visible difference" or "barely visible at 1:1 after
  close comparison"). The acceptance rate of a group is the share of its judgements that are accepted,
  with a Wilson 95 % interval.
* **Agreement**: Krippendorff's alpha (interval metric) over the pairs scored by at least two evaluators
  (1 = perfect, 0 = chance level, < 0 = systematic disagreement; None when it cannot be computed), plus
  the share of evaluator pairs on the same image pair who make the same accept/reject decision.
* **Most-flagged artifacts**: how many judgements ticked each artifact type.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from itertools import combinations
from typing import Any

#: Default acceptance threshold (scores ≤ this count as accepted).
DEFAULT_THRESHOLD = 1


@dataclass
class GroupResult:
    """Aggregates of one (profile, codec) group."""

    profile: str
    codec: str
    pairs: int
    judgements: int
    evaluators: int
    mean_score: float
    accepted: int
    acceptance: float
    acceptance_low: float
    acceptance_high: float
    alpha: float | None
    decision_agreement: float | None
    artifacts: dict[str, int] = field(default_factory=dict)

    def top_artifacts(self, n: int = 3) -> str:
        """``"banding 4, blur 2"`` — the ``n`` most-flagged artifact types."""
        items = sorted(self.artifacts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        return ", ".join(f"{k} {v}" for k, v in items)


@dataclass
class ReviewResults:
    """Everything ``review-results`` reports."""

    threshold: int
    groups: list[GroupResult]
    overall: GroupResult | None
    artifacts: dict[str, int]


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    z : float
        Normal quantile (1.96 for 95 %).

    Returns
    -------
    tuple of float
        ``(low, high)``; ``(0.0, 1.0)`` when ``n`` is 0.
    """
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def krippendorff_alpha_interval(units: Iterable[list[float]]) -> float | None:
    """Krippendorff's alpha with the interval distance.

    Parameters
    ----------
    units : iterable of list of float
        The values each rated unit received (one per evaluator); units with fewer than two values are
        ignored (they cannot be paired).

    Returns
    -------
    float or None
        None when fewer than two pairable values exist or every value is identical.
    """
    pairable = [list(u) for u in units if len(u) >= 2]
    values = [v for u in pairable for v in u]
    n = len(values)
    if n < 2:
        return None
    d_o = sum(sum((a - b) ** 2 for a in u for b in u) / (len(u) - 1) for u in pairable) / n
    counts = Counter(values)
    d_e = sum(ca * cb * (a - b) ** 2 for a, ca in counts.items() for b, cb in counts.items()) / (n * (n - 1))
    if d_e == 0:
        return None
    return 1.0 - d_o / d_e


def latest_judgements(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the latest score of each (evaluator, pair)."""
    latest: dict[tuple[int, int], dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["id"]):
        latest[(r["evaluator_id"], r["item_id"])] = r
    return sorted(latest.values(), key=lambda r: r["id"])


def _group(profile: str, codec: str, rows: list[dict[str, Any]], threshold: int) -> GroupResult:
    scores = [int(r["score"]) for r in rows]
    accepted = sum(s <= threshold for s in scores)
    low, high = wilson_interval(accepted, len(scores))
    by_item: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        by_item[r["item_id"]].append(int(r["score"]))
    agree = total = 0
    for vals in by_item.values():
        for a, b in combinations(vals, 2):
            total += 1
            agree += (a <= threshold) == (b <= threshold)
    artifacts = Counter(a for r in rows for a in r["artifacts"])
    return GroupResult(
        profile=profile,
        codec=codec,
        pairs=len(by_item),
        judgements=len(scores),
        evaluators=len({r["evaluator_id"] for r in rows}),
        mean_score=sum(scores) / len(scores),
        accepted=accepted,
        acceptance=accepted / len(scores),
        acceptance_low=low,
        acceptance_high=high,
        alpha=krippendorff_alpha_interval([list(map(float, v)) for v in by_item.values()]),
        decision_agreement=agree / total if total else None,
        artifacts=dict(artifacts),
    )


def compute_results(rows: list[dict[str, Any]], *, threshold: int = DEFAULT_THRESHOLD) -> ReviewResults:
    """Acceptance, mean score, agreement and artifacts per (profile, codec) and overall.

    Parameters
    ----------
    rows : list of dict
        :meth:`qualipress.review.db.ReviewDB.judgements`.
    threshold : int
        Scores ≤ threshold are accepted.
    """
    rows = latest_judgements(rows)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["profile"] or "-", r["codec"])].append(r)
    results = [_group(p, c, g, threshold) for (p, c), g in sorted(groups.items())]
    overall = _group("all", "all", rows, threshold) if rows else None
    return ReviewResults(
        threshold=threshold,
        groups=results,
        overall=overall,
        artifacts=dict(Counter(a for r in rows for a in r["artifacts"]).most_common()),
    )


#: Columns of :func:`results_csv`: the :class:`GroupResult` fields, the artifact counts as their top list.
CSV_COLUMNS = [*(f.name for f in fields(GroupResult) if f.name != "artifacts"), "top_artifacts"]
#: The :class:`GroupResult` fields written with four decimals.
_FRACTIONS = ("mean_score", "acceptance", "acceptance_low", "acceptance_high", "alpha", "decision_agreement")


def results_csv(results: ReviewResults) -> str:
    """CSV text: one row per group plus an ``all``/``all`` row."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for g in [*results.groups, *([results.overall] if results.overall else [])]:
        row = asdict(g)
        row.pop("artifacts")
        row["top_artifacts"] = g.top_artifacts(len(g.artifacts))
        for k in _FRACTIONS:
            if row[k] is not None:
                row[k] = f"{row[k]:.4f}"
        w.writerow(_safe_cells(row))
    return buf.getvalue()


JUDGEMENT_COLUMNS = [
    "id",
    "created_at",
    "evaluator",
    "profile",
    "codec",
    "collection",
    "original",
    "compressed",
    "score",
    "artifacts",
    "comment",
    "blind",
    "original_side",
    "elapsed_ms",
]


def judgements_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text with one row per stored score (every score, superseded ones included)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=JUDGEMENT_COLUMNS, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow(_safe_cells(dict(r, artifacts=";".join(r["artifacts"]))))
    return buf.getvalue()


#: First characters that make a spreadsheet treat a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cells(row: dict[str, Any]) -> dict[str, Any]:
    """Text cells that a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``+cmd``, ``@SUM``) get a
    leading apostrophe, so they open as text; numbers (``-0.12``) are left as they are."""
    out = {}
    for k, v in row.items():
        if isinstance(v, str) and v.startswith(_FORMULA_START):
            try:
                float(v)
            except ValueError:
                v = "'" + v
        out[k] = v
    return out
