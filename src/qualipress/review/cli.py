"""``qualipress review``, ``qualipress review-results`` and ``qualipress bench review-load``."""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import asdict
from pathlib import Path

import typer

from qualipress.errors import ExitCode, InputError
from qualipress.io import atomic_write_text
from qualipress.progress import progress_bar
from qualipress.review.app import allowed_hosts_for, build_app
from qualipress.review.db import ReviewDB
from qualipress.review.pairs import scan_collections
from qualipress.review.results import (
    DEFAULT_THRESHOLD,
    ReviewResults,
    compute_results,
    judgements_csv,
    results_csv,
)


def _fmt(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{100 * v:.0f}%" if pct else f"{v:.2f}"


def format_results(res: ReviewResults) -> str:
    """The results table as plain text (what ``review-results`` prints)."""
    header = [
        "profile",
        "codec",
        "pairs",
        "judg.",
        "eval.",
        "mean",
        "accepted",
        "95% CI",
        "alpha",
        "agree",
        "top artifacts",
    ]
    rows = [header]
    for g in [*res.groups, *([res.overall] if res.overall else [])]:
        rows.append(
            [
                g.profile,
                g.codec,
                str(g.pairs),
                str(g.judgements),
                str(g.evaluators),
                f"{g.mean_score:.2f}",
                f"{_fmt(g.acceptance, True)} ({g.accepted}/{g.judgements})",
                f"{_fmt(g.acceptance_low, True)}–{_fmt(g.acceptance_high, True)}",
                _fmt(g.alpha),
                _fmt(g.decision_agreement, True),
                g.top_artifacts(3) or "-",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [
        "",
        f"accepted: score <= {res.threshold} (0 = no visible difference ... 5 = unacceptable); "
        "judg. = latest score per evaluator and pair",
        "alpha: Krippendorff's alpha (interval) over pairs scored by >= 2 evaluators; "
        "agree: share of evaluator pairs with the same accept/reject decision",
    ]
    if res.artifacts:
        notes.append("most-flagged artifacts: " + ", ".join(f"{k} {v}" for k, v in res.artifacts.items()))
    return "\n".join(lines + notes)


def review_cmd(
    collections: list[Path] = typer.Argument(
        ..., help="Output directories of `qualipress compress` (or original/ + variant/ directories)."
    ),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind; the default is this machine only."),
    blind: bool = typer.Option(False, "--blind", help="Hide codec/profile and randomise left/right."),
    db: Path = typer.Option(Path("review.sqlite"), "--db", help="SQLite file receiving the scores."),
    display: str = typer.Option("auto", help="auto: film display rendering for log frames; stored: code "
                                             "values as stored; film: also for float scene-linear frames."),
) -> None:
    """Open a local web page where evaluators score original/compressed pairs 0-5."""
    from qualipress.review.server import serve

    scan = scan_collections([str(c) for c in collections])  # errors: the core CLI prints them, exit 2
    web = build_app(scan, db, blind=blind, allowed_hosts=allowed_hosts_for(host), display=display)
    for line in scan.skipped:
        typer.echo(f"skipped: {line}", err=True)
    typer.echo(
        f"{len(scan.pairs)} pairs from {len(collections)} collection(s); scores go to {db} "
        f"({'blind' if blind else 'labelled'} mode)"
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: listening on {host}: anyone who can reach this port can submit scores", err=True)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"open http://{shown}:{port}/ in a browser (Ctrl-C stops)")
    serve(web, host=host, port=port)


def review_results_cmd(
    db: Path = typer.Option(Path("review.sqlite"), "--db", help="SQLite file written by `qualipress review`."),
    csv: Path | None = typer.Option(None, "--csv", help="Also write the table as CSV."),
    threshold: int = typer.Option(DEFAULT_THRESHOLD, min=0, max=5, help="Scores <= this count as accepted."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    raw_csv: Path | None = typer.Option(
        None, "--judgements-csv", help="Also write every stored score (with comments) as CSV."
    ),
) -> None:
    """Acceptance per profile and codec, mean score, agreement and most-flagged artifacts."""
    if not db.is_file():
        raise InputError(f"{db} does not exist (run `qualipress review ... --db {db}` first)")
    store = ReviewDB(db)
    try:
        rows = store.judgements()
    finally:
        store.close()
    res = compute_results(rows, threshold=threshold)
    if csv is not None:
        atomic_write_text(csv, results_csv(res))
    if raw_csv is not None:
        atomic_write_text(raw_csv, judgements_csv(rows))
    if as_json:
        typer.echo(json.dumps(asdict(res), indent=2))
    elif res.overall is None:
        typer.echo("no scores yet")
    else:
        typer.echo(format_results(res))
    for written in (csv, raw_csv):
        if written is not None:
            typer.echo(f"wrote {written}", err=True)


def review_load_cmd(
    evaluators: int = typer.Option(20, min=1, max=200, help="Concurrent simulated evaluators."),
    submissions: int = typer.Option(200, min=1, max=5000, help="Scores each evaluator submits."),
) -> None:
    """Loopback load test of the review server: concurrent scoring, then a database audit."""
    from qualipress.review.loadtest import audit, make_pair_collection, run_load
    from qualipress.review.server import background_server

    with tempfile.TemporaryDirectory(prefix="qualipress-review-load-") as tmp:
        coll = make_pair_collection(Path(tmp) / "pairs", submissions)
        store = ReviewDB(Path(tmp) / "load.sqlite")
        web = build_app(scan_collections([coll]), store, blind=True)
        with background_server(web) as url, progress_bar("scoring", evaluators * submissions) as bar:
            result, acked = asyncio.run(run_load(url, evaluators=evaluators, submissions=submissions,
                                                 progress=bar.advance))
        audit(store, result, acked)
        store.close()
    typer.echo(json.dumps(result.summary(), indent=2))
    for e in result.errors[:10]:
        typer.echo(f"error: {e}", err=True)
    if not result.ok:
        raise ExitCode(1)


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add ``review`` and ``review-results`` to ``app`` and ``review-load`` to ``bench``."""
    app.command("review")(review_cmd)
    app.command("review-results")(review_results_cmd)
    bench.command("review-load")(review_load_cmd)
