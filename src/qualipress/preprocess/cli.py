"""``qualipress preprocess label | train | apply`` and ``compress --preprocess`` (the only module of this subpackage
that prints)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qualipress.errors import ExitCode, InputError, OutputError, QualipressError
from qualipress.io import IMAGE_SUFFIXES, atomic_write_bytes, image_paths, read_image, write_image
from qualipress.progress import progress_bar

if TYPE_CHECKING:
    from qualipress.pipeline.hooks import CompressRequest


def label_cmd(
    dataset: Annotated[list[Path], typer.Argument(help="Image files or directories (searched recursively).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Label directory (created or resumed).")],
    codec: Annotated[str, typer.Option(help="Codec the labels are made for.")] = "jpeg",
    quality: Annotated[float, typer.Option(help="Codec setting used for scoring.")] = 75.0,
    metric: Annotated[str, typer.Option(help="Full-reference quality metric.")] = "ssimulacra2",
    pool: Annotated[str, typer.Option(help="Comma-separated pool methods (default: all but guetzli).")] = "",
    max_combo: Annotated[int, typer.Option("--max-combo", help="Largest group size k.")] = 2,
    score: Annotated[str, typer.Option(help="zscore (the paper's Z(q) - Z(bpp)) or rd (bits saved at equal "
                                            "quality against the codec alone).")] = "zscore",
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Parallel worker processes.")] = 1,
    limit: Annotated[int | None, typer.Option(help="Label only the first N files.")] = None,
) -> None:
    """Score each group of pool methods (up to --max-combo together) on every image; the best is its label."""
    from qualipress.preprocess.groups import canonical
    from qualipress.preprocess.label import LabelConfig, label_dataset
    from qualipress.preprocess.pool import DEFAULT_POOL

    methods = canonical([m.strip() for m in pool.split(",") if m.strip()]) if pool else DEFAULT_POOL
    config = LabelConfig(codec=codec, quality=quality, metric=metric, pool=methods, max_combo=max_combo,
                         score=score)

    with progress_bar("labelling") as bar:
        def show(st: dict[str, Any]) -> None:
            if st["status"] == "error":
                bar.line(f"skipped {st['path']}: {st['error']}", err=True)
            elif not bar.live:
                bar.line(f"{st['status']:9s} {st['path']} -> {st.get('best')}")

        summary = label_dataset(dataset, output, config, jobs=jobs, limit=limit, progress=bar.callback(show))
    typer.echo(
        f"labelled {summary.labelled}, already done {summary.skipped}, failed {len(summary.errors)}; "
        "best groups: " + (", ".join(f"{name} ({n})" for name, n in sorted(summary.best_counts.items(),
                                                                         key=lambda kv: (-kv[1], kv[0])))
                           or "-")
    )
    if summary.errors:
        raise ExitCode(1)


def train_cmd(
    labels: Annotated[list[Path], typer.Argument(help="Label directories (one codec/pool setup); with --objective "
                                                     "rd: training images or directories.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Model file (.pt); record goes to .json.")],
    epochs: Annotated[int, typer.Option(help="Epochs.")] = 40,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    batch: Annotated[int | None, typer.Option(help="Batch size (labels: 4, rd: 8).")] = None,
    lr: Annotated[float | None, typer.Option(help="Adam learning rate (labels and rd: 1e-4).")] = None,
    base: Annotated[int, typer.Option(help="U-Net width (channels of the first level).")] = 16,
    max_minutes: Annotated[float | None, typer.Option("--max-minutes", help="Wall-time budget in minutes.")] = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch (default: torch's own choice; "
                                                     "--objective rd: 1).")] = None,
    codec: Annotated[str | None, typer.Option(help="Refuse labels made for another codec; rd: the codec the "
                                                   "proxy models, jpeg (default) or jpegli.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    objective: Annotated[str, typer.Option(help="labels (imitate label directories, MSE) or rd (rate-distortion "
                                                "through a differentiable JPEG proxy; arguments are then "
                                                "training images or directories).")] = "labels",
    steps: Annotated[int, typer.Option(help="rd: optimiser steps.")] = 20000,
    crop: Annotated[int, typer.Option(help="rd: crop edge in pixels (multiple of 16).")] = 128,
    q_range: Annotated[str, typer.Option("--q-range", help="rd: JPEG quality range sampled per batch.")] = "30,88",
    ssim_weight: Annotated[float, typer.Option("--ssim-weight", help="rd: weight of ln(1-SSIM) beside "
                                                                    "ln MSE.")] = 1.0,
    resume: Annotated[bool, typer.Option("--resume", help="rd: continue from OUTPUT and its .state.pt.")] = False,
    init: Annotated[str | None, typer.Option(help="rd: start from these weights (e.g. kuchen-rd or a .pt; "
                                                  "strength reset to 1, fresh optimiser).")] = None,
    checkpoint_minutes: Annotated[float, typer.Option("--checkpoint-minutes", help="rd: checkpoint interval.")]
    = 5.0,
    crossing_weight: Annotated[float, typer.Option("--crossing-weight", help="rd: weight of the zero-threshold "
                                                                          "crossing gradient (0 = off).")] = 0.0,
) -> None:
    """Train the Kuchen U-Net: on label directories (MSE, Adam, 320×180 patches, stride 160), or with
    '--objective rd' for rate and distortion through a differentiable JPEG (resumable, time budget, log)."""
    if not str(output).endswith(".pt"):
        raise InputError(f"{output}: the model file name must end in .pt")
    if objective == "rd":
        _train_rd(labels, output, steps=steps, batch=batch or 8, lr=lr or 1e-4,
                  base=base, crop=crop, q_range=q_range, ssim_weight=ssim_weight, threads=threads or 1,
                  max_minutes=max_minutes, seed=seed, resume=resume, checkpoint_minutes=checkpoint_minutes,
                  init=_model_path(init) if init else None, codec=codec or "jpeg",
                  crossing_weight=crossing_weight)
        return
    if objective != "labels":
        raise InputError(f"objective must be 'labels' or 'rd', not {objective!r}")
    from qualipress.preprocess.train import TrainOptions, train_model

    opt = TrainOptions(epochs=epochs, device=device, batch=batch or 4, lr=lr or 1e-4, base=base,
                       max_minutes=max_minutes, threads=threads, seed=seed)

    def log(e: dict[str, Any]) -> None:
        val = ("val -  (no validation images: too few labelled images)" if e["val_mse"] is None else
               f"val {e['val_mse']:.3e}  (identity {e['val_identity_mse']:.3e})")
        typer.echo(f"epoch {e['epoch']:3d}  train {e['train_mse']:.3e}  {val}  {e['elapsed_seconds']:.0f}s")

    result = train_model(labels, output, opt, codec=codec, log=log)
    typer.echo(f"wrote {result.model_path} and {result.record_path}")


def _model_path(name: str) -> str:
    from qualipress.preprocess import SHIPPED_NETWORKS

    return str(SHIPPED_NETWORKS.get(name.strip().lower(), Path(name)))


def _train_rd(inputs: list[Path], output: Path, *, q_range: str, resume: bool, **kw: Any) -> None:
    from qualipress.preprocess.rdtrain import RDTrainOptions, train_rd

    try:
        q_min, q_max = (float(v) for v in q_range.split(","))
    except ValueError:
        raise InputError(f"--q-range must be two numbers like 30,88, not {q_range!r}") from None
    opt = RDTrainOptions(q_min=q_min, q_max=q_max, **kw)

    def log(e: dict[str, Any]) -> None:
        if "loss" in e:
            typer.echo(f"step {e['step']:6d}  loss {e['loss']:+.4f}  lambda {e['lambda']:.2f}  "
                       f"mse {e['mse']:.3e}  1-ssim {e['one_minus_ssim']:.4f}  bits {e['bits']:.0f}  "
                       f"{e['elapsed']:.0f}s")
        if e.get("val"):
            gains = "  ".join(f"{q}: {v['equal_quality_bits_pct']:+.2f}%" for q, v in e["val"].items())
            typer.echo(f"step {e['step']:6d}  held-out proxy bits at equal quality  {gains}")

    result = train_rd(inputs, output, opt, resume=resume, log=log)
    typer.echo(f"wrote {result.model_path} and {result.record_path} ({result.record.get('stopped')})")


def apply_cmd(
    inputs: Annotated[list[Path], typer.Argument(help="Image files or directories.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file (one input) or directory.")],
    model: Annotated[str, typer.Option(help="kuchen, a .pt file, a pool method or a combination.")] = "kuchen",
    overwrite: Annotated[bool, typer.Option(help="Replace existing outputs (never an input).")] = False,
) -> None:
    """Preprocess images and write them losslessly (PNG, or TIFF for deeper than 8 bit; atomic)."""
    from qualipress.preprocess import get_preprocessor

    pre = get_preprocessor(model)
    files = image_paths(inputs, exclude=[output])  # not its own outputs when -o is a folder inside an input
    if not files:
        raise InputError("no input images")
    lossless = (".png", ".tif", ".tiff")
    if output.suffix.lower() in IMAGE_SUFFIXES and output.suffix.lower() not in lossless and not output.is_dir():
        raise QualipressError(f"-o {output}: preprocess apply writes lossless PNG or TIFF; name the output "
                              f"{output.stem}.png (or .tif), or give a directory")
    single = len(files) == 1 and not output.is_dir() and output.suffix.lower() in lossless
    if single and output.exists():  # a usage error, refused before any work (exit 2, as decode or compress -o)
        if os.path.samefile(output, files[0]):
            raise OutputError(f"{output} is the input file: an input is never replaced")
        if not overwrite:
            raise OutputError(f"{output}: exists (use --overwrite to replace it)")
    failed = 0
    for f in files:
        try:
            img = read_image(f)
            out_img = pre(img)
            if single:
                dest = output
            else:
                suffix = ".png" if img.bit_depth == 8 else ".tif"
                dest = output / (f.stem + suffix)
            if dest.exists() and os.path.samefile(dest, f):
                raise QualipressError(f"{dest} is the input file: an input is never replaced")
            if dest.exists() and not overwrite:
                raise QualipressError(f"{dest} exists (use --overwrite to replace it)")
            dest.parent.mkdir(parents=True, exist_ok=True)
            write_image(dest, out_img, overwrite=overwrite)
            back = read_image(dest)
            if back.pixels.shape != out_img.pixels.shape:
                raise QualipressError(f"{dest} did not read back with the same shape")
            typer.echo(f"{f} -> {dest}")
        except QualipressError as exc:
            failed += 1
            typer.echo(f"skipped {f}: {exc}", err=True)
    if failed:
        raise ExitCode(1)


def bench_cmd(
    inputs: Annotated[list[Path], typer.Argument(help="Image files or directories (e.g. Kodak).")],
    codec: Annotated[str, typer.Option(help="Codec.")] = "jpeg",
    methods: Annotated[str, typer.Option(help="Comma-separated preprocessing names.")] = "deadzone,kuchen",
    qualities: Annotated[str, typer.Option(help="Comma-separated sweep settings (>= 4 for BD-rate).")]
    = "30,45,60,75,85,92",
    reference: Annotated[float, typer.Option(help="Setting for size/quality changes.")] = 75.0,
    limit: Annotated[int | None, typer.Option(help="Only the first N images.")] = None,
    metrics: Annotated[str, typer.Option(help="Comma-separated quality metrics.")] = "psnr,ms-ssim,ssimulacra2",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write every sweep point and per-image "
                                                                 "BD-rate to this JSON file.")] = None,
    cache: Annotated[Path | None, typer.Option(help="JSON-lines cache of finished sweeps (resume, reuse the "
                                                    "anchor).")] = None,
) -> None:
    """BD-rate at equal quality (PCHIP) of preprocessing choices vs none; quality against the original.

    Prints the mean / median BD-rate per metric, how many images save bits, and the worst image.
    """
    from qualipress.preprocess.evaluate import compare

    files = image_paths(inputs)[: limit if limit else None]
    if not files:
        raise InputError("no input images")
    imgs = [read_image(f).color() for f in files]
    qs = [float(q) for q in qualities.split(",") if q.strip()]
    mets = tuple(m.strip() for m in metrics.split(",") if m.strip())
    res = compare(imgs, [m.strip() for m in methods.split(",") if m.strip()], codec, qs,
                  reference_setting=reference, metrics=mets, cache=cache)
    typer.echo(f"{len(imgs)} images, {codec}, settings {qs}; BD-rate = bits at equal quality vs none "
               "(mean / median per image; images that save bits; worst image)")
    typer.echo("| preprocessing | " + " | ".join(f"BD {m}" for m in mets) + " | size at ref | "
               + " | ".join(f"d{m} at ref" for m in mets) + " |")
    typer.echo("|---" * (2 * len(mets) + 2) + "|")
    for name, r in res.items():
        bd, dq = r["bd_rate"], r["quality_change"]
        cells = []
        for m in mets:
            b = bd[m]
            worst = f"{files[b['worst']].stem} {b['per_image'][b['worst']]:+.2f}%" if b["worst"] >= 0 else "-"
            cells.append(f"{b['mean']:+.2f}% / {b['median']:+.2f}% ({b['n_negative']} of {b['n']}; worst {worst})")
        typer.echo(f"| {name} | " + " | ".join(cells) + f" | {r['size_change_percent']:+.2f}% | "
                   + " | ".join(f"{dq[m]:+.4g}" for m in mets) + " |")
    if json_out is not None:
        payload = {"codec": codec, "settings": qs, "metrics": list(mets), "reference": reference,
                   "images": [str(f) for f in files], "results": res}
        atomic_write_bytes(json_out, json.dumps(payload, indent=1, default=float).encode())
        typer.echo(f"wrote {json_out}")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add the ``preprocess`` command group, and ``bench preprocess``."""
    sub = typer.Typer(help="Learned preprocessing before standard codecs (Kuchen).", no_args_is_help=True)
    sub.command("label")(label_cmd)
    sub.command("train")(train_cmd)
    sub.command("apply")(apply_cmd)
    app.add_typer(sub, name="preprocess")
    bench.command("preprocess")(bench_cmd)


def compress_options(
    preprocess: Annotated[str | None, typer.Option(help="Preprocessing before encoding (e.g. 'kuchen').",
                                                   rich_help_panel="Preprocessing")] = None,
) -> None:
    """The option preprocessing adds to ``qualipress compress`` (the core CLI reads this signature; never called)."""


def compress_hooks(request: CompressRequest) -> None:
    """Wrap the run's hooks in :class:`~qualipress.preprocess.hooks.PreprocessHooks` for ``--preprocess NAME``."""
    name = request.options.get("preprocess")
    if name:
        from qualipress.preprocess.hooks import PreprocessHooks  # torch: only when preprocessing is asked for

        request.hooks = PreprocessHooks(request.hooks, name=name)
