"""``qualipress demo``: the main job on the sample photographs that ship with scikit-image."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.io import encode_png
from qualipress.io.files import atomic_write_bytes
from qualipress.io.image import as_image

#: scikit-image sample images used by the demo (colour photographs and one greyscale).
SAMPLES = ("astronaut", "coffee", "chelsea", "rocket", "camera")
DEFAULT_CODECS = ("jpeg", "webp", "jpegxl", "avif")


def write_samples(directory: Path) -> list[Path]:
    """Save the scikit-image samples as PNG inputs (lossless) and return their paths."""
    from skimage import data

    paths = []
    for name in SAMPLES:
        p = directory / f"{name}.png"
        if not p.exists():
            atomic_write_bytes(p, encode_png(as_image(np.asarray(getattr(data, name)()))))
        paths.append(p)
    return paths


def run_demo(output: str | Path, *, codecs: Sequence[str] | None = None,
             log: Callable[[str], Any] = print) -> dict[str, Any]:
    """Compress the samples under C0, C1 and C2 with each codec and write ``summary.md`` and ``summary.html``.

    Returns
    -------
    dict
        Paths of the summaries, the rows, and the number of failures.
    """
    from qualipress import codecs as _codecs
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.profiles import builtin_profiles

    out = Path(output)
    inputs = write_samples(out / "inputs")
    wanted = list(codecs or DEFAULT_CODECS)
    usable = [c for c in wanted if c in _codecs.available_names()]
    rows: list[dict[str, Any]] = []
    failures = 0
    for prof in builtin_profiles().values():
        for codec in usable:
            log(f"{prof.name} {codec}: {prof.target}")
            opts = CompressOptions(target=prof.target, codec=codec, profile=prof.name)
            summary = compress_paths(inputs, out / prof.name / codec, opts)
            failures += len(summary.failures)
            for rec in summary.records + summary.skipped:
                rows.append({"profile": prof.name, "codec": codec, "image": Path(rec["input"]).stem,
                             "bytes": rec.get("bytes"), "input_bytes": rec.get("input_bytes"),
                             "bpp": rec.get("bpp"), "ratio": rec.get("ratio"),
                             "ssim": rec.get("metrics", {}).get("ssim", {}).get("value"),
                             "ssim_min_tile": rec.get("metrics", {}).get("ssim", {}).get("min"),
                             "psnr": rec.get("metrics", {}).get("psnr", {}).get("value"),
                             "params": rec.get("params"), "encodes": rec.get("encodes"),
                             "met": rec.get("target_met"), "error": rec.get("error"),
                             "fallback": rec.get("fallback"), "output": rec.get("output")})
    md = _markdown(rows, usable)
    md_path = atomic_write_bytes(out / "summary.md", md.encode())
    html_path = atomic_write_bytes(out / "summary.html", _html(rows).encode())
    atomic_write_bytes(out / "summary.json", json.dumps(rows, indent=1, default=str).encode())
    return {"markdown": md_path, "html": html_path, "rows": rows, "failures": failures}


def _markdown(rows: list[dict[str, Any]], codecs: Sequence[str]) -> str:
    lines = ["# qualipress demo", "",
             "scikit-image sample photographs (PNG inputs) compressed to each profile's target.", "",
             "| profile | codec | total bytes | ratio vs PNG | mean bpp | min SSIM | min tile SSIM | min PSNR "
             "| encodes/image | all met |", "|---|---|---|---|---|---|---|---|---|---|"]
    for prof in ("C0", "C1", "C2"):
        for codec in codecs:
            sel = [r for r in rows if r["profile"] == prof and r["codec"] == codec and not r["error"]]
            if not sel:
                continue
            tb = sum(r["bytes"] for r in sel)
            ti = sum(r["input_bytes"] for r in sel)
            lines.append(
                f"| {prof} | {codec} | {tb:,} | {ti / tb:.2f} | {np.mean([r['bpp'] for r in sel]):.3f} "
                f"| {min(r['ssim'] for r in sel):.4f} | {min(r['ssim_min_tile'] for r in sel):.4f} "
                f"| {min(r['psnr'] for r in sel):.2f} | {np.mean([r['encodes'] for r in sel]):.1f} "
                f"| {'yes' if all(r['met'] for r in sel) else 'NO'} |")
    errs = [r for r in rows if r["error"]]
    if errs:
        lines += ["", "## Failures", ""] + [f"- {r['profile']} {r['codec']} {r['image']}: {r['error']}" for r in errs]
    lines += ["", "Per-image rows: `summary.json`; per-run reports: `<profile>/<codec>/qualipress-report.jsonl`."]
    return "\n".join(lines) + "\n"


def _html(rows: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("profile", "codec", "image", "bytes", "bpp", "SSIM", "min tile SSIM",
                                              "PSNR", "setting", "encodes", "met"))
    body = []
    for r in rows:
        cells = [r["profile"], r["codec"], r["image"], r["bytes"], r["bpp"],
                 f"{r['ssim']:.4f}" if r["ssim"] is not None else "",
                 f"{r['ssim_min_tile']:.4f}" if r["ssim_min_tile"] is not None else "",
                 f"{r['psnr']:.2f}" if r["psnr"] is not None else "", json.dumps(r["params"]), r["encodes"],
                 "yes" if r["met"] else (r["error"] or "no")]
        body.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    return ("<!doctype html><meta charset='utf-8'><title>qualipress demo</title>"
            "<style>body{font-family:sans-serif}td,th{padding:2px 8px;border-bottom:1px solid #ddd}</style>"
            f"<h1>qualipress demo</h1><table><tr>{head}</tr>{''.join(body)}</table>")


__all__ = ["SAMPLES", "run_demo", "write_samples"]
