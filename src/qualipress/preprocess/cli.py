"""``qualipress preprocess label | train | apply`` (the only module of this subpackage that prints)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from qualipress.errors import ExitCode, InputError, QualipressError


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
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.")] = 1,
    limit: Annotated[int | None, typer.Option(help="Label only the first N files.")] = None,
) -> None:
    """Score every combination group per image (Algorithm 1) and store the best one as its label."""
    from qualipress.preprocess.groups import canonical
    from qualipress.preprocess.label import LabelConfig, label_dataset
    from qualipress.preprocess.pool import DEFAULT_POOL

    methods = canonical([m.strip() for m in pool.split(",") if m.strip()]) if pool else DEFAULT_POOL
    config = LabelConfig(codec=codec, quality=quality, metric=metric, pool=methods, max_combo=max_combo,
                         score=score)

    def progress(st: dict[str, Any]) -> None:
        if st["status"] == "error":
            typer.echo(f"skipped {st['path']}: {st['error']}", err=True)
        else:
            typer.echo(f"{st['status']:9s} {st['path']} -> {st.get('best')}")

    summary = label_dataset(dataset, output, config, jobs=jobs, limit=limit, progress=progress)
    typer.echo(
        f"labelled {summary.labelled}, already done {summary.skipped}, failed {len(summary.errors)}; "
        f"best groups: {summary.best_counts}"
    )
    if summary.errors:
        raise ExitCode(1)


def train_cmd(
    labels: Annotated[list[Path], typer.Argument(help="Label directories (one codec/pool setup).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Model file (.pt); record goes to .json.")],
    epochs: Annotated[int, typer.Option(help="Epochs.")] = 40,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    batch: Annotated[int, typer.Option(help="Batch size.")] = 4,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 1e-4,
    base: Annotated[int, typer.Option(help="U-Net width (channels of the first level).")] = 16,
    max_minutes: Annotated[float | None, typer.Option("--max-minutes", help="Wall-time budget.")] = None,
    threads: Annotated[int | None, typer.Option(help="torch CPU threads.")] = None,
    codec: Annotated[str | None, typer.Option(help="Refuse labels made for another codec.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Train the Kuchen U-Net on label directories (MSE, Adam, 320×180 patches, stride 160)."""
    from qualipress.preprocess.train import TrainOptions, train_model

    if not str(output).endswith(".pt"):
        raise InputError(f"{output}: the model file name must end in .pt")
    opt = TrainOptions(epochs=epochs, device=device, batch=batch, lr=lr, base=base, max_minutes=max_minutes,
                       threads=threads, seed=seed)

    def log(e: dict[str, Any]) -> None:
        typer.echo(
            f"epoch {e['epoch']:3d}  train {e['train_mse']:.3e}  val {e['val_mse']:.3e}  "
            f"(identity {e['val_identity_mse']:.3e})  {e['elapsed_seconds']:.0f}s"
        )

    result = train_model(labels, output, opt, codec=codec, log=log)
    typer.echo(f"wrote {result.model_path} and {result.record_path}")


def apply_cmd(
    inputs: Annotated[list[Path], typer.Argument(help="Image files or directories.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file (one input) or directory.")],
    model: Annotated[str, typer.Option(help="kuchen, a .pt file, a pool method or a combination.")] = "kuchen",
) -> None:
    """Preprocess images and write them losslessly (PNG, or TIFF for deeper than 8 bit; atomic)."""
    from qualipress.io import read_image, write_image
    from qualipress.preprocess import get_preprocessor
    from qualipress.preprocess.label import expand_inputs

    pre = get_preprocessor(model)
    files = expand_inputs(inputs)
    if not files:
        raise InputError("no input images")
    single = len(files) == 1 and not output.is_dir() and output.suffix.lower() in (".png", ".tif", ".tiff")
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
            dest.parent.mkdir(parents=True, exist_ok=True)
            write_image(dest, out_img)
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
    qualities: Annotated[str, typer.Option(help="Comma-separated sweep settings.")] = "30,45,60,75,85,92",
    reference: Annotated[float, typer.Option(help="Setting for size/quality changes.")] = 75.0,
    limit: Annotated[int | None, typer.Option(help="Only the first N images.")] = None,
) -> None:
    """BD-rate at equal quality (PCHIP) of preprocessing choices vs none; quality against the original."""
    from qualipress.io import read_image
    from qualipress.preprocess.evaluate import compare
    from qualipress.preprocess.label import expand_inputs

    files = expand_inputs(inputs)[: limit if limit else None]
    if not files:
        raise InputError("no input images")
    imgs = [read_image(f).color() for f in files]
    qs = [float(q) for q in qualities.split(",") if q.strip()]
    res = compare(imgs, [m.strip() for m in methods.split(",") if m.strip()], codec, qs,
                  reference_setting=reference)
    typer.echo(f"{len(imgs)} images, {codec}, settings {qs}; BD-rate = bits at equal quality vs none (mean per image)")
    typer.echo("| preprocessing | BD SSIMULACRA2 | BD MS-SSIM | BD PSNR | size at ref | dSSIMULACRA2 | dPSNR |")
    typer.echo("|---|---|---|---|---|---|---|")
    for name, r in res.items():
        bd, dq = r["bd_rate"], r["quality_change"]
        typer.echo(f"| {name} | {bd['ssimulacra2']['mean']:+.2f}% | {bd['ms-ssim']['mean']:+.2f}% | "
                   f"{bd['psnr']['mean']:+.2f}% | {r['size_change_percent']:+.2f}% | {dq['ssimulacra2']:+.2f} | "
                   f"{dq['psnr']:+.2f} |")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add the ``preprocess`` command group, and ``bench preprocess``."""
    sub = typer.Typer(help="Learned preprocessing before standard codecs (Kuchen).", no_args_is_help=True)
    sub.command("label")(label_cmd)
    sub.command("train")(train_cmd)
    sub.command("apply")(apply_cmd)
    app.add_typer(sub, name="preprocess")
    bench.command("preprocess")(bench_cmd)
