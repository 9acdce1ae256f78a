"""Search efficiency against an exhaustive sweep of the same codec settings (``qualipress bench search``)."""

from __future__ import annotations

import json
import math
import platform
import re
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from qualipress import codecs as _codecs
from qualipress import metrics as _metrics
from qualipress.errors import InputError, TargetError, UnsupportedError
from qualipress.io import IMAGE_SUFFIXES, atomic_write_bytes, read_image, sha256_file
from qualipress.metrics import core as _core
from qualipress.profiles import get_profile
from qualipress.search import Constraint, Hint, Target, measure_encoded, parse_target, probe, search
from qualipress.search import drops as _drops

#: Measurements a sweep row holds: the whole-image values and the tile statistics targets may use.
_SWEEP_KEYS = ("ssim", "psnr", "ssim@min", "ssim@p1", "ssim@p5", "psnr@min", "psnr@p1", "psnr@p5")


def _key(c: Constraint) -> str:
    return c.metric if c.stat == "mean" else f"{c.metric}@{c.stat}"


def sweep(image: Any, codec_name: str, cache: dict[str, Any], key: str) -> list[dict[str, float]]:
    """Encode at every grid setting; cached by (image hash, codec, version, setting)."""
    codec = _codecs.get(codec_name)
    ck = f"{key}|{codec_name}|{codec.version()}|v2"
    if ck in cache:
        return cache[ck]  # type: ignore[no-any-return]
    rows = []
    assert codec.info.quality is not None
    ref = _metrics.prepare_reference(image)
    for q in codec.info.quality.grid:
        pr = probe(image, codec, q, reference=ref, metrics=("ssim", "psnr"))
        m = pr.metrics
        row: dict[str, Any] = {"setting": q, "bytes": pr.bytes}
        for k in _SWEEP_KEYS:
            metric, _, stat = k.partition("@")
            row[k] = m[metric].stat(stat or "mean")
        rows.append(row)
    lossless_codec = codec if codec.info.lossless else _codecs.get(codec.info.lossless_fallback or "png")
    rows.append({"setting": None, "bytes": len(lossless_codec.encode(image, lossless=True)),
                 **{k: _metrics.spec(k.partition("@")[0]).perfect for k in _SWEEP_KEYS}})
    cache[ck] = rows
    return rows


def resolve_target(text: str) -> Target:
    """A target string, or a profile name (``C1``).

    Raises
    ------
    TargetError
        A constraint the exhaustive sweep does not measure (only whole-image SSIM and PSNR and their tile
        statistics: no byte budget, ROI scope or other metric).
    """
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", text.strip()):
        tgt = get_profile(text.strip()).target
    else:
        tgt = parse_target(text)
    for c in tgt.constraints:
        if c.scope is not None or c.op != ">=" or _key(c) not in _SWEEP_KEYS:
            raise TargetError(f"bench search: {text!r} has {c}, which its exhaustive sweep does not measure "
                              "(targets here use ssim and psnr, whole image or @min/@p1/@p5)")
    return tgt


