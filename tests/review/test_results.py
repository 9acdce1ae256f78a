from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from qualipress.review.db import ReviewDB
from qualipress.review.pairs import scan_collections
from qualipress.review.results import (
    CSV_COLUMNS,
    compute_results,
    krippendorff_alpha_interval,
    results_csv,
    wilson_interval,
)


def test_krippendorff_reference_value() -> None:
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", 4 coders x 12 units with
    # missing values: interval alpha = 0.849.
    n = None
    coders = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    units = [[v for v in col if v is not None] for col in zip(*coders, strict=True)]
    assert krippendorff_alpha_interval(units) == pytest.approx(0.849, abs=5e-4)


def test_krippendorff_invariants() -> None:
    assert krippendorff_alpha_interval([[0, 0], [3, 3], [5, 5]]) == pytest.approx(1.0)
    assert krippendorff_alpha_interval([[1, 1], [1, 1]]) is None  # no variation at all
    assert krippendorff_alpha_interval([[2], [4]]) is None  # nothing pairable
    assert krippendorff_alpha_interval([[0, 5], [5, 0], [0, 5]]) < 0  # systematic disagreement


def test_wilson_interval_reference() -> None:
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)


def _scored_db(collection: Path, tmp_path: Path, plan: dict[str, list[tuple[int, list[str]]]]) -> ReviewDB:
    """Evaluator name -> scores for successive pairs, given in the order the DB offers them."""
    db = ReviewDB(tmp_path / "res.sqlite")
    db.sync_items(scan_collections([collection]).pairs)
    for name, scores in plan.items():
        eid, _ = db.evaluator(name)
        for score, arts in scores:
            t = db.next_trial(eid, blind=True)
            assert t is not None
            db.submit(t.token, evaluator_id=eid, score=score, artifacts=arts)
    return db


def test_results_per_profile_and_codec(collection: Path, tmp_path: Path) -> None:
    db = _scored_db(
        collection,
        tmp_path,
        {
            "a": [(0, []), (1, ["banding"]), (2, ["banding", "blur"]), (0, []), (5, ["blocking"]), (1, [])],
            "b": [(1, []), (3, ["banding"]), (0, []), (0, []), (4, ["blocking", "banding"]), (2, [])],
        },
    )
    rows = db.judgements()
    res = compute_results(rows, threshold=1)
    assert {(g.profile, g.codec) for g in res.groups} == {("C1", "jpeg"), ("C2", "webp")}
    assert sum(g.judgements for g in res.groups) == 12 == res.overall.judgements
    for g in res.groups:
        mine = [r for r in rows if (r["profile"], r["codec"]) == (g.profile, g.codec)]
        assert g.mean_score == pytest.approx(sum(r["score"] for r in mine) / len(mine))
        assert g.accepted == sum(r["score"] <= 1 for r in mine)
        assert g.pairs == 3 and g.evaluators == 2
        assert g.acceptance_low <= g.acceptance <= g.acceptance_high
    assert res.overall.accepted == 7
    assert res.artifacts == {"banding": 4, "blocking": 2, "blur": 1}
    stricter = compute_results(rows, threshold=0)
    assert stricter.overall.accepted == 4
    text = results_csv(res)
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0].keys()) == CSV_COLUMNS
    assert [r["profile"] for r in table] == ["C1", "C2", "all"]
    assert table[-1]["accepted"] == "7" and table[-1]["judgements"] == "12"
    assert table[-1]["top_artifacts"].startswith("banding 4")


def test_agreement_reflects_evaluators(collection: Path, tmp_path: Path) -> None:
    same = [(0, []), (5, []), (1, []), (4, []), (2, []), (3, [])]
    db = ReviewDB(tmp_path / "agree.sqlite")
    db.sync_items(scan_collections([collection]).pairs)
    order: list[int] = []
    for name in ("a", "b"):
        eid, _ = db.evaluator(name)
        for i in range(6):
            t = db.next_trial(eid, blind=False)
            if name == "a":
                order.append(t.item_id)
                score = same[i][0]
            else:  # b gives each pair the same score as a did
                score = same[order.index(t.item_id)][0]
            db.submit(t.token, evaluator_id=eid, score=score)
    res = compute_results(db.judgements())
    assert res.overall.alpha == pytest.approx(1.0)
    assert res.overall.decision_agreement == pytest.approx(1.0)


def test_latest_score_per_evaluator_and_pair_counts(collection: Path, tmp_path: Path) -> None:
    db = _scored_db(collection, tmp_path, {"a": [(5, [])]})
    row = db.judgements()[0]
    later = dict(row, id=row["id"] + 1000, score=0)  # a re-score of the same pair
    res = compute_results([row, later])
    assert res.overall.judgements == 1 and res.overall.mean_score == 0


def test_judgement_csv_cells_cannot_run_as_spreadsheet_formulas() -> None:
    import csv
    import io

    from qualipress.review.results import judgements_csv

    row = {"id": 1, "created_at": "2026-11-30", "evaluator": "@SUM(A1)", "profile": "C1", "codec": "jpeg",
           "collection": "c", "original": "a.png", "compressed": "+a.jpg", "score": "-2", "artifacts": [],
           "comment": '=HYPERLINK("http://x","y")', "blind": 0, "original_side": "left", "elapsed_ms": 5}
    out = next(csv.DictReader(io.StringIO(judgements_csv([row]))))
    assert out["comment"].startswith("'=") and out["evaluator"] == "'@SUM(A1)" and out["compressed"] == "'+a.jpg"
    assert out["score"] == "-2"  # a number stays a number
