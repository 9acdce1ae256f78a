"""Frame analysis: the measures recorded per frame and used to choose codecs and checks.

Every measure works on the frame's **perceptual code values** in ``[0, 1]`` (integer frames divided by their
nominal peak; linear float frames PQ-coded, see :func:`qualipress.io.to_perceptual`), except
:func:`bits_used` (raw integer samples) and the stop count of :func:`dynamic_range` (linear light).
Luma is ``0.2126 R + 0.7152 G + 0.0722 B`` of the code values (a weighting, not a colorimetric conversion).

Block measures use non-overlapping square blocks of :data:`BLOCK` pixels (edges that do not fill a block are
ignored). A block is described by a least-squares plane fit ``a + b·x + c·y`` of its luma:

* **slope**: ``sqrt(b² + c²)`` in code values per pixel;
* **residual**: RMS of luma minus the plane (texture + noise the plane cannot explain).

Measures and their known answers (tests in ``tests/film/test_analysis.py``):

==================== =========================================================== ==============================
measure              definition                                                  known answer
==================== =========================================================== ==============================
bits_used            declared depth minus the trailing zero bits common to all   8-bit data shifted into 16 → 8
                     samples; ``levels``: distinct values (max over channels)
dynamic_range        luma code-value percentiles 0.1/1/50/99/99.9; ``stops`` =   two patches 0.01 and 1.0 (linear)
                     log2(p99.9/p0.1) of linear luminance > 0 (float frames,    → log2(100) = 6.64 stops
                     or integer frames whose transfer is linear/log/sRGB/PQ;
                     p0.1 of 16-px block means: grain at black is no range)
smooth_gradient      fraction of blocks with slope ≥ 1e-4/px and residual ≤          a ramp → 1.0; noise → 0.0;
                     :data:`SMOOTH_RESIDUAL` (where banding shows first)            flat field → 0.0
colour               chroma = max(RGB) − min(RGB); mean and p99; monochrome when     grey → monochrome, chroma 0;
                     p99 chroma ≤ :data:`MONO_CHROMA`; palette = occupied cells      8 colour bars → palette 8
                     of a 16×16×16 RGB histogram holding ≥ 0.1% of pixels
texture              fraction of blocks whose residual exceeds                     flat → 0; checkerboard → 1
                     :data:`TEXTURE_RESIDUAL` after removing the noise estimate;
                     mean block residual
noise / grain        ``noise_sigma`` = :func:`grain` σ (:func:`grain_sigma`): median    flat + N(0, σ) → σ ± 10%;
                     residual of 8-px tiles after a quadratic fit, in the flattest    blurred (0.5–1 px) grain of
                     regions, corrected for the grain's fitted blur (sees            known RMS → ± 15%;
                     correlated grain, not smooth shading); ``grain.sigma_white``    smooth shading + grain → ± 5%;
                     is Immerkær's σ = sqrt(π/2)/(6(W−2)(H−2))·Σ|L ∗ I|, L the       a plane → 0
                     3×3 Laplacian, for white noise only
==================== =========================================================== ==============================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from qualipress.errors import InputError
from qualipress.io import Image, as_image, seen_colour, to_perceptual
from qualipress.io.logcurves import log_to_linear

#: Block size (pixels) of the block measures.
BLOCK = 16
#: Residual (code values, [0, 1] scale) under which a sloped block counts as a smooth gradient (~0.6 8-bit codes).
SMOOTH_RESIDUAL = 0.0025
#: Minimum slope (code values per pixel) of a smooth gradient (flatter blocks are "flat", not gradients).
MIN_SLOPE = 1e-4
#: Residual above which a block counts as textured (~5 8-bit codes RMS).
TEXTURE_RESIDUAL = 0.02
#: p99 chroma below which a frame is black-and-white (~2.5 8-bit codes).
MONO_CHROMA = 0.01

_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


def luma(code: np.ndarray) -> np.ndarray:
    """Luma ``(H, W)`` of perceptual code values ``(H, W, C)`` (grey: the channel itself)."""
    if code.shape[2] == 1:
        return code[..., 0]
    return code[..., :3] @ _LUMA


# -- whole-frame planes without whole-frame float copies --------------------------------------------------------
#: Rows per strip of the per-sample conversions below: a frame's perceptual code (three float32 planes, 2× the
#: 16-bit frame) or its linear light is never held whole when only a plane derived from it is kept.
STRIP_ROWS = 64


def strips(image: Image, rows: int = STRIP_ROWS) -> Iterator[tuple[slice, Image]]:
    """``(rows, the frame's rows as an Image)`` for consecutive strips of ``rows`` rows (views, no copy)."""
    for r0 in range(0, image.height, rows):
        r = slice(r0, min(image.height, r0 + rows))
        yield r, replace(image, pixels=image.pixels[r])


def code_plane(image: Image, fn: Callable[[np.ndarray], np.ndarray], *, code: bool = True) -> np.ndarray:
    """``fn`` of the frame's perceptual code (``code``: the colour seen, :func:`qualipress.io.seen_colour`; else of
    its colour samples as they are), an ``(H, W)``
    float32 plane computed strip by strip: every conversion here works sample by sample (luma row by row), so the
    plane equals ``fn`` of the whole code bit for bit, without the whole code in memory."""
    out = np.empty((image.height, image.width), np.float32)
    for r, sub in strips(image):
        out[r] = fn(np.asarray(seen_colour(sub) if code else sub.color().pixels, np.float32))
    return out


def code_at_rows(image: Image, rows: slice) -> np.ndarray:
    """Perceptual code ``(h, W, C)`` of the frame's ``rows`` (float32; the same values as those rows of the whole
    frame's code)."""
    return np.asarray(seen_colour(replace(image, pixels=image.pixels[rows])), np.float32)


def code_luma(image: Image) -> np.ndarray:
    """:func:`luma` of the frame's perceptual code (:func:`qualipress.io.to_perceptual`), strip by strip."""
    return code_plane(image, luma)


def code_at(image: Image, where: np.ndarray) -> np.ndarray:
    """Perceptual code ``(K, C)`` of the pixels a boolean ``(H, W)`` mask selects or of flat (row-major) pixel
    indices, in row-major order, converting only those pixels."""
    idx = np.flatnonzero(where) if where.dtype == bool else where
    px = image.pixels.reshape(-1, image.pixels.shape[2])[idx]
    return np.asarray(seen_colour(replace(image, pixels=px[None])), np.float32)[0]


def block_pixels(rows: np.ndarray, cols: np.ndarray, block: int, width: int) -> np.ndarray:
    """Flat (row-major) pixel indices of the ``block``×``block`` blocks at block ``rows``/``cols`` of a frame
    ``width`` pixels wide, block after block, each in row-major order (for :func:`code_at`)."""
    d = np.arange(block)
    return ((rows[:, None, None] * block + d[None, :, None]) * width + cols[:, None, None] * block
            + d[None, None, :]).reshape(-1)


# -- block plane fits ------------------------------------------------------------------------------------------
#: Samples per band of :func:`block_stats` (about 2 MB of float64 per temporary).
_BAND_SAMPLES = 1 << 18


@dataclass
class BlockStats:
    """Per-block plane fit of luma: ``slope`` and ``residual`` arrays of shape (rows, cols)."""

    slope: np.ndarray
    residual: np.ndarray
    block: int


def block_stats(y: np.ndarray, *, block: int = BLOCK) -> BlockStats:
    """Least-squares plane fit in every ``block``×``block`` tile of ``y``.

    Raises
    ------
    InputError
        The image is smaller than one block.
    """
    h, w = y.shape
    rows, cols = h // block, w // block
    if rows == 0 or cols == 0:
        raise InputError(f"frame {w}x{h} is smaller than one {block}x{block} analysis block")
    slope = np.empty((rows, cols), np.float32)
    residual = np.empty((rows, cols), np.float32)
    c = (np.arange(block) - (block - 1) / 2.0)
    xs = c[None, :]
    ys = c[:, None]
    norm = float((c**2).sum() * block)
    # a band of block rows at a time: each block's fit is its own arithmetic, and the float64 temporaries stay
    # the size of a band instead of five float64 copies of the frame
    step = max(1, _BAND_SAMPLES // max(1, cols * block * block))
    for b0 in range(0, rows, step):
        b1 = min(rows, b0 + step)
        t = y[b0 * block: b1 * block, : cols * block].astype(np.float64).reshape(b1 - b0, block, cols,
                                                                                 block).transpose(0, 2, 1, 3)
        mean = t.mean(axis=(2, 3))
        bx = (t * xs).sum(axis=(2, 3)) / norm
        by = (t * ys).sum(axis=(2, 3)) / norm
        fit = mean[..., None, None] + bx[..., None, None] * xs + by[..., None, None] * ys
        residual[b0:b1] = np.sqrt(((t - fit) ** 2).mean(axis=(2, 3)))
        slope[b0:b1] = np.hypot(bx, by)
    return BlockStats(slope, residual, block)


# -- individual measures --------------------------------------------------------------------------------------
def bits_used(pixels: np.ndarray, bit_depth: int) -> dict[str, Any]:
    """Bit depth really used by integer samples.

    Parameters
    ----------
    pixels : numpy.ndarray
        Integer ``(H, W, C)`` samples (alpha included or not, as the caller prefers).
    bit_depth : int
        Declared significant bits.

    Returns
    -------
    dict
        ``declared``, ``used`` (declared minus the low bits that are zero in every sample), ``levels``
        (most distinct values in one channel) and ``level_bits`` = log2(levels). Float frames return
        ``{"declared": bit_depth, "used": None, ...}``.
    """
    if pixels.dtype.kind == "f":
        return {"declared": bit_depth, "used": None, "levels": None, "level_bits": None}
    acc = int(np.bitwise_or.reduce(pixels.reshape(-1)))  # in the samples' own dtype: no widened copy
    zeros = bit_depth if acc == 0 else (acc & -acc).bit_length() - 1
    levels = max(_distinct(pixels[..., i]) for i in range(pixels.shape[2]))
    return {"declared": bit_depth, "used": bit_depth - zeros, "levels": levels,
            "level_bits": round(math.log2(levels), 3) if levels > 0 else 0.0}


def _distinct(channel: np.ndarray) -> int:
    """Number of distinct values of one integer channel (a histogram for ≤ 16-bit samples, no sort)."""
    if channel.dtype.kind == "u" and channel.dtype.itemsize <= 2:
        # counted in strips of rows: bincount widens its input to int64 (4× a 16-bit channel)
        counts = np.zeros(1 << (8 * channel.dtype.itemsize), np.int64)
        for r0 in range(0, channel.shape[0], STRIP_ROWS):
            part = channel[r0: r0 + STRIP_ROWS].reshape(-1)
            counts[: int(part.max(initial=0)) + 1] += np.bincount(part)
        return int(np.count_nonzero(counts))
    return int(np.unique(channel).size)


_SRGB_CUT = 0.04045


def linear_light(image: Image, arrays: FrameArrays | None = None) -> np.ndarray | None:
    """Linear luminance-like values of a frame (for stop counts), or None when the transfer is unknown.

    Linear float frames are used as they are; integer frames are decoded by their transfer: ``log`` as Cineon
    for DPX "Printing density" frames, else ACEScct (:func:`qualipress.io.logcurves.log_to_linear`),
    ``srgb``/``bt709`` with the sRGB curve,
    ``pq`` with ST 2084, ``linear`` as is. With the frame's :func:`frame_arrays`, an integer log frame's values
    are computed once and shared (:func:`log_linear_luma`). Computed strip by strip (:func:`code_plane`).
    """
    if arrays is not None and not image.is_float and image.transfer == "log":
        return log_linear_luma(arrays, image)
    t = image.transfer
    fn: Callable[[np.ndarray], np.ndarray]
    if t == "linear":
        fn = luma
    elif t == "log":
        from qualipress.io.logcurves import log_to_linear

        def fn(code: np.ndarray) -> np.ndarray:
            return luma(log_to_linear(code, image.metadata))
    elif t in ("srgb", "bt709", "gamma"):
        def fn(code: np.ndarray) -> np.ndarray:
            lin = np.where(code <= _SRGB_CUT, code / 12.92, ((code + 0.055) / 1.055) ** 2.4)
            return luma(lin.astype(np.float32))
    elif t == "pq":
        from qualipress.io.transfer import pq_decode

        def fn(code: np.ndarray) -> np.ndarray:
            return luma(pq_decode(code))
    else:
        return None
    return code_plane(image, fn, code=not image.is_float)


def dynamic_range(image: Image, code: np.ndarray | None = None, *,
                  arrays: FrameArrays | None = None) -> dict[str, Any]:
    """Percentiles of luma code values and the scene's range in stops (see module table); ``arrays`` (the
    frame's :func:`frame_arrays`) supplies the code, its luma and the linear light when given."""
    if arrays is not None:
        y = arrays.y if arrays.y is not None else code_luma(arrays.image)
    else:
        code = to_perceptual(image) if code is None else code
        y = luma(code)
    pct = np.percentile(y, [0.1, 1, 50, 99, 99.9])
    out: dict[str, Any] = {f"p{k}": round(float(v), 5) for k, v in zip(("0.1", "1", "50", "99", "99.9"), pct,
                                                                           strict=True)}
    lin = linear_light(image, arrays)
    stops = None
    if lin is not None:
        # light at or below zero (out-of-gamut negatives of a linear EXR, codes below a log curve's black) has no
        # stop count: the range is that of the light there is (qa13film: a few negative pixels read 23.5 stops).
        # The dark end is read from 16-px block means, so grain at black does not count as range (qa13film: a
        # grainy Cineon frame read 14.7 stops where its clean plate reads 6.6); the bright end from pixels.
        lit = lin[lin > 0]  # our copy: partitioned in place (no second frame-sized copy, as before this rule)
        hi = float(np.percentile(lit, 99.9, overwrite_input=True)) if lit.size else 0.0
        del lit
        b = BLOCK
        rows, cols = lin.shape[0] // b, lin.shape[1] // b
        means = lin[: rows * b, : cols * b].reshape(rows, b, cols, b).mean(axis=(1, 3)) if rows and cols else lin
        dark = means[means > 0]
        lo = float(np.percentile(dark, 0.1)) if dark.size else hi
        floor = 1e-6
        stops = round(math.log2(max(float(hi), floor) / max(float(lo), floor)), 3) if hi > 0 else 0.0
    out["stops"] = stops
    out["code_range"] = round(float(pct[4] - pct[0]), 5)
    return out


def smooth_gradient(stats: BlockStats) -> dict[str, Any]:
    """Fraction of blocks that are smooth gradients (banding risk) and their mask.

    Grainy blocks (residual above :data:`SMOOTH_RESIDUAL`) do not count: grain dithers banding away.
    """
    mask = (stats.slope >= MIN_SLOPE) & (stats.residual <= SMOOTH_RESIDUAL)
    return {"fraction": round(float(mask.mean()), 4), "blocks": int(mask.sum()), "mask": mask}


def colour(code: np.ndarray | Image) -> dict[str, Any]:
    """Saturation and palette spread (see module table), of perceptual code values or of a frame (converted
    strip by strip)."""
    channels = code.pixels.shape[2] - int(code.has_alpha) if isinstance(code, Image) else code.shape[2]
    if channels < 3:
        return {"chroma_mean": 0.0, "chroma_p99": 0.0, "monochrome": True, "palette": None}
    cells = np.zeros(4096, np.int64)

    def chroma_of(rgb: np.ndarray) -> np.ndarray:
        nonlocal cells
        rgb = rgb[..., :3]
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        q = np.minimum((rgb * 16).astype(np.int32), 15)
        cells += np.bincount((q[..., 0] * 256 + q[..., 1] * 16 + q[..., 2]).ravel(), minlength=4096)
        # max - min over the three channels, written out (NumPy's reductions over a length-3 last axis are slow)
        return np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)

    chroma = code_plane(code, chroma_of) if isinstance(code, Image) else chroma_of(code)
    mean = float(chroma.mean())
    p99 = float(np.percentile(chroma, 99, overwrite_input=True))  # chroma is ours: partitioned in place, no copy
    palette = int((cells >= max(1, 0.001 * chroma.size)).sum())
    return {"chroma_mean": round(mean, 5), "chroma_p99": round(p99, 5),
            "monochrome": p99 <= MONO_CHROMA, "palette": palette}


def noise_sigma(y: np.ndarray, stats: BlockStats | None = None) -> float:
    """Immerkær's fast noise σ estimate of luma, restricted to the less textured half of the blocks."""
    h, w = y.shape
    if h < 3 or w < 3:
        return 0.0
    sel_full = None
    if stats is not None and stats.residual.size >= 4:
        b = stats.block
        keep = stats.residual <= np.median(stats.residual)
        full = np.zeros((h, w), bool)
        full[: keep.shape[0] * b, : keep.shape[1] * b] = np.repeat(np.repeat(keep, b, 0), b, 1)
        sel_full = full[1:-1, 1:-1]
    # the Laplacian in bands of rows (float64 temporaries the size of a band, not several copies of the frame);
    # the samples it is averaged over are gathered in the same order, so the mean is the whole-frame mean
    parts: list[np.ndarray] = []
    step = max(1, _BAND_SAMPLES // w)
    for r0 in range(0, h - 2, step):
        r1 = min(h - 2, r0 + step)
        yd = y[r0: r1 + 2].astype(np.float64)
        lap = (yd[:-2, :-2] - 2 * yd[:-2, 1:-1] + yd[:-2, 2:]
               - 2 * yd[1:-1, :-2] + 4 * yd[1:-1, 1:-1] - 2 * yd[1:-1, 2:]
               + yd[2:, :-2] - 2 * yd[2:, 1:-1] + yd[2:, 2:])
        absl = np.abs(lap, out=lap)
        parts.append(absl[sel_full[r0:r1]] if sel_full is not None else absl.ravel())
    samples = np.concatenate(parts)
    if sel_full is not None and samples.size:
        return float(math.sqrt(math.pi / 2) * samples.mean() / 6.0)
    if sel_full is not None:  # no selected sample: the whole frame, as before
        return noise_sigma(y, None)
    return float(math.sqrt(math.pi / 2) * samples.mean() / 6.0)


#: Fraction of blocks (those with the flattest neighbourhoods) where grain is measured.
FLAT_QUANTILE = 0.25


def flat_blocks(stats: BlockStats, *, quantile: float = FLAT_QUANTILE, grainless: float | None = None) -> np.ndarray:
    """Boolean block mask of the frame's flattest regions, where the high-pass of the picture is its grain.

    A block is chosen by its **neighbours**, not by itself: the median plane-fit residual of the 8 surrounding
    blocks must be in the lowest ``quantile`` of the frame, and the block's own residual at most twice that
    median (so edges of flat regions are left out), and below :data:`TEXTURE_RESIDUAL` (a frame that is texture
    everywhere has no flat region and gets an empty mask). Choosing blocks by their own residual would prefer those
    whose grain happened to come out weak and bias every grain figure low; the neighbours' grain is independent
    of the block's own (grain is correlated over a pixel or two, blocks are 16 px). Frames with fewer than 3×3
    blocks fall back to the blocks at or below the median residual.

    ``grainless``: blocks whose residual is at or below it hold no grain (digital letterbox or pillarbox bars,
    crushed black, clipped white: :func:`grainless_residual`); they are left out of the mask **and of the
    quantile**. Without this, bars covering a quarter of the frame (2.39:1 in a 16:9 container) were the whole
    flattest quarter and a grainy frame read grain σ 0 (no grain check at C1). None: every block counts.
    """
    r = stats.residual.astype(np.float64)
    rows, cols = r.shape
    live = np.ones(r.shape, bool) if grainless is None else r > grainless
    if not live.any():
        return live
    if rows < 3 or cols < 3:
        return np.asarray((r <= np.median(r[live])) & (r <= TEXTURE_RESIDUAL) & live)
    pad = np.pad(r, 1, mode="edge")
    ring = np.stack([pad[1 + dy: 1 + dy + rows, 1 + dx: 1 + dx + cols]
                     for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx])
    nb = np.median(ring, axis=0)
    low = (nb <= np.quantile(nb[live], quantile)) & live
    mask = low & (r <= 2.0 * nb + 1e-9)
    if not mask.any():
        mask = low
    return np.asarray(mask & (r <= TEXTURE_RESIDUAL))


def block_view(y: np.ndarray, block: int) -> np.ndarray:
    """``y`` cut into ``(rows, cols, block, block)`` tiles (edges that do not fill a block dropped)."""
    rows, cols = y.shape[0] // block, y.shape[1] // block
    return y[: rows * block, : cols * block].reshape(rows, block, cols, block).transpose(0, 2, 1, 3)


def plane_residual(tiles: np.ndarray) -> np.ndarray:
    """Per-tile residual of ``(..., block, block)`` tiles after removing their least-squares plane."""
    block = tiles.shape[-1]
    c = np.arange(block) - (block - 1) / 2.0
    norm = float((c**2).sum() * block)
    t = tiles.astype(np.float64)
    mean = t.mean(axis=(-2, -1), keepdims=True)
    bx = (t * c[None, :]).sum(axis=(-2, -1), keepdims=True) / norm
    by = (t * c[:, None]).sum(axis=(-2, -1), keepdims=True) / norm
    return t - mean - bx * c[None, :] - by * c[:, None]


#: Block size (pixels) of the grain σ estimate: small enough that a quadratic follows the picture's structure.
GRAIN_BLOCK = 8
#: Largest grain blur (Gaussian σ, px) the grain σ estimate models; a stronger measured correlation is capped here.
GRAIN_MAX_BLUR = 1.6


@lru_cache(maxsize=1)
def _grain_model() -> tuple[np.ndarray, ...]:
    """Projection off a quadratic on :data:`GRAIN_BLOCK`-px tiles and its effect on Gaussian-blurred grain.

    For grain of unit variance blurred by a Gaussian of σ_b px (correlation ``exp(−d²/4σ_b²)`` at distance d),
    tabulated over σ_b: ``keep`` = expected residual variance after removing the quadratic, ``rho`` = expected
    lag-1 correlation of that residual (horizontal and vertical neighbours), ``median`` = median / mean of a
    tile's residual variance (χ² with Satterthwaite's effective degrees of freedom, Wilson–Hilferty median).
    Returns ``(q, u, pairs, blur, keep, rho, median)``: ``q`` the (n, n) residual projection, ``u`` an (n, 6)
    orthonormal basis of the quadratics (a residual's energy is the tile's minus that of its ``u`` coefficients).
    """
    b = GRAIN_BLOCK
    c = np.arange(b) - (b - 1) / 2.0
    xx, yy = (a.ravel() for a in np.meshgrid(c, c))
    design = np.stack([np.ones_like(xx), xx, yy, xx * xx, yy * yy, xx * yy], axis=1)
    u = np.linalg.qr(design)[0]
    q = np.eye(b * b) - u @ u.T
    idx = np.arange(b * b)
    pairs = np.concatenate([np.stack([idx[xx < c[-1]], idx[xx < c[-1]] + 1], 1),
                            np.stack([idx[: b * b - b], idx[: b * b - b] + b], 1)])
    d2 = (xx[:, None] - xx[None]) ** 2 + (yy[:, None] - yy[None]) ** 2
    blur = np.linspace(0.0, GRAIN_MAX_BLUR, 81)
    keep, rho, median = [], [], []
    for sb in blur:
        cov = q @ (np.eye(b * b) if sb == 0 else np.exp(-d2 / (4 * sb * sb))) @ q
        tr = float(np.trace(cov))
        keep.append(tr / (b * b))
        rho.append(float(cov[pairs[:, 0], pairs[:, 1]].mean()) / keep[-1])
        k = tr * tr / float((cov * cov).sum())
        median.append((1 - 2 / (9 * k)) ** 3)
    return q, u, pairs, blur, np.array(keep), np.maximum.accumulate(np.array(rho)), np.array(median)


def grain_sigma(y: np.ndarray, within: np.ndarray | None = None, *,
                grainless: float | None = None) -> tuple[float, float]:
    """Grain σ of luma that texture does not inflate, and the grain blur it was corrected for.

    Every :data:`GRAIN_BLOCK`-px tile loses its least-squares quadratic (which follows smooth picture structure
    and shading far better than a 16-px plane); the tiles are chosen with :func:`flat_blocks` on their residual
    (by their neighbours, so the selection does not prefer tiles whose grain came out weak), inside ``within`` (a
    block mask of a coarser grid, e.g. the 16-px :func:`flat_blocks`; all of its tiles when none of the chosen
    ones lies there, none when it is empty: a frame that is texture everywhere reads 0). σ² is the **median**
    of the chosen tiles' residual variance (texture left in a few tiles does not move it), divided by the median
    and by the variance the quadratic keeps of grain blurred by σ_b px; σ_b is fitted to the lag-1 correlation of
    the residual in the chosen tiles (white noise: σ_b = 0; capped at :data:`GRAIN_MAX_BLUR`). ``grainless``: tiles
    whose residual RMS is at or below it are not chosen (:func:`flat_blocks`).

    Returns
    -------
    tuple of float
        ``(sigma, blur)``: σ in code values ([0, 1] scale; 0.0 when no tile is flat) and σ_b in pixels.
    """
    q, u, pairs, blur, keep, rho, median = _grain_model()
    b = GRAIN_BLOCK
    rows = y.shape[0] // b
    var_parts = []
    step = max(1, _BAND_SAMPLES // max(1, y.shape[1] * b))
    for r0 in range(0, rows, step):  # bands of tile rows: float64 temporaries the size of a band
        tiles = block_view(y[r0 * b: min(rows, r0 + step) * b], b).astype(np.float64)
        t = tiles.reshape(*tiles.shape[:2], b * b)
        t -= t.mean(axis=-1, keepdims=True)  # the constant is one of the quadratics: same residual, less rounding
        var_parts.append(np.maximum((t**2).sum(axis=-1) - ((t @ u) ** 2).sum(axis=-1), 0.0) / (b * b))
    if not var_parts:
        return 0.0, 0.0
    var = np.concatenate(var_parts)
    mask = flat_blocks(BlockStats(np.zeros_like(var), np.sqrt(var), b), grainless=grainless)
    if within is not None:  # only inside the given regions; all of them where no own flat tile lies there
        k = max(1, var.shape[0] // max(1, within.shape[0]))
        up = np.zeros_like(mask)
        w = np.repeat(np.repeat(within, k, 0), k, 1)[: up.shape[0], : up.shape[1]]
        up[: w.shape[0], : w.shape[1]] = w
        mask = mask & up if (mask & up).any() else up
    if not mask.any():
        return 0.0, 0.0
    v = var[mask]
    res = block_view(y, b)[mask].reshape(-1, b * b).astype(np.float64) @ q  # only the chosen tiles
    lv = (res[:, pairs[:, 0]] * res[:, pairs[:, 1]]).mean(axis=-1)
    mid = float(np.median(v))
    if mid <= 0:
        return 0.0, 0.0
    near = v <= 2 * mid  # tiles with texture left do not set the correlation either
    sb = float(np.interp(lv[near].sum() / v[near].sum(), rho, blur))
    return float(math.sqrt(mid / np.interp(sb, blur, median) / np.interp(sb, blur, keep))), sb


def grain(y: np.ndarray, stats: BlockStats, *, grainless: float | None = None) -> dict[str, Any]:
    """Grain σ (:func:`grain_sigma`) and the grain's correlation, measured in the flattest regions.

    Unlike Immerkær's Laplacian estimator (:func:`noise_sigma`), which assumes white noise and under-reads
    grain blurred over a pixel or two several times, :func:`grain_sigma` fits the grain's blur. ``correlation``
    is the lag-1 autocorrelation of the 16-px plane-fit residual in the blocks of :func:`flat_blocks`.

    Returns
    -------
    dict
        ``sigma`` (code values, [0, 1] scale), ``blur`` (fitted grain blur σ_b, px), ``sigma_white`` (Immerkær,
        for comparison), ``correlation`` (≈ 0 for white noise, 0.3–0.8 for film-like grain; None without
        grain), ``blocks`` (how many 16-px blocks the correlation used).
    """
    mask = flat_blocks(stats, grainless=grainless)
    b = stats.block
    tiles = block_view(y, b)[mask]
    white = noise_sigma(y, stats)
    sigma, blur = grain_sigma(y, mask, grainless=grainless)  # 8-px tiles inside the flattest 16-px blocks
    if tiles.size == 0:
        return {"sigma": round(sigma, 6), "blur": round(blur, 3), "sigma_white": round(white, 6),
                "correlation": None, "blocks": 0}
    res = plane_residual(tiles)
    den = float((res**2).sum())
    corr = None
    if sigma > 1e-5 and den > 0:
        corr = round(float(0.5 * ((res[..., :, 1:] * res[..., :, :-1]).sum()
                                  + (res[..., 1:, :] * res[..., :-1, :]).sum()) / den), 4)
    return {"sigma": round(sigma, 6), "blur": round(blur, 3), "sigma_white": round(white, 6),
            "correlation": corr, "blocks": int(mask.sum())}


#: A flat block whose residual RMS in a colour direction exceeds this many times the median over the flat blocks
#: holds a colour edge, not grain (the flat blocks are chosen on luma, so an edge between two colours of nearly the
#: same luma passes as flat): left out of the colour-grain figures (:func:`colour_grain`,
#: :func:`qualipress.film.fidelity.colour_grain_kept`). Grain RMS varies with density by far less than 3× between
#: the flattest blocks of one frame. (qa13film: two such blocks of 220 made a frame whose output kept 0.11 of its
#: R − Y grain correlation read 0.70.)
COLOUR_EDGE_RATIO = 3.0


def without_colour_edges(rms: np.ndarray) -> np.ndarray:
    """Blocks to keep, from per-block residual RMS ``(K, D)`` in ``D`` colour directions: those within
    :data:`COLOUR_EDGE_RATIO` × the median in every direction."""
    if rms.shape[0] == 0:
        return np.zeros(0, bool)
    return np.asarray((rms <= COLOUR_EDGE_RATIO * np.median(rms, axis=0)).all(axis=1))


def colour_grain(image: Image, stats: BlockStats) -> dict[str, Any]:
    """Colour of the grain in the flattest blocks (:func:`flat_blocks`, less those without grain or holding a
    colour edge).

    ``sigma_rgb``: plane-fit residual RMS of R, G and B (code values, [0, 1] scale; white grain reads its σ, grain
    blurred over a pixel or two somewhat less); ``rgb_correlation``: mean correlation of those residuals between
    the three channel pairs (1: grain shared by R, G and B, i.e. no colour; 0: independent per dye layer);
    ``sigma_colour``: RMS of the colour differences B − Y and R − Y (what the colour-grain check measures);
    ``blocks``: blocks used. None values for frames with fewer than three colour channels or no flat block.
    """
    out: dict[str, Any] = {"sigma_rgb": None, "rgb_correlation": None, "sigma_colour": None, "blocks": 0}
    if image.pixels.shape[2] - int(image.has_alpha) < 3:
        return out
    b = stats.block
    # flat blocks without grain (black letterbox bars, clipped white) say nothing about it, and as the flattest
    # blocks they would fill the set and pull the colour-edge rule's median to 0 (as the fidelity reference does)
    rows, cols = np.nonzero(flat_blocks(stats, grainless=grainless_residual(image)))
    if rows.size == 0:
        return out
    # per block: Σ residual² of R, G, B, B−Y, R−Y and Σ of the R·G, R·B, G·B products, chunk by chunk (temporaries
    # of COLOUR_BLOCKS blocks, not of every flat block of the frame: ~0.4 GB at 4K)
    sums = np.empty((rows.size, 8))
    for c0 in range(0, rows.size, COLOUR_BLOCKS):
        r, c = rows[c0:c0 + COLOUR_BLOCKS], cols[c0:c0 + COLOUR_BLOCKS]
        rgb = code_at(image, block_pixels(r, c, b, image.width))[:, :3].astype(np.float64)
        y = luma(rgb[None])[0]
        planes = np.stack([rgb[:, 0], rgb[:, 1], rgb[:, 2], rgb[:, 2] - y, rgb[:, 0] - y])
        res = plane_residual(planes.reshape(5, -1, b, b).transpose(1, 0, 2, 3)).reshape(r.size, 5, -1)
        sums[c0:c0 + r.size, :5] = (res**2).sum(axis=2)
        sums[c0:c0 + r.size, 5:] = np.stack([(res[:, i] * res[:, j]).sum(axis=1) for i, j in _PAIRS], axis=1)
    keep = without_colour_edges(np.sqrt(sums[:, 3:5] / (b * b)))
    if not keep.any():
        return out
    tot = sums[keep].sum(axis=0)
    n = float(keep.sum() * b * b)
    rms = np.sqrt(tot[:5] / n)
    corr = [float(tot[5 + k] / n / (rms[i] * rms[j])) for k, (i, j) in enumerate(_PAIRS) if rms[i] > 0 and rms[j] > 0]
    return {"sigma_rgb": [round(float(v), 6) for v in rms[:3]],
            "rgb_correlation": round(float(np.mean(corr)), 4) if corr else None,
            "sigma_colour": {"B-Y": round(float(rms[3]), 6), "R-Y": round(float(rms[4]), 6)},
            "blocks": int(keep.sum())}


#: Flat blocks :func:`colour_grain` converts at a time.
COLOUR_BLOCKS = 256
#: Smallest grain RMS (code values in [0, 1]) the grain figures and checks look after (≈ 1.5 10-bit code values).
GRAIN_MIN = 0.0015


def grain_floor(bit_depth: int | None) -> float:
    """Grain RMS below which a frame (or a flat block, at half of it) counts as grain-free: :data:`GRAIN_MIN`, or
    three times the quantisation noise of ``bit_depth``-bit samples when that is larger (8-bit frames)."""
    if not bit_depth or bit_depth >= 16:
        return GRAIN_MIN
    return max(GRAIN_MIN, 3.0 / ((1 << bit_depth) - 1) / math.sqrt(12.0))


def grainless_residual(image: Image) -> float:
    """Block residual RMS at or below which a block of ``image`` holds no grain (:func:`flat_blocks`'s
    ``grainless``): half of :func:`grain_floor` of its bit depth."""
    return 0.5 * grain_floor(None if image.is_float else image.bit_depth)


def grain_blocks(stats: BlockStats, image: Image) -> np.ndarray:
    """The flattest blocks of ``image`` that hold grain (:func:`flat_blocks` without its grainless blocks: digital
    bars, crushed black, clipped white), or its flattest blocks when none holds grain (a grain-free frame)."""
    blocks = flat_blocks(stats, grainless=grainless_residual(image))
    return blocks if blocks.any() else flat_blocks(stats)


_PAIRS = ((0, 1), (0, 2), (1, 2))


def texture(stats: BlockStats, *, noise: float = 0.0) -> dict[str, Any]:
    """Texture complexity: fraction and mask of blocks whose noise-corrected residual exceeds the threshold."""
    signal = np.sqrt(np.maximum(stats.residual.astype(np.float64) ** 2 - noise**2, 0.0))
    mask = signal > TEXTURE_RESIDUAL
    return {"fraction": round(float(mask.mean()), 4), "mean_residual": round(float(signal.mean()), 5),
            "mask": mask}


# -- everything -----------------------------------------------------------------------------------------------
@dataclass
class FrameArrays:
    """What every frame measure starts from, computed once per frame (:func:`frame_arrays`) and shared by
    :func:`analyse`, :func:`qualipress.film.fidelity.reference` and the decision checks' reference."""

    image: Image
    #: None once released after the frame's analysis (:func:`qualipress.film.fidelity.release_linear`).
    y: np.ndarray | None
    stats: BlockStats
    grain: dict[str, Any]
    #: Scene-linear luma of an integer log frame, once computed (:func:`log_linear_luma`).
    log_linear: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        """(H, W, C) of the frame's colour samples."""
        px = self.image.pixels
        return (px.shape[0], px.shape[1], px.shape[2] - int(self.image.has_alpha))


def log_linear_luma(arrays: FrameArrays, image: Image) -> np.ndarray:
    """Luma of the scene-linear values of an integer log frame (:func:`qualipress.io.logcurves.log_to_linear` of
    its perceptual code), computed once per frame and kept in ``arrays``: the dynamic range and the fidelity
    reference both need it."""
    if arrays.log_linear is None:
        arrays.log_linear = code_plane(image, lambda c: luma(np.asarray(log_to_linear(c, image.metadata),
                                                                        np.float32)))
    return arrays.log_linear


def frame_arrays(image: Image | np.ndarray, *, block: int = BLOCK,
                 stats_ready: Callable[[BlockStats], None] | None = None) -> FrameArrays:
    """Luma of the perceptual code (float32, computed strip by strip), its block plane fits and the grain measure
    of one frame.

    ``stats_ready`` is called with the block statistics as soon as they are known, before the grain measure (the
    frame's largest temporaries): a caller holding planes it can cut to blocks chosen from them frees those planes
    first (:class:`qualipress.film.hooks.FilmHooks` cuts the previous frame's luma to this frame's blocks).

    Raises
    ------
    InputError
        Non-finite float samples, or a frame smaller than one block.
    """
    img = as_image(image)
    if img.is_float and not np.isfinite(img.pixels).all():
        raise InputError("frame has NaN or Inf samples; analysis needs finite values")
    y = code_luma(img)
    stats = block_stats(y, block=block)
    if stats_ready is not None:
        stats_ready(stats)
    return FrameArrays(img, y, stats, grain(y, stats, grainless=grainless_residual(img)))


def analyse(image: Image | np.ndarray, *, block: int = BLOCK, keep_masks: bool = False,
            arrays: FrameArrays | None = None) -> dict[str, Any]:
    """All frame measures as plain data (masks only with ``keep_masks``).

    Parameters
    ----------
    block : int
        Block size of the block measures.
    keep_masks : bool
        Also return ``smooth_mask`` and ``texture_mask`` (boolean block arrays) for the decision module.
    arrays : FrameArrays, optional
        :func:`frame_arrays` of this image with this ``block``, when already computed.

    Returns
    -------
    dict
        ``size``, ``bits``, ``dynamic_range``, ``smooth_gradient``, ``colour``, ``texture``, ``noise_sigma``
        and, with ``keep_masks``, the two masks.

    Raises
    ------
    InputError
        Non-finite float samples, or a frame smaller than one block.
    """
    img = as_image(image)
    if arrays is None or arrays.stats.block != block:
        arrays = frame_arrays(img, block=block)
    stats, gr = arrays.stats, arrays.grain
    sigma = float(gr["sigma"])
    smooth = smooth_gradient(stats)
    tex = texture(stats, noise=sigma)
    out: dict[str, Any] = {
        "size": [img.width, img.height],
        "bits": bits_used(img.color().pixels, img.bit_depth),
        "dynamic_range": dynamic_range(img, arrays=arrays),
        "smooth_gradient": {k: v for k, v in smooth.items() if k != "mask"},
        "colour": colour(img),
        "texture": {k: v for k, v in tex.items() if k != "mask"},
        "noise_sigma": round(sigma, 6),
        "grain": gr,
        "block": block,
    }
    if keep_masks:
        out["smooth_mask"] = smooth["mask"]
        out["texture_mask"] = tex["mask"]
    return out
