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


def _clean(rate: Sequence[float], dist: Sequence[float]) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
    """Sort by rate and keep the points above every lower-rate point (interpolation needs monotone data).

    Returns the kept rates and qualities and the points left out as ``(rate, quality)``: non-finite ones (a
    lossless point's infinite PSNR) and those not better than a point at a lower rate.
    """
    r = np.asarray(rate, dtype=np.float64)
    d = np.asarray(dist, dtype=np.float64)
    ok = np.isfinite(r) & np.isfinite(d) & (r > 0)
    dropped = [(float(ri), float(di)) for ri, di in zip(r[~ok], d[~ok], strict=True)]
    r, d = r[ok], d[ok]
    order = np.lexsort((-d, r))  # by rate, the better of two equal-rate points first (it is the one kept)
    r, d = r[order], d[order]
    keep_r: list[float] = []
    keep_d: list[float] = []
    for ri, di in zip(r, d, strict=True):
        if not keep_r or (ri > keep_r[-1] and di > keep_d[-1]):
            keep_r.append(ri)
            keep_d.append(di)
        else:
            dropped.append((float(ri), float(di)))
    return np.asarray(keep_r), np.asarray(keep_d), dropped


def _dropped_note(curve: str, dropped: list[tuple[float, float]]) -> str:
    """Note naming the points :func:`_clean` left out of one curve ("" when none)."""
    if not dropped:
        return ""
    pts = ", ".join(f"{r:.4g} bpp / {d:.4g}" for r, d in sorted(dropped)[:4])
    more = f" and {len(dropped) - 4} more" if len(dropped) > 4 else ""
    n = len(dropped)
    return (f"{curve}: {n} point{'s' if n > 1 else ''} left out ({pts}{more}): not above a lower-rate point or "
            "not finite")


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
        curves do not overlap or have fewer than 4 usable points. The note names every point left out of a curve
        (not finite, or not above a lower-rate point: the figure is that of the curve's upper envelope).
    """
    import bjontegaard as bjd

    ar, ad, a_out = _clean(anchor_rate, anchor_dist)
    tr, td, t_out = _clean(test_rate, test_dist)
    result: dict[str, Any] = {"bd_rate": math.nan, "bd_metric": math.nan, "overlap": 0.0, "note": ""}
    notes = [n for n in (_dropped_note("anchor", a_out), _dropped_note("test", t_out)) if n]
    if len(ar) < 4 or len(tr) < 4:
        result["note"] = "; ".join([f"needs >= 4 monotone points (anchor {len(ar)}, test {len(tr)})", *notes])
        return result
    lo, hi = max(ad.min(), td.min()), min(ad.max(), td.max())
    span = max(ad.max() - ad.min(), td.max() - td.min())
    result["overlap"] = float(max(0.0, hi - lo) / span) if span > 0 else 0.0
    # BD-rate integrates over the shared quality range, BD-metric over the shared bit-rate range: each exists when
    # its own axis overlaps (20 dB better at every rate is a BD-PSNR of +20 dB even though the quality ranges are
    # disjoint), and each call's overlap warning is about its own axis
    shared: list[tuple[str, float]] = []
    for key, fn, axis, a, t in (("bd_rate", bjd.bd_rate, "quality", ad, td),
                                ("bd_metric", bjd.bd_psnr, "bit-rate", ar, tr)):
        if min(a.max(), t.max()) <= max(a.min(), t.min()):
            notes.append(f"{axis} ranges do not overlap")
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result[key] = float(fn(ar, ad, tr, td, method=method, require_matching_points=False))
            except (ValueError, ZeroDivisionError) as exc:
                notes.append(f"bjontegaard failed: {exc}")
        for w in caught:
            first = str(w.message).splitlines()[0]
            if m := _OVERLAP.search(first):
                shared.append((f"{float(m.group(1)):.0f} % of their {axis} range", float(m.group(2))))
            else:
                notes.append(first)
    if shared:  # one sentence for both axes (the remedy was printed twice)
        notes.append(_overlap_note(shared))
    result["note"] = "; ".join(dict.fromkeys(notes))
    return result


#: bjontegaard's overlap warning, which names a keyword argument a ``bench rd`` user cannot set.
_OVERLAP = re.compile(r"Insufficient curve overlap: '([\d.]+)'\. Minimum overlap: '([\d.]+)'")


def _overlap_note(shared: list[tuple[str, float]]) -> str:
    """bjontegaard's overlap warnings in this tool's words (QA: the note said 'setting `min_overlap=0`'), one
    sentence for the quality range (BD-rate) and the bit-rate range (BD-metric): ``(what is shared, minimum %)``."""
    parts = " and ".join(what for what, _ in shared)
    which = "each figure averages over its" if len(shared) > 1 else "the figure averages over that"
    return (f"the curves share only {parts} (under {max(lim for _, lim in shared):.0f} %): {which} shared part only; "
            "widen --qualities so they overlap more")


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
