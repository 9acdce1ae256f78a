"""Evaluation: rate–distortion sweeps with and without preprocessing, quality always against the original.

BD-rate (Bjøntegaard delta rate, PCHIP interpolation of log-rate over quality, as in the JVET CTC sheet,
computed by :mod:`qualipress.rd.bd` — the project's one BD code path) says how
many bits a preprocessing saves (negative) or costs (positive) *at equal quality* over the overlapping quality
range. It is computed per image and averaged (the JVET convention), and also on the mean curve.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qualipress import codecs
from qualipress import metrics as qm
from qualipress.errors import UnsupportedError
from qualipress.io import Image, append_jsonl, read_jsonl, sha256_file
from qualipress.preprocess import get_preprocessor
from qualipress.rd.bd import bd_pair, to_db
from qualipress.search.probe import probe

#: Metrics reported by the sweeps.
SWEEP_METRICS: tuple[str, ...] = ("psnr", "ms-ssim", "ssimulacra2")


@dataclass(frozen=True)
class Point:
    """One encode of one (possibly preprocessed) image, measured against the original."""

    quality: float
    nbytes: int
    bpp: float
    metrics: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"quality": self.quality, "nbytes": self.nbytes, "bpp": self.bpp, **self.metrics}


def sweep(
    original: Image,
    processed: Image | Callable[[float], Image],
    codec: str,
    qualities: Sequence[float],
    *,
    metrics: Sequence[str] = SWEEP_METRICS,
) -> list[Point]:
    """Encode ``processed`` at every setting and measure the decoded image against ``original``.

    Parameters
    ----------
    original : Image
        The reference (unprocessed) image.
    processed : Image or callable
        What is handed to the encoder (``original`` itself for the baseline), or a function of the setting that
        returns it (a quality-aware pre-edit such as ``rdoq``, made anew for every point).
    codec : str
        Core codec name.
    qualities : sequence of float
        Native settings.
    metrics : sequence of str
        Core metric names.
    """
    c = codecs.get(codec)
    ref = qm.prepare_reference(original)
    n = original.width * original.height
    out = []
    for q in qualities:
        at_q = processed(float(q)) if callable(processed) else processed
        if at_q.pixels.shape != original.pixels.shape:
            raise UnsupportedError("the preprocessed image must have the original's shape")
        p = probe(at_q, c, q, reference=ref, metrics=tuple(metrics))
        out.append(Point(float(q), p.bytes, 8.0 * p.bytes / n, p.values()))
    return out


def bd_rate(
    rate_a: Sequence[float], dist_a: Sequence[float], rate_b: Sequence[float], dist_b: Sequence[float],
    *, metric: str = "psnr",
) -> float:
    """BD-rate of curve b against anchor a in percent, NaN when the curves do not overlap.

    One code path for the whole project: this delegates to :func:`qualipress.rd.bd.bd_pair` (PCHIP, the
    ``bjontegaard`` package; at least 4 points per curve), with MS-SSIM/SSIM converted to decibels first by
    :func:`qualipress.rd.bd.to_db`.

    Parameters
    ----------
    rate_a, dist_a : sequence of float
        Anchor bitrates (any unit, e.g. bpp) and qualities (higher is better).
    rate_b, dist_b : sequence of float
        Test curve.
    metric : str
        Metric name of the qualities (decides the dB conversion).

    Returns
    -------
    float
        Percent bitrate change at equal quality (negative = fewer bits).
    """
    return float(bd_pair(rate_a, to_db(metric, dist_a), rate_b, to_db(metric, dist_b))["bd_rate"])


def mean_bd_rate(
    anchor: Sequence[Sequence[Point]], test: Sequence[Sequence[Point]], metric: str
) -> dict[str, float]:
    """Per-image BD-rates averaged, their median, and the BD-rate of the mean curves.

    Parameters
    ----------
    anchor, test : sequence of list of Point
        One sweep per image, same images in the same order, same settings.

    Returns
    -------
    dict
        ``{"mean", "median", "mean_curve", "n": images with a finite value, "n_negative": images that save bits,
        "per_image": every image's BD-rate (NaN where the curves do not overlap), "worst": index of the largest}``.
    """
    per_image = [bd_rate([p.bpp for p in a], [p.metrics[metric] for p in a],
                         [p.bpp for p in b], [p.metrics[metric] for p in b], metric=metric)
                 for a, b in zip(anchor, test, strict=True)]
    vals = [v for v in per_image if math.isfinite(v)]
    ma = _mean_curve(anchor, metric)
    mb = _mean_curve(test, metric)
    return {
        "mean": float(np.mean(vals)) if vals else float("nan"),
        "median": float(np.median(vals)) if vals else float("nan"),
        "mean_curve": bd_rate(ma[0], ma[1], mb[0], mb[1], metric=metric),
        "n": len(vals),
        "n_negative": int(sum(v < 0 for v in vals)),
        "per_image": per_image,
        "worst": int(np.nanargmax(per_image)) if vals else -1,
    }


def _mean_curve(sweeps: Sequence[Sequence[Point]], metric: str) -> tuple[list[float], list[float]]:
    n = len(sweeps[0])
    return (
        [float(np.mean([s[i].bpp for s in sweeps])) for i in range(n)],
        [float(np.mean([s[i].metrics[metric] for s in sweeps])) for i in range(n)],
    )


def at_setting(points: Sequence[Point], quality: float) -> Point:
    """The point of a sweep at one codec setting."""
    for p in points:
        if p.quality == float(quality):
            return p
    raise UnsupportedError(f"setting {quality} is not in the sweep")


Preprocess = Callable[[Image], Image]


def compare(
    images: Sequence[Image],
    methods: Sequence[str],
    codec: str,
    qualities: Sequence[float],
    *,
    reference_setting: float | None = None,
    metrics: Sequence[str] = SWEEP_METRICS,
    cache: str | Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Sweep every preprocessing choice over ``images`` and summarise it against ``"none"``.

    Parameters
    ----------
    methods : sequence of str
        Names for :func:`qualipress.preprocess.get_preprocessor` (``"none"`` is added as the anchor).
    qualities : sequence of float
        Sweep settings (must include ``reference_setting``).
    reference_setting : float, optional
        Where size and quality changes are reported (default: the middle setting).
    cache : path, optional
        JSON-lines file of finished sweeps, read and appended to. A sweep is reused only for the same pixels,
        preprocessing (a network by its file's SHA-256), codec and settings, when it holds every metric asked,
        so an interrupted or repeated benchmark does not encode or measure again (the anchor ``none`` is computed
        once per codec).

    Returns
    -------
    dict
        Per method: ``bd_rate`` (per metric: mean / median / mean_curve / n), ``size_change_percent`` and
        ``quality_change`` (mean per metric) at the reference setting, ``preprocess_seconds`` per image (wall
        time, machine-dependent; for a quality-aware method, per pre-edit) and every sweep point (``sweeps``).
    """
    ref = float(reference_setting if reference_setting is not None else sorted(qualities)[len(qualities) // 2])
    if ref not in [float(q) for q in qualities]:
        raise UnsupportedError(f"reference setting {ref} is not one of the sweep settings {list(qualities)}")
    names = ["none", *[m for m in methods if m != "none"]]
    sweeps: dict[str, list[list[Point]]] = {}
    seconds: dict[str, list[float]] = {}
    done = {} if cache is None else {r["key"]: r for r in read_jsonl(cache) if "key" in r}
    for name in names:
        pre = get_preprocessor(name)
        method_id = f"{name}@{sha256_file(pre.path)}" if hasattr(pre, "path") else getattr(pre, "cache_id", name)
        at_quality = getattr(pre, "at_quality", None)  # quality-aware (rdoq): pre-edited at every point's setting
        sweeps[name], seconds[name] = [], []
        for img in images:
            key = json.dumps([hashlib.sha256(img.pixels.tobytes()).hexdigest(), list(img.pixels.shape), method_id,
                              codec, [float(q) for q in qualities]])
            hit = done.get(key)
            if hit is not None and all(set(metrics) <= set(p["metrics"]) for p in hit["points"]):
                sweeps[name].append([Point(**p) for p in hit["points"]])
                seconds[name].append(hit["seconds"])
                continue
            t0 = time.perf_counter()
            if at_quality is not None:
                edits = {float(q): at_quality(img, float(q), codec) for q in qualities}
                seconds[name].append((time.perf_counter() - t0) / len(edits))
                sweeps[name].append(sweep(img, edits.__getitem__, codec, qualities, metrics=metrics))
            else:
                processed = pre(img)
                seconds[name].append(time.perf_counter() - t0)
                sweeps[name].append(sweep(img, processed, codec, qualities, metrics=metrics))
            if cache is not None:
                line = {"key": key, "seconds": seconds[name][-1],
                        "points": [{"quality": p.quality, "nbytes": p.nbytes, "bpp": p.bpp, "metrics": p.metrics}
                                   for p in sweeps[name][-1]]}
                append_jsonl(cache, line)
    out: dict[str, dict[str, Any]] = {}
    base = sweeps["none"]
    for name in names:
        pts = sweeps[name]
        a = [at_setting(s, ref) for s in base]
        b = [at_setting(s, ref) for s in pts]
        out[name] = {
            "bd_rate": {m: mean_bd_rate(base, pts, m) for m in metrics},
            "size_change_percent": (sum(p.nbytes for p in b) / sum(p.nbytes for p in a) - 1.0) * 100.0,
            "quality_change": {m: float(np.mean([y.metrics[m] - x.metrics[m] for x, y in zip(a, b, strict=True)]))
                               for m in metrics},
            "preprocess_seconds": seconds[name],
            "sweeps": [[p.to_dict() for p in sw] for sw in pts],
        }
    return out
