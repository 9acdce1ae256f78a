"""The rate–distortion sweep: datasets × codecs × quality settings × metrics, cached per row.

Every row (one image, one codec, one setting) is cached in ``<outdir>/cache.jsonl`` under the key
``(image sha256, codec, codec version, setting)``; a rerun computes only rows that are missing, whose codec
version changed (for learned codecs the version includes the weights fingerprint), or that lack a requested
metric. Outputs are written atomically:

- ``<codec>.json`` per codec, in CompressAI's results format
  (``{"name", "description", "results": {"bpp": [...], "psnr-rgb": [...], ...}}``, one entry per setting,
  each the mean over images, as ``compressai.utils.bench`` averages);
- ``rows.csv``: one row per image and setting;
- ``summary.json``: what ran, the BD tables (see :mod:`qualipress.rd.bd`), errors.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import qualipress.detect as det
from qualipress import metrics as _metrics
from qualipress.detect import detect, match_regions
from qualipress.errors import InputError, QualipressError, UnsupportedError
from qualipress.io import (
    append_jsonl,
    atomic_write_text,
    dataset_images,
    read_image,
    read_jsonl,
    remove_stale_temps,
    sha256_file,
)
from qualipress.io.discover import LOCK_NAME
from qualipress.io.files import exclusive_lock
from qualipress.pipeline.runner import WorkerCrashedError, run_tasks
from qualipress.rd.bd import bd_tables
from qualipress.rd.report import html_report, plot_rd
from qualipress.search.probe import probe

#: Tasks of ``--task`` (coding for machines) -> detector class in :mod:`qualipress.detect`.
TASKS = {"faces": "faces", "persons": "persons"}

#: Detections scoring below this are ignored on both the original and the decoded image.
TASK_MIN_SCORE = 0.5

#: A detection on the decoded image matches one on the original (same label) at this IoU or more.
TASK_IOU = 0.5


def _r(lo: float, hi: float, step: float) -> list[float]:
    n = int(round((hi - lo) / step))
    return [round(lo + i * step, 6) for i in range(n + 1)]


def metric_key(name: str) -> str:
    """Results column of a metric (``psnr`` -> ``psnr-rgb`` as in CompressAI): the metric spec's ``key``."""
    s = _metrics.lookup(name)
    return name if s is None else s.key


def default_sweep(codec: Any) -> list[float]:
    """Quality settings swept for ``codec`` when the user gives none."""
    if codec.info.sweep:
        return list(codec.info.sweep)
    q = codec.info.quality
    if q is None:
        raise UnsupportedError(f"codec {codec.name!r} has no lossy quality setting to sweep")
    grid = list(q.grid)
    if len(grid) <= 8:
        return grid
    idx = np.linspace(0, len(grid) - 1, 8).round().astype(int)
    return [grid[i] for i in idx]


def parse_qualities(specs: Sequence[str], codecs: Sequence[str]) -> dict[str, list[float]]:
    """Parse ``--qualities`` values.

    Each spec is ``LIST`` (applies to every codec) or ``CODEC=LIST``; ``LIST`` is comma-separated numbers
    and ``lo:hi:step`` ranges, e.g. ``jpeg=5:95:5`` or ``learned:bmshj2018-hyperprior=1,2,3,4``.

    Raises
    ------
    InputError
        Malformed spec or a codec that is not being benchmarked.
    """
    out: dict[str, list[float]] = {}
    for spec in specs:
        for part in spec.split(";"):
            part = part.strip()
            if not part:
                continue
            target, values = None, part
            if "=" in part:
                target, values = part.rsplit("=", 1)
                target = target.strip()
                if target not in codecs:
                    raise InputError(f"--qualities names {target!r}, which is not in --codecs")
            vals: list[float] = []
            try:
                for tok in values.split(","):
                    tok = tok.strip()
                    if tok.count(":") == 2:
                        lo, hi, st = (float(v) for v in tok.split(":"))
                        if st <= 0 or hi < lo:
                            raise ValueError
                        vals.extend(_r(lo, hi, st))
                    elif tok:
                        vals.append(float(tok))
            except ValueError:
                raise InputError(f"cannot parse quality list {values!r} (numbers, or lo:hi:step)") from None
            if not vals:
                raise InputError(f"empty quality list in {part!r}")
            for name in [target] if target else codecs:
                out[name] = vals
    return out



