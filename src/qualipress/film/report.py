"""Collection report (``qualipress report``): HTML with figures, plus CSV and JSON beside it.

Input is a collection's ``manifest.jsonl`` (lossless archive or lossy ``compress`` run, or several collections at
once), or for a compress output folder without one (``--for web``, ``--no-film``) the run's report JSONL.
Per profile and codec: files, storage before/after, % saved and ratio (like "original TB → compressed TB"),
SSIM/PSNR mean and minimum with histograms, the worst frames, a per-sequence breakdown, encodes per frame, seconds
per frame and the wall time. The histograms are small PNGs embedded as data URIs; the worst frames' 1:1 crops are
PNG files in a folder beside the HTML (``report.html`` -> ``report_files/``, :func:`pictures_dir`), linked from
it: embedded, 24 crops made 13 MB of HTML for 24 frames (QA). Keep the folder with the page.

Film fidelity (records written with :class:`qualipress.film.hooks.FilmHooks`, key ``film``): per frame and
per sequence the grain kept (correlation and energy ratio in the flattest blocks; the colour grain's correlation
beside it), the temporal ratio, the highlight / shadow shift in stops, the display-rendered SSIM and the worst
tile; a column and a histogram for
each. The worst frames (lowest SSIM, and least grain kept) are shown as **1:1 crops** of their worst 256-px tile
and of their flattest 256-px region: source | output | difference × :data:`AMPLIFY` around mid-grey, in the
film display rendering for log and linear frames (as stored otherwise), when the source file is still there.
**Wall time** = latest frame end − earliest frame start of each collection (``film.finished_at`` − ``seconds``),
summed over the collections given, per profile × codec and overall — not the sum of per-worker seconds.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from qualipress.errors import InputError, OutputError
from qualipress.film import lossless, manifest
from qualipress.io import atomic_write_bytes, read_image, read_jsonl, to_perceptual
from qualipress.io.discover import PICTURES_MARKER, REPORT_NAME


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
    target = rec.get("target")
    if isinstance(target, list):  # a run given by constraints: its target as written, not a Python list
        target = " and ".join(map(str, target))
    return {
        "source": rec.get("source"),
        "output": rec.get("output"),
        "sequence": rec.get("sequence") or str(Path(str(rec.get("source", ""))).parent),
        "profile": "lossless" if is_lossless else str(rec.get("profile") or target or "?"),
        # an archive stores a file it cannot model (zlib TIFF, EXR) whole: no pixel coder, named "opaque"
        "codec": str(rec.get("codec") or ("opaque" if rec.get("model") == "opaque" else "?")),
        "source_bytes": int(src_bytes),
        "output_bytes": int(out_bytes),
        "ssim": float("inf") if is_lossless else _num(metrics.get("ssim")),
        "psnr": float("inf") if is_lossless else _num(metrics.get("psnr")),
        "encodes": int(rec.get("encodes") or (len(rec.get("sizes") or {}) if is_lossless else 0) or 0),
        "seconds": float(rec.get("seconds") or 0.0),
        "lossless_fallback": bool(rec.get("lossless")) and not is_lossless,
        "source_path": rec.get("source_path"),
        "damaged": rec.get("damaged"),  # archive: a damaged source kept byte for byte
        **_film_fields(rec.get("film") or {}),
    }


def _film_fields(film: dict[str, Any]) -> dict[str, Any]:
    """The film fidelity figures of a record, flat (None where a check did not apply, with the reason)."""
    grain, temporal, tonal = film.get("grain") or {}, film.get("temporal") or {}, film.get("tonal") or {}
    worst = film.get("worst_tile") or {}
    why = "; ".join(f"{k}: {d['why']}" for k, d in (("grain", grain), ("temporal", temporal), ("tonal", tonal))
                    if d.get("why"))
    colour = film.get("colour_grain") or {}
    return {"grain_corr": grain.get("corr"), "grain_energy": grain.get("energy"),
            "colour_grain_corr": colour.get("corr"), "colour_grain_energy": colour.get("energy"),
            "temporal_ratio": temporal.get("ratio"), "tonal_highlights": tonal.get("highlights"),
            "tonal_shadows": tonal.get("shadows"), "display_ssim": film.get("display_ssim"),
            "worst_tile_ssim": worst.get("ssim"),
            "worst_tile": f"r{worst['row']} c{worst['col']}" if worst else None,
            "film_not_applied": why or None, "finished_at": film.get("finished_at")}


#: Gain of the difference panel of the worst-frame crops.
AMPLIFY = 8.0
#: Crop size of the worst-frame crops (pixels, shown 1:1).
CROP = 256
#: Names of the picture files the report writes (row number, then what the picture shows).
_PICTURE = re.compile(r"r\d{4,}-[a-z0-9-]+\.png")


def pictures_dir(out: str | Path) -> Path:
    """The folder beside report ``out`` that holds its pictures (``report.html`` -> ``report_files``)."""
    p = Path(out)
    return p.with_name(p.stem + "_files")


class _Pictures:
    """The report's crops and thumbnails as PNG files in :func:`pictures_dir`, linked from the page; each is
    written once, however many tables show its frame, and the previous run's other pictures are removed."""

    def __init__(self, folder: Path) -> None:
        if folder.is_dir() and not (folder / PICTURES_MARKER).exists() and any(folder.iterdir()):
            raise OutputError(f"{folder} exists and is not a qualipress report's pictures folder (a saved web "
                              "page's?): move it or name the report differently")
        self.folder = folder
        self.written: set[str] = set()
        self.cells: dict[int, str] = {}  # a row's picture cell, made once when both tables show the frame

    def link(self, row: int, caption: str, png: bytes) -> str:
        """Write ``png`` for ``row`` (file named after ``caption``'s first words) and return its relative URL."""
        what = re.sub(r"[^a-z0-9]+", "-", caption.split(" (")[0].lower()).strip("-") or "picture"
        name = f"r{row:04d}-{what}.png"
        if name not in self.written:
            if not (self.folder / PICTURES_MARKER).exists():  # a later run over a parent folder skips these
                self.folder.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(self.folder / PICTURES_MARKER, b"pictures of a qualipress collection report\n")
            atomic_write_bytes(self.folder / name, png)
            self.written.add(name)
        return f"{quote(self.folder.name)}/{name}"

    def prune(self) -> None:
        """Remove pictures an earlier report left that this one does not link (only names it writes)."""
        if not self.folder.is_dir():
            return
        for p in self.folder.iterdir():
            if _PICTURE.fullmatch(p.name) and p.name not in self.written and p.is_file():
                p.unlink(missing_ok=True)


