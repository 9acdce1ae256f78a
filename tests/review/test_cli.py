"""The review commands through the real CLI entry point ``qualipress.cli.main``."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.review.db import ReviewDB
from qualipress.review.pairs import scan_collections


def _fill(db_path: Path, collection: Path) -> None:
    db = ReviewDB(db_path)
    db.sync_items(scan_collections([collection]).pairs)
    for name, scores in (("a", [0, 1, 3, 0, 2, 5]), ("b", [1, 1, 4, 0, 0, 5])):
        eid, _ = db.evaluator(name)
        for s in scores:
            t = db.next_trial(eid, blind=True)
            db.submit(t.token, evaluator_id=eid, score=s, artifacts=["banding"] if s >= 3 else [])
    db.close()


def test_review_results_table_and_csv(collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = tmp_path / "r.sqlite"
    _fill(db, collection)
    out = tmp_path / "res.csv"
    assert main(["review-results", "--db", str(db), "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "C1" in text and "C2" in text and "jpeg" in text
    assert "accepted: score <= 1" in text and "banding" in text
    rows = list(csv.DictReader(out.open()))
    assert rows[-1]["profile"] == "all" and rows[-1]["judgements"] == "12"
    assert rows[-1]["accepted"] == str(sum(s <= 1 for s in [0, 1, 3, 0, 2, 5, 1, 1, 4, 0, 0, 5]))
    assert main(["review-results", "--db", str(db), "--json", "--threshold", "0"]) == 0
    assert '"threshold": 0' in capsys.readouterr().out
    raw = tmp_path / "raw.csv"
    assert main(["review-results", "--db", str(db), "--judgements-csv", str(raw)]) == 0
    judged = list(csv.DictReader(raw.open()))
    assert len(judged) == 12 and {r["evaluator"] for r in judged} == {"a", "b"}
    assert sorted(int(r["score"]) for r in judged) == sorted([0, 1, 3, 0, 2, 5, 1, 1, 4, 0, 0, 5])
    assert {r["artifacts"] for r in judged} == {"", "banding"}


def test_review_results_missing_db(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["review-results", "--db", str(tmp_path / "none.sqlite")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists()


def test_review_refuses_non_collection_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    served = []
    monkeypatch.setattr("qualipress.review.server.serve", lambda *a, **k: served.append(1))
    assert main(["review", str(tmp_path), "--db", str(tmp_path / "x.sqlite")]) == 2
    assert "not a collection" in " ".join(capsys.readouterr().err.split()) and not served


def test_review_serves_on_loopback_by_default(
    collection: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    calls = []
    monkeypatch.setattr("qualipress.review.server.serve", lambda app, **k: calls.append(k))
    assert main(["review", str(collection), "--db", str(tmp_path / "x.sqlite"), "--blind"]) == 0
    assert calls == [{"host": "127.0.0.1", "port": 8000}]
    captured = capsys.readouterr()
    assert "6 pairs" in captured.out and "blind" in captured.out
    assert "outside the collection" in captured.err  # skipped records are reported


def test_bench_review_load_small(capsys: pytest.CaptureFixture) -> None:
    assert main(["bench", "review-load", "--evaluators", "3", "--submissions", "5"]) == 0
    out = capsys.readouterr().out
    assert '"acknowledged": 15' in out and '"ok": true' in out
