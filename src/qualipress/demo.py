"""``qualipress demo``: the main job on the sample photographs that ship with scikit-image."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qualipress import codecs as _codecs
from qualipress.bench.colours import curve_colour
from qualipress.errors import UnsupportedError
from qualipress.io import encode_png
from qualipress.io.files import atomic_write_bytes
from qualipress.io.image import as_image
from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.profiles import builtin_profiles

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
        Paths of the summaries (``markdown``, ``html``, ``json``), the rows, and the number of failures.

    Raises
    ------
    UnsupportedError
        None of ``codecs`` is installed.
    """

    out = Path(output)
    wanted = list(codecs or DEFAULT_CODECS)
    installed = set(_codecs.available_names())
    usable = [c for c in wanted if c in installed]
    if not usable:  # the demo wrote an empty summary and "succeeded"
        raise UnsupportedError(f"demo: {', '.join(wanted)} not installed here ('qualipress codecs' lists what is)")
    if missing := [c for c in wanted if c not in installed]:
        log(f"note: {', '.join(missing)} not installed here: left out")
    inputs = write_samples(out / "inputs")
    rows: list[dict[str, Any]] = []
    failures = 0
    for prof in builtin_profiles().values():
        for codec in usable:
            log(f"{prof.name} {codec}: {prof.target}")
            opts = CompressOptions(target=prof.target, codec=codec, profile=prof.name)
            summary = compress_paths(inputs, out / prof.name / codec, opts)
            failures += len(summary.failures)
            log(_run_line(summary))
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
    html_path = atomic_write_bytes(out / "summary.html", _html(rows, usable, out).encode())
    json_path = atomic_write_bytes(out / "summary.json", json.dumps(rows, indent=1, default=str).encode())
    return {"markdown": md_path, "html": html_path, "json": json_path, "rows": rows, "failures": failures}


def _run_line(summary: Any) -> str:
    """What one profile/codec run did, for the terminal: images, bytes, ratio, encodes, targets met."""
    t = summary.totals()
    n = t["files"]
    missed = len(summary.failures)
    met = "all met" if not missed else f"{missed} NOT met"
    ratio = "-" if t["ratio"] is None else f"{t['ratio']:.2f}"
    encodes = sum(int(r.get("encodes") or 0) for r in summary.records + summary.skipped)
    per_image = f"{encodes / n:.1f}" if n else "-"  # per image, as summary.md and compress's summary count them
    return (f"  {n} image{'s' if n != 1 else ''}: {t['bytes_out']:,} bytes (ratio {ratio} vs PNG), "
            f"{per_image} encodes per image, {met}")


def _groups(rows: list[dict[str, Any]], codecs: Sequence[str]) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """``(profile, codec, successful rows)`` for every profile and codec that has some, in table order."""
    for prof in ("C0", "C1", "C2"):
        for codec in codecs:
            sel = [r for r in rows if r["profile"] == prof and r["codec"] == codec and not r["error"]]
            if sel:
                yield prof, codec, sel


def _markdown(rows: list[dict[str, Any]], codecs: Sequence[str]) -> str:
    lines = ["# qualipress demo", "",
             "scikit-image sample photographs (PNG inputs) compressed to each profile's target.", "",
             "| profile | codec | total bytes | ratio vs PNG | mean bpp | min SSIM | min tile SSIM | min PSNR "
             "| encodes/image | all met |", "|---|---|---|---|---|---|---|---|---|---|"]
    for prof, codec, sel in _groups(rows, codecs):
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