def _fvals(rs: list[dict[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in rs if r.get(key) is not None and math.isfinite(float(r[key]))]


def _film_summary(rs: list[dict[str, Any]]) -> dict[str, Any]:
    """Grain / temporal / tonal / display figures of a group of frames (None when no frame has them)."""
    g, t = _fvals(rs, "grain_corr"), _fvals(rs, "temporal_ratio")
    hi, lo, d = _fvals(rs, "tonal_highlights"), _fvals(rs, "tonal_shadows"), _fvals(rs, "display_ssim")
    c = _fvals(rs, "colour_grain_corr")
    return {"grain_corr_min": round(min(g), 4) if g else None,
            "grain_corr_mean": round(float(np.mean(g)), 4) if g else None,
            "colour_grain_corr_min": round(min(c), 4) if c else None,
            "temporal_min": round(min(t), 4) if t else None, "temporal_max": round(max(t), 4) if t else None,
            "tonal_hi_worst": round(max(hi, key=abs), 4) if hi else None,
            "tonal_lo_worst": round(max(lo, key=abs), 4) if lo else None,
            "display_ssim_min": round(min(d), 5) if d else None}


def wall_seconds(rows: list[dict[str, Any]]) -> float | None:
    """Wall time of the frames (module docstring): per collection, latest frame end minus earliest frame start,
    summed over the collections (runs at different times do not count the time between them); None without
    timestamps."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in rows:
        if r.get("finished_at") is not None:
            spans[str(r.get("collection"))].append((float(r["finished_at"]), float(r["seconds"])))
    if not spans:
        return None
    return round(sum(max(e for e, _ in ends) - min(e - s for e, s in ends) for ends in spans.values()), 3)


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
            "wall_seconds": wall_seconds(rs),
            "lossless_fallbacks": sum(r["lossless_fallback"] for r in rs),
            **_film_summary(rs),
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
                    "codecs": ",".join(sorted({r["codec"] for r in rs})), **_film_summary(rs)})
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
    for key, label in (("ssim", "SSIM"), ("psnr", "PSNR (dB)"),
                       ("grain_corr", "grain kept (flat-area correlation)"),
                       ("temporal_ratio", "temporal ratio (output / source frame difference)"),
                       ("tonal_highlights", "highlight shift (stops)"), ("tonal_shadows", "shadow shift (stops)")):
        fig, ax = plt.subplots(figsize=(6, 2.6))
        drawn = False
        for profile in sorted({r["profile"] for r in rows}):
            vals = _fvals([r for r in rows if r["profile"] == profile], key)
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


def _thumb(root: Path, r: dict[str, Any], size: int = 192) -> bytes | None:
    """A PNG thumbnail of the output (decoded) for the worst-frames table, or None."""
    try:
        from PIL import Image as PILImage

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
        return buf.getvalue()
    except Exception:  # a thumbnail is decoration: a frame that does not decode is reported by verify
        return None


def _crops(root: Path, r: dict[str, Any]) -> list[tuple[str, bytes]]:
    """1:1 crops (worst tile, flattest region) of a frame: source | output | amplified difference, as
    ``(caption, PNG bytes)``; empty when the source or the output cannot be read."""
    try:
        from PIL import Image as PILImage

        from qualipress import codecs
        from qualipress.film import analysis, fidelity
        from qualipress.search.probe import encodable

        src = read_image(str(r["source_path"]))
        like = encodable(src)
        out = codecs.decode_like(codecs.get(r["codec"]), (root / str(r["output"])).read_bytes(), like)
        a = np.asarray(to_perceptual(src), np.float32)
        b = np.asarray(to_perceptual(out), np.float32)
    except Exception:  # crops are illustrations: a missing source or odd output just has none
        return []
    if a.shape[:2] != b.shape[:2]:
        return []
    a3 = a[..., :3] if a.shape[2] >= 3 else np.repeat(a[..., :1], 3, 2)
    b3 = b[..., :3] if b.shape[2] >= 3 else np.repeat(b[..., :1], 3, 2)
    shown_a, shown_b = fidelity.display_rgb(a3, src), fidelity.display_rgb(b3, src)
    if shown_a is None or shown_b is None:
        shown_a, shown_b = a3, b3
    h, w = a.shape[:2]
    size = min(CROP, h, w)
    places: list[tuple[str, int, int]] = []
    tile = r.get("worst_tile")
    if tile:
        row, col = (int(v[1:]) for v in str(tile).split())
        places.append(("worst tile", row * 256, col * 256))
    stats = analysis.block_stats(analysis.luma(a3))
    flat = analysis.grain_blocks(stats, src).astype(np.float64)  # not a crop of the bars
    k = max(1, size // stats.block)
    if flat.shape[0] >= k and flat.shape[1] >= k and flat.any():
        cs = np.pad(flat.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
        win = cs[k:, k:] - cs[:-k, k:] - cs[k:, :-k] + cs[:-k, :-k]
        by, bx = np.unravel_index(int(win.argmax()), win.shape)
        places.append(("flattest region", int(by) * stats.block, int(bx) * stats.block))
    out_crops = []
    for caption, y0, x0 in places:
        y0, x0 = max(0, min(y0, h - size)), max(0, min(x0, w - size))
        sa = shown_a[y0:y0 + size, x0:x0 + size]
        sb = shown_b[y0:y0 + size, x0:x0 + size]
        diff = 0.5 + AMPLIFY * (b3[y0:y0 + size, x0:x0 + size] - a3[y0:y0 + size, x0:x0 + size])
        panel = np.concatenate([sa, np.ones((size, 4, 3), np.float32), sb, np.ones((size, 4, 3), np.float32),
                                diff], axis=1)
        im = PILImage.fromarray(np.rint(np.clip(panel, 0, 1) * 255).astype(np.uint8))
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        out_crops.append((f"{caption} (x {x0}, y {y0}): source | output | difference x{AMPLIFY:g}", buf.getvalue()))
    return out_crops


def _worst_table(title: str, picked: list[tuple[int, dict[str, Any]]], root_of: dict[int, Path],
                 pictures: _Pictures) -> list[str]:
    parts = [f"<h2>{html.escape(title)}</h2><table><tr><th>frame</th><th>profile</th><th>codec</th><th>SSIM</th>"
             "<th>PSNR</th><th>grain kept</th><th>1:1 crops</th></tr>"]
    for i, r in picked:
        if i not in pictures.cells:
            pictures.cells[i] = _picture_cell(i, r, root_of[i], pictures)
        g = "n/a" if r.get("grain_corr") is None else f"{r['grain_corr']:.3f}"
        parts.append(f"<tr><td>{html.escape(str(r['source']))}</td><td>{html.escape(r['profile'])}</td>"
                     f"<td>{html.escape(r['codec'])}</td><td>{r['ssim']:.4f}</td><td>{r['psnr']:.2f}</td>"
                     f"<td>{g}</td><td style='text-align:left'>{pictures.cells[i]}</td></tr>")
    parts.append("</table>")
    return parts


def _picture_cell(i: int, r: dict[str, Any], root: Path, pictures: _Pictures) -> str:
    """The worst-frame table cell of row ``i``: its 1:1 crops, else a thumbnail of the output, as linked files."""
    crops = _crops(root, r)
    if crops:
        return "".join(f"<figure><img src='{html.escape(pictures.link(i, c, png))}' alt='{html.escape(c)}' "
                       f"loading='lazy'><figcaption>{html.escape(c)}</figcaption></figure>" for c, png in crops)
    png = _thumb(root, r)
    if png is None:
        return "(no image)"
    return (f"<img src='{html.escape(pictures.link(i, 'thumbnail', png))}' alt='thumbnail'> "
            "(source not available: thumbnail)")


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


#: Film columns of the summary and per-sequence tables.
FILM_COLUMNS = [("grain_corr_min", "grain kept min"), ("grain_corr_mean", "grain kept mean"),
                ("colour_grain_corr_min", "colour grain kept min"),
                ("temporal_min", "temporal min"), ("temporal_max", "temporal max"),
                ("tonal_hi_worst", "highlights (stops)"), ("tonal_lo_worst", "shadows (stops)"),
                ("display_ssim_min", "display SSIM min")]


def build_report(roots: Iterable[str | Path], out: str | Path, *, worst: int = 6) -> dict[str, Any]:
    """Write ``out`` (HTML) and ``out`` with ``.csv`` / ``.json`` suffixes, and the worst frames' pictures into
    :func:`pictures_dir`; return the JSON content.

    Raises
    ------
    InputError
        No successful record in any of the collections.
    """
    rows, failed, links, root_of = _collect_rows(roots)
    summary = summarise(rows)
    seqs = by_sequence(rows)
    lossy = [(i, r) for i, r in enumerate(rows) if math.isfinite(r["ssim"])]
    worst_rows = sorted(lossy, key=lambda ir: ir[1]["ssim"])[:worst]
    grainy = [(i, r) for i, r in lossy if r.get("grain_corr") is not None]
    least_grain = sorted(grainy, key=lambda ir: ir[1]["grain_corr"])[:worst]
    wall = wall_seconds(rows)
    data = {"summary": summary, "sequences": seqs, "failed_frames": failed, "links": links, "wall_seconds": wall,
            "frames": rows}
    outp = Path(out)
    _write_data_files(outp, data, rows)
    figs = _histograms(rows)
    cols = [("profile", "profile"), ("codec", "codec"), ("files", "files"), ("bytes_before", "before"),
            ("bytes_after", "after"), ("ratio", "ratio :1"), ("saved_pct", "% saved"), ("ssim_mean", "SSIM mean"),
            ("ssim_min", "SSIM min"), ("psnr_mean", "PSNR mean"), ("psnr_min", "PSNR min"),
            ("encodes_per_frame", "encodes/frame"), ("seconds_per_frame", "s/frame"), ("wall_seconds", "wall s"),
            ("lossless_fallbacks", "lossless fallbacks"), *FILM_COLUMNS]
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>qualipress collection report</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;"
             "margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;font-size:13px;text-align:right}"
             "th{background:#eee}figure{display:inline-block;margin:0.5em}</style></head><body>",
             "<h1>Collection report</h1>",
             f"<p>{len(rows)} frames, {failed} failed"
             + (f", {links} link(s) to frames (kept as links)" if links else "")
             + f". Storage: {_fmt_bytes(sum(r['source_bytes'] for r in rows))}"
             f" → {_fmt_bytes(sum(r['output_bytes'] for r in rows))} over all profiles. Wall time: "
             + (f"{wall:.1f} s (first frame start to last frame end of each collection; per-worker seconds "
                f"sum to {sum(r['seconds'] for r in rows):.1f} s)." if wall is not None
                else "not recorded (records without film timestamps).") + "</p>",
             "<h2>Per profile and codec</h2>", _table(summary, cols)]
    for title, uri in figs:
        parts.append(f"<figure><img src='{uri}' alt='{html.escape(title)}'><figcaption>{html.escape(title)}"
                     "</figcaption></figure>")
    pictures = _Pictures(pictures_dir(outp))
    if worst_rows:
        parts += _worst_table("Worst frames (lowest SSIM)", worst_rows, root_of, pictures)
    if least_grain:
        parts += _worst_table("Least grain kept (lowest flat-area grain correlation)", least_grain, root_of,
                              pictures)
    parts += ["<h2>Per sequence</h2>", _table(seqs, [
        ("profile", "profile"), ("sequence", "sequence"), ("files", "files"), ("bytes_before", "before"),
        ("bytes_after", "after"), ("ratio", "ratio :1"), ("ssim_min", "SSIM min"), ("codecs", "codecs"),
        *FILM_COLUMNS])]
    skipped = [r for r in rows if r.get("film_not_applied")]
    if skipped:
        parts.append("<h2>Film checks that could not apply</h2>" + _table(
            skipped, [("source", "frame"), ("profile", "profile"), ("film_not_applied", "why")]))
    damaged = [r for r in rows if r.get("damaged")]
    if damaged:
        parts.append("<h2>Damaged source files (archived byte for byte as they are)</h2>" + _table(
            damaged, [("source", "file"), ("damaged", "what is wrong")]))
    parts.append(f"<p>Data: <a href='{outp.with_suffix('.csv').name}'>CSV</a>, "
                 f"<a href='{outp.with_suffix('.json').name}'>JSON</a>.</p></body></html>")
    atomic_write_bytes(outp, "\n".join(parts).encode(errors="surrogateescape"))  # names: the file system's bytes
    pictures.prune()
    data["pictures"] = len(pictures.written)
    return data


def _collect_rows(roots: Iterable[str | Path]) -> tuple[list[dict[str, Any]], int, int, dict[int, Path]]:
    """Normalised successful records of every collection, the failed-frame count, the link-record count (links
    to frames an archive keeps as links: ``manifest.LINK``) and each row's collection."""
    rows: list[dict[str, Any]] = []
    failed = links = 0
    root_of: dict[int, Path] = {}
    for root in roots:
        rp = Path(root)
        recs = manifest.current_entries(manifest.load(rp)) or _run_report_entries(rp)
        if not recs:
            raise InputError(f"{rp}: no {manifest.MANIFEST} or {REPORT_NAME} (not a qualipress collection or "
                             "compress output folder)")
        for rec in recs:
            n = normalise(rec)
            if n is None:
                links += rec.get("status") == manifest.LINK
                failed += rec.get("status", "ok") not in ("ok", manifest.LINK)
                continue
            root_of[len(rows)] = rp
            n["collection"] = str(rp)
            rows.append(n)
    if not rows:
        raise InputError("no successfully processed frame in the given collections")
    return rows, failed, links, root_of


def _run_report_entries(root: Path) -> list[dict[str, Any]]:
    """A compress output folder's run report (``--for web`` or ``--no-film``: no film manifest) as manifest-like
    records; a later line for the same input (a rerun) supersedes an earlier one. Empty when there is none."""
    path = root / REPORT_NAME
    if not path.is_file():
        return []
    latest: dict[str, dict[str, Any]] = {}
    for r in read_jsonl(path):
        if not r.get("input"):
            continue
        metrics = {m: v.get("value") if isinstance(v, dict) else v for m, v in (r.get("metrics") or {}).items()}
        latest[str(r["input"])] = {
            **r, "status": "failed" if r.get("error") or not r.get("output") else "ok", "source": r["input"],
            "source_path": r["input"], "metrics": metrics, "lossless": r.get("setting") is None,
        }
    return list(latest.values())


def _write_data_files(outp: Path, data: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """The report's JSON (``data``) and CSV (``rows``) beside ``outp``, written atomically."""
    atomic_write_bytes(outp.with_suffix(".json"), json.dumps(data, indent=1, default=str).encode())
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
    # a name that is not UTF-8 as the file system holds it, as SHA256SUMS has it (rev20b: UnicodeEncodeError)
    atomic_write_bytes(outp.with_suffix(".csv"), buf.getvalue().encode(errors="surrogateescape"))
