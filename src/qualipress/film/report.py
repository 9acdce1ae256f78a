"""Collection report (``qualipress report``): HTML with figures, plus CSV and JSON beside it.

Input is a collection's ``manifest.jsonl`` (lossless archive or lossy ``compress`` run, or several collections at
once). Per profile and codec: files, storage before/after, % saved and ratio (like "original TB → compressed TB"),
SSIM/PSNR mean and minimum with histograms, the worst frames with thumbnails, a per-sequence breakdown, encodes
per frame and seconds per frame. Figures are PNGs embedded as data URIs, so the HTML is one self-contained file.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError
from qualipress.film import lossless, manifest
from qualipress.io import atomic_write_bytes


def normalise(rec: dict[str, Any]) -> dict[str, Any] | None:
    """One manifest record in the report's terms (None for failed frames)."""
    if rec.get("status", "ok") != "ok":
        return None
    is_lossless = rec.get("kind") == "lossless"
    metrics = rec.get("metrics") or {}
    src_bytes = rec.get("source_bytes") or rec.get("input_bytes")
    out_bytes = rec.get("output_bytes") or rec.get("bytes")
    if not src_bytes or not out_bytes:
        return None
    return {
        "source": rec.get("source"),
        "output": rec.get("output"),
        "sequence": rec.get("sequence") or str(Path(str(rec.get("source", ""))).parent),
        "profile": "lossless" if is_lossless else str(rec.get("profile") or rec.get("target") or "?"),
        "codec": str(rec.get("codec") or "?"),
        "source_bytes": int(src_bytes),
        "output_bytes": int(out_bytes),
        "ssim": float("inf") if is_lossless else _num(metrics.get("ssim")),
        "psnr": float("inf") if is_lossless else _num(metrics.get("psnr")),
        "encodes": int(rec.get("encodes") or (len(rec.get("sizes") or {}) if is_lossless else 0) or 0),
        "seconds": float(rec.get("seconds") or 0.0),
        "lossless_fallback": bool(rec.get("lossless")) and not is_lossless,
        "source_path": rec.get("source_path"),
    }


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _finite(vals: Iterable[float]) -> list[float]:
    return [v for v in vals if math.isfinite(v)]


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One summary row per (profile, codec)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["profile"], r["codec"])].append(r)
    groups_all: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups_all[r["profile"]].append(r)
    out = []
    for (profile, codec), rs in sorted(groups.items()) + [((p, "all"), rs) for p, rs in sorted(groups_all.items())
                                                          if len({r["codec"] for r in rs}) > 1]:
        before = sum(r["source_bytes"] for r in rs)
        after = sum(r["output_bytes"] for r in rs)
        ss, ps = _finite(r["ssim"] for r in rs), _finite(r["psnr"] for r in rs)
        out.append({
            "profile": profile, "codec": codec, "files": len(rs), "bytes_before": before, "bytes_after": after,
            "ratio": round(before / after, 3) if after else None,
            "saved_pct": round(100 * (1 - after / before), 2) if before else None,
            "ssim_mean": round(float(np.mean(ss)), 5) if ss else None,
            "ssim_min": round(float(np.min(ss)), 5) if ss else None,
            "psnr_mean": round(float(np.mean(ps)), 3) if ps else None,
            "psnr_min": round(float(np.min(ps)), 3) if ps else None,
            "encodes_per_frame": round(float(np.mean([r["encodes"] for r in rs])), 2),
            "seconds_per_frame": round(float(np.mean([r["seconds"] for r in rs])), 3),
            "lossless_fallbacks": sum(r["lossless_fallback"] for r in rs),
        })
    return out


def by_sequence(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["profile"], r["sequence"])].append(r)
    out = []
    for (profile, seq), rs in sorted(groups.items()):
        before = sum(r["source_bytes"] for r in rs)
        after = sum(r["output_bytes"] for r in rs)
        ss = _finite(r["ssim"] for r in rs)
        out.append({"profile": profile, "sequence": seq, "files": len(rs), "bytes_before": before,
                    "bytes_after": after, "ratio": round(before / after, 3) if after else None,
                    "ssim_min": round(min(ss), 5) if ss else None,
                    "codecs": ",".join(sorted({r["codec"] for r in rs}))})
    return out


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000.0
    return str(n)


def _png_uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _histograms(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    figs = []
    for metric, label in (("ssim", "SSIM"), ("psnr", "PSNR (dB)")):
        fig, ax = plt.subplots(figsize=(6, 2.6))
        drawn = False
        for profile in sorted({r["profile"] for r in rows}):
            vals = _finite(r[metric] for r in rows if r["profile"] == profile)
            if vals:
                ax.hist(vals, bins=20, alpha=0.6, label=profile)
                drawn = True
        if drawn:
            ax.set_xlabel(label)
            ax.set_ylabel("frames")
            ax.legend()
            figs.append((f"{label} per frame", _png_uri(fig)))
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 2.6))
    summ = [s for s in summarise(rows) if s["codec"] != "all"]
    if summ:
        labels = [f"{s['profile']}\n{s['codec']}" for s in summ]
        ax.bar(range(len(summ)), [s["ratio"] or 0 for s in summ])
        ax.set_xticks(range(len(summ)), labels, fontsize=7)
        ax.set_ylabel("compression ratio (x:1)")
        figs.append(("compression ratio per profile and codec", _png_uri(fig)))
    plt.close(fig)
    return figs


