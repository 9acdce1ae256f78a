"""``qualipress roi`` (detect and save the ROI mask), ``qualipress roi-report`` (quality of an ROI encode) and the
ROI options of ``qualipress compress``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qualipress.errors import InputError, OutputError, QualipressError
from qualipress.search.targets import Target

if TYPE_CHECKING:
    from qualipress.pipeline.hooks import CompressRequest

#: ``compress`` options that fix a ``jpeg-roi`` setting instead of searching for it.
FIXED_OPTIONS = ("roi_quality", "bg_quality", "block_threshold")


def roi_command(
    image: Annotated[Path, typer.Argument(help="Input image.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Mask PNG to write (255 = ROI).")],
    roi: Annotated[str, typer.Option(help="Classes: faces,persons,text,saliency.")] = "faces,persons,text",
    roi_mask: Annotated[Path | None, typer.Option(help="User mask PNG to add.")] = None,
    roi_boxes: Annotated[Path | None, typer.Option(
        help="User boxes JSON to add: \\[{\"box\": \\[x0, y0, x1, y1]}, ...].")] = None,
    blocks: Annotated[bool, typer.Option(help="Write the MCU block mask instead of the pixel mask.")] = False,
    block_threshold: Annotated[float, typer.Option(help="ROI coverage per block (with --blocks).")] = 0.5,
    subsampling: Annotated[str, typer.Option(help="MCU grid for --blocks: 444, 422, 420.")] = "444",
    boxes: Annotated[Path | None, typer.Option(help="Also write detected regions as JSON.")] = None,
    raw: Annotated[bool, typer.Option(help="No refinement (dilation/closing/speck removal).")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
) -> None:
    """Detect regions of interest and write the ROI mask as a PNG."""
    from qualipress.detect import save_boxes, save_mask
    from qualipress.io import read_image
    from qualipress.roi.encoder import mcu_size
    from qualipress.roi.mask import analyse, block_levels, expand_blocks, roi_classes

    for p in (output, boxes):
        if p is None or not p.exists():
            continue
        if any(src is not None and src.exists() and os.path.samefile(p, src) for src in (image, roi_mask, roi_boxes)):
            raise OutputError(f"{p} is an input file: an input is never replaced, even with --overwrite")
        if not overwrite:
            raise OutputError(f"{p}: exists (use --overwrite to replace it)")
    img = read_image(image)
    classes = roi_classes(roi, user_input=True)
    res = analyse(img, classes, roi_mask=roi_mask, roi_boxes=roi_boxes, refine=not raw)
    mask = res.mask
    if blocks:
        mcu = mcu_size(subsampling.replace(":", ""), 3)
        mask = expand_blocks(block_levels(mask, mcu, threshold=block_threshold), mcu, mask.shape) > 0
    save_mask(output, mask)
    if boxes is not None:
        save_boxes(boxes, res.regions)
    summary = {
        "input": str(image),
        "output": str(output),
        "roi_fraction": round(float(mask.mean()), 4),
        **res.to_dict(),
    }
    if as_json:
        typer.echo(json.dumps(summary))
        return
    counts: dict[str, int] = {}
    for r in res.regions:
        counts[r.label] = counts.get(r.label, 0) + 1
    found = ", ".join(f"{n} {k}" for k, n in counts.items()) or "nothing"
    typer.echo(f"{output}: ROI {summary['roi_fraction']:.1%} of the image ({found})")
    for note in res.notes:
        typer.echo(f"note: {note}")


def roi_report_command(
    original: Annotated[Path, typer.Argument(help="Original image.")],
    encoded: Annotated[Path, typer.Argument(help="Encoded JPEG (or any decodable file).")],
    roi: Annotated[str, typer.Option(help="Classes that define the ROI.")] = "faces,persons,text",
    roi_mask: Annotated[Path | None, typer.Option(help="User mask PNG (instead of/with detection).")] = None,
    agreement: Annotated[str, typer.Option(help="Classes for detector agreement ('' to skip).")] = "faces,persons",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result on stdout.")] = False,
) -> None:
    """ROI / background / whole-image PSNR and SSIM of ENCODED, and detector agreement with ORIGINAL."""
    from qualipress.io import read_image
    from qualipress.roi.mask import analyse, roi_classes
    from qualipress.roi.report import quality_report

    ref, dec = read_image(original), read_image(encoded)
    if (ref.height, ref.width) != (dec.height, dec.width):
        raise InputError(f"sizes differ: {ref.width}x{ref.height} vs {dec.width}x{dec.height}")
    if ref.n_channels != dec.n_channels:
        ref, dec = ref.color(), dec.color()
        if ref.n_channels != dec.n_channels:
            raise InputError("channel counts differ (grey vs colour)")
    classes = roi_classes(roi, user_input=True)
    res = analyse(ref, classes, roi_mask=roi_mask)
    agree = [c for c in agreement.split(",") if c.strip()]
    rep = quality_report(
        ref, dec, res.mask, data=encoded.read_bytes(), regions=res.regions, agreement_classes=agree or None
    )
    rep["notes"] = res.notes
    if as_json:
        typer.echo(json.dumps(rep))
        return
    for scope in ("roi", "background", "whole"):
        v = rep[scope]
        typer.echo(f"{scope:10s} " + ("-" if v is None else f"PSNR {v['psnr']:.2f} dB  SSIM {v['ssim']:.4f}"))
    typer.echo(f"ROI {rep['roi_fraction']:.1%} of pixels; {rep['bytes']:,} bytes, {rep['bpp']} bpp")
    for c, a in rep.get("agreement", {}).items():
        typer.echo(
            f"agreement {c}: F1 {a['f1']:.2f} ({a['matched']}/{a['n_reference']} matched, "
            f"{a['n_candidate']} found on the output)"
        )
    for note in res.notes:
        typer.echo(f"note: {note}")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add the ROI commands to the core CLI."""
    app.command("roi")(roi_command)
    app.command("roi-report")(roi_report_command)