def _html(rows: list[dict[str, Any]], codecs: Sequence[str], out: Path) -> str:
    """The demo page: what each profile means, totals, a bytes-vs-quality chart, thumbnails, then every row."""

    esc = html.escape
    parts = ["<!doctype html><meta charset='utf-8'><title>qualipress demo</title>",
             "<style>body{font-family:sans-serif;max-width:1200px;margin:1em auto}td,th{padding:2px 8px;"
             "border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}"
             ".words td,.words th{text-align:left}"
             "figure{display:inline-block;margin:4px;font-size:11px;text-align:center}"
             "figure img{width:128px;height:96px;object-fit:cover;display:block}</style>",
             "<h1>qualipress demo</h1>",
             "<p>scikit-image sample photographs (PNG inputs) compressed to the smallest file meeting each "
             "profile's target, per codec.</p>",
             "<h2>Profiles</h2><table class='words'><tr><th>profile</th><th>target</th><th>meaning</th></tr>"]
    for prof in builtin_profiles().values():
        parts.append(f"<tr><td>{esc(prof.name)}</td><td>{esc(str(prof.target))}</td>"
                     f"<td>{esc(prof.description)}</td></tr>")
    parts.append("</table><h2>Totals</h2><table><tr><th>profile</th><th>codec</th><th>images</th>"
                 "<th>bytes (all images)</th><th>ratio vs PNG</th><th>min SSIM</th><th>all met</th></tr>")
    for prof, codec, sel in _groups(rows, codecs):
        tb, ti = sum(r["bytes"] for r in sel), sum(r["input_bytes"] for r in sel)
        parts.append(f"<tr><td>{prof}</td><td style='color:{curve_colour(codec)}'>{esc(codec)}</td>"
                     f"<td>{len(sel)}</td><td>{tb:,}</td><td>{ti / tb:.2f}</td>"
                     f"<td>{min(r['ssim'] for r in sel):.4f}</td>"
                     f"<td>{'yes' if all(r['met'] for r in sel) else 'NO'}</td></tr>")
    parts.append("</table><h2>Bytes vs quality</h2>" + _chart(rows, codecs, curve_colour))
    parts.append("<h2>Outputs</h2>")
    for image in dict.fromkeys(r["image"] for r in rows):
        parts.append(f"<h3>{esc(image)}</h3>")
        for r in rows:
            if r["image"] != image or not r.get("output"):
                continue
            try:
                rel = Path(r["output"]).resolve().relative_to(out.resolve()).as_posix()
            except ValueError:
                continue
            parts.append(f"<figure><a href='{esc(rel)}'><img loading='lazy' src='{esc(rel)}' "
                         f"alt='{esc(image)} {r['profile']} {esc(r['codec'])}'></a>{r['profile']} {esc(r['codec'])}"
                         f"<br>{r['bytes']:,} B, SSIM {r['ssim']:.3f}</figure>")
    head = "".join(f"<th>{h}</th>" for h in ("profile", "codec", "image", "bytes", "bits/pixel", "SSIM",
                                              "min tile SSIM", "PSNR (dB)", "setting", "encodes", "met"))
    body = []
    for r in rows:
        cells = [r["profile"], r["codec"], r["image"], r["bytes"], r["bpp"],
                 f"{r['ssim']:.4f}" if r["ssim"] is not None else "",
                 f"{r['ssim_min_tile']:.4f}" if r["ssim_min_tile"] is not None else "",
                 f"{r['psnr']:.2f}" if r["psnr"] is not None else "", json.dumps(r["params"]), r["encodes"],
                 "yes" if r["met"] else (r["error"] or "no")]
        body.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in cells) + "</tr>")
    parts.append(f"<h2>Every file</h2><table><tr>{head}</tr>{''.join(body)}</table>")
    return "\n".join(parts)


def _chart(rows: list[dict[str, Any]], codecs: Sequence[str], colour: Callable[[str], str]) -> str:
    """Inline SVG: bits per pixel (x) against SSIM (y), one colour per codec, one marker shape per profile."""
    pts = [r for r in rows if not r["error"] and r["bpp"] is not None and r["ssim"] is not None]
    if not pts:
        return "<p>no results</p>"
    w, h, m = 640, 360, 48
    x_hi = max(r["bpp"] for r in pts) * 1.05
    y_lo = min(min(r["ssim"] for r in pts), 0.88)

    def xy(r: dict[str, Any]) -> tuple[float, float]:
        return (m + (w - 2 * m) * r["bpp"] / x_hi, h - m - (h - 2 * m) * (r["ssim"] - y_lo) / (1.0 - y_lo))

    shapes = {"C0": "circle", "C1": "rect", "C2": "diamond"}
    key = w - m + 16  # the legend stands right of the plot: inside it, it hid the lossless points
    svg = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{w + 100}' height='{h}' font-size='11'>",
           f"<line x1='{m}' y1='{h - m}' x2='{w - m}' y2='{h - m}' stroke='#444'/>",
           f"<line x1='{m}' y1='{m}' x2='{m}' y2='{h - m}' stroke='#444'/>",
           f"<text x='{w / 2}' y='{h - 12}' text-anchor='middle'>bits per pixel</text>",
           f"<text x='14' y='{h / 2}' transform='rotate(-90 14 {h / 2})' text-anchor='middle'>SSIM</text>"]
    for i in range(5):
        xv, yv = x_hi * i / 4, y_lo + (1.0 - y_lo) * i / 4
        px, _ = xy({"bpp": xv, "ssim": y_lo})
        _, py = xy({"bpp": 0.0, "ssim": yv})
        svg.append(f"<text x='{px:.0f}' y='{h - m + 14}' text-anchor='middle'>{xv:.2f}</text>")
        svg.append(f"<text x='{m - 4}' y='{py + 4:.0f}' text-anchor='end'>{yv:.3f}</text>")
    for r in pts:
        x, y = xy(r)
        c = colour(r["codec"])
        shape = shapes.get(r["profile"], "circle")
        tip = f"<title>{html.escape(r['image'])} {r['profile']} {html.escape(r['codec'])}: {r['bytes']:,} B</title>"
        if shape == "circle":
            svg.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='4' fill='{c}'>{tip}</circle>")
        elif shape == "rect":
            svg.append(f"<rect x='{x - 4:.1f}' y='{y - 4:.1f}' width='8' height='8' fill='{c}'>{tip}</rect>")
        else:
            svg.append(f"<polygon points='{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} "
                       f"{x - 5:.1f},{y:.1f}' fill='{c}'>{tip}</polygon>")
    for i, codec in enumerate(codecs):
        svg.append(f"<rect x='{key}' y='{m + 16 * i}' width='10' height='10' fill='{colour(codec)}'/>"
                   f"<text x='{key + 16}' y='{m + 9 + 16 * i}'>{html.escape(codec)}</text>")
    svg.append(f"<text x='{key}' y='{m + 16 * len(codecs) + 12}'>● C0  ■ C1  ◆ C2</text></svg>")
    return "".join(svg)


__all__ = ["SAMPLES", "run_demo", "write_samples"]