def _read(path: Path) -> Any:

    img = read_image(path)
    if img.is_float:
        raise UnsupportedError(f"{path.name}: float images are not part of RD sweeps")
    if img.has_alpha:
        img = img.color()
    return img


def codec_version(codec: Any, setting: float | None = None) -> str:
    """Version string that keys the cache (learned codecs add their weights fingerprint)."""
    fn = getattr(codec, "cache_version", None)
    if callable(fn):
        return str(fn(setting))
    return str(codec.version())


def _options_tag(options: dict[str, Any] | None) -> str:
    """Encode options other than ``weights`` (already in a learned codec's version), appended to the cache
    version so that rows coded with other options (e.g. ``refine=30``) are never taken for each other."""
    extra = sorted((k, v) for k, v in (options or {}).items() if k != "weights")
    return "".join(f" {k}={v!r}" for k, v in extra)


def _setting_key(v: float) -> str:
    return f"{float(v):g}"


def row_key(image_hash: str, codec: str, version: str, setting: float) -> str:
    """Cache key of one row."""
    return f"{image_hash}|{codec}|{version}|{_setting_key(setting)}"


@dataclass
class Unit:
    """Work for one worker: one image, one codec, the settings still missing."""

    path: Path
    image_hash: str
    codec: str
    settings: list[float]
    versions: dict[str, str]
    metrics: list[str]
    task: str | None
    encode_options: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    task_version: str = ""


