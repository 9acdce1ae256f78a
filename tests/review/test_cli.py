"""The review commands, through a small Typer app and (once it lists the plugin) the real CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from qualipress.review import cli as review_cli
from qualipress.review.db import ReviewDB
from qualipress.review.pairs import scan_collections


def _app() -> typer.Typer:
    app = typer.Typer()
    bench = typer.Typer()
    app.add_typer(bench, name="bench")
    review_cli.register(app, bench)
    return app


def _fill(db_path: Path, collection: Path) -> None:
    db = ReviewDB(db_path)
    db.sync_items(scan_collections([collection]).pairs)
    for name, scores in (("a", [0, 1, 3, 0, 2, 5]), ("b", [1, 1, 4, 0, 0, 5])):
        eid, _ = db.evaluator(name)
        for s in scores:
            t = db.next_trial(eid, blind=True)
            db.submit(t.token, evaluator_id=eid, score=s, artifacts=["banding"] if s >= 3 else [])
    db.close()


def test_review_results_table_and_csv(collection: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    _fill(db, collection)
    out = tmp_path / "res.csv"
    r = CliRunner().invoke(_app(), ["review-results", "--db", str(db), "--csv", str(out)])
    assert r.exit_code == 0, r.output
    assert "C1" in r.output and "C2" in r.output and "jpeg" in r.output
    assert "accepted: score <= 1" in r.output and "banding" in r.output
    rows = list(csv.DictReader(out.open()))
    assert rows[-1]["profile"] == "all" and rows[-1]["judgements"] == "12"
    assert rows[-1]["accepted"] == str(sum(s <= 1 for s in [0, 1, 3, 0, 2, 5, 1, 1, 4, 0, 0, 5]))
    j = CliRunner().invoke(_app(), ["review-results", "--db", str(db), "--json", "--threshold", "0"])
    assert j.exit_code == 0 and '"threshold": 0' in j.output


def test_review_results_missing_db(tmp_path: Path) -> None:
    r = CliRunner().invoke(_app(), ["review-results", "--db", str(tmp_path / "none.sqlite")])
    assert r.exit_code == 2 and "does not exist" in r.output
    assert not (tmp_path / "none.sqlite").exists()


def test_review_refuses_non_collection_before_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served = []
    monkeypatch.setattr("qualipress.review.server.serve", lambda *a, **k: served.append(1))
    r = CliRunner().invoke(_app(), ["review", str(tmp_path), "--db", str(tmp_path / "x.sqlite")])
    assert r.exit_code == 2 and "not a collection" in r.output and not served


def test_review_serves_on_loopback_by_default(
    collection: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    monkeypatch.setattr("qualipress.review.server.serve", lambda app, **k: calls.append(k))
    r = CliRunner().invoke(_app(), ["review", str(collection), "--db", str(tmp_path / "x.sqlite"), "--blind"])
    assert r.exit_code == 0, r.output
    assert calls == [{"host": "127.0.0.1", "port": 8000}]
    assert "6 pairs" in r.output and "blind" in r.output
    assert "outside the collection" in r.output  # skipped records are reported


def test_real_cli_when_plugin_registered(collection: Path, tmp_path: Path) -> None:
    cli = pytest.importorskip("qualipress.cli")
    if not hasattr(cli, "main") or "qualipress.review.cli" not in str(getattr(cli, "PLUGINS", "")):
        pytest.skip("core CLI does not list the review plugin yet")
    db = tmp_path / "r.sqlite"
    _fill(db, collection)
    assert cli.main(["review-results", "--db", str(db)]) == 0
    assert cli.main(["review-results", "--db", str(tmp_path / "missing.sqlite")]) != 0
