"""Bjøntegaard deltas (BD-rate, BD-PSNR / BD-metric) against an anchor codec, with the ``bjontegaard`` package.

Both PCHIP (matches the JVET common-test-conditions spreadsheet) and Akima interpolation are reported. MS-SSIM
is converted to decibels (``-10·log10(1 - MS-SSIM)``) before interpolation, as is usual. A negative BD-rate
means the codec needs fewer bits than the anchor for the same quality.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

METHODS = ("pchip", "akima")


def to_db(metric: str, values: Sequence[float]) -> np.ndarray:
    """Quality values on the scale BD is computed on (MS-SSIM/SSIM in dB, others unchanged)."""
    v = np.asarray(values, dtype=np.float64)
    # SSIMULACRA2 is already a 0..100 score (its name starts with "ssim" too: it must not be converted)
    if metric.startswith(("ms-ssim", "ssim")) and not metric.startswith("ssimulacra"):
        return -10.0 * np.log10(np.clip(1.0 - v, 1e-10, None))
    return v


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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result["bd_rate"] = float(bjd.bd_rate(ar, ad, tr, td, method=method, require_matching_points=False))
            result["bd_metric"] = float(bjd.bd_psnr(ar, ad, tr, td, method=method, require_matching_points=False))
        except (ValueError, ZeroDivisionError) as exc:
            result["note"] = f"bjontegaard failed: {exc}"
    if caught:
        result["note"] = "; ".join(sorted({str(w.message).splitlines()[0] for w in caught}))
    return result


def bd_tables(curves: dict[str, dict[str, Any]], anchor: str | None, metrics: Sequence[str]) -> dict[str, Any]:
    """BD tables for every codec against ``anchor``: ``{metric: {codec: {method: bd_pair(...)}}}``.

    ``curves`` maps codec -> CompressAI-style dict (``{"results": {"bpp": [...], metric: [...]}}``).
    Metrics that are not quality-like (task F1) are skipped.
    """
    if anchor is None or anchor not in curves:
        return {}
    out: dict[str, Any] = {}
    a = curves[anchor]["results"]
    for m in metrics:
        if m.startswith("f1-") or m not in a or m == "butteraugli":
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
        unit = "dB" if m.startswith(("psnr", "ms-ssim", "ssim")) else ""
        lines.append(f"\nBD vs {anchor} on {m}{' (in dB)' if m.startswith(('ms-ssim', 'ssim')) else ''}\n")
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
