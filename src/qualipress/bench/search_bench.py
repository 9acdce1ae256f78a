"""Search efficiency against an exhaustive sweep of the same codec settings (``qualipress bench search``)."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from qualipress import codecs as _codecs
from qualipress import metrics as _metrics
from qualipress.io import IMAGE_SUFFIXES, atomic_write_bytes, read_image, sha256_file
from qualipress.search import Hint, parse_target, search


def sweep(image: Any, codec_name: str, cache: dict[str, Any], key: str) -> list[dict[str, float]]:
    """Encode at every grid setting; cached by (image hash, codec, version, setting)."""
    codec = _codecs.get(codec_name)
    ck = f"{key}|{codec_name}|{codec.version()}"
    if ck in cache:
        return cache[ck]  # type: ignore[no-any-return]
    rows = []
    assert codec.info.quality is not None
    ref = _metrics.prepare_reference(image)
    for q in codec.info.quality.grid:
        data = codec.encode(image, quality=q)
        dec = _codecs.decode_like(codec, data, image)
        m = _metrics.measure(ref, dec, ("ssim", "psnr"))
        rows.append({"setting": q, "bytes": len(data), "ssim": m["ssim"].value, "psnr": m["psnr"].value})
    lossless_codec = codec if codec.info.lossless else _codecs.get(codec.info.lossless_fallback or "png")
    rows.append({"setting": None, "bytes": len(lossless_codec.encode(image, lossless=True)), "ssim": 1.0,
                 "psnr": 100.0})
    cache[ck] = rows
    return rows


def run_search_bench(dataset: str | Path, output: str | Path, *, codecs: Sequence[str] = ("jpeg", "jpegxl"),
                     targets: Sequence[str] = ("ssim>=0.90", "ssim>=0.95", "ssim>=0.99"),
                     limit: int | None = None, log: Callable[[str], Any] = print) -> dict[str, Any]:
    """Run the search on every image (in order, warm-started like a batch) and compare with the sweep."""
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in Path(dataset).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    cache_path = out / "sweep-cache.json"
    cache: dict[str, Any] = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    images = [(f, read_image(f), sha256_file(f)) for f in files]
    rows: list[dict[str, Any]] = []
    for codec_name in codecs:
        for f, img, sha in images:
            t0 = time.perf_counter()
            sweep(img, codec_name, cache, sha)
            log(f"sweep {codec_name} {f.name} {time.perf_counter() - t0:.1f}s")
            atomic_write_bytes(cache_path, json.dumps(cache).encode())
        for tgt_text in targets:
            tgt = parse_target(tgt_text)
            hint: Hint | None = None
            for f, img, sha in images:
                t0 = time.perf_counter()
                res = search(img, codec_name, tgt, start=hint)
                secs = time.perf_counter() - t0
                hint = getattr(res, "hint", None) or hint
                codec = _codecs.get(res.codec)
                dec = _codecs.decode_like(codec, res.data, img)
                again = _metrics.measure(img, dec, tgt.metrics)
                sw = cache[f"{sha}|{codec_name}|{_codecs.get(codec_name).version()}"]
                ok = [r for r in sw if all(r[c.metric] >= c.value for c in tgt.constraints)]
                best = min(ok, key=lambda r: r["bytes"])
                rows.append({"image": f.name, "codec": codec_name, "target": tgt_text, "encodes": res.encodes,
                             "bytes": len(res.data), "exhaustive_bytes": best["bytes"],
                             "setting": res.setting, "exhaustive_setting": best["setting"],
                             "met": bool(tgt.satisfied(again)), "fallback": res.fallback, "seconds": secs})
            sel = [r for r in rows if r["codec"] == codec_name and r["target"] == tgt_text]
            log(f"{codec_name} {tgt_text}: encodes {np.mean([r['encodes'] for r in sel]):.2f}, "
                f"bytes +{100 * (sum(r['bytes'] for r in sel) / sum(r['exhaustive_bytes'] for r in sel) - 1):.2f}%")
    md = _table(rows, dataset)
    atomic_write_bytes(out / "search-bench.json", json.dumps(rows, indent=1).encode())
    atomic_write_bytes(out / "search-bench.md", md.encode())
    return {"rows": rows, "markdown": md}


def _table(rows: list[dict[str, Any]], dataset: str | Path) -> str:
    lines = [f"Search efficiency on {Path(dataset).name} ({len({r['image'] for r in rows})} images), "
             f"{platform.machine()}, {date.today().isoformat()}", "",
             "| codec | target | misses | mean encodes/image | max | total bytes | exhaustive minimum | excess |",
             "|---|---|---|---|---|---|---|---|"]
    keys = dict.fromkeys((r["codec"], r["target"]) for r in rows)
    all_sel = []
    for codec, tgt in keys:
        sel = [r for r in rows if r["codec"] == codec and r["target"] == tgt]
        all_sel += sel
        tb, eb = sum(r["bytes"] for r in sel), sum(r["exhaustive_bytes"] for r in sel)
        lines.append(f"| {codec} | {tgt} | {sum(not r['met'] for r in sel)} | "
                     f"{np.mean([r['encodes'] for r in sel]):.2f} | {max(r['encodes'] for r in sel)} | {tb:,} | "
                     f"{eb:,} | {100 * (tb / eb - 1):+.2f}% |")
    tb, eb = sum(r["bytes"] for r in all_sel), sum(r["exhaustive_bytes"] for r in all_sel)
    lines.append(f"| **all** | | {sum(not r['met'] for r in all_sel)} | "
                 f"{np.mean([r['encodes'] for r in all_sel]):.2f} | {max(r['encodes'] for r in all_sel)} | "
                 f"{tb:,} | {eb:,} | {100 * (tb / eb - 1):+.2f}% |")
    return "\n".join(lines) + "\n"
