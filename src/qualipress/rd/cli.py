"""CLI of the RD benchmark harness: ``bench rd`` and ``bench plot``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualipress.errors import ExitCode
from qualipress.rd import format_table, load_curves, parse_qualities, plot_rd, run_rd


def bench_rd_cmd(
    dataset: Annotated[list[Path], typer.Argument(help="Dataset directory (or image files).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Results directory (keeps the row cache).")],
    codecs: Annotated[str, typer.Option(help="Comma-separated codec names.")] = "jpeg,webp",
    qualities: Annotated[list[str] | None, typer.Option(
        help="Settings: 'LIST' for all codecs or 'CODEC=LIST'; LIST = numbers and lo:hi:step ranges.")] = None,
    metrics: Annotated[str, typer.Option(help="Comma-separated metrics (psnr, ms-ssim, ssim, ssimulacra2).")] = (
        "psnr,ms-ssim"
    ),
    anchor: Annotated[str | None, typer.Option(help="BD anchor codec (default: first codec).")] = None,
    task: Annotated[str | None, typer.Option(
        help="Coding for machines: faces or persons (detections scoring >= 0.5, F1 at IoU 0.5).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Parallel worker processes.")] = 1,
    limit: Annotated[int | None, typer.Option(help="Use only the first N images.")] = None,
    weights: Annotated[Path | None, typer.Option(help="Weights file for the learned codecs.")] = None,
    report: Annotated[bool, typer.Option(help="Write report.html and rd.png.")] = True,
) -> None:
    """Rate–distortion benchmark: codecs × qualities × metrics, BD tables, HTML report (incremental)."""

    names = [c.strip() for c in codecs.split(",") if c.strip()]
    q = parse_qualities(qualities or [], names)
    opts = {n: {"weights": str(weights)} for n in names if n.startswith("learned:")} if weights else {}
    res = run_rd(
        dataset, output, codecs=names, qualities=q, metrics=[m.strip() for m in metrics.split(",") if m.strip()],
        anchor=anchor or names[0], task=task, jobs=jobs, limit=limit, encode_options=opts,
        progress=lambda d, t, label: typer.echo(f"[{d}/{t}] {label}", err=True), report=report,
    )
    typer.echo(f"{res.computed} rows computed, {res.cached} from cache, {len(res.errors)} errors -> {output}")
    for e in res.errors[:20]:
        typer.echo(f"  skipped {e['codec']} {Path(e['image']).name} {e['setting']}: {e['error']}", err=True)
    if res.left_out:
        typer.echo(f"{len(res.left_out)} image{'s' if len(res.left_out) != 1 else ''} left out of every curve "
                   f"(a codec or setting has no row for them): {', '.join(sorted(res.left_out))}", err=True)
    if not any(c["results"]["bpp"] for c in res.curves.values()):
        # told after the reasons above: the report alone said "none of the metrics [] is in the results". Exit 1,
        # not 2: the inputs were there and all failed, as compress and preprocess label say (QA session 18)
        typer.echo("error: no curve has a point: every image was left out or every row failed (reasons above)",
                   err=True)
        raise ExitCode(1)
    if res.bd:
        typer.echo(format_table(res.bd, anchor or names[0]))
    if res.errors:  # some rows failed (named above): exit 1 as compress, archive and label do (QA session 18: 0)
        raise ExitCode(1)


def bench_plot_cmd(
    results: Annotated[list[Path], typer.Argument(help="Results directories or CompressAI-style JSON files.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG to write.")],
    metrics: Annotated[str, typer.Option(help="Comma-separated result columns.")] = "psnr-rgb,ms-ssim-rgb",
    title: Annotated[str, typer.Option(help="Figure title.")] = "",
) -> None:
    """Plot RD curves from result JSON files (ours or CompressAI's published ones)."""

    curves = load_curves(results)
    plot_rd(curves, output, metrics=[m.strip() for m in metrics.split(",") if m.strip()], title=title)
    typer.echo(f"{output}: {len(curves)} curve{'s' if len(curves) != 1 else ''} ({', '.join(sorted(curves))})")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add ``rd`` and ``plot`` to the ``bench`` sub-app."""
    bench.command("rd")(bench_rd_cmd)
    bench.command("plot")(bench_plot_cmd)
