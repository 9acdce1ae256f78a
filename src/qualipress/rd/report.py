"""RD plots (matplotlib) and the HTML report of an RD benchmark directory."""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qualipress import codecs
from qualipress.bench.colours import curve_colour
from qualipress.errors import InputError
from qualipress.io import atomic_write_bytes, atomic_write_text
from qualipress.metrics import lookup
from qualipress.rd.bd import METHODS, _fmt, to_db


def load_curves(paths: Sequence[str | os.PathLike[str]]) -> dict[str, dict[str, Any]]:
    """Read CompressAI-style result JSON files (ours or CompressAI's published ones).

    Directories are searched for ``*.json`` (``summary.json`` and hidden files excluded).

    Raises
    ------
    InputError
        No file, or a file that is not a results JSON.
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            # hidden names are not results: a run's temporary files (io.files.TEMP_PREFIX), still being written
            files.extend(sorted(f for f in p.glob("*.json") if f.name != "summary.json" and not f.name.startswith(".")))
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"{p} does not exist")
    if not files:
        raise InputError(f"no result JSON files in {', '.join(map(str, paths))}")
    curves: dict[str, dict[str, Any]] = {}
    for f in files:
        try:
            obj = json.loads(f.read_text(encoding="utf-8"))
            res = obj["results"]
            if "bpp" not in res:
                raise KeyError("bpp")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{f} is not an RD results JSON ({{name, results: {{bpp, ...}}}}): {exc}") from exc
        name = str(obj.get("name") or f.stem)
        if name in curves:
            name = f"{name} ({f.stem})"
        curves[name] = obj
    return curves


def _metric_aliases(res: dict[str, Any], metric: str) -> str | None:
    for k in (metric, metric.replace("-rgb", ""), f"{metric}-rgb"):
        if k in res:
            return k
    return None


def column_label(curve: str, key: str) -> str:
    """Table header for a results column: the codec's own quality name, units on times."""
    if key == "quality":
        try:
            q = codecs.get(curve).info.quality
            if q is not None:
                return f"{q.name} ({'higher' if q.higher_is_better else 'lower'} is better)"
        except Exception:
            pass
        return "setting"
    if key.endswith("_time"):
        return key.replace("_", " ") + " (s/image)"
    return key


