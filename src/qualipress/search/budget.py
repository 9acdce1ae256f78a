"""Byte budgets: the best quality whose file fits in ``bytes<=N``, still checked against the quality floors.

A target with a budget turns the search around: instead of the fewest bytes that meet the floors, it asks for the
highest setting whose file fits. File size grows with the setting, so the search brackets the budget on the
codec's grid (interpolating in log bytes, bisecting when that stalls), and for codecs with a continuous quality
parameter (``QualityParam.continuous``: JPEG XL distance, JPEG 2000 PSNR, WebP quality) refines between the two
grid neighbours until the file is within :data:`CLOSE_ENOUGH` under the budget. Quality only rises with the
setting, so when the floors fail at the highest fitting setting they fail at every fitting one: the result then
says ``met=False`` and why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from qualipress import codecs as _codecs
from qualipress.codecs.base import Codec
from qualipress.search import predict as _predict
from qualipress.search.targets import Target, _transform

#: Stop refining a continuous setting once the file is this close under the budget (fraction of the budget).
CLOSE_ENOUGH = 0.01
#: Refinement encodes between two grid neighbours at most.
MAX_REFINE = 8
#: Between codecs under a budget (:func:`budget_order`, ``rank_to_beat``), a codec whose first probe fits the
#: budget with a lower quality than the best result so far is dropped when even this many times the quality gain
#: its predicted curves give for the rest of the budget would not reach that result (a prediction; the certain case,
#: a probe over the budget that is already worse, needs none). ``None`` switches the screening off.
SCREEN_GAIN_FACTOR: float | None = 2.0


def budget_search(runner: Any, codec: Codec, target: Target, *, max_probes: int = 24,
                  rank_to_beat: float | None = None, features: Mapping[str, float] | None = None) -> Any:
    """Highest-quality encoding that fits ``target.budget`` bytes; ``met`` says whether the floors hold.

    The first probe goes where the shipped predictor's size curve for this codec reaches the budget (55 % up the
    grid without one). With ``rank_to_beat`` (the :func:`quality_rank` of another codec's result under the same
    budget) the search stops after that first probe, with ``beaten`` set, when this codec cannot (probe over the
    budget and already worse) or is predicted not to (:data:`SCREEN_GAIN_FACTOR`) do better.

    Parameters
    ----------
    runner : qualipress.search.search._Runner
        The probe runner :func:`qualipress.search.search` built for this image, codec and target (it encodes,
        decodes and measures; its results carry a ``bytes`` measurement when the target has a budget).
    target : Target
        Must hold a ``bytes<=N`` constraint.
    features : mapping, optional
        The image's predictor features (:mod:`qualipress.search.predict`); without them the first probe is 55 %
        up the grid and only the certain screening rule applies.

    Returns
    -------
    qualipress.search.SearchResult
        ``fallback`` explains a miss (no setting fits, or the fitting one is below a floor).
    """
    budget = target.budget
    if budget is None:
        raise ValueError("budget_search needs a target with bytes<=N")
    q = codec.info.quality
    if not codec.info.lossy or q is None:
        p = runner.run(None, lossless=True)
        return runner.result(p, met=p.passed, fallback=None if p.passed else _why(codec, target, p, budget))
    grid = q.grid
    n = len(grid)
    fits: dict[int, Any] = {}
    over: dict[int, Any] = {}

    def probe(i: int) -> None:
        p = runner.run(grid[i])
        (fits if p.bytes <= budget else over)[i] = p

    curves = _curves(codec, features)
    first = _index_for_bytes(curves, budget, runner.encodable) if curves is not None else None
    i0 = min(max(int(round(first if first is not None else 0.55 * (n - 1))), 0), n - 1)
    probe(i0)
    if rank_to_beat is not None:
        p0 = runner.probes[-1]
        out = runner.result(p0, met=False)
        why = _screened(p0, quality_rank(out, target), i0, curves, budget, target, rank_to_beat, runner.encodable)
        if why is not None:
            out.beaten = why
            return out
    stalls = 0
    while len(runner.probes) < max_probes:
        lo = max(fits) if fits else None
        hi = min(over) if over else None
        if lo == n - 1 or hi == 0 or (lo is not None and hi is not None and hi - lo <= 1):
            break
        if lo is not None and hi is not None:
            x = _log_crossing(lo, fits[lo].bytes, hi, over[hi].bytes, budget)
            if stalls >= 2:
                x = (lo + hi) / 2
            c = min(max(int(round(x)), lo + 1), hi - 1)
            width = hi - lo
        else:
            # One side only: step by the usual ~6-8 % bytes per grid step until the budget is bracketed.
            base_i = lo if lo is not None else hi
            assert base_i is not None
            side = fits if lo is not None else over
            base = side[base_i]
            step = math.log(budget / base.bytes) / _log_bytes_per_step(side, base_i)
            c = min(max(int(round(base_i + step)), 0), n - 1)
            if c == base_i:
                c = base_i + (1 if lo is not None else -1)
            width = n
        probe(c)
        new_lo = max(fits) if fits else None
        new_hi = min(over) if over else None
        new_width = (new_hi - new_lo) if new_lo is not None and new_hi is not None else n
        stalls = stalls + 1 if new_width > 0.6 * width else 0
    if not fits:
        smallest = over[min(over)]
        return runner.result(smallest, met=False, fallback=_why(codec, target, smallest, budget))
    lo = max(fits)
    best = fits[lo]
    if lo + 1 < n and (lo + 1) in over and q.continuous and (budget - best.bytes) / budget > CLOSE_ENOUGH:
        best = _refine(runner, grid[lo], grid[lo + 1], best, budget, target, over_bytes=over[lo + 1].bytes)
    if best.passed:
        return runner.result(best, met=True)
    return runner.result(best, met=False, fallback=_why(codec, target, best, budget))


def _curves(codec: Codec, features: Mapping[str, float] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The shipped predictor's curves for ``codec`` on an image with these predictor ``features``: grid knots, SSIM
    in margin units and log10 bits per pixel at each knot (None without features, or without an SSIM model with
    sizes for this codec and grid). The model is the one :meth:`~qualipress.search.predict.Predictor.model` picks
    for these features (the JPEG-source model for a JPEG source), as for the search's own prediction."""
    q = codec.info.quality
    model = _predict.load()
    if q is None or model is None or features is None:
        return None
    m = model.model(codec.name, "ssim", features)
    if m is None or "bytes_weights" not in m or m.get("grid_size") != len(q.grid):
        return None
    row = _predict.feature_row(features)
    knots = np.asarray(m["knots"], dtype=np.float64)
    quality = np.maximum.accumulate(np.asarray(m["weights"]) @ row)
    log_bpp = np.maximum.accumulate(_predict.log_bits_per_pixel(codec.name, m["bytes_weights"], features))
    return knots, quality, log_bpp


