"""Quality targets: ``[SCOPE:]METRIC[@STAT](>=|<=)VALUE`` constraints, all of which must hold."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from qualipress import metrics as _metrics
from qualipress.errors import TargetError
from qualipress.metrics import MetricResult

#: Tile statistics a constraint may use: ``mean`` is the whole-image value.
STATS = ("mean", "min", "p1", "p5")

#: The pseudo-metric of a byte budget (``bytes<=50000``): the encoded file's size, not a quality measurement.
BYTES = "bytes"

_PATTERN = re.compile(
    r"^\s*(?:(?P<scope>[a-z][a-z0-9_-]*):)?(?P<metric>[a-z][a-z0-9-]*)(?:@(?P<stat>[a-z0-9]+))?\s*"
    r"(?P<op>>=|<=)\s*(?P<value>[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*(?P<unit>[a-z]+)?\s*$"
)

#: Units a byte budget may be written in (``bytes<=50k``, ``bytes<=1.5MB``, ``bytes<=64KiB``; case ignored).
BYTE_UNITS = {"b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2}

_HOW = ("expected [SCOPE:]METRIC[@STAT]>=VALUE, e.g. 'ssim>=0.95' or 'psnr@p5>=38', or a byte budget "
        "'bytes<=50000' ('bytes<=50kB', 'bytes<=1.5MB')")


@dataclass(frozen=True)
class Constraint:
    """One requirement on one metric.

    Attributes
    ----------
    metric : str
    value : float
    stat : str
        ``mean`` (whole image, default), ``min``, ``p1`` or ``p5`` over tiles.
    op : str
        ``">="`` (higher is better metrics) or ``"<="`` (lower is better, e.g. butteraugli).
    scope : str or None
        A mask name (``"roi"``) to measure over, or None for the whole image.
    """

    metric: str
    value: float
    stat: str = "mean"
    op: str = ">="
    scope: str | None = None

    @property
    def key(self) -> str:
        """Name of the measurement it reads: ``"ssim"`` or ``"roi:ssim"``."""
        return f"{self.scope}:{self.metric}" if self.scope else self.metric

    def __str__(self) -> str:
        stat = f"@{self.stat}" if self.stat != "mean" else ""
        return f"{self.key}{stat}{self.op}{self.value:g}"

    def observed(self, results: Mapping[str, MetricResult]) -> float:
        """The value this constraint reads from measurements keyed like :attr:`key`."""
        return results[self.key].stat(self.stat)

    def satisfied(self, results: Mapping[str, MetricResult]) -> bool:
        v = self.observed(results)
        return v >= self.value if self.op == ">=" else v <= self.value

    def margin(self, results: Mapping[str, MetricResult]) -> float:
        """Signed distance to the threshold in a roughly linear, comparable unit (positive = passes).

        SSIM-like scores in [0, 1] are compared as ``-log10(1 - v)`` (one unit = ten times less error), PSNR in
        tens of dB, SSIMULACRA 2 in tens of points, butteraugli as ``-log2(distance)``.
        """
        observed = _transform(self.metric, self.observed(results))
        threshold = _transform(self.metric, self.value)
        # a metric's margin unit increases with quality whichever its direction; only bytes grow the wrong way
        return threshold - observed if self.metric == BYTES else observed - threshold


def _transform(metric: str, v: float) -> float:
    """The margin unit: the metric spec's (:attr:`qualipress.metrics.MetricSpec.margin`); bytes in log2."""
    if metric == BYTES:
        return math.log2(max(v, 1.0))
    return _metrics.spec(metric).margin(v)