def compress_options(
    roi: Annotated[str | None, typer.Option(help="ROI classes for jpeg-roi and roi: targets, e.g. "
                                                 "faces,persons,text,saliency.", rich_help_panel="ROI")] = None,
    roi_mask: Annotated[Path | None, typer.Option(help="User ROI mask PNG (white = ROI).",
                                                  rich_help_panel="ROI")] = None,
    roi_boxes: Annotated[Path | None, typer.Option(
        help="User ROI boxes JSON: \\[{\"box\": \\[x0, y0, x1, y1]}, ...] (docs/roi.md).",
        rich_help_panel="ROI")] = None,
    roi_quality: Annotated[float | None, typer.Option(help="jpeg-roi: fixed ROI quality (no search).",
                                                      rich_help_panel="ROI")] = None,
    bg_quality: Annotated[float | None, typer.Option(help="jpeg-roi: fixed background quality (no search).",
                                                     rich_help_panel="ROI")] = None,
    block_threshold: Annotated[float | None, typer.Option(help="jpeg-roi: ROI coverage an 8x8 block needs "
                                                                "(default 0.5).", rich_help_panel="ROI")] = None,
    save_mask: Annotated[bool, typer.Option(help="Write OUTPUT_STEM.roi-mask.png next to each output.",
                                            rich_help_panel="ROI")] = False,
) -> None:
    """The options ROI adds to ``qualipress compress`` (the core CLI reads this signature; never called)."""


def _fixed(options: dict[str, Any]) -> dict[str, float]:
    """The fixed ``jpeg-roi`` settings given on the command line."""
    return {k: options[k] for k in FIXED_OPTIONS if options.get(k) is not None}


def _check_values(options: dict[str, Any]) -> None:
    """Refuse ROI option values that every input would fail on (a usage error, before any work)."""
    if options.get("roi"):
        from qualipress.detect.regions import normalize_classes  # numpy: only when --roi is given

        normalize_classes(options["roi"])
    for name in ("roi_mask", "roi_boxes"):
        path = options.get(name)
        if path is not None and not Path(path).is_file():
            raise QualipressError(f"--{name.replace('_', '-')} {path}: no such file")
    for name in ("roi_quality", "bg_quality"):
        v = options.get(name)
        if v is not None and not 1 <= v <= 100:
            raise QualipressError(f"--{name.replace('_', '-')} {v:g} is outside 1..100")
    t = options.get("block_threshold")
    if t is not None and not 0 < t <= 1:
        raise QualipressError(f"--block-threshold {t:g} is outside (0, 1]")


def compress_prepare(request: CompressRequest) -> None:
    """Check the ROI options and the fixed ``jpeg-roi`` settings; fixed qualities without a target need no target
    at all."""
    _check_values(request.options)
    fixed = _fixed(request.options)
    if fixed and "jpeg-roi" not in request.codecs:
        raise QualipressError(f"--{next(iter(fixed)).replace('_', '-')} is a jpeg-roi setting: add --codec jpeg-roi")
    if ("roi_quality" in fixed or "bg_quality" in fixed) and not (request.options.get("profile")
                                                                  or request.options.get("target")):
        if request.codecs != ["jpeg-roi"]:
            raise QualipressError("fixed ROI/background qualities need --codec jpeg-roi alone (or a --target)")
        request.target = Target(())  # fixed qualities: nothing to search, nothing to meet
    # Fixed jpeg-roi qualities ask for exactly that encode: never-grow does not swap in the source file.
    request.exact = request.exact or bool(fixed)


def compress_hooks(request: CompressRequest) -> None:
    """Wrap the run's hooks in :class:`~qualipress.roi.hooks.RoiHooks` whenever ROI options, ``jpeg-roi`` or a
    ``roi:`` constraint are used."""
    o = request.options
    fixed = _fixed(o)
    scoped = request.target.scoped_metrics() if request.target is not None else {}
    if not (o.get("roi") or o.get("roi_mask") or o.get("roi_boxes") or o.get("save_mask") or fixed
            or "jpeg-roi" in request.codecs or "roi" in scoped):
        return
    from qualipress.roi.hooks import RoiHooks  # detectors (OpenCV, MediaPipe): only when ROI work is asked for

    request.hooks = RoiHooks(request.hooks, classes=o.get("roi"), roi_mask=o.get("roi_mask"),
                             roi_boxes=o.get("roi_boxes"), save_mask=bool(o.get("save_mask")), options=fixed)
