"""Full-reference quality metrics: one table of names, fast implementations, per-tile statistics.

See :mod:`qualipress.metrics.core` for the exact definitions.

Examples
--------
>>> from qualipress.metrics import measure
>>> r = measure(ref, dist, ("ssim", "psnr"))        # doctest: +SKIP
>>> r["ssim"].value, r["ssim"].stats["min"]          # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qualipress.errors import TargetError, UnsupportedError
from qualipress.io.image import Image
from qualipress.metrics.core import (
    DEFAULT_TILE,
    FLOAT32_ERROR,
    FLOAT32_TILE_ERROR,
    PSNR_CAP,
    MetricResult,
    Reference,
    butteraugli,
    butteraugli_available,
    ms_ssim,
    psnr,
    ssim,
    ssim_map,
    ssimulacra2,
    ssimulacra2_available,
    visible_mask,
)


def _error_decades(v: float) -> float:
    """``-log10(1 - v)`` for a score in [0, 1] (one unit = ten times less error), clamped at 1 - v = 1e-9."""
    return -math.log10(max(1e-9, 1.0 - min(v, 1.0)))


def _error_db(v: np.ndarray) -> np.ndarray:
    """``-10·log10(1 - v)`` (dB) for scores in [0, 1], the usual BD axis of SSIM and MS-SSIM."""
    return -10.0 * np.log10(np.clip(1.0 - v, 1e-10, None))


def _same(v: np.ndarray) -> np.ndarray:
    return v


@dataclass(frozen=True)
class MetricSpec:
    """A metric's entry in the table: every fact about a metric that code outside :mod:`qualipress.metrics`
    needs (no caller tests names or name prefixes).

    Attributes
    ----------
    name : str
        The name in targets and on the command line.
    higher_is_better : bool
        Direction (a target is ``name>=VALUE`` when True, ``name<=VALUE`` otherwise).
    tiled : bool
        Has a per-pixel map: per-tile statistics (``@min``, ``@p5``) and masked (``roi:``) values.
    available : callable
        Whether the backend works on this machine.
    description : str
    low, high : float
        Range of meaningful thresholds: a target must lie in it, open at the worst end and closed at the perfect
        end (SSIM ``(0, 1]``, PSNR ``(0, PSNR_CAP]``).
    perfect : float
        The value of identical images (a lossless result): 1 for SSIM, :data:`PSNR_CAP` for PSNR.
    column : str
        Column name in RD results (CompressAI style, ``psnr-rgb``); the name when empty.
    margin : callable
        ``float -> float``: the roughly linear unit the search's margins are measured in (differences of it are
        comparable across settings); increases with quality.
    bd : callable or None
        ``ndarray -> ndarray``: the axis BD-rate interpolates on (must increase with quality); None = no BD
        figures for this metric.
    bd_unit : str
        Unit of that axis (and of BD-metric values).
    """

    name: str
    higher_is_better: bool
    tiled: bool
    available: Callable[[], bool]
    description: str
    low: float = -math.inf
    high: float = math.inf
    perfect: float = math.inf
    column: str = ""
    margin: Callable[[float], float] = float
    bd: Callable[[np.ndarray], np.ndarray] | None = _same
    bd_unit: str = ""

    @property
    def key(self) -> str:
        """The RD results column (``column``, or the name)."""
        return self.column or self.name

    def in_range(self, threshold: float) -> bool:
        """Whether ``threshold`` is a meaningful target value (see ``low`` / ``high``)."""
        if self.higher_is_better:
            return self.low < threshold <= self.high
        return self.low <= threshold < self.high


#: The metric table: the single source of truth for metric names and facts.
METRICS: dict[str, MetricSpec] = {
    "ssim": MetricSpec("ssim", True, True, lambda: True, "SSIM (Wang 2004), 11x11 Gaussian σ=1.5, per channel",
                       low=0.0, high=1.0, perfect=1.0, column="ssim-rgb", margin=_error_decades, bd=_error_db,
                       bd_unit="dB of 1-SSIM"),
    "psnr": MetricSpec("psnr", True, True, lambda: True, f"PSNR in dB over all colour samples (capped at "
                       f"{PSNR_CAP:g})", low=0.0, high=PSNR_CAP, perfect=PSNR_CAP, column="psnr-rgb",
                       margin=lambda v: v / 10.0, bd_unit="dB"),
    "ms-ssim": MetricSpec("ms-ssim", True, False, lambda: True, "multi-scale SSIM (Wang 2003), 5 scales",
                          low=0.0, high=1.0, perfect=1.0, column="ms-ssim-rgb", margin=_error_decades, bd=_error_db,
                          bd_unit="dB of 1-MS-SSIM"),
    "ssimulacra2": MetricSpec("ssimulacra2", True, False, ssimulacra2_available, "SSIMULACRA 2 (0-100)",
                              high=100.0, perfect=100.0, margin=lambda v: v / 10.0, bd_unit="points"),
    "butteraugli": MetricSpec("butteraugli", False, False, butteraugli_available,
                              "butteraugli max distance (libjxl); lower is better", low=0.0, perfect=0.0,
                              margin=lambda v: -math.log2(max(v, 1e-6)), bd=None),
}


def names() -> list[str]:
    """Every metric name."""
    return list(METRICS)


def available_names() -> list[str]:
    """Metrics whose backends work on this machine."""
    return [n for n, s in METRICS.items() if s.available()]


def higher_is_better(name: str) -> bool:
    """Direction of a metric."""
    return spec(name).higher_is_better


def lookup(key: str) -> MetricSpec | None:
    """The entry whose name or RD results column is ``key`` (``psnr``, ``psnr-rgb``); None for other columns
    (task F1, times)."""
    if key in METRICS:
        return METRICS[key]
    return next((s for s in METRICS.values() if s.column == key), None)


def spec(name: str) -> MetricSpec:
    """The table entry for ``name``."""
    try:
        return METRICS[name]
    except KeyError:
        raise TargetError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None


def measure(
    reference: Image | np.ndarray | Reference,
    distorted: Image | np.ndarray,
    metrics: Sequence[str] = ("ssim", "psnr"),
    *,
    tile: int = DEFAULT_TILE,
    mask: np.ndarray | None = None,
    data_range: float | None = None,
    scoped: Mapping[str, tuple[np.ndarray, Sequence[str]]] | None = None,
    precise: bool = False,
) -> dict[str, MetricResult]:
    """Measure several metrics at once (the images are normalised once, SSIM and PSNR share one pass).

    Parameters
    ----------
    reference : Image or numpy.ndarray or Reference
        A :class:`Reference` (see :func:`prepare_reference`) skips preparing the reference again: measure many
        distorted versions of one image this way.
    distorted : Image or numpy.ndarray
        Same shape. Arrays need ``data_range`` unless they are uint8/uint16 (peak taken from the dtype).
    metrics : sequence of str
        Names from :data:`METRICS`.
    tile : int
        Tile size for per-tile statistics.
    mask : numpy.ndarray, optional
        Boolean (H, W): the whole-image value is computed over these pixels only (tiled metrics only).
    scoped : mapping of str to (mask, metric names), optional
        Further measurements over masks, keyed ``"scope:metric"`` (``{"roi": (mask, ["ssim"])}`` gives
        ``"roi:ssim"``), from the same per-pixel maps.
    precise : bool
        Compute SSIM and PSNR in float64 (about twice the time) instead of float32, which is within
        :data:`FLOAT32_ERROR` of it; for decisions that close to a threshold.
    """
    for names, masked in [(metrics, mask is not None), *((n, True) for _, n in (scoped or {}).values())]:
        for name in names:
            s = spec(name)
            if masked and not s.tiled:
                raise UnsupportedError(f"{name} cannot be restricted to a mask (use ssim or psnr for ROI targets)")
            if not s.available():
                raise UnsupportedError(f"metric {name} is not available on this machine ({s.description})")
    if not isinstance(reference, Reference):
        both_arrays = isinstance(reference, np.ndarray) and isinstance(distorted, np.ndarray)
        reference = Reference(reference, data_range=data_range if both_arrays else None)
    if precise:
        reference = reference.precise()
    return reference.measure(distorted, metrics, tile=tile, mask=mask, scoped=scoped)


def prepare_reference(reference: Image | np.ndarray, *, data_range: float | None = None) -> Reference:
    """Normalise ``reference`` and compute its SSIM window statistics once, for :func:`measure` calls against
    many distorted versions (a search's probes)."""
    return Reference(reference, data_range=data_range)


__all__ = [
    "DEFAULT_TILE",
    "FLOAT32_ERROR",
    "FLOAT32_TILE_ERROR",
    "METRICS",
    "PSNR_CAP",
    "MetricResult",
    "MetricSpec",
    "Reference",
    "available_names",
    "butteraugli",
    "higher_is_better",
    "lookup",
    "measure",
    "ms_ssim",
    "names",
    "prepare_reference",
    "psnr",
    "spec",
    "ssim",
    "ssim_map",
    "ssimulacra2",
    "visible_mask",
]
