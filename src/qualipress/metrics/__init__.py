"""Full-reference quality metrics: one table of names, fast implementations, per-tile statistics.

See :mod:`qualipress.metrics.core` for the exact definitions.

Examples
--------
>>> from qualipress.metrics import measure
>>> r = measure(ref, dist, ("ssim", "psnr"))        # doctest: +SKIP
>>> r["ssim"].value, r["ssim"].stats["min"]          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qualipress.errors import TargetError, UnsupportedError
from qualipress.io.image import Image
from qualipress.metrics.core import (
    DEFAULT_TILE,
    PSNR_CAP,
    MetricResult,
    _prepare,
    _psnr_result,
    _ssim_result,
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

_GLOBAL: dict[str, Callable[..., float]] = {
    "ms-ssim": ms_ssim, "ssimulacra2": ssimulacra2, "butteraugli": butteraugli,
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
    reference: Image | np.ndarray,
    distorted: Image | np.ndarray,
    metrics: Sequence[str] = ("ssim", "psnr"),
    *,
    tile: int = DEFAULT_TILE,
    mask: np.ndarray | None = None,
    data_range: float | None = None,
) -> dict[str, MetricResult]:
    """Measure several metrics at once (the images are normalised once).

    Parameters
    ----------
    reference, distorted : Image or numpy.ndarray
        Same shape. Arrays need ``data_range`` unless they are uint8/uint16 (peak taken from the dtype).
    metrics : sequence of str
        Names from :data:`METRICS`.
    tile : int
        Tile size for per-tile statistics.
    mask : numpy.ndarray, optional
        Boolean (H, W): the whole-image value is computed over these pixels only (tiled metrics only).
    data_range : float, optional

    Returns
    -------
    dict of str to MetricResult
    """
    from qualipress.metrics.core import _check_mask, _ssimulacra2

    a, b = _prepare(reference, distorted, data_range)
    m = _check_mask(mask, a.shape)
    out: dict[str, MetricResult] = {}
    for name in metrics:
        s = spec(name)
        if m is not None and not s.tiled:
            raise UnsupportedError(f"{name} cannot be restricted to a mask (use ssim or psnr for ROI targets)")
        if name == "ssim":
            out[name] = _ssim_result(a, b, tile, m)
        elif name == "psnr":
            out[name] = _psnr_result(a, b, tile, m)
        else:
            if not s.available():
                raise UnsupportedError(f"metric {name} is not available on this machine ({s.description})")
            value = _ssimulacra2(a, b) if name == "ssimulacra2" else _GLOBAL[name](a, b, data_range=1.0)
            out[name] = MetricResult(name, value, None, {"mean": value, "min": value, "p1": value, "p5": value})
    return out


__all__ = [
    "DEFAULT_TILE",
    "METRICS",
    "PSNR_CAP",
    "MetricResult",
    "MetricSpec",
    "available_names",
    "butteraugli",
    "higher_is_better",
    "measure",
    "ms_ssim",
    "names",
    "psnr",
    "spec",
    "ssim",
    "ssim_map",
    "ssimulacra2",
]
