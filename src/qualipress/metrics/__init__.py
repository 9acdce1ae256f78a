"""Full-reference quality metrics: one table of names, fast implementations, per-tile statistics.

See :mod:`qualipress.metrics.core` for the exact definitions.

Examples
--------
>>> from qualipress.metrics import measure
>>> r = measure(ref, dist, ("ssim", "psnr"))        # doctest: +SKIP
>>> r["ssim"].value, r["ssim"].stats["min"]          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qualipress.errors import TargetError, UnsupportedError
from qualipress.io.image import Image
from qualipress.metrics.core import (
    DEFAULT_TILE,
    FLOAT32_ERROR,
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
)


@dataclass(frozen=True)
class MetricSpec:
    """A metric's entry in the table."""

    name: str
    higher_is_better: bool
    tiled: bool
    available: Callable[[], bool]
    description: str


#: The metric table: the single source of truth for metric names.
METRICS: dict[str, MetricSpec] = {
    "ssim": MetricSpec("ssim", True, True, lambda: True, "SSIM (Wang 2004), 11x11 Gaussian σ=1.5, per channel"),
    "psnr": MetricSpec("psnr", True, True, lambda: True, "PSNR in dB over all colour samples (capped at 100)"),
    "ms-ssim": MetricSpec("ms-ssim", True, False, lambda: True, "multi-scale SSIM (Wang 2003), 5 scales"),
    "ssimulacra2": MetricSpec("ssimulacra2", True, False, ssimulacra2_available, "SSIMULACRA 2 (0-100)"),
    "butteraugli": MetricSpec("butteraugli", False, False, butteraugli_available,
                              "butteraugli max distance (libjxl); lower is better"),
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
    data_range : float, optional
    scoped : mapping of str to (mask, metric names), optional
        Further measurements over masks, keyed ``"scope:metric"`` (``{"roi": (mask, ["ssim"])}`` gives
        ``"roi:ssim"``), from the same per-pixel maps.
    precise : bool
        Compute SSIM and PSNR in float64 (about twice the time) instead of float32, which is within
        :data:`FLOAT32_ERROR` of it; for decisions that close to a threshold.

    Returns
    -------
    dict of str to MetricResult
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
    "METRICS",
    "PSNR_CAP",
    "MetricResult",
    "MetricSpec",
    "Reference",
    "available_names",
    "butteraugli",
    "higher_is_better",
    "measure",
    "ms_ssim",
    "names",
    "prepare_reference",
    "psnr",
    "spec",
    "ssim",
    "ssim_map",
    "ssimulacra2",
]