def run_search_bench(dataset: str | Path, output: str | Path, *, codecs: Sequence[str] = ("jpeg", "jpegxl"),
                     targets: Sequence[str] = ("ssim>=0.90", "ssim>=0.95", "ssim>=0.99"),
                     limit: int | None = None, modes: Sequence[str] = ("cold", "warm"),
                     log: Callable[[str], Any] = print) -> dict[str, Any]:
    """Search every image and compare with the exhaustive sweep.

    ``cold``: each image alone, as a single-image run would (no warm start; the setting predictor gives the
    first probe). ``warm``: the images in order, each started from the previous one's :class:`Hint`, as in a batch.
    ``baseline``: cold without the predictor (the first probe 55 % up the grid), for comparison.
    Times are CPU seconds of this process (the machine is shared, wall time is noise); ``x encode`` divides the
    search's CPU time by one encode at the setting it chose. Encodes count full-image probes; the half-image
    mosaic probes that steer the first one (:mod:`qualipress.search.proxy`) are counted apart, and their time is
    in the search's.
    """
    resolved = {t: resolve_target(t) for t in targets}  # refused before any work
    for codec_name in codecs:
        if _codecs.get(codec_name).info.quality is None:
            raise UnsupportedError(f"bench search: {codec_name} has no quality setting to search")
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    files = _bench_files(dataset, limit)
    cache_path = out / "sweep-cache.json"
    cache: dict[str, Any] = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    images = [(f, read_image(f), sha256_file(f)) for f in files]
    rows: list[dict[str, Any]] = []
    for codec_name in codecs:
        codec = _codecs.get(codec_name)
        assert codec.info.quality is not None
        grid = list(codec.info.quality.grid)
        for f, img, sha in images:
            t0 = time.perf_counter()
            sweep(img, codec_name, cache, sha)
            log(f"sweep {codec_name} {f.name} {time.perf_counter() - t0:.1f}s")
            atomic_write_bytes(cache_path, json.dumps(cache).encode())
        # untimed warm-ups: the first search of a process loads the predictor and the compiled metric kernels, the
        # first one with a tile statistic its own kernels (QA: 2.17 s and 0.60 s against 0.02-0.04 s for the next
        # ones, so JPEG read '635.9x' and '138.4x one encode'). The metric kernels are loaded first, so a process
        # measures through them from the warm-ups on (by default it would switch after its 100th measurement, in
        # the middle of the timed searches; metrics.core.USE_FUSED): the timed figures are a long run's.
        if _core.USE_FUSED is not False:
            _core._fused()
        for tgt_text in targets:
            search(images[0][1], codec_name, resolved[tgt_text])
        for tgt_text in targets:
            tgt = resolved[tgt_text]
            for mode in modes:
                hint: Hint | None = None
                for f, img, sha in images:
                    t0 = time.process_time()
                    res = search(img, codec_name, tgt, start=hint if mode == "warm" else None,
                                 predict=mode != "baseline")
                    secs = time.process_time() - t0
                    if mode == "warm":
                        hint = getattr(res, "hint", None) or hint
                    sw = cache[f"{sha}|{codec_name}|{codec.version()}|v2"]
                    rows.append({"image": f.name, "codec": codec_name, "target": tgt_text, "mode": mode,
                                 **_compared(res, img, tgt, sw, secs), "grid_size": len(grid)})
                sel = [r for r in rows if r["codec"] == codec_name and r["target"] == tgt_text and r["mode"] == mode]
                log(f"{codec_name} {tgt_text} {mode}: encodes {np.mean([r['encodes'] for r in sel]):.2f}, bytes "
                    f"+{100 * (sum(r['bytes'] for r in sel) / sum(r['exhaustive_bytes'] for r in sel) - 1):.2f}%")
    md = _table(rows, dataset)
    atomic_write_bytes(out / "search-bench.json", json.dumps(rows, indent=1).encode())
    atomic_write_bytes(out / "search-bench.md", md.encode())
    return {"rows": rows, "markdown": md}