def plot_rd(
    curves: dict[str, dict[str, Any]],
    output: str | os.PathLike[str] | None,
    *,
    metrics: Sequence[str] = ("psnr-rgb", "ms-ssim-rgb"),
    title: str = "",
) -> bytes:
    """Plot quality vs bpp, one panel per metric; writes a PNG to ``output`` (atomic) and returns its bytes.

    Curves lacking a metric are left out of that panel. Each metric is drawn on the axis BD-rate uses (its spec's
    ``bd``: SSIM and MS-SSIM in dB of their error), labelled with its unit.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    present = [m for m in metrics if any(_metric_aliases(c["results"], m) for c in curves.values())]
    if not present:
        raise InputError(f"none of the metrics {list(metrics)} is in the results")
    fig, axes = plt.subplots(1, len(present), figsize=(6.2 * len(present), 4.6), squeeze=False)
    for ax, m in zip(axes[0], present, strict=True):
        for name, c in curves.items():
            key = _metric_aliases(c["results"], m)
            if key is None:
                continue
            x = np.asarray(c["results"]["bpp"], dtype=float)
            y = to_db(m, np.asarray(c["results"][key], dtype=float))
            order = np.argsort(x)
            style = "--" if "published" in name or "compressai" in name.lower() else "-"
            ax.plot(x[order], y[order], style, marker="o", ms=3, label=name, color=curve_colour(name))
        spec = lookup(m)
        label = f"{m} ({spec.bd_unit})" if spec is not None and spec.bd_unit else m
        ax.set_xlabel("bits per pixel")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    data = buf.getvalue()
    if output is not None:
        atomic_write_bytes(Path(output), data)
    return data


def html_report(outdir: str | os.PathLike[str], output: str | os.PathLike[str] | None = None) -> Path:
    """Write ``report.html`` for an RD benchmark directory (plots embedded, BD tables, errors).

    Raises
    ------
    InputError
        The directory has no ``summary.json``.
    """

    d = Path(outdir)
    try:
        summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{d} has no readable summary.json (run 'qualipress bench rd' first)") from exc
    curves = load_curves([d])
    metrics = [m for m in summary.get("metrics", []) if not m.startswith("f1-")]
    tasks = [m for m in summary.get("metrics", []) if m.startswith("f1-")]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>qualipress RD report</title>",
        "<style>body{font-family:sans-serif;max-width:1300px;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child{text-align:left}</style>",
        "</head><body>",
        "<h1>Rate–distortion report</h1>",
        f"<p>Dataset: {html.escape(', '.join(summary.get('dataset', [])))} — {len(summary.get('images', []))} images; "
        f"date {html.escape(str(summary.get('date', '')))}; rows computed {summary.get('rows_computed')}, "
        f"cached {summary.get('rows_cached')}.</p>",
    ]
    left_out = summary.get("images_left_out") or {}
    if left_out:
        parts.append(f"<p>{len(left_out)} image(s) left out of every curve, so that all curves average the same "
                     "images:</p><ul>" + "".join(f"<li>{html.escape(k)}: {html.escape(str(v))}</li>"
                                                 for k, v in sorted(left_out.items())) + "</ul>")
    for group in ([metrics] if metrics else []) + ([tasks] if tasks else []):
        png = plot_rd(curves, None, metrics=group)
        parts.append(f"<img alt='RD curves' src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
    ts = summary.get("task_settings")
    if ts:
        parts.append(f"<p>Coding for machines ({html.escape(str(ts.get('detector')))}): "
                     f"{html.escape(str(ts.get('f1')))}.</p>")
    anchor = summary.get("anchor")
    for m, table in (summary.get("bd") or {}).items():
        spec = lookup(m)
        unit = f" ({spec.bd_unit})" if spec is not None and spec.bd_unit else ""
        parts.append(f"<h2>BD vs {html.escape(str(anchor))} — {html.escape(m)}</h2><table><tr><th>codec</th>")
        parts.extend(f"<th>BD-rate {meth} (%)</th>" for meth in METHODS)
        parts.extend(f"<th>BD-{html.escape(m)} {meth}{html.escape(unit)}</th>" for meth in METHODS)
        parts.append("<th>note</th></tr>")
        for name, res in table.items():
            cells = [_fmt(res[meth]["bd_rate"], "%") for meth in METHODS]
            cells += [_fmt(res[meth]["bd_metric"]) for meth in METHODS]
            parts.append(
                f"<tr><td>{html.escape(name)}</td>" + "".join(f"<td>{c}</td>" for c in cells)
                + f"<td>{html.escape(res['pchip']['note'])}</td></tr>"
            )
        parts.append("</table>")
    parts.append("<h2>Curves</h2>")
    for name, c in curves.items():
        r = c["results"]
        cols = [k for k in r if isinstance(r[k], list)]
        swatch = f"<span style='color:{curve_colour(name)}'>&#9632;</span>"
        parts.append(f"<h3>{swatch} {html.escape(name)}</h3>"
                     f"<p>{html.escape(str(c.get('description', '')))}</p><table><tr>")
        parts.extend(f"<th>{html.escape(column_label(name, k))}</th>" for k in cols)
        parts.append("</tr>")
        for i in range(len(r["bpp"])):
            parts.append("<tr>" + "".join(f"<td>{_num(r[k][i]) if i < len(r[k]) else ''}</td>" for k in cols) + "</tr>")
        parts.append("</table>")
    errors = summary.get("errors") or []
    parts.append(f"<h2>Errors ({len(errors)})</h2><ul>")
    parts.extend(f"<li>{html.escape(json.dumps(e))}</li>" for e in errors[:200])
    parts.append("</ul></body></html>")
    out = Path(output) if output else d / "report.html"
    atomic_write_text(out, "\n".join(parts))
    return out


def _num(v: Any) -> str:
    if v is None:  # a non-finite mean, written as null
        return "n/a"
    return f"{v:.4f}" if isinstance(v, float) else html.escape(str(v))
