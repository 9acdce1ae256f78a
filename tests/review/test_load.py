"""Loopback load test: 20 concurrent evaluators x 200 submissions each, then a database audit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qualipress.review.app import build_app
from qualipress.review.db import ReviewDB
from qualipress.review.loadtest import audit, make_pair_collection, run_load
from qualipress.review.pairs import scan_collections
from qualipress.review.server import background_server

EVALUATORS = 20
SUBMISSIONS = 200


@pytest.mark.slow
def test_concurrent_evaluators_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    coll = make_pair_collection(tmp_path / "pairs", SUBMISSIONS)
    db = ReviewDB(tmp_path / "load.sqlite")
    app = build_app(scan_collections([coll]), db, blind=True)
    with background_server(app) as url:
        result, acked = asyncio.run(run_load(url, evaluators=EVALUATORS, submissions=SUBMISSIONS))
    audit(db, result, acked)
    summary = result.summary()
    assert result.errors == [], result.errors[:5]
    assert summary["acknowledged"] == EVALUATORS * SUBMISSIONS == summary["stored"]
    assert summary["lost"] == 0 and summary["wrong_value"] == 0 and summary["duplicated"] == 0
    assert summary["retries_answered_duplicate"] == summary["retries_sent"] == EVALUATORS * SUBMISSIONS // 10
    # every evaluator scored every pair exactly once, and each pair has exactly EVALUATORS scores
    counts = db.counts()
    assert counts["scores"] == EVALUATORS * SUBMISSIONS
    per_item: dict[int, int] = {}
    for r in db.judgements():
        per_item[r["item_id"]] = per_item.get(r["item_id"], 0) + 1
    assert set(per_item.values()) == {EVALUATORS} and len(per_item) == SUBMISSIONS
    assert result.ok