def task_version(task: str) -> str:
    """Fingerprint of the detector code and settings used by ``task`` (task rows are cached under it)."""
    h = hashlib.sha256(f"{task}|{TASK_MIN_SCORE}".encode())
    for f in sorted(Path(det.__file__).parent.glob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _codec_with(name: str, options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The codec ``name`` (harness reference or core table) coding with the user weights in ``options`` when it
    takes weights (a learned codec), and the options left for its encoder."""
    from qualipress.rd.reference import get_codec

    codec, rest = get_codec(name), dict(options)
    if "weights" in rest and hasattr(codec, "with_weights"):
        codec = codec.with_weights(rest.pop("weights"))
    return codec, rest


def task_settings(task: str) -> dict[str, Any]:
    """What the ``f1-<task>`` columns mean (thresholds, detector, averaging), written into ``summary.json``."""
    return {"detector": TASKS[task], "min_score": TASK_MIN_SCORE, "iou": TASK_IOU, "version": task_version(task),
            "f1": f"one-to-one matches (same label, IoU >= {TASK_IOU}) between the detections scoring >= "
                  f"{TASK_MIN_SCORE} on the original and on the decoded image; f1-{task}: matches summed over "
                  f"images (micro); f1-{task}-image-mean: mean of per-image F1, 1 where neither side detects"}


def _check_depth(codec: Any, image: Any) -> None:
    """Refuse an image deeper than ``codec`` stores. Most codecs refuse it themselves; a learned codec converts it
    to 8 bits, and its rows would then be measured against an 8-bit copy of the source rather than the source."""
    if too_deep := codec.depth_refusal(image.bit_depth):
        raise UnsupportedError(f"{too_deep} (convert the dataset to a depth every codec stores)")


def _task_regions(image: Any, task: str) -> list[Any]:

    return detect(image, (TASKS[task],), min_score=TASK_MIN_SCORE)


def run_unit(unit: Unit) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Encode, decode and measure one image at each missing setting of one codec.

    Returns ``(rows, errors)``; an error in one setting is reported and the others still run.
    """
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    try:
        codec, options = _codec_with(unit.codec, unit.encode_options)
        image = _read(unit.path)
        _check_depth(codec, image)
        ref_regions = _task_regions(image, unit.task) if unit.task else None
    except QualipressError as exc:
        return [], [{"image": str(unit.path), "codec": unit.codec, "setting": None, "error": str(exc)}]
    n_pix = image.width * image.height
    ref = _metrics.prepare_reference(image)
    for setting in unit.settings:
        try:
            pr = probe(image, codec, setting, reference=ref, metrics=unit.metrics, options=options)
            data, decoded = pr.data, pr.decoded
            row: dict[str, Any] = {
                "key": row_key(unit.image_hash, unit.codec, unit.versions[_setting_key(setting)], setting),
                "image": unit.name or unit.path.name,
                "image_sha256": unit.image_hash,
                "codec": unit.codec,
                "version": unit.versions[_setting_key(setting)],
                "setting": float(setting),
                "width": image.width,
                "height": image.height,
                "bytes": len(data),
                "bpp": len(data) * 8.0 / n_pix,
                "encoding_time": pr.encode_seconds,
                "decoding_time": pr.decode_seconds,
                "metrics": {metric_key(name): float(pr.metrics[name].value) for name in unit.metrics},
            }
            if unit.task:
                agree = match_regions(ref_regions or [], _task_regions(decoded, unit.task), iou_threshold=TASK_IOU)
                row["metrics"][f"f1-{unit.task}"] = float(agree.f1)
                row["tasks"] = {unit.task: {"matched": agree.matched, "n_reference": agree.n_reference,
                                            "n_candidate": agree.n_candidate, "version": unit.task_version}}
            rows.append(row)
        except QualipressError as exc:
            errors.append({"image": str(unit.path), "codec": unit.codec, "setting": float(setting), "error": str(exc)})
    return rows, errors


class RowCache:
    """Append-only JSON-lines cache of result rows (later lines win)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, dict[str, Any]] = {}
        for row in read_jsonl(path):  # a line cut short by a crash is skipped: recomputed
            if "key" in row:
                self.rows[row["key"]] = row

    def get(self, key: str) -> dict[str, Any] | None:
        return self.rows.get(key)

    def add(self, rows: Sequence[dict[str, Any]]) -> None:
        for row in rows:
            old = self.rows.get(row["key"])
            if old is not None:  # keep metrics computed earlier that this run did not ask for
                merged = dict(old.get("metrics", {}))
                merged.update(row["metrics"])
                tasks = dict(old.get("tasks", {}))
                tasks.update(row.get("tasks", {}))
                row = {**row, "metrics": merged, "tasks": tasks}
            self.rows[row["key"]] = row
            append_jsonl(self.path, row)


@dataclass
class RdResult:
    """What :func:`run_rd` produced."""

    outdir: Path
    rows: list[dict[str, Any]]
    curves: dict[str, dict[str, Any]]
    bd: dict[str, Any]
    errors: list[dict[str, Any]]
    computed: int
    cached: int
    #: Images left out of every curve (display name -> reason): they lack a row for some codec and setting.
    left_out: dict[str, str] = field(default_factory=dict)


def safe_name(codec: str) -> str:
    """File-name form of a codec name (``learned:x`` -> ``learned_x``)."""
    return codec.replace(":", "_").replace("/", "_")


def aggregate(
    rows: Sequence[dict[str, Any]],
    codec: str,
    settings: Sequence[float],
    n_images: int,
    metrics: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Mean over images per setting (CompressAI's way), as ``{"bpp": [...], metric: [...], ...}``.

    A setting is kept only when every image has a row (so every point averages the same images). ``metrics``
    restricts the columns (default: every metric found in the rows).
    Task F1 ``f1-<task>`` is the micro-F1 over all images (matches summed); ``f1-<task>-image-mean`` is the
    mean of per-image F1 (an image where neither side finds anything counts as 1).
    """
    by_setting: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["codec"] == codec:
            by_setting.setdefault(_setting_key(r["setting"]), []).append(r)
    out: dict[str, list[float]] = {"quality": [], "bpp": [], "encoding_time": [], "decoding_time": []}
    metric_names: list[str] = []
    for rr in by_setting.values():
        for r in rr:
            for m in r["metrics"]:
                if m not in metric_names and (metrics is None or m in metrics):
                    metric_names.append(m)
    for m in metric_names:
        out[m] = []
    for s in settings:
        rr = by_setting.get(_setting_key(s), [])
        if len(rr) < n_images or not rr:
            continue
        out["quality"].append(float(s))
        for k in ("bpp", "encoding_time", "decoding_time"):
            out[k].append(float(np.mean([r[k] for r in rr])))
        for m in metric_names:
            if m.startswith("f1-"):
                counts = [r["tasks"][m[3:]] for r in rr]
                matched = sum(c["matched"] for c in counts)
                nref = sum(c["n_reference"] for c in counts)
                ncand = sum(c["n_candidate"] for c in counts)
                out[m].append(2 * matched / (nref + ncand) if nref + ncand else 1.0)
                out.setdefault(f"{m}-image-mean", []).append(float(np.mean([r["metrics"][m] for r in rr])))
            else:
                vals = [r["metrics"].get(m, math.nan) for r in rr]
                out[m].append(float(np.mean(vals)))
    return out


def run_rd(
    dataset: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    outdir: str | os.PathLike[str],
    *,
    codecs: Sequence[str],
    qualities: dict[str, list[float]] | None = None,
    metrics: Sequence[str] = ("psnr", "ms-ssim"),
    anchor: str | None = "jpeg",
    task: str | None = None,
    jobs: int = 1,
    limit: int | None = None,
    encode_options: dict[str, dict[str, Any]] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    report: bool = False,
) -> RdResult:
    """Run (or continue) an RD benchmark and write its outputs.

    Parameters
    ----------
    dataset : path or sequence of paths
        Directory of images (recursive) or explicit files.
    outdir : path
        Output directory (holds the row cache, so reruns are incremental).
    codecs : sequence of str
        Codec names (core table, ``learned:<arch>``, or ``pillow-jpeg``).
    qualities : dict, optional
        Codec -> settings; default :func:`default_sweep`.
    metrics : sequence of str
        Metric names from :mod:`qualipress.metrics` (``psnr``, ``ms-ssim``, ``ssim``, ``ssimulacra2``...).
    anchor : str or None
        Codec the BD tables are relative to (must be among ``codecs``).
    task : {"faces", "persons"} or None
        Coding for machines: also measure detector agreement (F1 at IoU 0.5) between original and decoded.
    jobs : int
        Worker processes (1: in this process).
    limit : int, optional
        Use only the first ``limit`` images.
    encode_options : dict, optional
        Codec -> extra encode options (e.g. ``{"learned:...": {"weights": "model.pt"}}``).
    progress : callable, optional
        ``progress(done, total, label)`` after each unit.
    report : bool
        Also write ``rd.png`` and ``report.html`` (when a curve has a point), under the lock like the rest.

    Raises
    ------
    InputError
        Empty dataset, unknown task, anchor not among the codecs.
    UnsupportedError, CodecUnavailableError
        A codec name that does not resolve.
    OutputError
        Another run is writing into ``outdir`` (one at a time, under the lock ``compress`` takes).
    """

    out = Path(outdir)
    codec_objs, sweeps = _resolve_codecs(codecs, metrics, anchor, task, qualities, encode_options or {})
    files = dataset_images(dataset, limit, exclude=[out])  # not its own rd.png when -o is inside the dataset
    versions = {n: {_setting_key(s): codec_version(c, s) + _options_tag((encode_options or {}).get(n))
                    for s in sweeps[n]} for n, c in codec_objs.items()}
    wanted = [metric_key(m) for m in metrics] + ([f"f1-{task}"] if task else [])
    # one run at a time, as compress, archive and label: two runs into one folder computed every row twice (QA 18)
    with exclusive_lock(out / LOCK_NAME, what=str(out)):
        remove_stale_temps(out)  # a killed run's half-written result files (QA session 18)
        cache = RowCache(out / "cache.jsonl")
        rows, units = _plan_units(files, codecs, sweeps, versions, cache, list(metrics), task, wanted,
                                  encode_options or {})
        cached = len(rows)
        computed, errors = _run_units(units, cache, rows, jobs, progress)

        kept, left_out = _common_images(files, codecs, sweeps, rows, errors)
        in_curves = [r for r in rows if r["image"] not in left_out]
        curves = {n: _curve(n, codec_objs[n], in_curves, sweeps[n], len(kept), wanted) for n in codecs}
        for n, curve in curves.items():
            atomic_write_text(out / f"{safe_name(n)}.json", finite_json(curve))
        bd = bd_tables(curves, anchor, [metric_key(m) for m in metrics]) if anchor else {}
        _write_csv(out / "rows.csv", rows, wanted)
        summary = {"dataset": [str(d) for d in ([dataset] if isinstance(dataset, (str, os.PathLike)) else dataset)],
                   "images": [f.name for f in files], "images_left_out": left_out, "codecs": list(codecs),
                   "versions": {n: sorted(set(v.values())) for n, v in versions.items()}, "settings": sweeps,
                   "metrics": wanted, "anchor": anchor, "task": task,
                   "task_settings": task_settings(task) if task else None, "bd": bd, "errors": errors,
                   "rows_computed": computed, "rows_cached": cached, "date": time.strftime("%Y-%m-%d %H:%M:%S")}
        atomic_write_text(out / "summary.json", finite_json(summary))
        if report and any(c["results"]["bpp"] for c in curves.values()):
            keys = [k for k in next(iter(curves.values()))["results"]
                    if k not in ("quality", "bpp", "encoding_time", "decoding_time")]
            plot_rd(curves, out / "rd.png", metrics=keys)
            html_report(out)
    return RdResult(out, rows, curves, bd, errors, computed, cached, left_out)


def _common_images(files: Sequence[Path], codecs: Sequence[str], sweeps: dict[str, list[float]],
                   rows: list[dict[str, Any]], errors: list[dict[str, Any]]) -> tuple[list[Path], dict[str, str]]:
    """The images every curve averages over, and those left out with the reason (display name -> reason).

    Every codec's curve must average the same images, or BD compares different content. An image is kept when
    it has a row for every codec and setting that has a row for some image (a setting that failed everywhere
    drops out of its curve instead); one failing image used to empty every curve that lacked it.
    """
    names = _display_names(files)
    have: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        have.setdefault(r["image"], set()).add((r["codec"], _setting_key(r["setting"])))
    seen = set().union(*have.values()) if have else set()
    pairs = [(n, _setting_key(s)) for n in codecs for s in sweeps[n] if (n, _setting_key(s)) in seen]
    why: dict[str, str] = {}
    for e in errors:
        why.setdefault(e["image"], f"{e['codec']}: {e['error']}")
    kept: list[Path] = []
    left: dict[str, str] = {}
    for f in files:
        missing = [p for p in pairs if p not in have.get(names[f], set())]
        if missing:
            left[names[f]] = why.get(str(f), f"no row for {missing[0][0]} at setting {missing[0][1]}")
        else:
            kept.append(f)
    return kept, left


def finite_json(obj: Any) -> str:
    """``obj`` as strict JSON (indented): NaN and infinite floats (an ``n/a`` BD figure, the mean PSNR of a lossless
    point) become ``null``; ``json.dumps`` would write ``NaN``, which strict readers (``JSON.parse``) refuse."""

    def clean(v: Any) -> Any:
        if isinstance(v, float):
            return v if math.isfinite(v) else None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(obj), indent=2, allow_nan=False)


def _curve(name: str, codec: Any, rows: list[dict[str, Any]], settings: list[float], n_images: int,
           wanted: list[str]) -> dict[str, Any]:
    """One codec's CompressAI-style curve (``name``, ``description``, ``results``)."""
    return {
        "name": name,
        "description": f"qualipress bench rd; {codec.version()}; {n_images} images; "
        f"settings = {codec.info.quality.name}",
        "results": aggregate(rows, name, settings, n_images, wanted),
    }


def _resolve_codecs(
    codecs: Sequence[str],
    metrics: Sequence[str],
    anchor: str | None,
    task: str | None,
    qualities: dict[str, list[float]] | None,
    encode_options: dict[str, dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """Check the run's arguments; the codec objects (with user weights) and each codec's validated sweep."""
    if not codecs:
        raise InputError("no codecs given")
    if task is not None and task not in TASKS:
        raise InputError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
    if anchor is not None and anchor not in codecs:
        raise InputError(f"anchor {anchor!r} is not among the codecs {list(codecs)}")
    for m in metrics:
        _metrics.spec(m)
    codec_objs = {name: _codec_with(name, encode_options.get(name, {}))[0] for name in codecs}
    sweeps = {n: list((qualities or {}).get(n) or default_sweep(c)) for n, c in codec_objs.items()}
    for n, c in codec_objs.items():
        q = c.info.quality
        if q is None:
            raise UnsupportedError(f"codec {n!r} has no quality setting to sweep")
        for s in sweeps[n]:
            q.check(s)
    return codec_objs, sweeps


def _plan_units(
    files: Sequence[Path],
    codecs: Sequence[str],
    sweeps: dict[str, list[float]],
    versions: dict[str, dict[str, str]],
    cache: RowCache,
    metrics: list[str],
    task: str | None,
    wanted: list[str],
    encode_options: dict[str, dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[Unit]]:
    """Rows the cache already holds (current codec and task versions, every wanted metric) and the work left."""
    tversion = task_version(task) if task else ""
    hashes = {f: sha256_file(f) for f in files}
    names = _display_names(files)
    rows: list[dict[str, Any]] = []
    units: list[Unit] = []
    for f in files:
        for n in codecs:
            missing = []
            for s in sweeps[n]:
                row = cache.get(row_key(hashes[f], n, versions[n][_setting_key(s)], s))
                fresh = task is None or (
                    row is not None and row.get("tasks", {}).get(task, {}).get("version") == tversion
                )
                if row is not None and fresh and all(k in row.get("metrics", {}) for k in wanted):
                    rows.append({**row, "image": names[f]})
                else:
                    missing.append(s)
            if missing:
                opts = dict(encode_options.get(n, {}))
                units.append(Unit(f, hashes[f], n, missing, versions[n], metrics, task, opts, names[f], tversion))
    return rows, units


#: How ``run_rd(jobs > 1)`` starts its workers. Not ``fork``: resolving a learned codec's version loads torch
#: (and its OpenMP thread pool) in the parent, and a child forked from a process whose pool has run can hang
#: forever in its first parallel torch operation (issue 16: ``benchmarks/learned_eval.py --jobs 2`` never
#: finished). Spawned workers import what they need themselves.
WORKER_START_METHOD = "spawn"


def _worker_init() -> None:
    """One torch thread per worker, so ``jobs`` workers use ``jobs`` cores (no-op when torch is not loaded)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # read by torch when the worker imports it
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _run_units(
    units: list[Unit],
    cache: RowCache,
    rows: list[dict[str, Any]],
    jobs: int,
    progress: Callable[[int, int, str], None] | None,
) -> tuple[int, list[dict[str, Any]]]:
    """Compute the missing rows (in ``jobs`` processes), adding each to the cache and to ``rows`` as it lands."""
    errors: list[dict[str, Any]] = []
    computed = 0
    done = 0

    def collect(res: tuple[list[dict[str, Any]], list[dict[str, Any]]], label: str) -> None:
        nonlocal computed, done
        new_rows, errs = res
        cache.add(new_rows)
        rows.extend(cache.rows[r["key"]] for r in new_rows)
        computed += len(new_rows)
        errors.extend(errs)
        done += 1
        if progress is not None:
            progress(done, len(units), label)

    # run_tasks runs the units in this process, in order, when jobs <= 1 (no worker start-up, no init)
    for i, res in run_tasks(run_unit, units, jobs=jobs, start=WORKER_START_METHOD, init=_worker_init):
        u = units[i]
        if isinstance(res, WorkerCrashedError):  # only this unit is lost; the others went on
            res = ([], [{"image": str(u.path), "codec": u.codec, "setting": None, "error": str(res)}])
        elif isinstance(res, BaseException):
            raise res
        collect(res, f"{u.codec} {u.path.name}")
    return computed, errors


def _display_names(files: Sequence[Path]) -> dict[Path, str]:
    """Shortest unambiguous names: file names, or paths relative to the common folder when names repeat."""
    plain = [f.name for f in files]
    if len(set(plain)) == len(plain):
        return {f: f.name for f in files}
    root = Path(os.path.commonpath([str(f.parent) for f in files]))
    return {f: str(f.relative_to(root)) for f in files}


def _write_csv(path: Path, rows: Sequence[dict[str, Any]], metric_cols: Sequence[str]) -> None:
    buf = io.StringIO()
    cols = ["image", "image_sha256", "codec", "version", "setting", "width", "height", "bytes", "bpp",
            *metric_cols, "encoding_time", "decoding_time"]
    w = csv.writer(buf)
    w.writerow(cols)
    for r in sorted(rows, key=lambda r: (r["codec"], r["image"], r["setting"])):
        w.writerow([r.get(c, r["metrics"].get(c, "")) if c not in r["metrics"] else r["metrics"][c] for c in cols])
    atomic_write_text(path, buf.getvalue())