def _index_for_bytes(curves: tuple[np.ndarray, np.ndarray, np.ndarray], nbytes: float, image: Any,
                     *, through: tuple[float, float] | None = None) -> float:
    """Grid position where the predicted size reaches ``nbytes``
    (:func:`~qualipress.search.predict.index_for_size`: the first position that reaches it, clamped to
    the curve's ends); ``through`` = (position, measured bytes) shifts the size curve to pass through a measured
    probe first."""
    knots, _, log_bpp = curves
    if through is not None:
        log_bpp = log_bpp + (math.log10(max(through[1], 1) * 8 / (image.width * image.height))
                             - float(np.interp(through[0], knots, log_bpp)))
    return _predict.index_for_size(knots, log_bpp, max(nbytes, 1) * 8 / (image.width * image.height))


def _screened(p: Any, rank: float, index: int, curves: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
              budget: float, target: Target, rank_to_beat: float, image: Any) -> str | None:
    """Why a codec whose first probe is ``p`` (of :func:`quality_rank` ``rank``, at grid position ``index``) need
    not be searched further against a result of ``rank_to_beat`` under the budget, or None."""
    if rank >= rank_to_beat:
        return None
    unit = "floor margin" if target.floors().constraints else "ssim"
    if p.bytes > budget:
        return (f"first probe ({p.setting}) is over the budget ({p.bytes:,} bytes) and already lower in quality "
                f"({unit} {rank:.4f} vs {rank_to_beat:.4f})")
    if SCREEN_GAIN_FACTOR is None or curves is None or target.floors().constraints:
        return None
    knots, quality, _ = curves
    at_budget = _index_for_bytes(curves, budget, image, through=(float(index), p.bytes))
    gain = max(0.0, float(np.interp(at_budget, knots, quality) - np.interp(index, knots, quality)))
    if _transform("ssim", rank) + SCREEN_GAIN_FACTOR * gain < _transform("ssim", rank_to_beat):
        return (f"first probe ({p.setting}: {p.bytes:,} bytes, ssim {rank:.4f}) is predicted to stay below ssim "
                f"{rank_to_beat:.4f} within the budget")
    return None


def order_for_budget(codec_names: Sequence[str], image: Any, target: Target,
                     features: Mapping[str, float] | None) -> list[str]:
    """``codec_names`` ordered for a race under ``target.budget``: the codecs with predictor curves by the SSIM
    predicted where their file reaches the budget, best first, then the others in the given order (see
    :func:`qualipress.search.search.budget_order`, which supplies the image's predictor ``features``)."""
    budget = target.budget
    if budget is None:
        return list(codec_names)
    expected: dict[str, float] = {}
    for name in codec_names:
        try:
            cdc = _codecs.get(name)
        except Exception:
            continue
        curves = _curves(cdc, features) if cdc.info.lossy else None
        if curves is not None:
            knots, quality, _ = curves
            expected[name] = float(np.interp(_index_for_bytes(curves, budget, image), knots, quality))
    first = sorted(expected, key=lambda n: -expected[n])
    return first + [n for n in codec_names if n not in expected]