def _thumb(root: Path, r: dict[str, Any], size: int = 192) -> str | None:
    """A PNG data URI of the output (decoded) for the worst-frames table, or None."""
    try:
        from PIL import Image as PILImage

        from qualipress.io import to_perceptual

        p = root / str(r["output"])
        if str(r["output"]).endswith(lossless.SUFFIX):
            return None
        from qualipress import codecs

        img = codecs.get(r["codec"]).decode(p.read_bytes())
        code = np.asarray(to_perceptual(img))
        rgb = np.rint(np.clip(code[..., :3] if code.shape[2] >= 3 else np.repeat(code, 3, 2), 0, 1) * 255)
        im = PILImage.fromarray(rgb.astype(np.uint8))
        im.thumbnail((size, size))
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    except Exception:  # a thumbnail is decoration: a frame that does not decode is reported by verify
        return None


def _table(rows: list[dict[str, Any]], cols: list[tuple[str, str]]) -> str:
    head = "".join(f"<th>{html.escape(t)}</th>" for _, t in cols)
    body = []
    for r in rows:
        cells = []
        for k, _ in cols:
            v = r.get(k)
            if k.startswith("bytes"):
                v = _fmt_bytes(v or 0)
            cells.append(f"<td>{html.escape('' if v is None else str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def build_report(roots: Iterable[str | Path], out: str | Path, *, worst: int = 6) -> dict[str, Any]:
    """Write ``out`` (HTML) and ``out`` with ``.csv`` / ``.json`` suffixes; return the JSON content.

    Raises
    ------
    InputError
        No successful record in any of the collections.
    """
    rows: list[dict[str, Any]] = []
    failed = 0
    root_of: dict[int, Path] = {}
    for root in roots:
        rp = Path(root)
        recs = manifest.latest(manifest.load(rp)).values()
        if not recs:
            raise InputError(f"{rp}: no {manifest.MANIFEST} (not a qualipress collection)")
        for rec in recs:
            n = normalise(rec)
            if n is None:
                failed += rec.get("status", "ok") != "ok"
                continue
            root_of[len(rows)] = rp
            rows.append(n)
    if not rows:
        raise InputError("no successfully processed frame in the given collections")
    summary = summarise(rows)
    seqs = by_sequence(rows)
    lossy = [(i, r) for i, r in enumerate(rows) if math.isfinite(r["ssim"])]
    worst_rows = sorted(lossy, key=lambda ir: ir[1]["ssim"])[:worst]
    data = {"summary": summary, "sequences": seqs, "failed_frames": failed, "frames": rows}
    outp = Path(out)
    atomic_write_bytes(outp.with_suffix(".json"), json.dumps(data, indent=1, default=str).encode())
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
    atomic_write_bytes(outp.with_suffix(".csv"), buf.getvalue().encode())
    figs = _histograms(rows)
    cols = [("profile", "profile"), ("codec", "codec"), ("files", "files"), ("bytes_before", "before"),
            ("bytes_after", "after"), ("ratio", "ratio :1"), ("saved_pct", "% saved"), ("ssim_mean", "SSIM mean"),
            ("ssim_min", "SSIM min"), ("psnr_mean", "PSNR mean"), ("psnr_min", "PSNR min"),
            ("encodes_per_frame", "encodes/frame"), ("seconds_per_frame", "s/frame"),
            ("lossless_fallbacks", "lossless fallbacks")]
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>qualipress collection report</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;"
             "margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;font-size:13px;text-align:right}"
             "th{background:#eee}figure{display:inline-block;margin:0.5em}</style></head><body>",
             "<h1>Collection report</h1>",
             f"<p>{len(rows)} frames, {failed} failed. Storage: {_fmt_bytes(sum(r['source_bytes'] for r in rows))}"
             f" → {_fmt_bytes(sum(r['output_bytes'] for r in rows))} over all profiles.</p>",
             "<h2>Per profile and codec</h2>", _table(summary, cols)]
    for title, uri in figs:
        parts.append(f"<figure><img src='{uri}' alt='{html.escape(title)}'><figcaption>{html.escape(title)}"
                     "</figcaption></figure>")
    if worst_rows:
        parts.append("<h2>Worst frames (lowest SSIM)</h2><table><tr><th>frame</th><th>profile</th><th>codec</th>"
                     "<th>SSIM</th><th>PSNR</th><th>output</th></tr>")
        for i, r in worst_rows:
            uri = _thumb(root_of[i], r)
            img = f"<img src='{uri}' alt='thumbnail'>" if uri else "(no thumbnail)"
            parts.append(f"<tr><td>{html.escape(str(r['source']))}</td><td>{html.escape(r['profile'])}</td>"
                         f"<td>{html.escape(r['codec'])}</td><td>{r['ssim']:.4f}</td><td>{r['psnr']:.2f}</td>"
                         f"<td>{img}</td></tr>")
        parts.append("</table>")
    parts += ["<h2>Per sequence</h2>", _table(seqs, [
        ("profile", "profile"), ("sequence", "sequence"), ("files", "files"), ("bytes_before", "before"),
        ("bytes_after", "after"), ("ratio", "ratio :1"), ("ssim_min", "SSIM min"), ("codecs", "codecs")])]
    parts.append(f"<p>Data: <a href='{outp.with_suffix('.csv').name}'>CSV</a>, "
                 f"<a href='{outp.with_suffix('.json').name}'>JSON</a>.</p></body></html>")
    atomic_write_bytes(outp, "\n".join(parts).encode())
    return data
