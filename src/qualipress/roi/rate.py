"""Rate control for ``jpeg-roi``: the smallest file meeting ROI and whole-image targets, two knobs.

Method
------
1. **ROI knob.** With a uniform quality (ROI = background), bisect the integer quality 1..100 for the lowest
   value that meets every constraint (``roi:`` ones on the ROI pixels, the others on the whole image). This is
   the plain-JPEG answer and an upper bound on size; when even 100 fails the result falls back to PNG.
2. **ROI only.** Bisect again, with the ROI constraints only, for the lowest ROI quality ``q_roi`` (still
   uniform; the ROI constraints barely depend on the background).
3. **Background knob.** With ROI blocks at ``max(q_roi, ...)`` bisect the background quality in ``1..q_uniform``
   for the lowest value meeting all constraints. When that fails at ``q_roi`` the ROI quality is raised one
   step towards ``q_uniform`` and step 3 repeats (bounded). Then one more bisection with the ROI 5 steps finer:
   a finer ROI can let the background drop further (small ROIs, SSIM windows across block edges).

**Byte budget** (``bytes<=N``): the one-knob mapping (ROI quality ``Q``, background ``bg_quality_for(Q)``,
encoder defaults ``profile_for(Q)``, both adapted to the image unless ``adapt=False``: the profile switch is
then per image, :func:`~qualipress.roi.mapping.switch_quality`). File size is **not** monotone in ``Q``: at the
profile switch
(:data:`~qualipress.roi.mapping.LOW_RATE_QUALITY`, 4:2:0 below, 4:4:4 from there) the file can shrink by up to
7 % on the annotated people photos, with a lower ROI PSNR, and the RDO makes small dips elsewhere. So each
profile's range of ``Q`` is searched on its own (:func:`highest_fitting`, which also probes two steps above
its bisection's answer), giving one candidate per profile, and the candidate with the higher ROI PSNR (whole-image
PSNR when there are no ROI pixels) is returned, preferring one that meets the quality floors; ``met`` says whether the
file fits and the floors hold.

The quality-floor search does not assume it either: step 1 also bisects each other profile's range of qualities
(:data:`SWITCHES`) for its lowest passing uniform quality, and the smaller of these files sets ``q_uni``.

Every probe is encoded, decoded and measured; only a probe that met the target is returned. ROI detection runs
once (cached on the codec).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import numpy as np

from qualipress import metrics as _metrics
from qualipress.errors import UnsupportedError
from qualipress.io.image import Image
from qualipress.roi.adapt import adapted_bg_quality, adapting
from qualipress.roi.mapping import LOW_RATE_QUALITY, switch_quality
from qualipress.search import Probe, SearchResult, parse_target
from qualipress.search.probe import measure_encoded, probe
from qualipress.search.targets import Target

_DEFAULT_TILE = 256
#: Qualities where the encoder profile changes (:func:`~qualipress.roi.mapping.profile_for`): file size can drop
#: there as quality rises.
SWITCHES: tuple[int, ...] = (math.ceil(LOW_RATE_QUALITY),)
#: Lowest quality a byte budget searches (its background, ``bg_quality_for``, is not above it).
BUDGET_LOW = 5


def targeted_encode(
    codec: Any,
    image: Image,
    target: Any,
    *,
    reference: Image | None = None,
    masks: Mapping[str, np.ndarray] | None = None,
    tile: int = _DEFAULT_TILE,
    **options: Any,
) -> Any:
    """Search ROI and background qualities for ``target``.

    Parameters
    ----------
    codec : RoiJpegCodec
    image : Image
        What is encoded (8-bit grey or RGB).
    target : Target or str or sequence of str
        E.g. ``["roi:ssim>=0.97", "ssim>=0.90"]``. With a byte budget (``bytes<=N``) the one-knob mapping is
        searched for the best file that fits (module docstring); the other constraints are then floors that
        the result reports as met or not.
    reference : Image, optional
        What quality is measured against (default ``image``).
    masks : mapping, optional
        A ``"roi"`` mask given by the caller overrides the detected ROI **for measuring** (the encoder still
        uses the detected/user ROI, or this mask when no classes/mask options were given).
    **options
        ``jpeg-roi`` encode options (``roi``, ``roi_mask``, ``block_threshold``, ...). Given ``roi_quality``
        and/or ``bg_quality``, nothing is searched: the image is encoded once at those qualities (background
        from :func:`~qualipress.roi.mapping.bg_quality_for` when only the ROI quality is given, ROI 85 when only
        the background is) and the result says whether ``target`` is met (an empty target always is).

    Returns
    -------
    qualipress.search.SearchResult
        ``setting`` is None; ``options`` holds ``roi_quality``, ``bg_quality`` and the ROI block fraction.
    """
    tgt = parse_target(target)
    img = codec.prepare(image)
    ref = reference if reference is not None else image
    fixed_roi, fixed_bg = options.get("roi_quality"), options.get("bg_quality")
    opts, analysis, roi_mask, save = _roi_setup(codec, img, options, masks)
    scoped = tgt.scoped_metrics()
    unknown = [s for s in scoped if s != "roi"]
    if unknown:
        raise UnsupportedError(f"jpeg-roi knows the 'roi' scope only, not {', '.join(unknown)}")
    notes: list[str] = list(analysis.notes)
    if not roi_mask.any() and scoped:
        notes.append("no ROI pixels: roi: constraints are measured on the whole image")
    pr = _RoiProbes(codec, img, ref, tgt, analysis, roi_mask, opts, tile)

    if fixed_roi is not None or fixed_bg is not None:
        r = float(85 if fixed_roi is None else fixed_roi)
        fixed = (r, float(pr.bg_for(r) if fixed_bg is None else fixed_bg))
        pr.run(*fixed)
        return _result(codec, pr.cache[fixed], fixed, pr.probes, notes, save)
    if tgt.budget is not None:
        chosen = _budget_search(pr, notes)
        return _result(codec, pr.cache[chosen], chosen, pr.probes, notes, save)
    best = _floor_search(pr)
    if best is None:
        return _fallback_png(img, ref, tgt, pr.probes, notes, tile, masks={"roi": roi_mask})
    return _result(codec, pr.cache[best], best, pr.probes, notes, save)


def _roi_setup(
    codec: Any, img: Image, options: Mapping[str, Any], masks: Mapping[str, np.ndarray] | None
) -> tuple[dict[str, Any], Any, np.ndarray, Any]:
    """Encode options without the quality/ROI ones, the ROI analysis, the measuring mask and ``save_mask``."""
    opts = {k: v for k, v in options.items() if k not in ("roi_quality", "bg_quality", "quality")}
    caller_roi = None if masks is None else masks.get("roi")
    if caller_roi is not None and opts.get("roi") is None and opts.get("roi_mask") is None and "analysis" not in opts:
        opts["roi_mask"] = np.asarray(caller_roi, bool)
    analysis = opts.pop("analysis", None) or codec.analyse(
        img,
        roi=opts.get("roi"),
        roi_mask=opts.get("roi_mask"),
        roi_boxes=opts.get("roi_boxes"),
        refine=bool(opts.get("refine", True)),
    )
    for k in ("roi", "roi_mask", "roi_boxes", "refine"):
        opts.pop(k, None)
    save = opts.pop("save_mask", None)
    roi_mask = np.asarray(caller_roi, bool) if caller_roi is not None else analysis.mask
    return opts, analysis, roi_mask, save


class _RoiProbes:
    """Encodes, decodes and measures (ROI quality, background quality) pairs, each once.

    ``cache[(roi_q, bg_q)]`` holds ``(probe, data, decoded, metric results, encoded)``; ``probes`` lists the
    probes in the order they ran.
    """

    def __init__(self, codec: Any, img: Image, ref: Image, tgt: Any, analysis: Any, roi_mask: np.ndarray,
                 opts: dict[str, Any], tile: int) -> None:
        self.codec, self.img, self.analysis, self.opts, self.tile = codec, img, analysis, opts, tile
        self.roi_mask, self.roi_empty = roi_mask, not roi_mask.any()
        self.budget, self.floors = tgt.budget, tgt.floors()
        self.roi_only = Target(tuple(c for c in tgt.constraints if c.scope == "roi"))
        whole_names = list(dict.fromkeys([*self.floors.metrics, "ssim", "psnr"]))
        roi_names = list(dict.fromkeys([*tgt.scoped_metrics().get("roi", []), "ssim", "psnr"]))
        self.probe_keys = [*whole_names, *(f"roi:{n}" for n in roi_names)]
        self.prepared = _metrics.prepare_reference(ref)
        self.probes: list[Any] = []
        self.cache: dict[tuple[float, float], tuple[Any, bytes, Image, dict, Any]] = {}
        # the per-image adaptation (codec option ``adapt``) moves the profile switch and the background ratio
        self.traits = codec.traits(img, analysis) if adapting(opts) else None
        energy = None if self.traits is None else self.traits.chroma_energy
        if energy is None:
            self.switches: tuple[int, ...] = SWITCHES
        else:
            sq = switch_quality(energy)
            self.switches = () if sq is None or sq <= 1 else (sq,)

    def bg_for(self, q: float) -> float:
        """Background quality the one-knob mapping pairs with ROI quality ``q`` for this image."""
        return adapted_bg_quality(q, self.traits)

    def run(self, roi_q: float, bg_q: float) -> Any:
        """The probe of one quality pair (encoded and measured on first use)."""
        key = (float(roi_q), float(bg_q))
        if key in self.cache:
            return self.cache[key][0]
        codec, floors, budget = self.codec, self.floors, self.budget
        t0 = time.perf_counter()
        enc = codec.encode_roi(self.img, roi_quality=roi_q, bg_quality=bg_q, analysis=self.analysis, **self.opts)
        measured = measure_encoded(enc.data, codec, self.img, reference=self.prepared, metrics=self.probe_keys,
                                   masks={"roi": None if self.roi_empty else self.roi_mask}, tile=self.tile)
        decoded, res = measured.decoded, measured.metrics
        passed = floors.satisfied(res) and (budget is None or len(enc.data) <= budget)
        p = Probe(
            None,
            len(enc.data),
            passed,
            floors.margin(res) if floors.constraints else 0.0,
            {k: v.value for k, v in res.items()},
            codec=codec.name,
            seconds=time.perf_counter() - t0,
        )
        p.roi_quality, p.bg_quality = key  # type: ignore[attr-defined]
        self.probes.append(p)
        self.cache[key] = (p, enc.data, decoded, res, enc)
        return p

    def roi_ok(self, q: int) -> bool:
        """Whether uniform quality ``q`` meets the ROI constraints."""
        self.run(q, q)
        return self.roi_only.satisfied(self.cache[(float(q), float(q))][3]) if self.roi_only.constraints else True

    def uniform_passes(self, q: int) -> bool:
        """Whether uniform quality ``q`` meets every constraint."""
        return self.run(q, q).passed


def _lowest(lo: int, hi: int, ok: Any) -> int | None:
    """Smallest integer q in [lo, hi] with ok(q) True (assumed monotone), or None."""
    if not ok(hi):
        return None
    while hi - lo > 0:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


def _budget_search(pr: _RoiProbes, notes: list[str]) -> tuple[float, float]:
    """The chosen (ROI, background) qualities under a byte budget (module docstring)."""
    budget = pr.budget

    def fits(q: int) -> bool:
        return pr.run(q, pr.bg_for(q)).bytes <= budget

    # one candidate per encoder profile: the highest quality of that profile whose file fits
    edges = [BUDGET_LOW, *(s for s in pr.switches if BUDGET_LOW < s <= 100), 101]
    found = [highest_fitting(fits, a, b - 1, pr.switches) for a, b in pairwise(edges)]
    candidates = [(float(q), float(pr.bg_for(q))) for q in found if q is not None]
    if not candidates:
        notes.append(f"no jpeg-roi quality from {BUDGET_LOW} up fits in {budget:g} bytes: quality {BUDGET_LOW} "
                     "is returned (not met)")
        candidates = [(float(BUDGET_LOW), float(pr.bg_for(BUDGET_LOW)))]
    psnr_key = "psnr" if pr.roi_empty else "roi:psnr"
    cache = pr.cache
    return max(candidates, key=lambda k: (cache[k][0].passed, cache[k][3][psnr_key].value, k[0]))


def _floor_search(pr: _RoiProbes) -> tuple[float, float] | None:
    """The smallest passing (ROI, background) qualities for quality floors, or None when even 100 fails."""
    cache, run = pr.cache, pr.run
    q_uni = _lowest(1, 100, pr.uniform_passes)
    if q_uni is None:
        return None
    # size and quality are not monotone across a profile switch: the lowest passing quality of each other
    # profile is a candidate too, and the smaller uniform file bounds the ROI stage
    edges = [1, *(s for s in pr.switches if 1 < s <= 100), 101]
    for a, b in pairwise(edges):
        if not a <= q_uni < b:
            q = _lowest(a, b - 1, pr.uniform_passes)
            if q is not None and run(q, q).bytes < run(q_uni, q_uni).bytes:  # both already probed (cached)
                q_uni = q
    best = (float(q_uni), float(q_uni))
    if pr.roi_empty:
        return best
    q_roi = _lowest(1, q_uni, pr.roi_ok) if pr.roi_only.constraints else q_uni
    q_roi = q_uni if q_roi is None else q_roi
    found_at = None
    for r in range(q_roi, q_uni + 1):
        b = _lowest(1, r, lambda q, r=r: run(r, q).passed)
        if b is not None:
            if cache[(float(r), float(b))][0].bytes < cache[best][0].bytes:
                best = (float(r), float(b))
            found_at = r
            break
        if r - q_roi >= 3:
            break
    if found_at is not None and found_at + 5 <= 100:
        # a finer ROI can allow a much coarser background (small ROIs, SSIM windows across block edges)
        r = found_at + 5
        b = _lowest(1, min(r, int(best[1])), lambda q, r=r: run(r, q).passed)
        if b is not None and cache[(float(r), float(b))][0].bytes < cache[best][0].bytes:
            best = (float(r), float(b))
    return best


def highest_fitting(fits: Any, lo: int, hi: int, switches: tuple[int, ...] = SWITCHES) -> int | None:
    """Highest integer ``q`` in ``[lo, hi]`` with ``fits(q)`` found by probing, without assuming monotony.

    Bisects for a boundary (``fits(q)`` and not ``fits(q + 1)``), then probes every switch in ``switches``
    above it and the quality two steps up; when one fits, bisects again above it. Returns the highest quality
    that was seen to fit, or None when neither ``fits(lo)`` nor a switch in ``(lo, hi]`` fits.

    Parameters
    ----------
    fits : callable
        ``fits(q) -> bool``; called at most once per quality.
    switches : tuple of int
        Qualities where the encoder profile changes (default :data:`SWITCHES`; the per-image switch of an
        adapted encode otherwise).
    """
    seen: dict[int, bool] = {}

    def ok(q: int) -> bool:
        if q not in seen:
            seen[q] = bool(fits(q))
        return seen[q]

    def bisect(a: int, b: int) -> int:
        """Boundary in [a, b] given ok(a) is True."""
        if ok(b):
            return b
        while b - a > 1:
            mid = (a + b) // 2
            if ok(mid):
                a = mid
            else:
                b = mid
        return a

    if ok(lo):
        q = bisect(lo, hi)
    else:
        starts = [s for s in switches if lo < s <= hi and ok(s)]
        if not starts:
            return None
        q = bisect(min(starts), hi)
    while True:
        above = [s for s in (*switches, q + 2) if q + 1 < s <= hi and ok(s)]
        if not above:
            return max(k for k, v in seen.items() if v)
        q = bisect(max(above), hi)


def _result(codec: Any, entry: tuple, qualities: tuple[float, float], probes: list, notes: list[str],
            save: Any) -> Any:
    probe, data, decoded, res, enc = entry
    img_shape = (decoded.height, decoded.width)
    if save and not isinstance(save, bool):
        from qualipress.detect import save_mask

        save_mask(save, enc.block_mask(img_shape))
    result = SearchResult(
        data,
        codec.name,
        None,
        False,
        probe.passed,
        res,
        probes,
        None,
        decoded,
        {
            "roi_quality": qualities[0],
            "bg_quality": qualities[1],
            "roi_block_fraction": round(enc.stats.roi_fraction, 4),
            "roi_notes": notes + [n for n in enc.notes if n not in notes],
        },
    )
    result.roi = enc  # type: ignore[attr-defined]
    return result


def _fallback_png(img: Image, ref: Image, tgt: Any, probes: list, notes: list[str], tile: int, masks: dict) -> Any:
    t0 = time.perf_counter()
    scopes = tgt.scoped_metrics()
    keys = [*tgt.metrics, "ssim", "psnr", *(f"{scope}:{n}" for scope, names in scopes.items() for n in names)]
    scope_masks = {scope: m if (m := masks.get(scope)) is not None and m.any() else None for scope in scopes}
    measured = probe(img, "png", None, lossless=True, reference=ref, metrics=keys, masks=scope_masks, tile=tile)
    data, decoded, res = measured.data, measured.decoded, measured.metrics
    ok = tgt.satisfied(res)
    probes.append(
        Probe(
            None,
            len(data),
            ok,
            tgt.margin(res),
            {k: v.value for k, v in res.items()},
            lossless=True,
            codec="png",
            seconds=time.perf_counter() - t0,
        )
    )
    return SearchResult(
        data,
        "png",
        None,
        True,
        ok,
        res,
        probes,
        f"no jpeg-roi setting up to quality 100 met {tgt}; jpeg-roi has no lossless mode, used png",
        decoded,
        {"roi_notes": notes},
    )