def _log_bytes_per_step(side: Mapping[int, Any], base_i: int) -> float:
    """Log bytes per grid step for stepping toward the budget from ``base_i``: the slope measured between the two
    probes on this side nearest the budget once there are two (a codec's ~1-2 % per step, e.g. WebP's quality, made
    the usual 7 % crawl one step at a time), else the usual ~7 %; never below 0.5 %, so a step stays finite."""
    others = [i for i in side if i != base_i]
    if others:
        j = min(others, key=lambda i: abs(i - base_i))
        slope = (math.log(max(side[base_i].bytes, 1)) - math.log(max(side[j].bytes, 1))) / (base_i - j)
        if slope > 0:
            return max(slope, math.log(1.005))
    return math.log(1.07)


def _log_crossing(lo: int, b_lo: int, hi: int, b_hi: int, budget: float) -> float:
    """Grid position where log(bytes) reaches log(budget), linearly between a fitting and an oversized probe."""
    a, b = math.log(max(b_lo, 1)), math.log(max(b_hi, 1))
    if b - a <= 1e-12:
        return (lo + hi) / 2
    return lo + (math.log(budget) - a) * (hi - lo) / (b - a)


def _refine(runner: Any, fit_value: float, over_value: float, best: Any, budget: float, target: Target, *,
            over_bytes: int | None = None) -> Any:
    """Bisect a continuous setting between a fitting and an oversized grid point; the fitting probe of the highest
    :func:`quality_rank` is kept (not the largest file: AVIF's segments start below the lower grid point, and a
    point inside one can hold more bytes and less quality than that grid point).

    Sizes that move in steps (libjxl's distance, WebP's quality) often hold no file between the two grid points:
    once a fitting probe has given the size of the fitting end it replaces again, and an oversized one that of the
    oversized end (``over_bytes`` at first), the refinement stops (a rule of thumb, as the 1 % closeness is)."""
    best_rank = quality_rank(runner.result(best, met=False), target)
    fit_bytes, fit_recurred, over_recurred = best.bytes, False, False
    for _ in range(MAX_REFINE):
        mid = (fit_value + over_value) / 2
        p = runner.run(mid)
        if p.bytes <= budget:
            fit_value = mid
            fit_recurred = p.bytes == fit_bytes
            fit_bytes = p.bytes
            rank = quality_rank(runner.result(p, met=False), target)
            if rank > best_rank:
                best, best_rank = p, rank
            if (budget - p.bytes) / budget <= CLOSE_ENOUGH:
                break
        else:
            over_value = mid
            over_recurred = p.bytes == over_bytes
            over_bytes = p.bytes
        if fit_recurred and over_recurred:
            break
    return best


def _why(codec: Codec, target: Target, probe: Any, budget: float) -> str:
    if probe.bytes > budget:
        scale = codec.info.quality.name if codec.info.quality is not None else "setting"
        value = f"{probe.setting:g}" if isinstance(probe.setting, (int, float)) else str(probe.setting)
        at = "lossless" if probe.setting is None else f"{scale} {value}"  # "at 1.0" named no scale
        return f"no {codec.name} setting fits {budget:,.0f} bytes (smallest tried: {probe.bytes:,} bytes at {at})"
    floors = target.floors()
    shown = ", ".join(f"{k} {v:.4g}" for k, v in probe.metrics.items() if k != "bytes" and k in floors.metrics)
    missed = f"{floors}: {shown}"
    # QA 13: a decision check (film banding on a TIFF) failing at every setting left "misses : " and nothing else
    failed = [f"the {c.name} check ({c.detail})" for c in probe.checks if not c.passed]
    if failed:
        missed = "; ".join(failed) + (f" (floors {missed})" if floors.constraints else "")
    return (f"best {codec.name} under {budget:,.0f} bytes ({probe.bytes:,} bytes, setting {probe.setting}) misses "
            f"{missed}")


def quality_rank(result: Any, target: Target) -> float:
    """How good a result is, for choosing between codecs under a budget: the floors' margin, else SSIM."""
    floors = target.floors()
    if floors.constraints:
        try:
            return floors.margin(result.metrics)
        except KeyError:
            pass
    ssim = result.metrics.get("ssim")
    return float(ssim.value) if ssim is not None else -math.inf


def prefer(a: Any, b: Any, target: Target) -> bool:
    """True when ``a`` should replace ``b`` as the chosen result.

    A result that meets the target beats one that does not; then, with a byte budget, a file within the budget
    beats one over it, two over it the smaller, two within it the higher quality (:func:`quality_rank`); without
    a budget the smaller file wins.
    """
    if a.met != b.met:
        return a.met
    if target.budget is not None:
        fits_a, fits_b = len(a.data) <= target.budget, len(b.data) <= target.budget
        if fits_a != fits_b:
            return fits_a  # e.g. a lossless re-wrap of the source (SSIM 1) must not win over the budget
        if not fits_a:
            return len(a.data) < len(b.data)
        return quality_rank(a, target) > quality_rank(b, target)
    return len(a.data) < len(b.data)
