"""Decision module: checks that look beyond the global score after every encode.

Each check is a callable ``(reference: Image, decoded: Image) -> CheckOutcome`` that
:func:`qualipress.search.search` runs on every probe; a probe passes only when the target *and* every check pass,
so a failing check makes the search raise quality (the search's only knob for JPEG XL, JPEG 2000, AVIF and HEIF:
their Python bindings expose no spatial quantisation map, so "spending bits on the failing region" is done by
raising the global quality until the worst region passes). Each outcome's ``detail`` says which region failed
and by how much; the pipeline records the outcomes of every probe in the frame's report.

Both images are compared in the perceptual code domain (:func:`qualipress.io.to_perceptual`): a linear float
reference is PQ-coded, the decoded integer image is normalised. What is computed from the reference alone
(block statistics, masks) is cached per reference object, so a search's probes pay for it once.

Checks
------
WorstTileCheck  the lowest per-tile SSIM (tiles of ``tile`` pixels) must reach ``min_ssim``.
BandingCheck    in the reference's smooth-gradient blocks (:func:`qualipress.film.analysis.smooth_gradient`) the
                decoded block must stay close to a plane: the extra residual it gained, expressed as the step
                height of an equivalent staircase (RMS × √12), must stay under ``max_step`` (code values) in all
                but ``max_fraction`` of those blocks.
DetailCheck     in the reference's textured blocks, the decoded block must keep its detail energy: the ratio of
                decoded to reference residual RMS must average at least ``min_ratio`` and its 10th percentile
                at least ``min_ratio − 0.15`` (blurring or smoothing texture lowers the ratio).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qualipress.film import analysis
from qualipress.io import Image, to_perceptual

try:  # the core's outcome type, when the search has landed
    from qualipress.search import CheckOutcome
except ImportError:  # pragma: no cover - only before the core search exists
    @dataclass(frozen=True)
    class CheckOutcome:  # type: ignore[no-redef]
        passed: bool
        name: str
        detail: str = ""


@dataclass
class _RefInfo:
    code: np.ndarray
    stats: analysis.BlockStats
    smooth: np.ndarray
    texture: np.ndarray


_KEYS: dict[int, tuple[weakref.ref[Any], _RefInfo]] = {}


def _ref_info(reference: Image) -> _RefInfo:
    hit = _KEYS.get(id(reference))
    if hit is not None and hit[0]() is reference:
        return hit[1]
    code = np.asarray(to_perceptual(reference), np.float32)
    y = analysis.luma(code)
    stats = analysis.block_stats(y)
    sigma = analysis.noise_sigma(y, stats)
    info = _RefInfo(code, stats, analysis.smooth_gradient(stats)["mask"],
                    analysis.texture(stats, noise=sigma)["mask"])
    if len(_KEYS) > 8:
        _KEYS.clear()
    _KEYS[id(reference)] = (weakref.ref(reference), info)
    return info


def _decoded_code(decoded: Image, shape: tuple[int, ...]) -> np.ndarray:
    code = np.asarray(to_perceptual(decoded), np.float32)
    if code.shape[:2] != shape[:2]:
        raise ValueError(f"decoded size {code.shape[:2]} differs from reference {shape[:2]}")
    return code


@dataclass
class WorstTileCheck:
    """Lowest per-tile SSIM must reach ``min_ssim``."""

    min_ssim: float
    tile: int = 256
    name: str = "worst-tile"

    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome:
        from qualipress import metrics

        r = metrics.measure(reference, decoded, ("ssim",), tile=self.tile)["ssim"]
        tiles = np.asarray(r.tiles)
        worst = float(tiles.min()) if tiles.size else float(r.value)
        where = np.unravel_index(int(tiles.argmin()), tiles.shape) if tiles.size else (0, 0)
        ok = worst >= self.min_ssim
        detail = (f"worst {self.tile}px tile SSIM {worst:.4f} at tile (row {where[0]}, col {where[1]}) "
                  f"{'>=' if ok else '<'} {self.min_ssim}")
        return CheckOutcome(ok, self.name, detail)


@dataclass
class BandingCheck:
    """Smooth gradients must not turn into staircases (see module docstring)."""

    max_step: float = 0.004
    max_fraction: float = 0.02
    name: str = "banding"

    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome:
        info = _ref_info(reference)
        n = int(info.smooth.sum())
        if n == 0:
            return CheckOutcome(True, self.name, "no smooth-gradient blocks in the reference")
        dec = analysis.block_stats(analysis.luma(_decoded_code(decoded, info.code.shape)), block=info.stats.block)
        extra = np.sqrt(np.maximum(dec.residual.astype(np.float64) ** 2 - info.stats.residual.astype(np.float64) ** 2,
                                   0.0)) * math.sqrt(12.0)
        steps = extra[info.smooth]
        bad = int((steps > self.max_step).sum())
        frac = bad / n
        ok = frac <= self.max_fraction
        detail = (f"{bad}/{n} smooth-gradient blocks gained a step > {self.max_step:g} "
                  f"(worst {float(steps.max()):.4f}); allowed {self.max_fraction:.0%}")
        return CheckOutcome(ok, self.name, detail)


@dataclass
class DetailCheck:
    """Textured regions must keep their detail energy (see module docstring)."""

    min_ratio: float = 0.85
    name: str = "detail"
    _spread: float = field(default=0.15, repr=False)

    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome:
        info = _ref_info(reference)
        n = int(info.texture.sum())
        if n == 0:
            return CheckOutcome(True, self.name, "no textured blocks in the reference")
        dec = analysis.block_stats(analysis.luma(_decoded_code(decoded, info.code.shape)), block=info.stats.block)
        ratio = dec.residual[info.texture].astype(np.float64) / np.maximum(
            info.stats.residual[info.texture].astype(np.float64), 1e-9)
        mean = float(ratio.mean())
        p10 = float(np.percentile(ratio, 10))
        ok = mean >= self.min_ratio and p10 >= self.min_ratio - self._spread
        detail = (f"texture energy kept: mean {mean:.3f}, p10 {p10:.3f} over {n} textured blocks "
                  f"(need mean >= {self.min_ratio}, p10 >= {self.min_ratio - self._spread:.2f})")
        return CheckOutcome(ok, self.name, detail)


#: Check parameters per profile: (worst-tile SSIM margin below the target SSIM, banding max step, detail ratio).
PROFILE_CHECKS: dict[str, dict[str, float]] = {
    "C0": {"tile_margin": 0.03, "max_step": 0.002, "min_ratio": 0.92},
    "C1": {"tile_margin": 0.05, "max_step": 0.004, "min_ratio": 0.80},
    "C2": {"tile_margin": 0.08, "max_step": 0.006, "min_ratio": 0.65},
}


def checks_for(profile: str | None, *, target_ssim: float | None, analysis_result: dict[str, Any] | None = None,
               enabled: tuple[str, ...] = ("worst-tile", "banding", "detail"),
               tile_floor: float | None = None) -> tuple[list[Any], list[str]]:
    """The checks a frame gets, with a note for each decision.

    Parameters
    ----------
    profile : str or None
        ``"C0"``/``"C1"``/``"C2"`` (others use the C1 parameters).
    target_ssim : float or None
        The target's SSIM threshold; the worst-tile floor is ``target_ssim - tile_margin`` (no worst-tile check
        without an SSIM target).
    analysis_result : dict, optional
        :func:`qualipress.film.analysis.analyse` output: the banding / detail checks are skipped (and a note
        says so) when the frame has no smooth-gradient / textured blocks.
    enabled : tuple of str
        Which checks may be used.
    tile_floor : float, optional
        The target's own ``ssim@min`` floor: when given, the target already guards the worst tile and no
        :class:`WorstTileCheck` is added (it would measure the same thing twice).

    Returns
    -------
    (list of checks, list of str)
    """
    p = PROFILE_CHECKS.get((profile or "").upper(), PROFILE_CHECKS["C1"])
    out: list[Any] = []
    notes: list[str] = []
    if "worst-tile" in enabled and tile_floor is not None:
        notes.append(f"worst tile guarded by the target itself (ssim@min >= {tile_floor})")
    elif "worst-tile" in enabled and target_ssim is not None:
        floor = round(target_ssim - p["tile_margin"], 4)
        out.append(WorstTileCheck(floor))
        notes.append(f"check worst-tile: every 256px tile SSIM >= {floor}")
    smooth = (analysis_result or {}).get("smooth_gradient", {}).get("fraction", 1.0)
    if "banding" in enabled:
        if smooth > 0:
            out.append(BandingCheck(max_step=p["max_step"]))
            notes.append(f"check banding: {smooth:.1%} of blocks are smooth gradients, max step {p['max_step']}")
        else:
            notes.append("no banding check: no smooth-gradient blocks")
    tex = (analysis_result or {}).get("texture", {}).get("fraction", 1.0)
    if "detail" in enabled:
        if tex > 0:
            out.append(DetailCheck(min_ratio=p["min_ratio"]))
            notes.append(f"check detail: {tex:.1%} of blocks textured, keep >= {p['min_ratio']:.0%} of their energy")
        else:
            notes.append("no detail check: no textured blocks")
    return out, notes
