"""Bjøntegaard deltas (BD-rate, BD-PSNR / BD-metric) against an anchor codec, with the ``bjontegaard`` package.

Both PCHIP (matches the JVET common-test-conditions spreadsheet) and Akima interpolation are reported. Each
metric is interpolated on the axis its spec gives (:attr:`qualipress.metrics.MetricSpec.bd`): SSIM and MS-SSIM
in decibels of their error (``-10·log10(1 - v)``, as is usual), PSNR and SSIMULACRA 2 as measured; metrics without
a BD axis (butteraugli) and columns that are not metrics (task F1) get no table. A negative BD-rate means the
codec needs fewer bits than the anchor for the same quality.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from qualipress import metrics as _metrics

METHODS = ("pchip", "akima")


def to_db(metric: str, values: Sequence[float]) -> np.ndarray:
    """Quality values on the axis BD is computed on (the metric spec's ``bd`` transform; unchanged for columns
    that are not metrics or have no BD axis). ``metric`` is a metric name or an RD results column."""
    v = np.asarray(values, dtype=np.float64)
    s = _metrics.lookup(metric)
    return v if s is None or s.bd is None else s.bd(v)


def _clean(rate: Sequence[float], dist: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Sort by rate and keep the strictly increasing part of the curve (interpolation needs monotone data)."""
    r = np.asarray(rate, dtype=np.float64)
    d = np.asarray(dist, dtype=np.float64)
    ok = np.isfinite(r) & np.isfinite(d) & (r > 0)
    r, d = r[ok], d[ok]
    order = np.argsort(r)
    r, d = r[order], d[order]
    keep_r, keep_d = [], []
    for ri, di in zip(r, d, strict=True):
        if not keep_r or (ri > keep_r[-1] and di > keep_d[-1]):
            keep_r.append(ri)
            keep_d.append(di)
    return np.asarray(keep_r), np.asarray(keep_d)


def bd_pair(
    anchor_rate: Sequence[float],
    anchor_dist: Sequence[float],
    test_rate: Sequence[float],
    test_dist: Sequence[float],
    *,
    method: str = "pchip",
) -> dict[str, Any]:
    """BD-rate (%) and BD-metric (quality units) of one test curve against the anchor.

    Returns
    -------
    dict
        ``{"bd_rate": float, "bd_metric": float, "overlap": float, "note": str}``; NaN values when the
        curves do not overlap or have fewer than 4 usable points.
    """
    import bjontegaard as bjd

    ar, ad = _clean(anchor_rate, anchor_dist)
    tr, td = _clean(test_rate, test_dist)
    result: dict[str, Any] = {"bd_rate": math.nan, "bd_metric": math.nan, "overlap": 0.0, "note": ""}
    if len(ar) < 4 or len(tr) < 4:
        result["note"] = f"needs >= 4 monotone points (anchor {len(ar)}, test {len(tr)})"
        return result
    lo, hi = max(ad.min(), td.min()), min(ad.max(), td.max())
    span = max(ad.max() - ad.min(), td.max() - td.min())
    result["overlap"] = float(max(0.0, hi - lo) / span) if span > 0 else 0.0
    if hi <= lo:
        result["note"] = "quality ranges do not overlap"
        return result
    notes: list[str] = []
    # BD-rate integrates over the shared quality range, BD-metric over the shared bit-rate range: each call's
    # overlap warning is about its own axis
    for key, fn, axis in (("bd_rate", bjd.bd_rate, "quality"), ("bd_metric", bjd.bd_psnr, "bit-rate")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result[key] = float(fn(ar, ad, tr, td, method=method, require_matching_points=False))
            except (ValueError, ZeroDivisionError) as exc:
                notes.append(f"bjontegaard failed: {exc}")
        notes += [_plain(str(w.message).splitlines()[0], axis) for w in caught]
    result["note"] = "; ".join(dict.fromkeys(notes))
    return result


#: bjontegaard's overlap warning, which names a keyword argument a ``bench rd`` user cannot set.
_OVERLAP = re.compile(r"Insufficient curve overlap: '([\d.]+)'\. Minimum overlap: '([\d.]+)'")


def _plain(message: str, axis: str) -> str:
    """A bjontegaard warning in this tool's words (QA: the note said 'setting `min_overlap=0`'); ``axis``: the
    range the overlap is taken over (``quality`` for BD-rate, ``bit-rate`` for BD-metric)."""
    m = _OVERLAP.search(message)
    if m is None:
        return message
    return (f"the curves share only {float(m.group(1)):.0f} % of their {axis} range (under {float(m.group(2)):.0f} "
            "%): the figure extrapolates; widen --qualities so they overlap more")


def bd_tables(curves: dict[str, dict[str, Any]], anchor: str | None, metrics: Sequence[str]) -> dict[str, Any]:
    """BD tables for every codec against ``anchor``: ``{metric: {codec: {method: bd_pair(...)}}}``.

    ``curves`` maps codec -> CompressAI-style dict (``{"results": {"bpp": [...], metric: [...]}}``).
    Columns that are not metrics (task F1) and metrics without a BD axis are skipped.
    """
    if anchor is None or anchor not in curves:
        return {}
    out: dict[str, Any] = {}
    a = curves[anchor]["results"]
    for m in metrics:
        s = _metrics.lookup(m)
        if s is None or s.bd is None or m not in a:
            continue
        table: dict[str, Any] = {}
        for name, c in curves.items():
            if name == anchor or m not in c["results"]:
                continue
            r = c["results"]
            table[name] = {
                meth: bd_pair(a["bpp"], to_db(m, a[m]), r["bpp"], to_db(m, r[m]), method=meth) for meth in METHODS
            }
        out[m] = table
    return out


def format_table(bd: dict[str, Any], anchor: str) -> str:
    """Markdown table of a :func:`bd_tables` result."""
    lines = []
    for m, table in bd.items():
        s = _metrics.lookup(m)
        unit = s.bd_unit if s is not None else ""
        lines.append(f"\nBD vs {anchor} on {m}{f' (in {unit})' if unit else ''}\n")
        lines.append(
            f"| codec | BD-rate pchip | BD-rate akima | BD-{m} pchip ({unit}) | BD-{m} akima ({unit}) | note |"
        )
        lines.append("|---|---:|---:|---:|---:|---|")
        for name, res in table.items():
            p, k = res["pchip"], res["akima"]
            lines.append(
                f"| {name} | {_fmt(p['bd_rate'], '%')} | {_fmt(k['bd_rate'], '%')} | {_fmt(p['bd_metric'])} | "
                f"{_fmt(k['bd_metric'])} | {p['note']} |"
            )
    return "\n".join(lines).strip() + "\n"


def _fmt(v: float, suffix: str = "") -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:+.2f}{suffix}"
