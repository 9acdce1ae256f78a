"""Find the codec setting with the fewest bytes that meets every constraint of a target.

Method (see ``docs/search.md``): settings are the codec's grid, ordered from lowest to highest quality; the
binding constraint's margin (a roughly linear function of the grid index, see
:meth:`Constraint.margin`) is probed at a warm-started first guess, then the search steps to bracket the
threshold and interpolates (secant, regula falsi) inside the bracket rather than bisecting. It stops when the
passing and failing probes are neighbours on the grid, or when the bytes still at stake between them are under a
tolerance. Every probe is decoded and measured; only a probe that met the target is returned. When even the best
setting fails, the codec's lossless mode (or its declared lossless fallback codec) is used and the result says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from qualipress import codecs as _codecs
from qualipress import metrics as _metrics
from qualipress.codecs.base import Codec
from qualipress.errors import QualipressError, UnsupportedError
from qualipress.io.files import pixel_digest
from qualipress.io.image import Image
from qualipress.metrics import MetricResult
from qualipress.search import drops as _drops
from qualipress.search import lossless as _lossless
from qualipress.search import plateaus as _plateaus
from qualipress.search import predict as _predict
from qualipress.search import proxy as _proxy
from qualipress.search.budget import budget_search, order_for_budget, prefer
from qualipress.search.predict import Prediction
from qualipress.search.probe import encodable, measure_decoded
from qualipress.search.probe import probe as probe_setting
from qualipress.search.targets import Target, parse_target


@dataclass(frozen=True)
class CheckOutcome:
    """Result of an extra check (decision module): passed, its name and a human-readable detail."""

    passed: bool
    name: str
    detail: str = ""
    #: Signed distance to the check's threshold (positive = passes), in a unit roughly linear in the codec's
    #: setting near the threshold, when the check can measure one; None for a plain pass/fail. The search steers
    #: by it like by the target's margin (interpolating instead of bisecting when the check decides).
    margin: float | None = None
    #: False for a check whose verdict can flip back and forth as the setting rises (a count of blocks past a
    #: threshold: banding on grainy film passes, fails, passes again within a few grid steps). A passing setting
    #: whose next finer setting fails such a check is then no result: the search looks finer
    #: (:func:`_confirm`), so the setting it picks does not depend on where it probed.
    monotone: bool = True


class Check(Protocol):
    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome: ...


#: Largest alpha error a lossy encode may make, as a share of the alpha range (HEIF's 4/255 passes; JPEG 2000's
#: quantised alpha at ordinary settings, off by up to 64/255 at edges, does not).
ALPHA_MAX_ERROR = 0.02


def alpha_kept(reference: Image, decoded: Image) -> CheckOutcome:
    """The decoded alpha plane stays within :data:`ALPHA_MAX_ERROR` of the reference's everywhere.

    The metrics measure colour only, so without this check a codec that damages transparency (lossy JPEG 2000
    quantises alpha like colour) would pass any target. Added by the search to every probe of an image with alpha.
    """
    if not decoded.has_alpha:
        return CheckOutcome(False, "alpha kept", "the decoded image has no alpha channel")
    ra = reference.alpha().astype(np.float64)
    da = decoded.alpha().astype(np.float64)
    scale = 1.0 if reference.is_float else float(reference.max_value)
    worst = float(np.max(np.abs(ra / scale - da / (1.0 if decoded.is_float else float(decoded.max_value)))))
    ok = worst <= ALPHA_MAX_ERROR + 1e-12
    return CheckOutcome(ok, "alpha kept", f"max alpha error {worst * 100:.2f}% of range (limit "
                                          f"{ALPHA_MAX_ERROR * 100:.0f}%)")


@dataclass
class Probe:
    """One encode + decode + measure."""

    setting: float | None
    bytes: int
    passed: bool
    margin: float
    metrics: dict[str, float]
    checks: list[CheckOutcome] = field(default_factory=list)
    lossless: bool = False
    codec: str = ""
    seconds: float = 0.0

    @property
    def check_failed(self) -> bool:
        return any(not c.passed for c in self.checks)

    @property
    def check_blind(self) -> bool:
        """A check failed without saying by how much: the margin gives no distance to interpolate on."""
        return any(not c.passed and c.margin is None for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"codec": self.codec, "setting": self.setting, "bytes": self.bytes,
                             "passed": self.passed, "margin": round(self.margin, 5),
                             "metrics": {k: round(v, 6) for k, v in self.metrics.items()},
                             "seconds": round(self.seconds, 4)}
        if self.lossless:
            d["lossless"] = True
        if self.checks:
            d["checks"] = [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks]
        return d


@dataclass
class SearchResult:
    """The chosen encoding and how it was found.

    Attributes
    ----------
    data : bytes
        The encoded file.
    codec : str
    setting : float or None
        Native quality setting (None when lossless).
    lossless : bool
    met : bool
        Whether the target is met (always True unless no mode of the codec could meet it).
    metrics : dict of str to MetricResult
        Measurements of ``data`` decoded (keys like ``"ssim"`` and ``"roi:ssim"``).
    probes : list of Probe
        Every encode tried, in order.
    fallback : str or None
        Why a lossless mode was used, when it was.
    decoded : Image or None
        ``data`` decoded (integer image as the codec saw it).
    prediction : Prediction or None
        Where the setting predictor expected the target to be met, when a cold search started from it.
    beaten : str or None
        Why the search stopped early when racing a smaller file (``bound``): proved (a failing probe at least as
        large) or predicted (:func:`predicted_loss`, the text begins "predicted"). The result is then not the
        codec's best and must not be used; it does not meet the target unless given up on a prediction while
        only passing probes, all larger than the bound, were made.
    steering : int
        Probes made on a half-size mosaic of the image to place the first full-image probe (see
        :mod:`qualipress.search.proxy`); they are not in ``probes`` and never a result.
    notes : list of str
        Decisions for the report (e.g. the lossless file compared with the lossy one, :mod:`.lossless`).
    digest : bytes or None
        :func:`qualipress.io.pixel_digest` of the result's pixels when the search already computed it (a large
        image's result decoded again and checked against its probe, :data:`SHELVE_SAMPLES`; or, with
        ``search(decode_result=False)``, not decoded again: ``decoded`` is then None and this is the digest of the
        pixels the probe was measured on); None otherwise. Whoever replaces ``decoded`` sets it to None.
    """

    data: bytes
    codec: str
    setting: float | None
    lossless: bool
    met: bool
    metrics: dict[str, MetricResult]
    probes: list[Probe]
    fallback: str | None = None
    decoded: Image | None = None
    options: dict[str, Any] = field(default_factory=dict)
    prediction: Prediction | None = None
    beaten: str | None = None
    steering: int = 0
    notes: list[str] = field(default_factory=list)
    digest: bytes | None = None

    @property
    def encodes(self) -> int:
        return len(self.probes)

    def params(self) -> dict[str, Any]:
        """Codec parameters for reports."""
        codec = _codecs.get(self.codec)
        if self.lossless or codec.info.quality is None:
            return {"lossless": True, **self.options}
        return {codec.info.quality.name: self.setting, **self.options}


@dataclass
class Hint:
    """Warm start carried from one image (or frame) to the next: where the last search ended and how steep the
    margin was per grid step there.

    ``predicted`` and ``residual`` are the setting predictor's guess for that image and how far (grid steps) the
    result landed from it. When they are known and the codec has a predictor, the next image starts at its own
    prediction, corrected by that residual in proportion to how alike the two predictions are (the residual of
    a near-identical frame carries over; that of an unrelated photograph does not).
    """

    index: float
    slope: float | None = None
    predicted: float | None = None
    residual: float | None = None
    #: The previous search ended on a failed check (decision module), not on the target's margin: the margin's
    #: slope does not say where this image fails, so until it has a bracket the search steps 1, 2, 4, ... grid
    #: steps away from the start (only steering; the proof is unchanged).
    checked: bool = False


def search(
    image: Image,
    codec: str | Codec,
    target: Target | str | Sequence[str],
    *,
    reference: Image | None = None,
    masks: Mapping[str, np.ndarray] | None = None,
    start: float | Hint | None = None,
    encode_options: Mapping[str, Any] | None = None,
    checks: Sequence[Check] = (),
    lossless_fallback: bool = True,
    tolerance: float = 0.004,
    tile: int = _metrics.DEFAULT_TILE,
    max_probes: int = 24,
    predict: bool = True,
    bound: int | None = None,
    mosaic: bool = True,
    size_scale: float = 1.0,
    rank_to_beat: float | None = None,
    decode_result: bool = True,
) -> SearchResult:
    """Smallest encoding of ``image`` with ``codec`` that meets ``target``.

    Parameters
    ----------
    image : Image
        What is encoded (float images are PQ-coded to 16-bit integers first, see
        :func:`qualipress.io.to_perceptual_image`).
    reference : Image, optional
        What quality is measured against (default ``image``; preprocessing passes the original here).
    masks : mapping of str to numpy.ndarray, optional
        Boolean (H, W) masks for scoped constraints (``"roi:ssim>=0.97"`` reads ``masks["roi"]``).
    start : float or Hint, optional
        Warm start: a native setting, or the :class:`Hint` of a previous search.
    encode_options : mapping, optional
        Passed to ``codec.encode``.
    checks : sequence of callables
        Extra pass/fail checks on every probe (decision module), run in order until one fails (the probe then
        fails whatever the others say; only the outcomes run are recorded).
    lossless_fallback : bool
        Fall back to lossless when no lossy setting meets the target (otherwise return the best probe with
        ``met=False``).
    tolerance : float
        Stop when the bytes between the best passing and a failing neighbour differ by less than this fraction.
    predict : bool
        Without a warm start, begin at the setting the shipped predictor expects to just meet the target (from
        the image's features, see :mod:`qualipress.search.predict`) instead of 55 % up the grid.
    bound : int, optional
        Size of a file (another codec's) this search must beat: it stops, with ``met=False`` and ``beaten`` set,
        as soon as a failing probe is at least this large (file size grows with the setting, so no passing
        setting can be smaller: a proof), or earlier when its probes predict that its smallest passing file is
        no smaller than ``bound`` (:func:`predicted_loss`; ``beaten`` then begins "predicted", and ``met`` may be
        True when only passing probes were made). Without a warm start, unless its predicted file is well under
        ``bound``, it first probes where its file should just exceed ``bound``.
    mosaic : bool
        When starting from the predictor (cold, or warm with a predicted residual), place the first full-image
        probe by probes on a mosaic of half the image's tiles (one or two; up to six for JPEG; see
        :mod:`qualipress.search.proxy`; steering only, never a result).
    size_scale : float
        How much larger than predicted the files of other codecs were on this image (:func:`size_scale`), to
        correct this codec's predicted sizes when racing a ``bound``.
    rank_to_beat : float, optional
        With a byte budget: the quality (:func:`qualipress.search.budget.quality_rank`) of another codec's result
        under the same budget; the search stops after one probe, with ``beaten`` set, when this codec cannot or is
        predicted not to beat it (:func:`qualipress.search.budget.budget_search`).
    decode_result : bool
        When False, a result whose decoded pixels the search gave back while it made later probes (large images,
        :data:`SHELVE_SAMPLES`) is not decoded again: its ``decoded`` is None and its ``digest`` is that of the
        pixels it was measured on. For a caller that decodes the written file anyway and compares it with the
        digest (the pipeline): one decode less per such image.
    """
    tgt = parse_target(target)
    cdc = _codecs.get(codec) if isinstance(codec, str) else codec
    if (targeted := getattr(cdc, "targeted_encode", None)) is not None:
        return targeted(image, tgt, reference=reference, masks=masks, **dict(encode_options or {}))  # type: ignore[no-any-return]
    runner = _Runner(image, cdc, tgt, reference, masks, dict(encode_options or {}), checks, tile)
    runner.decode_result = decode_result
    if tgt.budget is not None:
        return budget_search(runner, cdc, tgt, max_probes=max_probes, rank_to_beat=rank_to_beat,
                             features=None if image.is_float else _features(image, runner.prepared)[1])
    q = cdc.info.quality
    if not cdc.info.lossy or q is None:
        return runner.result(only := runner.run(None, lossless=True), met=only.passed)
    hint, prediction = _warm_start(image, cdc, tgt, q.grid, start, predict, runner.prepared)
    br = _Bracket(runner, q.grid, prediction, racing=bound is not None)
    _first_probe(br, hint, warm=isinstance(start, Hint), bound=bound, size_scale=size_scale, mosaic=mosaic)
    beaten = _bracket(br, hint, bound=bound, tolerance=tolerance, max_probes=max_probes)
    out = _finish(br, bound=bound, beaten=beaten, lossless_fallback=lossless_fallback)
    return _lossless.smaller_of(runner, out) if lossless_fallback else out


def _warm_start(image: Image, codec: Codec, target: Target, grid: Sequence[float], start: float | Hint | None,
                predict: bool, prepared: _metrics.Reference | None = None) -> tuple[Hint | None, Prediction | None]:
    """Where the search starts: the caller's warm start, the predictor's guess for this image (cold), or the
    prediction corrected by the previous image's residual (warm from another photograph); ``prepared``: the
    search's reference (see :func:`_features`)."""
    hint = start if isinstance(start, Hint) else (Hint(_nearest(grid, start)) if start is not None else None)
    prediction = None
    if predict and not image.is_float and (hint is None or (isinstance(start, Hint) and hint.residual is not None)):
        prediction = _predicted(image, codec, target, len(grid), prepared)
        if prediction is not None:
            if hint is None:
                hint = Hint(prediction.index, prediction.slope)
            else:
                hint = _warm_from_prediction(prediction, hint)
    return hint, prediction


@dataclass
class _Bracket:
    """One search's probes by grid index, passing and failing, and what steers the next one."""

    runner: _Runner
    grid: Sequence[float]
    #: The predictor's guess for this search (also kept by the runner for the result), when it made one.
    prediction: Prediction | None
    passing: dict[int, Probe] = field(default_factory=dict)
    failing: dict[int, Probe] = field(default_factory=dict)
    #: Bracket widths seen by interpolation (the bisection safeguard watches them shrink).
    widths: list[int] = field(default_factory=list)
    #: Margin per grid step the search extrapolates with (None: not known yet).
    slope: float | None = None
    #: The grid index of a JPEG source's own quality (where the metric jumps), when the predictor found one.
    special: int | None = field(init=False, default=None)
    #: Margins the mosaic measured (steering, :mod:`qualipress.search.proxy`) by grid index, not used yet.
    mosaic: dict[int, float] = field(default_factory=dict)
    #: Whether the search races a bound (a failing probe may then be the result: the one that proved it lost).
    racing: bool = False
    #: For each grid index, the first and last index of the settings that write the same file
    #: (:mod:`qualipress.search.plateaus`; ``(i, i)`` for codecs without such groups).
    groups: list[tuple[int, int]] = field(init=False, default_factory=list)
    #: Grid indices where the metric can fall below the setting before, with their reach (:mod:`.drops`).
    drops: list[tuple[int, int]] = field(init=False, default_factory=list)
    #: Grid indices probed only to check a proof against a drop, in order (reported in the result's notes).
    guarded: list[int] = field(init=False, default_factory=list)
    #: Why a race was given up on a prediction, not a proof (:func:`predicted_loss`), when it was.
    lost: str | None = field(init=False, default=None)
    #: Grid indices whose probe failed a check that is not monotone (:attr:`CheckOutcome.monotone`), with that
    #: probe (kept when the failure is forgotten as stale).
    flickered: dict[int, Probe] = field(init=False, default_factory=dict)
    #: Passes set aside by :func:`_confirm` (grid index, the passing probe, the failing copy filed instead), put
    #: back by :func:`_put_back` when nothing finer passes.
    aside: list[tuple[int, Probe, Probe]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.runner.prediction = self.prediction
        self.special = self.prediction.source_index if self.prediction is not None else None
        encodable = getattr(self.runner, "encodable", None)  # tests steer brackets with stand-in runners
        self.groups = _plateaus.groups(self.runner.codec, self.grid, options=getattr(self.runner, "options", None),
                                       bit_depth=getattr(encodable, "bit_depth", 8))
        self.drops = _drops.drops(self.runner.codec, self.grid)

    def probe(self, i: int) -> Probe:
        """Probe grid index ``i`` and file it as passing or failing.

        The probe encodes the first setting of ``i``'s group (:mod:`qualipress.search.plateaus`) and is filed under
        every index of the group: the others write the same file, so it proves them too (``min(passing)`` is then
        the group's first index and ``max(failing)`` its last)."""
        passing, failing = self.passing, self.failing
        first, last = self.groups[i]
        p = self.runner.run(self.grid[first])
        if first <= (self.special if self.special is not None else -1) <= last and p.passed and (
                p.margin > _JUMP_MARGIN):
            # The source JPEG's own quality passes by a jump, not on the smooth curve: steer by it as if it had
            # only just passed (so its neighbour below is tried next), and report it as measured.
            steer = replace(p, margin=_JUMP_MARGIN)
            self.runner.alias(steer, p)
            p = steer
        for j in range(first, last + 1):
            (passing if p.passed else failing)[j] = p
            if any(not c.passed and not c.monotone for c in p.checks):
                self.flickered[j] = p
        # Probes that can no longer be the result (a passing one above the lowest pass, a failing one below the
        # highest failure, or any failing one once a probe passed and no race can end on a failure) give back
        # their decoded pixels: one frame each, kept until the search ends otherwise.
        best = passing[min(passing)] if passing else None
        top = failing[max(failing)] if failing else None
        for other in {id(v): v for v in [*passing.values(), *failing.values()]}.values():
            if (other.passed and other is not best) or (not other.passed and (other is not top or (
                    passing and not self.racing))):
                self.runner.drop_pixels(other)
        return p

    def refile(self, i: int, p: Probe) -> None:
        """File ``p`` again under every index of ``i``'s group, as passing or failing by ``p.passed``, and out of
        the other side (a pass set aside by :func:`_confirm`, or put back by :func:`_put_back`)."""
        into, other = (self.passing, self.failing) if p.passed else (self.failing, self.passing)
        first, last = self.groups[i]
        for j in range(first, last + 1):
            other.pop(j, None)
            into[j] = p

    def distinct(self) -> tuple[dict[int, Probe], dict[int, Probe]]:
        """The passing and failing probes once each, by the grid index each encoded (the first of its group)."""
        return ({self.groups[k][0]: v for k, v in self.passing.items()},
                {self.groups[k][0]: v for k, v in self.failing.items()})


def _first_probe(br: _Bracket, hint: Hint | None, *, warm: bool, bound: int | None, size_scale: float,
                 mosaic: bool) -> None:
    """Make the first full-image probe: at the hint, moved when racing ``bound`` or steered by mosaic probes; the
    slope to extrapolate with is the mosaic's local one when it measured one, else the hint's.

    ``warm``: the start is a previous search's :class:`Hint` (a race then starts where the hint says).
    """
    runner, grid, special, prediction = br.runner, br.grid, br.special, br.prediction
    n = len(grid)
    i0 = int(round(hint.index)) if hint is not None else int(round(0.55 * (n - 1)))
    pixels = runner.encodable.width * runner.encodable.height
    if bound is not None and prediction is not None and not warm and prediction.size_curve is not None:
        # Racing another codec's file: one failing probe at least as large as that file ends this search. A clear
        # loser (its file at RACE_SIZE_MARGIN above the bound still predicted to fail; sizes are off by ~10 %)
        # probes there; in a close race the first probe is where its file should just exceed the bound (fails:
        # beaten; passes: it may still win, and the search goes on); a likely winner starts at its prediction.
        per_bound = bound * 8 / pixels / size_scale
        at = prediction.index_for_size(RACE_SIZE_MARGIN * per_bound)
        if at is not None and at <= prediction.index:
            i0 = math.ceil(at)
        else:
            at = prediction.index_for_size(RACE_AIM * per_bound)
            if at is not None and at <= prediction.high:
                i0 = math.ceil(at)
    i0 = min(max(i0, 0), n - 1)
    local_slope = None
    cdc, tgt = runner.codec, runner.target
    # A start at a JPEG source's own quality (the predictor's cap, or a warm hint from another photograph landing
    # there): the mosaic starts just below it (SOURCE_STEERING). A warm start above the source keeps its own rules
    # (docs/search.md § JPEG sources).
    start = i0 if special is None or i0 != special else special - 1
    if (mosaic and bound is None and prediction is not None and start >= 0 and (special is None or start < special)
            and (start == i0 or SOURCE_STEERING)
            and not runner.checks and _proxy.Mosaic.usable(runner.encodable, runner.reference, tgt, cdc)):
        # Started from the predictor (cold, or warm from another photograph): steer the first full-image probe by
        # probes on half the tiles (cheap; see search.proxy).
        try:
            jpeg = prediction.source_quality is not None
            fast = _proxy.fast_options(cdc, runner.options, jpeg_source=jpeg)
            mos = _proxy.Mosaic(runner.encodable, runner.reference, runner.tile, runner.prepared,
                                _proxy.tile_for(cdc), fast=fast)
            guess = hint.slope if hint is not None and hint.slope else prediction.slope
            if start != i0:
                guess = max(guess, _SOURCE_SLOPE)  # just below a JPEG source's quality its margin falls fast
            x, local_slope, runner.steering = _proxy.steer(
                mos, cdc, tgt, grid, start, guess, runner.options, top=special, samples=br.mosaic)
            shift = _proxy.first_probe_shift(cdc, runner.options, jpeg_source=jpeg)
            i0 = min(max(math.ceil(x + shift - 1e-9), 0), n - 1)
        except QualipressError:
            local_slope = None  # the codec would not take the mosaic: start from the prediction alone
    br.probe(i0)
    br.slope = local_slope or (hint.slope if hint is not None and hint.slope else None)


def _bracket(br: _Bracket, hint: Hint | None, *, bound: int | None, tolerance: float, max_probes: int) -> bool:
    """Probe until the lowest passing setting and its failing neighbour are known (or the bytes between the
    bracket's ends are under ``tolerance``, or ``max_probes`` are spent); True when racing ``bound`` proved that
    this codec cannot beat it, or predicted it from the probes so far (:func:`predicted_loss`; ``br.lost`` then
    says why)."""
    runner, n = br.runner, len(br.grid)
    while len(runner.probes) < max_probes:
        if bound is not None and not any(v.bytes < bound for v in br.passing.values()):
            floor_i = min(br.passing) if br.passing else n  # failures above a passing probe are stale (non-monotone)
            if any(v.bytes >= bound for k, v in br.failing.items() if k < floor_i):
                return True  # every setting that passes lies above a failing one already larger than the bound
            if (why := predicted_loss(br, bound)) is not None:
                br.lost = why
                return True  # not proved: its smallest passing file is predicted well above the bound
        lo = max(br.failing) if br.failing else None        # highest failing index
        hi = min(br.passing) if br.passing else None        # lowest passing index
        if hi is not None and lo is not None and lo > hi:
            # Non-monotone: a failing probe above a passing one. Trust the passing one; forget stale failures.
            br.failing = {k: v for k, v in br.failing.items() if k < hi}
            lo = max(br.failing) if br.failing else None
        if hi == 0 or lo == n - 1:
            break
        passing, failing = br.passing, br.failing
        guard = None
        if hi is not None and lo is not None:
            done = hi - lo <= 1 or bool(
                passing[hi].bytes and (passing[hi].bytes - failing[lo].bytes) / passing[hi].bytes < tolerance)
            guard = _drops.guard(br.drops, lo, passing.keys() | failing.keys()) if done else None
            if guard is not None:
                # The proof's failing end is at or just above a setting where the metric can fall: the setting
                # below the drop may pass (search.drops), so it is measured before the proof stands.
                c = guard
            elif done and not _source_below(br, lo):
                c = _confirm(br, lo, hi)
                if c is None:
                    break
                if c == hi:
                    continue  # hi was set aside: the bracket changed
            else:
                c = br.special if done else _inside(br, lo, hi)
        else:
            c = _outside(br, lo, hi, hint)
        if bound is not None and passing and not any(v.bytes < bound for v in passing.values()):
            # Racing, and every passing probe is already larger than the file to beat: only a failing probe at
            # least that large (or a passing one smaller) settles it: the lower of the margins' crossing and where
            # this codec's file should just exceed the bound (_toward_bound; the predicted size curve anchored at
            # the lowest passing probe).
            c = _toward_bound(c, _size_aim(br.prediction, min(passing), passing[min(passing)].bytes,
                                           RACE_AIM * bound), lo, min(passing))
        # Aim at the predicted crossing's passing side; if that is already known, verify its neighbour.
        while c in passing or c in failing:
            c = c - 1 if c in passing else c + 1
            if not 0 <= c < n:
                break
        if not 0 <= c < n or c in passing or c in failing:
            break
        if guard is not None and c == guard:
            br.guarded.append(c)  # noted only once measured
        br.probe(c)
    _put_back(br)
    return False


def _put_back(br: _Bracket) -> None:
    """When no pass is left after :func:`_confirm` set some aside (nothing finer passed every check, e.g. at the
    top of the grid), file the smallest set-aside pass as passing again: it met the target and every check, and a
    lossless fallback would be far larger."""
    if br.passing or not br.aside:
        return
    hi, p, aside = min(br.aside, key=lambda a: a[1].bytes)
    br.refile(hi, p)
    probes = br.runner.probes
    at = next((k for k, q in enumerate(probes) if q is aside), None)
    if at is not None:
        probes[at] = p


def _confirm(br: _Bracket, lo: int, hi: int) -> int | None:
    """Whether the finished bracket's result ``hi`` stands when a check may flicker: None when it does, the next
    finer grid index to probe first, or ``hi`` itself when it was just set aside (filed as failing).

    A passing setting counts only when none of the :data:`FLICKER_STEPS` next finer settings fails a check that
    is not monotone (:attr:`CheckOutcome.monotone`). Such a check (banding on a grainy frame: 2 of 49 smooth blocks
    over the step limit at one distance, 1 at the next, 2 again further on) can pass at an isolated setting
    between failures; which of several passing islands a search ended on then depended on where it probed (a
    warm start at the previous frame's setting vs a bisection from far above). With this rule the result is a
    setting whose coarser neighbour fails and whose finer neighbours do not fail the flickering check. They are
    probed only when the bracket is bound by such a check (``lo`` failed it) or one failed finer than ``hi``;
    otherwise the proof is the usual one and costs nothing more.
    """
    n, passing, failing = len(br.grid), br.passing, br.failing
    if lo not in br.flickered and not any(j > hi for j in br.flickered):
        return None
    finer = hi
    for _ in range(FLICKER_STEPS):
        finer = br.groups[finer][1] + 1
        if finer >= n:
            return None
        if finer in br.flickered:
            break
        if finer not in passing:
            # unknown: probe it; failed the target or a monotone check only: the usual rule trusts the pass (a
            # failure above a pass is forgotten as stale, so the probes themselves say whether it was made)
            made = any(q.setting == br.grid[br.groups[finer][0]] for q in br.runner.probes)
            return None if finer in failing or made else finer
    else:
        return None
    p, flicker = passing[hi], br.flickered[finer]
    names = ", ".join(c.name for c in flicker.checks if not c.passed and not c.monotone)
    why = CheckOutcome(False, "finer setting", f"set aside: the finer setting {br.grid[finer]:g} fails "
                       f"{names}, a check that can flicker")
    aside = replace(p, passed=False, margin=min(p.margin, -1e-3), checks=[*p.checks, why])
    runner = br.runner
    runner.alias(aside, p)
    # the report says why it is not the result (a JPEG source's steered copy stands for the probe it copies)
    at = next((k for k, q in enumerate(runner.probes) if q is p or q.setting == p.setting), None)
    if at is not None:
        runner.probes[at] = aside
    br.aside.append((hi, p, aside))
    br.refile(hi, aside)
    br.refile(finer, flicker)  # forgotten as stale while hi passed; it is the bracket's failing end now
    runner.drop_pixels(p)
    runner.drop_pixels(aside)
    return hi


def _toward_bound(c: int, aim: int | None, lo: int | None, hi: int) -> int:
    """The next probe of a racing search whose passing probes are all larger than the bound: ``c``, where its
    margins put the crossing, or ``aim``, where its file should just exceed the bound (:func:`_size_aim`), whichever
    is lower, inside the bracket (``lo`` fails, ``hi`` passes; ``lo`` None when nothing failed yet).

    A failure at the aim proves the loss (its file is at least the bound); a pass there proves nothing. Where the
    margin says the crossing lies lower still, the aim would only pass again: the search used to walk down
    towards the bound along an optimistic size curve one aim at a time (HEIF on BSD300 training photographs, four
    probes where three did; docs/benchmarks.md § Ninth pass (search10)).
    """
    if aim is not None and (lo is None or aim > lo) and aim < min(c, hi):
        return aim
    return c


#: A racing search gives up, on a prediction and not a proof, when the smallest file it can still find is predicted
#: to be at least this fraction larger than the file to beat (:func:`predicted_loss`); None: races end on proofs
#: only. Chosen on BSD300 training photographs (docs/benchmarks.md § Eighth pass (search9)).
RACE_LOSS: float | None = 0.0
#: The steepest margin slope :func:`predicted_loss` assumes, as a multiple of the slope the search steps with: the
#: steeper the slope, the nearer the crossing and the smaller the file there, so the bound errs towards racing on.
#: 2 until search10; replayed on the races of 24 BSD300 training photographs × 3 targets, 1.1 gave up a codec that
#: would have won and 1.25 did not (docs/benchmarks.md § Ninth pass (search10)); 1.5 until auto15, whose races
#: (24 BSD300 training, 8 Urban100 and 24 BSD300 test photographs, 6 each of the COCO people and Kodak, × 3 targets)
#: chose the same file at 1.25 in every run, racing losers given up a probe sooner (docs/benchmarks.md § `auto`
#: per run (auto15)).
RACE_SLOPE_SPAN = 1.25


def predicted_loss(br: _Bracket, bound: int) -> str | None:
    """Why a racing search cannot be expected to beat ``bound`` bytes, or None.

    Called while no passing probe is under ``bound`` (and no failing probe proved the loss). The lowest setting
    that can pass is put as near as the margins allow: from the highest failing probe (setting ``f``, margin
    ``m < 0``) ``-m / (RACE_SLOPE_SPAN * slope)`` grid steps up, a slope :data:`RACE_SLOPE_SPAN` times the one the
    search steps with; with only passing probes, from the lowest (margin ``m > 0``) ``m * RACE_SLOPE_SPAN /
    slope`` steps down. Its file size is read from the probes' sizes: interpolated in log size between the
    failing and the lowest passing probe when both exist (the slope is then theirs), else along this image's
    predicted size curve through the probe. When that file is at least :data:`RACE_LOSS` larger than ``bound``,
    the codec is given up. A prediction: the result says so (``beaten``), and ``benchmarks/auto_cost.py --full``
    compares the race's choice with every codec searched to its end. Not used for a JPEG source re-encoded as
    JPEG (the metric jumps at its own quality), after a failed decision check (no margin), or without a slope.
    """
    if RACE_LOSS is None or br.special is not None or not (br.failing or br.passing):
        return None
    pred = br.prediction
    knots = log_bpp = None
    if pred is not None and pred.size_curve is not None:
        knots = np.asarray(pred.size_curve[0], dtype=np.float64)
        log_bpp = np.maximum.accumulate(np.asarray(pred.size_curve[1], dtype=np.float64))
    slopes = [s for s in (br.slope, pred.slope if pred is not None else None) if s is not None and s > 0]

    def along_curve(size: int, at: float, x: float) -> float:
        """A ``size``-byte file at grid index ``at`` moved to index ``x`` along the image's predicted size curve."""
        return size * 10 ** float(np.interp(x, knots, log_bpp) - np.interp(at, knots, log_bpp))

    hi = min(br.passing) if br.passing else None
    if br.failing:
        lo = max(br.failing)
        p, f = br.failing[lo], br.groups[lo][0]  # the failing probe and the setting it encoded
        if p.check_failed or p.margin >= 0 or p.bytes >= bound or (hi is not None and hi <= lo):
            return None
        if _drops.guard(br.drops, lo, br.passing.keys() | br.failing.keys()) is not None:
            return None  # the setting below a metric drop may pass at fewer bytes than this failing probe (review)
        steps = max(slopes, default=0.0)  # stepping up from a failure: the steeper slope is the hopeful side
        if hi is not None:
            top = br.passing[hi]
            slope = (top.margin - p.margin) / (hi - f)
            if slope <= 0 or top.bytes <= p.bytes:
                return None
            x = f + (-p.margin) / (RACE_SLOPE_SPAN * slope)
            guess = p.bytes * (top.bytes / p.bytes) ** ((x - f) / (hi - f))
        else:
            if steps <= 0 or knots is None or log_bpp is None:
                return None
            x = min(f + (-p.margin) / (RACE_SLOPE_SPAN * steps), len(br.grid) - 1)
            guess = along_curve(p.bytes, f, x)
        seen = f"{br.grid[f]:g} fails at {p.bytes:,} bytes, {-p.margin:.3f} below the target"
    else:
        assert hi is not None
        p = br.passing[hi]
        codec = br.runner.codec
        if codec.info.lossless and _lossless.worth_trying(br.runner.encodable, bound, codec.name)[0]:
            return None  # all lossy probes pass and its lossless file (compared only at the end) may beat the bound
        steps = min(slopes, default=0.0)  # stepping down from a pass: the gentler slope is the hopeful side
        if p.check_failed or steps <= 0 or knots is None or log_bpp is None:
            return None
        x = max(hi - p.margin * RACE_SLOPE_SPAN / steps, 0.0)
        guess = along_curve(p.bytes, hi, x)
        seen = f"{br.grid[hi]:g} passes at {p.bytes:,} bytes, {p.margin:.3f} above the target"
    if guess < (1 + RACE_LOSS) * bound:
        return None
    return (f"predicted not to beat {bound:,} bytes (not proved): {seen}, and the lowest setting that may pass is "
            f"predicted at {guess:,.0f} bytes or more")


def _source_below(br: _Bracket, lo: int) -> bool:
    """Whether a JPEG source's own quality lies below the failing end ``lo`` of a finished bracket, not probed
    yet. Its metric jumps there and falls again above it (a q90 COCO photo: SSIM 0.9999 at q90, 0.9878 at q93,
    0.9918 at q94), so a bracket found above it (a warm start from another image) may not hold the lowest passing
    setting: the source's quality is probed before the search stops, and if it passes the search goes on below."""
    s = br.special
    return s is not None and s < lo and s not in br.passing and s not in br.failing and not any(
        p.setting == br.grid[s] for p in br.runner.probes)


def _inside(br: _Bracket, lo: int, hi: int) -> int:
    """The next grid index inside the bracket (``lo`` fails, ``hi`` passes): regula falsi with the Illinois rule,
    bisection when that stops shrinking the bracket, and the finishing move near an end."""
    runner, passing, failing, special = br.runner, br.passing, br.failing, br.special
    m_lo, m_hi = failing[lo].margin, passing[hi].margin
    # Illinois rule: an end of the bracket that survived the last two probes has its margin halved, so
    # the interpolation does not creep towards the other end one grid step at a time.
    if len(runner.probes) >= 2:
        last2 = {id(runner.probes[-1]), id(runner.probes[-2])}
        if id(failing[lo]) not in last2:
            m_lo /= 2
        elif id(passing[hi]) not in last2:
            m_hi /= 2
    # Interpolate between the settings the two ends encoded (a failing group's first index, not its last).
    x = _crossing(br.groups[lo][0], m_lo, hi, m_hi)
    if failing[lo].check_blind:
        x = (lo + hi) / 2  # a failed check gives no distance to interpolate on
    width = hi - lo
    if len(br.widths) >= 2 and br.widths[-1] > 0.6 * br.widths[-2]:
        # Safeguard (as in Brent's method): interpolation is not shrinking the bracket (a plateau or a
        # step in the curve), so bisect.
        x = (lo + hi) / 2
    br.widths.append(width)
    c = min(max(math.ceil(x - 1e-9), lo + 1), hi - 1)
    # Finishing move: when the bracket's own slope puts the crossing within one step of an end, probe
    # that end's neighbour (the proof needs it) instead of interpolating or bisecting towards the middle.
    # Only in a narrow bracket: across a wide one the slope may be a step (a JPEG source's own quality).
    s_loc = (passing[hi].margin - failing[lo].margin) / (hi - br.groups[lo][0])
    if s_loc > 0 and width <= _FINISH_WIDTH and not failing[lo].check_blind:
        if passing[hi].margin < s_loc:
            c = hi - 1
        elif -failing[lo].margin < s_loc:
            c = lo + 1
    if special is not None and lo < special < hi and special not in passing:
        c = special  # the source JPEG's own quality: re-encoding there makes the metric jump
    return c


def _outside(br: _Bracket, lo: int | None, hi: int | None, hint: Hint | None) -> int:
    """The next grid index while only one side of the threshold is known: extrapolate from the end nearest the
    threshold with the local slope (updating ``br.slope``), at most a third of the grid at a time."""
    passing, failing, special, n = br.passing, br.failing, br.special, len(br.grid)
    # Local slope from the two probes closest to the threshold (the margin curve is not a line).
    distinct_pass, distinct_fail = br.distinct()  # one point per file written (groups of equal settings)
    if special is not None:
        # A JPEG source's own quality passing is steered by :data:`_JUMP_MARGIN`, not its measured margin: it
        # would pass for the point nearest the threshold and give a slope of the wrong sign.
        distinct_pass.pop(br.groups[special][0], None)
    near = sorted({**distinct_pass, **distinct_fail}.items(), key=lambda kv: abs(kv[1].margin))[:2]
    if len(near) == 2 and near[0][0] != near[1][0]:
        (ia, pa), (ib, pb) = sorted(near)
        s_new = (pb.margin - pa.margin) / (ib - ia)
        if s_new > 1e-6:
            br.slope = s_new
    base_i = hi if hi is not None else lo
    assert base_i is not None
    base = (passing if hi is not None else failing)[base_i]
    s_use = br.slope if br.slope and br.slope > 0 else _default_slope(n)
    if (br.runner.codec.name in _proxy.SLOPE_FLOOR_CODECS and br.prediction is not None and br.prediction.slope
            and not getattr(br.runner, "see_through", False)):
        # AVIF: two full-image probes a few steps apart often measure a flat stretch of its uneven curve; step by
        # the steeper of that and the predicted slope (docs/benchmarks.md § Sixth pass). Not with alpha: the
        # predicted slope is the opaque colour's, and colour seen through alpha < 1 loses margin far slower (an
        # alpha fade crept to the probe cap at the floor's steps: docs/benchmarks.md § QA session 12).
        s_use = max(s_use, br.prediction.slope)
    if hi is not None and not failing and special is not None and 0 < special - base_i <= _SOURCE_REACH:
        # Passing below a JPEG source's own quality, nothing failed yet: the re-encode keeps most of the source's
        # coefficients and its margin falls far faster than the smooth curve's (docs/benchmarks.md § JPEG sources
        # re-encoded as JPEG): step by at least that fall, not the predicted slope that leapt into the flat part.
        s_use = max(s_use, _SOURCE_SLOPE)
    step = max(-n / 3, min(n / 3, -base.margin / s_use))
    # Step from the setting the probe encoded (a failing group's first index), then out of the group.
    c = min(max(math.ceil(br.groups[base_i][0] + step - 1e-9), 0), n - 1)
    if hi is None:
        c = max(c, min(base_i + 1, n - 1))
    if hi is None and 0 < step <= 1.5:
        c = min(base_i + 1, n - 1)  # failing just below the crossing: the proof may need only its neighbour
    far = _mosaic_end(br, base_i, hi is not None) if br.runner.codec.name in _proxy.BRACKET_CODECS else None
    if far is not None and not base.check_failed:
        # The mosaic measured the other side of the threshold: interpolate between it and this probe, as inside a
        # bracket (the curve bends, so the local secant beats any slope measured elsewhere); each mosaic sample
        # serves once, then the search steps as before.
        j = far
        x = _crossing(*((j, br.mosaic.pop(j), base_i, base.margin) if hi is not None
                        else (base_i, base.margin, j, br.mosaic.pop(j))))
        c = math.ceil(x - 1e-9)  # the passing side of the crossing, strictly inside (j, base_i) or (base_i, j]
        c = min(max(c, j + 1), base_i - 1) if hi is not None else min(max(c, base_i + 1), j)
    if hi is None and special is not None and base_i < special < c:
        c = special  # climbing towards a JPEG source's own quality: it passes by a jump, try it first
    if hi is None and base.check_blind:
        c = math.ceil((base_i + n - 1) / 2)  # only a check failed: halve the distance to the top
    if hint is not None and hint.checked:
        jump = 2 ** (len(passing if hi is not None else failing) - 1)
        c = min(max(base_i - jump if hi is not None else base_i + jump, 0), n - 1)
    return c


def _mosaic_end(br: _Bracket, base_i: int, passing: bool) -> int | None:
    """The unused mosaic sample nearest ``base_i`` clearly on the other side of the threshold (below a passing
    probe with a margin under -:data:`_MOSAIC_NOISE`, above a failing one with one over it) and at most
    :data:`_FINISH_WIDTH` grid steps away (across a wider span the curve bends too much for a secant), or None."""
    if passing:
        below = [j for j, m in br.mosaic.items() if base_i - _FINISH_WIDTH <= j < base_i and m < -_MOSAIC_NOISE]
        return max(below) if below else None
    above = [j for j, m in br.mosaic.items() if base_i < j <= base_i + _FINISH_WIDTH and m > _MOSAIC_NOISE]
    return min(above) if above else None


#: A mosaic margin closer than this to 0 may have the wrong sign for the full image (its estimate differs from the
#: image's value by about ±0.01 margin units on Kodak): it does not count as the other side of the threshold.
_MOSAIC_NOISE = 0.02


def _finish(br: _Bracket, *, bound: int | None, beaten: bool, lossless_fallback: bool) -> SearchResult:
    """The search's result: the lowest passing probe (with the hint for the next image), the failing probe that
    proved a race lost (or the probe its prediction stopped at, :func:`predicted_loss`), or, when nothing lossy
    passed, the lossless fallback (or the best failing probe)."""
    runner, passing, failing, grid, prediction = br.runner, br.passing, br.failing, br.grid, br.prediction
    if beaten and not failing:
        # Given up on a prediction with only passing probes, all larger than the bound: a valid file, not the best.
        out = runner.result(passing[min(passing)], met=True, hint=Hint(float(min(passing))))
        out.beaten = br.lost
        return out
    if beaten:
        best_i = max(failing)
        out = runner.result(failing[best_i], met=False, hint=Hint(float(best_i)))
        out.beaten = br.lost or (
            f"cannot beat {bound:,} bytes: {grid[best_i]:g} fails at {failing[best_i].bytes:,} bytes")
        return out
    if passing:
        best = passing[min(passing)]
        hint_out = _hint_from(min(passing), *br.distinct())
        if prediction is not None:
            hint_out.predicted = prediction.index
            hint_out.residual = min(passing) - prediction.index
        out = runner.result(best, met=True, hint=hint_out)
        out.notes = [*out.notes, *(_guard_note(br, g) for g in br.guarded)]
        return out
    # Nothing lossy passed.
    if not lossless_fallback:
        best_i = max(failing)
        return runner.result(failing[best_i], met=False, hint=Hint(float(best_i)))
    return runner.fallback()


def _guard_note(br: _Bracket, g: int) -> str:
    """The report's line for a setting probed to check a proof against a drop of the metric (:mod:`.drops`)."""
    p = br.passing.get(g) or br.failing.get(g)
    outcome = "unknown" if p is None else ("passed: the search went on below it" if p.passed else "failed")
    return (f"{br.runner.codec.name}: checked {br.grid[g]:g} below the setting {_drops.NOTE_MARK} "
            f"({br.grid[g + 1]:g}) before proving the result: {outcome}")


def _predicted(image: Image, codec: Codec, target: Target, grid_size: int,
               prepared: _metrics.Reference | None = None) -> Prediction | None:
    """The shipped predictor's guess for this image, codec and target (None without a model for them;
    ``prepared`` as in :func:`_features`)."""
    model = _predict.load()
    if model is None or not model.has(codec.name):
        return None
    source_q, feats = _features(image, prepared)
    pred = model.predict(codec.name, grid_size, target, feats)
    q = codec.info.quality
    if pred is None or source_q is None:
        return pred
    pred = replace(pred, source_quality=source_q)
    if codec.name not in _SAME_TABLES or q is None:
        return pred
    # A JPEG source re-encoded with the same quantisation tables keeps nearly all its coefficients: the metric
    # jumps at the source's own quality. When the smooth curve needs about that quality or more, start there.
    src_i = int(np.argmin(np.abs(np.asarray(q.grid) - source_q)))
    if pred.index > src_i - 1:
        return replace(pred, index=float(src_i), low=min(pred.low, src_i), high=max(pred.high, src_i),
                       binding=f"{pred.binding} (source JPEG quality {source_q:g})", source_index=src_i)
    return replace(pred, source_index=src_i)


#: How much larger than the file to beat a losing codec's first probe is predicted to be (see ``bound``).
RACE_SIZE_MARGIN = 1.15
#: Once a racing codec passes only with files larger than the bound, it next probes where its file should be this
#: much larger than the bound (see :func:`_size_aim`).
RACE_AIM = 1.03


#: The last image's features: ``auto`` predicts every candidate codec for one image, and the pipeline predicts
#: again in the search (held by identity; images are never modified in place).
_last_features: list[tuple[Image, float | None, dict[str, float]]] = []


def _features(image: Image, prepared: _metrics.Reference | None = None) -> tuple[float | None, dict[str, float]]:
    """The source JPEG quality and the predictor's features of ``image``, computed once per image object.

    ``prepared``: a search's reference; when ``image`` is its source, the features read its normalised planes
    instead of converting ``image`` again (the same values; 0.08 ms for a 481×321 photograph, 0.18 ms for
    768×512).
    """
    for img, q, feats in _last_features:
        if img is image:
            return q, feats
    q = _predict.jpeg_source_quality(image)
    feats = _predict.image_features(image, jpeg_quality=q,
                                    perceptual=None if prepared is None else prepared.perceptual_of(image))
    _last_features[:] = [(image, q, feats)]
    return q, feats


#: Codecs whose quality scales the IJG tables, as the JPEG sources' estimated quality does.
_SAME_TABLES = ("jpeg",)
#: Margin the search steers by at a source JPEG's own quality when it passes (it would mislead interpolation).
_JUMP_MARGIN = 1e-3
#: Least margin fall per grid step assumed just below a JPEG source's own quality (IJG-scaled tables): measured
#: 0.11-0.23 SSIM margin units a step from the source's neighbour to the crossing on qa9's 8 BSD300 sources, 0.15-0.23
#: on the one COCO photo that passes at its neighbour (the smooth predicted slope there is ~0.02; docs/benchmarks.md
#: § JPEG sources re-encoded as JPEG).
_SOURCE_SLOPE = 0.1
#: A JPEG source re-encoded as JPEG whose smooth predicted curve needs its own quality or more is steered on the
#: mosaic from the setting just below that quality (never at it: the metric jumps there), so the full-image probes
#: start where the target is met below the source instead of at the source and its neighbour (docs/search.md
#: § JPEG sources; docs/benchmarks.md § Ninth pass (search10)). False: such a search starts at the source.
SOURCE_STEERING = True
#: How far below a JPEG source's own quality (grid steps) a lowest passing probe takes :data:`_SOURCE_SLOPE` (the
#: search tries the source's neighbour right after the source: further down, two measured probes give a secant).
_SOURCE_REACH = 2
#: Widest bracket (grid steps) in which the search probes an end's neighbour on the bracket's slope alone.
_FINISH_WIDTH = 8
#: How many next finer settings must not fail a check that can flicker for a passing setting to stand
#: (:func:`_confirm`).
FLICKER_STEPS = 2


#: Two predictions this many grid steps apart share none of their residual (linear in between).
_RESIDUAL_SPAN = 4.0
#: The previous image's slope replaces this image's predicted one only when the residual carries over at least
#: this weight (predictions within 0.4 grid steps: a near-identical frame). With 0.5 (2 steps), an unrelated
#: photograph with a close prediction lent its slope too: kodim03 at SSIM >= 0.95 after kodim02 steered its mosaic
#: by a slope ~6x its own, stopped after one mosaic probe 9 steps high and crept down in 5 full-image probes
#: (docs/benchmarks.md § Seventh pass (search8)).
_SLOPE_WEIGHT = 0.9


def _warm_from_prediction(prediction: Prediction, previous: Hint) -> Hint:
    """Start at this image's prediction plus the share of the previous image's residual that carries over."""
    gap = abs(prediction.index - (previous.predicted if previous.predicted is not None else -1e9))
    weight = max(0.0, 1.0 - gap / _RESIDUAL_SPAN)
    slope = previous.slope if weight >= _SLOPE_WEIGHT and previous.slope else prediction.slope
    return Hint(prediction.index + weight * (previous.residual or 0.0), slope)


def _size_aim(prediction: Prediction | None, index: int, size: int, want: float) -> int | None:
    """The grid index where the file should reach ``want`` bytes: the predicted size curve's shape, scaled so it
    passes through ``size`` bytes at ``index`` (None without a size curve)."""
    if prediction is None or prediction.size_curve is None:
        return None
    knots, log_bpp = (np.asarray(v, dtype=np.float64) for v in prediction.size_curve)
    at_index = 10 ** float(np.interp(index, knots, log_bpp))
    pos = prediction.index_for_size(at_index * want / max(size, 1))
    return None if pos is None else math.ceil(pos - 1e-9)


def _nearest(grid: Sequence[float], value: float) -> float:
    return float(np.argmin(np.abs(np.asarray(grid) - float(value))))


def _default_slope(n: int) -> float:
    # A margin change of ~2 units (e.g. SSIM 0.9 -> 0.999) across the grid.
    return 2.0 / max(1, n - 1)


def _crossing(lo: int, m_lo: float, hi: int, m_hi: float) -> float:
    """Grid position where the margin crosses zero, linearly between a failing and a passing probe."""
    if m_hi - m_lo <= 1e-12:
        return (lo + hi) / 2
    return lo + (0.0 - m_lo) * (hi - lo) / (m_hi - m_lo)


def _hint_from(i: int, passing: dict[int, Probe], failing: dict[int, Probe], window: int = 30) -> Hint:
    """Where this search ended and the margin's slope there, for the next image's warm start.

    The slope is a least-squares fit over the probes within ``window`` grid steps of the result: the two
    neighbours that end a search differ by one step, so their slope is mostly the metric's noise.
    """
    pts = [(k, v.margin) for k, v in sorted({**passing, **failing}.items()) if abs(k - i) <= window]
    slope = None
    if len(pts) >= 2:
        x = np.array([k for k, _ in pts], float)
        y = np.array([m for _, m in pts], float)
        if np.ptp(x) > 0:
            s = float(np.polyfit(x, y, 1)[0])
            slope = s if s > 0 else None
    return Hint(float(i), slope)


#: Images of at least this many samples (film frames: 2K RGB is 6.6 million; photographs over ~1.4 Mpixel
#: too) hold no decoded probe while the next one is made: the runner keeps its bytes and a SHA-256 of its pixels
#: and decodes it again if it is the result (:meth:`_Runner.result`); one decode more per search, one decoded
#: frame less resident at every probe.
SHELVE_SAMPLES = 1 << 22


class _Runner:
    """Makes the search's probes with :func:`qualipress.search.probe.probe`, judges them (target, byte budget,
    checks, margin) and keeps them in order."""

    def __init__(self, image: Image, codec: Codec, target: Target, reference: Image | None,
                 masks: Mapping[str, np.ndarray] | None, options: dict[str, Any], checks: Sequence[Check],
                 tile: int) -> None:
        self.codec = codec
        self.target = target
        self.options = options
        self.checks = list(checks)
        if (reference if reference is not None else image).has_alpha:
            self.checks.append(alpha_kept)
        self.tile = tile
        self.encodable = encodable(image)
        ref = reference if reference is not None else image
        self.reference = ref
        #: Whether some pixel is less than opaque (an RGBA export with alpha 255 everywhere is searched as opaque).
        self.see_through = ref.has_alpha and not bool(np.all(ref.alpha() == ref.max_value))
        # Normalised once, with its SSIM window statistics, for every probe (see metrics.Reference).
        self.prepared = _metrics.prepare_reference(ref)
        self.masks = dict(masks or {})
        missing = [s for s in target.scoped_metrics() if s not in self.masks]
        if missing:
            raise UnsupportedError(f"target {target} needs mask(s) {', '.join(missing)} (e.g. from --roi)")
        self.probes: list[Probe] = []
        self.prediction: Prediction | None = None
        self.steering = 0
        self._last: dict[int, tuple[bytes, Image | None, dict[str, MetricResult]]] = {}
        #: probe id -> SHA-256 of the decoded pixels given back before the next probe (large images only)
        self._shelved: dict[int, bytes] = {}
        #: whether :meth:`result` decodes a shelved result again (:func:`search`'s ``decode_result``)
        self.decode_result = True

    def _metric_keys(self) -> list[str]:
        """What every probe measures: the target's metrics, SSIM and PSNR, and the target's scoped metrics; for a
        target on PSNR alone (no byte budget, whose ranking reads SSIM) no SSIM: its blurs would cost more than the
        rest of the measurement, and :meth:`result` measures it once on the result."""
        psnr_only = self.target.budget is None and set(self.target.metrics) == {"psnr"}
        names = list(dict.fromkeys([*self.target.metrics, *(() if psnr_only else ("ssim",)), "psnr"]))
        scoped = [f"{scope}:{m}" for scope, ms in self.target.scoped_metrics().items() for m in ms]
        return names + scoped

    def run(self, setting: float | None, *, lossless: bool = False, codec: Codec | None = None) -> Probe:
        cdc = codec or self.codec
        self._shelve()
        t0 = time.perf_counter()
        # Checks first when the target measures no bytes: a probe that fails a check fails whatever the target's
        # metrics say, so they are measured only for probes that pass every check.
        first = bool(self.checks) and self.target.budget is None
        # Too close to call in float32: decided on the float64 measurement (rare; about twice the cost).
        pr = probe_setting(self.encodable, cdc, setting, reference=self.prepared, masks=self.masks,
                          metrics=() if first else self._metric_keys(), lossless=lossless, options=self.options,
                          tile=self.tile, precise_if=self.target.near_threshold)
        data, decoded, res = pr.data, pr.decoded, pr.metrics
        if self.target.budget is not None:
            res["bytes"] = MetricResult("bytes", float(len(data)))
        outcomes: list[CheckOutcome] = []
        for chk in self.checks:  # in order, until one fails: the rest cannot change the probe's verdict
            outcomes.append(chk(self.reference, decoded))
            if not outcomes[-1].passed:
                break
        checked = all(o.passed for o in outcomes)
        if first and checked:
            res = measure_decoded(self.prepared, decoded, self._metric_keys(), masks=self.masks, tile=self.tile,
                                  precise_if=self.target.near_threshold)
        passed = checked and self.target.satisfied(res)
        margin = self.target.margin(res) if res or not first else math.inf
        distances = [o.margin for o in outcomes if o.margin is not None]
        if distances:  # a check that measures its distance may be the binding constraint
            margin = min(margin, *distances)
        if not checked:
            margin = min(margin, -1e-3)
        p = Probe(setting, len(data), passed, margin, {k: v.value for k, v in res.items()}, outcomes, lossless,
                  cdc.name, time.perf_counter() - t0)
        self.probes.append(p)
        self._last[id(p)] = (data, decoded, res)
        return p

    def _shelve(self) -> None:
        """Before a probe of a large image (:data:`SHELVE_SAMPLES`), give back the decoded pixels still held (the
        probes that may yet be the result), keeping a digest of each for :meth:`result`."""
        if self.encodable.pixels.size < SHELVE_SAMPLES:
            return
        digests: dict[int, bytes] = {}
        for key, (data, decoded, res) in list(self._last.items()):
            if decoded is not None:
                if id(decoded) not in digests:
                    digests[id(decoded)] = pixel_digest(decoded.pixels)
                self._shelved[key] = digests[id(decoded)]
                self._last[key] = (data, None, res)

    def drop_pixels(self, probe: Probe) -> None:
        """Forget ``probe``'s decoded image (it cannot be the result any more): :meth:`result` then returns it with
        ``decoded`` None."""
        self._shelved.pop(id(probe), None)
        kept = self._last.get(id(probe))
        if kept is not None and kept[1] is not None:
            self._last[id(probe)] = (kept[0], None, kept[2])

    def alias(self, copy: Probe, original: Probe) -> None:
        """Let ``copy`` (the same probe, steered by another margin) stand for ``original`` in :meth:`result`."""
        self._last[id(copy)] = self._last[id(original)]
        if id(original) in self._shelved:
            self._shelved[id(copy)] = self._shelved[id(original)]

    def result(self, probe: Probe, *, met: bool, hint: Hint | None = None, fallback: str | None = None,
               codec: str | None = None) -> SearchResult:
        data, decoded, res = self._last[id(probe)]
        digest = None
        if decoded is None and id(probe) in self._shelved:
            if self.decode_result:
                decoded, digest = self._unshelve(probe, data)
            else:  # the caller decodes the written file and compares it with the pixels the probe was measured on
                digest = self._shelved[id(probe)]
        missing = [k for k in dict.fromkeys([*self._metric_keys(), "ssim", "psnr"]) if k not in res]
        if missing:  # a PSNR-only target's probes measure no SSIM (_metric_keys), a probe that failed a check
            # nothing (run): the result reports them
            seen = decoded if decoded is not None else self._decode(probe, data)
            res = {**res, **measure_decoded(self.prepared, seen, missing, masks=self.masks, tile=self.tile)}
            self._last[id(probe)] = (data, decoded, res)
        out = SearchResult(data, codec or probe.codec or self.codec.name, probe.setting, probe.lossless, met, res,
                           list(self.probes), fallback, decoded, dict(self.options), self.prediction, digest=digest)
        out.hint = hint  # type: ignore[attr-defined]
        out.steering = self.steering
        return out

    def _decode(self, probe: Probe, data: bytes) -> Image:
        """``data``, written for ``probe`` (by the codec it names, or this search's), decoded as the search measures
        it."""
        return _codecs.decode_like(_codecs.get(probe.codec) if probe.codec else self.codec, data, self.encodable)

    def _unshelve(self, probe: Probe, data: bytes) -> tuple[Image | None, bytes | None]:
        """``probe``'s pixels decoded again from its bytes and their digest, when they are the ones it was measured
        on (same digest; the pipeline then compares the written file's pixels with the digest, not hashing them
        again); ``(None, None)`` otherwise (a decoder that is not deterministic: the pipeline then measures the
        written file again)."""
        again = self._decode(probe, data)
        digest = self._shelved.pop(id(probe))
        if pixel_digest(again.pixels) != digest:
            return None, None
        self._last[id(probe)] = (data, again, self._last[id(probe)][2])  # held until the next probe, if any
        return again, digest

    def fallback(self) -> SearchResult:
        best = self.codec.info.quality.grid[-1] if self.codec.info.quality else None
        why = f"no {self.codec.name} setting up to {best} met {self.target}"
        if self.codec.info.lossless:
            p = self.run(None, lossless=True)
            return self.result(p, met=p.passed, fallback=f"{why}; used {self.codec.name} lossless mode")
        alt_name = self.codec.info.lossless_fallback or "png"
        alt = _codecs.get(alt_name)
        p = self.run(None, lossless=True, codec=alt)
        return self.result(p, met=p.passed, fallback=f"{why}; {self.codec.name} has no lossless mode, used {alt_name}",
                           codec=alt_name)


#: The order ``best_of`` races codecs in: usually most compact first for photographs at the profiles' targets
#: (measured in docs/benchmarks.md), so the first result is a tight bound that the others stop at quickly.
RACE_ORDER = ("avif", "jpegxl", "heif", "webp", "jpegli", "jpeg2000", "jpeg")


#: After the codec expected to be smallest has been searched, a codec whose *predicted* file (corrected by how far
#: the searched codecs' files were from their predictions, :func:`size_scale`) is more than this fraction larger
#: than the best file found is not searched at all (a prediction, not a proof: the benchmark in
#: docs/benchmarks.md compares the choice with a full search of every codec).
SKIP_MARGIN = 0.25
#: When the best file so far comes from a slow codec (probe cost at least SLOW), a codec whose probes cost COSTLY
#: times as much is raced only when its corrected prediction is at least COSTLY_GAIN smaller than that file (HEIF
#: against AVIF: 2× the cost per probe, files within ±8 % on Kodak). On 6 Kodak images × 3 targets both 0.05 and
#: 0 missed a 4–8 % smaller HEIF file in the same 3 of 18 runs; 0 only raced more losing HEIF searches
#: (docs/benchmarks.md).
SLOW = 6
COSTLY = 1.8
COSTLY_GAIN = 0.05
#: Codecs predicted within this fraction of the smallest file are near-equals: the cheapest is raced first.
RACE_TIE = 0.10
#: CPU cost of one probe relative to JPEG at 768×512 (rounded, from ``benchmarks/auto_cost.py`` runs on Kodak,
#: docs/benchmarks.md); only orders near-equal codecs in a race.
PROBE_COST = {"jpeg": 1, "jpegli": 1, "webp": 2, "jpeg2000": 3, "jpegxl": 6, "avif": 10, "heif": 20}


def expected_sizes(codec_names: Sequence[str], image: Image,
                   target: Target | str | Sequence[str]) -> dict[str, float]:
    """The predictor's expected file size (bytes) for each codec that has a size model, at the setting it
    predicts for ``target``; none for float images. For images with alpha the size curves add the alpha plane and
    take off the colour under alpha 0 that libjxl and libwebp drop (:data:`qualipress.search.predict.ALPHA_SIZE`),
    so these sizes order a race there too; a race does not skip codecs on them when some pixels are fully
    transparent (:func:`skip_reason`)."""
    if image.is_float:
        return {}
    tgt = parse_target(target)
    out: dict[str, float] = {}
    for name in codec_names:
        try:
            cdc = _codecs.get(name)
        except Exception:
            continue
        q = cdc.info.quality
        pred = _predicted(image, cdc, tgt, len(q.grid)) if q is not None and cdc.info.lossy else None
        if pred is not None and pred.bits_per_pixel is not None:
            out[name] = pred.bits_per_pixel * image.width * image.height / 8
    return out


def budget_order(codec_names: Sequence[str], image: Image, target: Target | str | Sequence[str]) -> list[str]:
    """``codec_names`` in the order to search them under a byte budget, best predicted quality at the budget
    first (:func:`qualipress.search.budget.order_for_budget`)."""
    tgt = parse_target(target)
    feats = None if image.is_float else _features(image)[1]
    return order_for_budget(codec_names, image, tgt, feats)


def race_order(codec_names: Sequence[str], image: Image | None = None,
               target: Target | str | Sequence[str] | None = None,
               expected: Mapping[str, float] | None = None) -> list[str]:
    """The order to race ``codec_names`` in: by expected file size (``expected``, or predicted from ``image`` and
    ``target``), smallest first, then the codecs without a size prediction in :data:`RACE_ORDER` (unknown names
    last). The codecs predicted within :data:`RACE_TIE` of the smallest go first, cheapest per probe
    (:data:`PROBE_COST`) first: a wrong guess between near-equals then costs the cheap search, and a slow codec
    can be skipped against a slightly cheaper near-equal (:func:`skip_reason`)."""
    rank = {n: k for k, n in enumerate(RACE_ORDER)}
    static = sorted(codec_names, key=lambda n: rank.get(n, len(rank)))
    if expected is None:
        if image is None or target is None or len(static) < 2:
            return static
        expected = expected_sizes(static, image, target)
    first = sorted((n for n in static if n in expected), key=lambda n: expected[n])
    if first:
        near = [n for n in first if expected[n] <= (1 + RACE_TIE) * expected[first[0]]]
        near.sort(key=lambda n: (PROBE_COST.get(n, max(PROBE_COST.values())), expected[n]))
        first = near + [n for n in first if n not in near]
    return first + [n for n in static if n not in expected]


def size_scale(expected: Mapping[str, float], results: Mapping[str, SearchResult]) -> float:
    """How much larger (>1) or smaller the files found so far for this image are than predicted: the geometric
    mean of found / expected over the codecs searched to a result. 1 when none has been."""
    ratios = [len(r.data) / expected[n] for n, r in results.items()
              if n in expected and expected[n] > 0 and r.met and r.beaten is None and not r.lossless]
    return float(np.exp(np.mean(np.log(ratios)))) if ratios else 1.0


def skip_reason(name: str, expected: Mapping[str, float], best_bytes: int | None, searched: int,
                scale: float = 1.0, best_codec: str | None = None, *, image: Image | None = None) -> str | None:
    """Why ``name`` need not be searched in a race, or None.

    Skipped: a codec whose predicted file, corrected by what the searches so far found for this image (``scale``,
    :func:`size_scale`), is more than :data:`SKIP_MARGIN` above the best file; and, when the best file's codec
    (``best_codec``) is slow (:data:`SLOW`), a codec whose probes cost :data:`COSTLY` times as much
    (:data:`PROBE_COST`) unless it is predicted at least :data:`COSTLY_GAIN` smaller. Never when ``image`` (the
    image raced) has straight alpha that is not opaque everywhere (:func:`~qualipress.search.predict.alpha_sized`):
    the predicted settings there are less sure (WebP 6.6 grid steps off on average on photographs with a soft fade,
    once +27), and skipping on them chose a 31 % larger file for one of 24 RGBA files (docs/benchmarks.md § RGBA
    size model); each codec then races, stopped by the best file so far.
    """
    if searched < 1 or best_bytes is None or name not in expected:
        return None
    if image is not None and _predict.alpha_sized(image):
        return None
    guess = expected[name] * scale
    if guess > (1 + SKIP_MARGIN) * best_bytes:
        return (f"predicted {guess:,.0f} bytes, {100 * (guess / best_bytes - 1):.0f} % above the "
                f"best file so far ({best_bytes:,} bytes)")
    cost, best_cost = PROBE_COST.get(name), PROBE_COST.get(best_codec or "")
    if cost is not None and best_cost is not None and best_cost >= SLOW and cost >= COSTLY * best_cost and (
            guess > (1 - COSTLY_GAIN) * best_bytes):
        return (f"predicted {guess:,.0f} bytes against {best_bytes:,} ({best_codec}), not {100 * COSTLY_GAIN:.0f} % "
                f"smaller, at {cost / best_cost:.0f}× the cost per probe")
    return None


def best_of(
    image: Image,
    codec_names: Sequence[str],
    target: Target | str | Sequence[str],
    *,
    starts: Mapping[str, float | Hint] | None = None,
    on_skip: Callable[[str, str], None] | None = None,
    race: bool = True,
    bound: int | None = None,
    **kwargs: Any,
) -> tuple[SearchResult, dict[str, SearchResult]]:
    """Search several codecs and keep the smallest result that meets the target (``--codec auto``).

    Codecs that cannot carry the image (bit depth, alpha) are skipped; ``on_skip(codec, reason)`` is told why.
    With ``race`` (default) the codecs are searched in :data:`RACE_ORDER` and each later search stops as soon as
    it proves (or its probes predict) it cannot beat the smallest passing file so far (see ``bound`` in
    :func:`search`); its result then has ``beaten`` set. ``bound`` gives a file size to beat from the start (an
    earlier call's winner).
    """
    results: dict[str, SearchResult] = {}
    given_scale = float(kwargs.pop("size_scale", 1.0))
    best_name: str | None = None
    enc = encodable(image)
    best_bytes = bound
    usable: list[Codec] = []
    refused: list[str] = []
    for name in codec_names:
        try:
            cdc = _codecs.get(name)
        except Exception as exc:
            if on_skip:
                on_skip(name, str(exc))
            continue
        try:
            cdc.prepare(enc)
        except UnsupportedError as exc:  # depth, layout or size (the reason said, not guessed)
            refused.append(str(exc))
            if on_skip:
                on_skip(name, str(exc))
            continue
        usable.append(cdc)
    tgt = parse_target(target)
    race = race and tgt.budget is None  # with a byte budget the best file is not the smallest
    best_bytes = best_bytes if race else None
    expected: dict[str, float] = {}
    if race:
        expected = expected_sizes([c.name for c in usable], image, tgt)
        order = race_order([c.name for c in usable], expected=expected)
        usable.sort(key=lambda c: order.index(c.name))
    for cdc in usable:
        name = cdc.name
        why = (skip_reason(name, expected, best_bytes, len(results), size_scale(expected, results), best_name,
                           image=image) if race else None)
        if why is not None:
            if on_skip:
                on_skip(name, why)
            continue
        scale = size_scale(expected, results) if results else given_scale
        res = search(image, cdc, target, start=(starts or {}).get(name), bound=best_bytes if race else None,
                     size_scale=scale, **kwargs)
        results[name] = res
        if race and res.met and (best_bytes is None or len(res.data) < best_bytes):
            best_bytes, best_name = len(res.data), res.codec
    if not results:
        who = f"{codec_names[0]} cannot" if len(codec_names) == 1 else f"none of {', '.join(codec_names)} can"
        raise UnsupportedError(f"{who} encode this {enc.bit_depth}-bit {enc.layout} image"
                               + (f" ({'; '.join(refused)})" if refused else ""))
    best = None
    for r in results.values():
        if r.beaten is not None and best is not None:
            continue  # stopped early: it cannot be the smallest, and its data does not meet the target
        if best is None or best.beaten is not None or prefer(r, best, tgt):
            best = r
    assert best is not None
    return best, results
