"""CLI of the learned-codec capability: ``train-codec``, ``bench rd`` and ``bench plot``.

``encode`` / ``decode`` of ``.qlc`` files belong to the core CLI (they go through the codec table).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from qualipress.errors import QualipressError


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def train_codec_cmd(
    dataset: Annotated[list[Path], typer.Argument(help="Directories or files of training images (not Kodak).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Model file to write (.pt).")],
    arch: Annotated[str, typer.Option(help="Architecture (bmshj2018-factorized, bmshj2018-hyperprior, ...).")] = (
        "bmshj2018-hyperprior"
    ),
    lmbda: Annotated[float, typer.Option(help="λ (MSE) at quantisation step 1.")] = 0.013,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    n: Annotated[int, typer.Option("--N", help="Channels N (transforms).")] = 64,
    m: Annotated[int, typer.Option("--M", help="Channels M (latent); ignored by Cheng 2020.")] = 96,
    steps: Annotated[int | None, typer.Option(help="Stop after this many steps.")] = None,
    minutes: Annotated[float | None, typer.Option(help="Training-time budget in minutes.")] = None,
    batch_size: Annotated[int, typer.Option(help="Crops per batch.")] = 4,
    crop: Annotated[int, typer.Option(help="Random crop size.")] = 256,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 5e-4,
    variable_rate: Annotated[bool, typer.Option(help="Random quantisation steps: one model, 8 qualities.")] = True,
    validation: Annotated[list[Path] | None, typer.Option(help="Held-out images for the validation curve.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from <output>.ckpt when present.")] = True,
    threads: Annotated[int | None, typer.Option(help="torch.set_num_threads.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Train a learned codec (rate + λ·MSE, aux loss, noise quantisation); resumable; writes a model file."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from qualipress.learned._compressai import architecture
    from qualipress.learned.train import TrainConfig, train_codec

    try:
        a = architecture(arch)
        config = (n,) if a.class_name.startswith("Cheng") else (n, m)
        if steps is None and minutes is None:
            steps = 1000
        cfg = TrainConfig(arch=arch, config=config, lmbda=lmbda, variable_rate=variable_rate, crop=crop,
                          batch_size=batch_size, lr=lr, steps=steps, max_minutes=minutes, device=device,
                          threads=threads, seed=seed)
        with Progress(TextColumn("[bold]train"), BarColumn(), TextColumn("{task.fields[info]}"),
                      TimeElapsedColumn(), transient=False) as bar:
            task = bar.add_task("train", total=steps, info="")

            def progress(step: int, total: int | None, vals: dict[str, float]) -> None:
                bar.update(task, completed=step, info=f"step {step} loss {vals['loss']:.3f} bpp {vals['bpp']:.3f}")

            record = train_codec(dataset, output, cfg, validation=validation or None, resume=resume,
                                 progress=progress)
    except QualipressError as exc:
        raise _fail(exc) from exc
    typer.echo(f"wrote {output} ({record['steps_done']} steps, {record['train_seconds']:.0f} s)")
    for v in record["final_validation"]:
        typer.echo(f"  step size {v['step_size']:.3f}: {v['bpp']:.3f} bpp (estimated), {v['psnr']:.2f} dB")


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
    task: Annotated[str | None, typer.Option(help="Coding for machines: faces or persons (F1 at IoU 0.5).")] = None,
    jobs: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    limit: Annotated[int | None, typer.Option(help="Use only the first N images.")] = None,
    weights: Annotated[Path | None, typer.Option(help="Weights file for the learned codecs.")] = None,
    report: Annotated[bool, typer.Option(help="Write report.html and rd.png.")] = True,
) -> None:
    """Rate–distortion benchmark: codecs × qualities × metrics, BD tables, HTML report (incremental)."""
    from qualipress.rd import format_table, html_report, parse_qualities, plot_rd, run_rd

    names = [c.strip() for c in codecs.split(",") if c.strip()]
    try:
        q = parse_qualities(qualities or [], names)
        opts = {n: {"weights": str(weights)} for n in names if n.startswith("learned:")} if weights else {}
        res = run_rd(
            dataset, output, codecs=names, qualities=q, metrics=[m.strip() for m in metrics.split(",") if m.strip()],
            anchor=anchor or names[0], task=task, jobs=jobs, limit=limit, encode_options=opts,
            progress=lambda d, t, label: typer.echo(f"[{d}/{t}] {label}", err=True),
        )
        if report:
            keys = [k for k in next(iter(res.curves.values()))["results"] if k not in
                    ("quality", "bpp", "encoding_time", "decoding_time")]
            plot_rd(res.curves, output / "rd.png", metrics=keys)
            html_report(output)
    except QualipressError as exc:
        raise _fail(exc) from exc
    typer.echo(f"{res.computed} rows computed, {res.cached} from cache, {len(res.errors)} errors -> {output}")
    for e in res.errors[:20]:
        typer.echo(f"  skipped {e['codec']} {Path(e['image']).name} {e['setting']}: {e['error']}", err=True)
    if res.bd:
        typer.echo(format_table(res.bd, anchor or names[0]))


def bench_plot_cmd(
    results: Annotated[list[Path], typer.Argument(help="Results directories or CompressAI-style JSON files.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG to write.")],
    metrics: Annotated[str, typer.Option(help="Comma-separated result columns.")] = "psnr-rgb,ms-ssim-rgb",
    title: Annotated[str, typer.Option(help="Figure title.")] = "",
) -> None:
    """Plot RD curves from result JSON files (ours or CompressAI's published ones)."""
    from qualipress.rd import load_curves, plot_rd

    try:
        curves = load_curves(results)
        plot_rd(curves, output, metrics=[m.strip() for m in metrics.split(",") if m.strip()], title=title)
    except QualipressError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"curves": list(curves), "output": str(output)}), file=sys.stdout)


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add ``train-codec`` to ``app`` and ``rd`` / ``plot`` to the ``bench`` sub-app."""
    app.command("train-codec")(train_codec_cmd)
    bench.command("rd")(bench_rd_cmd)
    bench.command("plot")(bench_plot_cmd)
