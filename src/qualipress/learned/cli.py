"""CLI of the learned-codec capability: ``train-codec``.

``encode`` / ``decode`` of ``.qlc`` files belong to the core CLI (they go through the codec table).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualipress.errors import InputError


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
    max_minutes: Annotated[float | None, typer.Option("--max-minutes", help="Training-time budget in minutes.")
                           ] = None,
    minutes: Annotated[float | None, typer.Option("--minutes", hidden=True,  # the earlier spelling (misc18)
                                                  help="Same as --max-minutes.")] = None,
    batch_size: Annotated[int, typer.Option(help="Crops per batch.")] = 4,
    crop: Annotated[int, typer.Option(help="Random crop size.")] = 256,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 5e-4,
    schedule: Annotated[str, typer.Option(help="LR schedule: step (x0.1 after 80 %) or cosine.")] = "step",
    warmup: Annotated[int, typer.Option(help="Linear LR warm-up steps (from lr/10).")] = 0,
    min_lr_frac: Annotated[float, typer.Option(help="Cosine schedule: final LR as a fraction of --lr.")] = 0.02,
    bf16: Annotated[bool, typer.Option(help="bfloat16 autocast for the transforms while training.")] = False,
    init: Annotated[Path | None, typer.Option(
        help="Start from these weights (same arch and size), or from a training .ckpt (weights + Adam state)."
    )] = None,
    checkpoint_minutes: Annotated[float, typer.Option(help="Minutes between checkpoints.")] = 2.0,
    variable_rate: Annotated[bool, typer.Option(help="Random quantisation steps: one model, 8 qualities.")] = True,
    validation: Annotated[list[Path] | None, typer.Option(help="Held-out images for the validation curve.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from <output>.ckpt when present.")] = True,
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch (default: torch's own choice).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    step_range: Annotated[tuple[float, float], typer.Option(
        help="Quantisation steps of the finest and the coarsest quality (variable rate); a wider range reaches "
             "lower rates at quality 1.")] = (0.35, 2.8),
) -> None:
    """Train a learned codec (rate + λ·MSE, aux loss, noise quantisation); resumable; writes a model file."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from qualipress.learned._compressai import architecture
    from qualipress.learned.train import TrainConfig, train_codec

    if minutes is not None:  # --max-minutes is the name every other command gives a wall-time budget
        if max_minutes is not None:
            raise InputError("--minutes is the earlier spelling of --max-minutes: give one")
        max_minutes = minutes
    a = architecture(arch)
    config = (n,) if a.class_name.startswith("Cheng") else (n, m)
    if steps is None and max_minutes is None:
        steps = 1000
    cfg = TrainConfig(arch=arch, config=config, lmbda=lmbda, variable_rate=variable_rate, crop=crop,
                      batch_size=batch_size, lr=lr, steps=steps, max_minutes=max_minutes, device=device,
                      threads=threads, seed=seed, schedule=schedule, warmup_steps=warmup, bf16=bf16,
                      min_lr_frac=min_lr_frac, step_range=(float(step_range[0]), float(step_range[1])),
                      init=str(init) if init else None, checkpoint_seconds=60.0 * checkpoint_minutes)
    with Progress(TextColumn("[bold]train"), BarColumn(), TextColumn("{task.fields[info]}"),
                  TimeElapsedColumn(), transient=False) as bar:
        task = bar.add_task("train", total=steps, info="")

        def progress(step: int, total: int | None, vals: dict[str, float]) -> None:
            bar.update(task, completed=step, info=f"step {step} loss {vals['loss']:.3f} bpp {vals['bpp']:.3f}")

        record = train_codec(dataset, output, cfg, validation=validation or None, resume=resume,
                             progress=progress)
    typer.echo(f"wrote {output} ({record['steps_done']} steps, {record['train_seconds']:.0f} s)")
    for v in record["final_validation"]:
        typer.echo(f"  step size {v['step_size']:.3f}: {v['bpp']:.3f} bpp (estimated), {v['psnr']:.2f} dB")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add ``train-codec`` to ``app`` (``bench rd`` / ``bench plot`` live in :mod:`qualipress.rd.cli`)."""
    app.command("train-codec")(train_codec_cmd)