@dataclass(frozen=True)
class Target:
    """A conjunction of constraints."""

    constraints: tuple[Constraint, ...]

    def __str__(self) -> str:
        return " and ".join(str(c) for c in self.constraints)

    @property
    def metrics(self) -> list[str]:
        """Metric names needed for the whole image (unscoped; a byte budget is not measured)."""
        return _unique(c.metric for c in self.constraints if c.scope is None and c.metric != BYTES)

    @property
    def budget(self) -> float | None:
        """The byte budget (``bytes<=N``), or None."""
        values = [c.value for c in self.constraints if c.metric == BYTES]
        return min(values) if values else None

    def floors(self) -> Target:
        """The quality constraints alone (the target without its byte budget)."""
        return Target(tuple(c for c in self.constraints if c.metric != BYTES))

    def scoped_metrics(self) -> dict[str, list[str]]:
        """Metric names needed per scope (mask name)."""
        out: dict[str, list[str]] = {}
        for c in self.constraints:
            if c.scope is not None:
                out.setdefault(c.scope, [])
                if c.metric not in out[c.scope]:
                    out[c.scope].append(c.metric)
        return out

    def satisfied(self, results: Mapping[str, MetricResult]) -> bool:
        return all(c.satisfied(results) for c in self.constraints)

    def near_threshold(self, results: Mapping[str, MetricResult]) -> bool:
        """Whether a constraint's measured value is within the float32 measurement's error
        (:data:`qualipress.metrics.FLOAT32_ERROR`, :data:`~qualipress.metrics.FLOAT32_TILE_ERROR` for tile
        statistics) of its threshold: the decision then needs the float64 measurement
        (``measure(..., precise=True)``)."""
        for c in self.constraints:
            tol = (_metrics.FLOAT32_ERROR if c.stat == "mean" else _metrics.FLOAT32_TILE_ERROR).get(c.metric)
            if tol is not None and c.key in results and abs(c.observed(results) - c.value) <= tol:
                return True
        return False

    def margin(self, results: Mapping[str, MetricResult]) -> float:
        """Smallest constraint margin (the binding constraint); infinite for an empty target, which every
        result meets (fixed-setting runs)."""
        return min((c.margin(results) for c in self.constraints), default=math.inf)

    def to_list(self) -> list[str]:
        return [str(c) for c in self.constraints]


def _unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for i in items:
        if i not in seen:
            seen.append(i)
    return seen


def parse_constraint(text: str) -> Constraint:
    """Parse one constraint such as ``"ssim>=0.95"``, ``"psnr@p5>=38"``, ``"roi:ssim>=0.97"``.

    Raises
    ------
    TargetError
    """
    m = _PATTERN.match(text.lower())
    if m is None:
        raise TargetError(f"cannot read target {text!r}: {_HOW}")
    metric, stat = m["metric"], m["stat"] or "mean"
    if m["unit"] and metric != BYTES:
        raise TargetError(f"{text!r}: only a byte budget takes a unit (bytes<=50kB); {metric} takes a plain number")
    if metric == BYTES:
        if m["op"] != "<=" or m["scope"] or m["stat"]:
            raise TargetError(f"{text!r}: a byte budget reads bytes<=N (whole file, no scope or statistic)")
        if (m["unit"] or "b") not in BYTE_UNITS:
            raise TargetError(f"{text!r}: unknown unit {m['unit']!r}; a byte budget takes B, k or kB (1000), KiB, "
                              "M or MB, MiB")
        value = float(m["value"]) * BYTE_UNITS[m["unit"] or "b"]
        if not math.isfinite(value):
            raise TargetError(f"{text!r}: the byte budget is not a finite number")
        budget = round(value)
        if budget < 1:
            raise TargetError(f"{text!r}: the byte budget must be at least 1")
        return Constraint(BYTES, float(budget), "mean", "<=", None)
    try:
        spec = _metrics.spec(metric)
    except TargetError as exc:  # QA 13: "size<=20000" was told the metrics, not how a budget is written
        raise TargetError(f"{exc}; a byte budget is written bytes<=N") from None
    if stat not in STATS:
        raise TargetError(f"{text!r}: unknown statistic @{stat}; use one of {', '.join(STATS)}")
    if stat != "mean" and not spec.tiled:
        raise TargetError(f"{text!r}: {metric} has no per-tile values; only ssim and psnr take @{stat}")
    if m["scope"] and not spec.tiled:
        raise TargetError(f"{text!r}: {metric} cannot be measured over a region; use ssim or psnr")
    op = m["op"]
    if spec.higher_is_better != (op == ">="):
        raise TargetError(f"{text!r}: {metric} is {'higher' if spec.higher_is_better else 'lower'}-is-better; "
                          f"write {metric}{'>=' if spec.higher_is_better else '<='}VALUE")
    value = float(m["value"])
    if not spec.in_range(value):
        lo, hi = ("(", "]") if spec.higher_is_better else ("[", ")")
        raise TargetError(f"{text!r}: {metric} thresholds lie in {lo}{spec.low:g}, {spec.high:g}{hi}")
    return Constraint(metric, value, stat, op, m["scope"])


def parse_target(target: str | Iterable[str] | Target) -> Target:
    """Parse constraints; a string may hold several separated by commas or ``and``.

    Examples
    --------
    >>> str(parse_target(["ssim>=0.95", "psnr>=38"]))
    'ssim>=0.95 and psnr>=38'
    """
    if isinstance(target, Target):
        return target
    parts = [target] if isinstance(target, str) else list(target)
    texts: list[str] = []
    for p in parts:
        texts += [t for t in re.split(r",|\band\b", p) if t.strip()]
    if not texts:
        raise TargetError("empty target: give at least one constraint such as 'ssim>=0.95'")
    return Target(tuple(parse_constraint(t) for t in texts))