def _bench_files(dataset: str | Path, limit: int | None) -> list[Path]:
    """The images directly in ``dataset`` (not its sub-directories), by name, the first ``limit``.

    Raises
    ------
    InputError
        ``dataset`` is not a directory, or holds no image.
    """
    if not Path(dataset).is_dir():
        raise InputError(f"bench search: {dataset} is not a directory of images")
    files = sorted(p for p in Path(dataset).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    if not files:
        raise InputError(f"bench search: {dataset} holds no images")
    return files


def _compared(res: Any, image: Any, target: Target, sweep_rows: list[dict[str, Any]],
              seconds: float) -> dict[str, Any]:
    """A search result's figures beside the exhaustive sweep's: encodes, bytes and setting against the smallest
    passing sweep row, whether its file (decoded again) meets ``target``, its CPU ``seconds`` and one encode's at
    its setting, and the predictor's first index and bracket against the lowest passing grid index."""
    rc = _codecs.get(res.codec)
    again = measure_encoded(res.data, rc, image, metrics=target.metrics).metrics
    ok = [r for r in sweep_rows if all(r[_key(c)] >= c.value for c in target.constraints)]
    best = min(ok, key=lambda r: r["bytes"])
    lowest = next((k for k, r in enumerate(sweep_rows[:-1]) if r in ok), None)
    enc_s = _encode_seconds(rc, res, image)
    pred = res.prediction
    return {"encodes": res.encodes, "steering": res.steering,
            "bytes": len(res.data), "exhaustive_bytes": best["bytes"],
            "setting": res.setting, "exhaustive_setting": best["setting"],
            "met": bool(target.satisfied(again)), "fallback": res.fallback, "cpu_seconds": seconds,
            "encode_cpu_seconds": enc_s,
            "predicted_index": None if pred is None else pred.index,
            "predicted_bracket": None if pred is None else [pred.low, pred.high],
            "lowest_passing_index": lowest,
            "probes": [[p.setting, p.passed, round(float(p.margin), 5), p.bytes] for p in res.probes],
            "guard_probes": sum(_drops.NOTE_MARK in n for n in res.notes)}


def _encode_seconds(codec: Any, res: Any, image: Any, repeats: int = 3) -> float:
    """CPU seconds of one encode at the result's setting (best of ``repeats``)."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.process_time()
        codec.encode(image, quality=res.setting, lossless=res.lossless)
        best = min(best, time.process_time() - t0)
    return best


def _table(rows: list[dict[str, Any]], dataset: str | Path) -> str:
    lines = [f"Search efficiency on {Path(dataset).name} ({len({r['image'] for r in rows})} images), "
             f"{platform.machine()}, {date.today().isoformat()}", "",
             "| codec | target | mode | misses | mean encodes/image | max | half-image probes/image | "
             "excess bytes vs exhaustive | search CPU / one encode | predictor error (grid steps) | in bracket |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    keys = dict.fromkeys((r["codec"], r["target"], r["mode"]) for r in rows)
    for codec, tgt, mode in keys:
        sel = [r for r in rows if r["codec"] == codec and r["target"] == tgt and r["mode"] == mode]
        lines.append(_line(sel, f"{codec} | {tgt} | {mode}"))
    for mode in dict.fromkeys(r["mode"] for r in rows):
        lines.append(_line([r for r in rows if r["mode"] == mode], f"**all** | | {mode}"))
    return "\n".join(lines) + "\n"


def _line(sel: list[dict[str, Any]], label: str) -> str:
    tb, eb = sum(r["bytes"] for r in sel), sum(r["exhaustive_bytes"] for r in sel)
    ratio = np.mean([r["cpu_seconds"] / max(r["encode_cpu_seconds"], 1e-6) for r in sel])
    errs = [r["lowest_passing_index"] - r["predicted_index"] for r in sel
            if r["predicted_index"] is not None and r["lowest_passing_index"] is not None]
    inside = [r["predicted_bracket"][0] - 1 <= r["lowest_passing_index"] <= r["predicted_bracket"][1] + 1
              for r in sel if r["predicted_bracket"] is not None and r["lowest_passing_index"] is not None]
    perr = f"{np.mean(np.abs(errs)):.2f} (bias {np.mean(errs):+.2f})" if errs else "–"
    pin = f"{100 * np.mean(inside):.0f} %" if inside else "–"
    steer = np.mean([r.get("steering", 0) for r in sel])
    return (f"| {label} | {sum(not r['met'] for r in sel)} | {np.mean([r['encodes'] for r in sel]):.2f} | "
            f"{max(r['encodes'] for r in sel)} | {steer:.2f} | {100 * (tb / eb - 1):+.2f}% | {ratio:.1f}x | "
            f"{perr} | {pin} |")
