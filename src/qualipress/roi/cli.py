"""``qualipress roi`` (detect and save the ROI mask) and ``qualipress roi-report`` (quality of an ROI encode)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add the ROI commands to the core CLI."""

    @app.command("roi")
    def roi_command(
        image: Annotated[Path, typer.Argument(help="Input image.")],
        output: Annotated[Path, typer.Option("-o", "--output", help="Mask PNG to write (255 = ROI).")],
        roi: Annotated[str, typer.Option(help="Classes: faces,persons,text,saliency.")] = "faces,persons,text",
        roi_mask: Annotated[Path | None, typer.Option(help="User mask PNG to add.")] = None,
        roi_boxes: Annotated[Path | None, typer.Option(help="User boxes JSON to add.")] = None,
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
        from qualipress.errors import OutputError
        from qualipress.io import read_image
        from qualipress.roi.encoder import mcu_size
        from qualipress.roi.mask import analyse, block_levels, expand_blocks, roi_classes

        for p in (output, boxes):
            if p is not None and p.exists() and not overwrite:
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

    @app.command("roi-report")
    def roi_report_command(
        original: Annotated[Path, typer.Argument(help="Original image.")],
        encoded: Annotated[Path, typer.Argument(help="Encoded JPEG (or any decodable file).")],
        roi: Annotated[str, typer.Option(help="Classes that define the ROI.")] = "faces,persons,text",
        roi_mask: Annotated[Path | None, typer.Option(help="User mask PNG (instead of/with detection).")] = None,
        agreement: Annotated[str, typer.Option(help="Classes for detector agreement ('' to skip).")] = "faces,persons",
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """ROI / background / whole-image PSNR and SSIM of ENCODED, and detector agreement with ORIGINAL."""
        from qualipress.errors import InputError
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
