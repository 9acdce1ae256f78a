"""Fast full-reference metrics on perceptually coded images, with per-tile values.

Definitions (all on images normalised to [0, 1] by :func:`qualipress.io.to_perceptual`, alpha excluded):

Images with alpha: the metrics measure what is seen when the image is composited. Straight (non-premultiplied)
colour is multiplied by its own alpha before measuring (the error of the composite over any background, for equal
alpha), and when some reference pixels are fully transparent the whole-image SSIM and PSNR and their tiles are
taken over the visible pixels only (reference alpha > 0; tiles without one are left out), so colour nobody sees
neither fails nor inflates a score. Premultiplied colour (OpenEXR; see :func:`qualipress.io.alpha_premultiplied`)
is measured as stored, everywhere: it is what the image adds over the background, also where alpha is 0. The
alpha plane itself is bounded by the search (``search.alpha_kept``). MS-SSIM, SSIMULACRA 2 and butteraugli see
the same premultiplied colour over the bounding box of the visible pixels (they have no per-pixel map to mask).

``psnr``
    ``10 log10(1 / MSE)`` over every sample of every colour channel; capped at :data:`PSNR_CAP` dB so identical
    images give a finite number. Per tile: the same on each tile.
``ssim``
    Wang et al. 2004: 11×11 Gaussian window (σ = 1.5, truncated at 3.5σ), K1 = 0.01, K2 = 0.03, population
    covariances, data range = the image's nominal peak (1.0 after normalisation). Computed per channel; the SSIM
    map is averaged over channels; the global score is the mean over the map with a 5-pixel border cropped,
    which equals ``skimage.metrics.structural_similarity(..., channel_axis=-1, gaussian_weights=True,
    sigma=1.5, use_sample_covariance=False, data_range=peak)``. Per tile: mean of the (uncropped, border
    reflected) map over each tile.
``ms-ssim``
    Wang et al. 2003, 5 scales with weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), 2×2 average downsampling,
    valid-window statistics, negative terms clipped to 0 as in ``pytorch_msssim``; fewer scales (weights
    renormalised) for images under 176 px. Global only.
``ssimulacra2``
    Cloudinary's SSIMULACRA 2 via the ``ssimulacra2`` package's functions (pure NumPy), applied to the
    perceptual code values read as sRGB. Global only; slow on large frames.
``butteraugli``
    libjxl's ``butteraugli_main`` (Debian ``libjxl-devtools``) on 16-bit PNGs; lower is better. Global only.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from qualipress.errors import InputError, UnsupportedError, backend_available
from qualipress.io.image import Image, as_image
from qualipress.io.transfer import alpha_premultiplied, seen_colour

#: PSNR of identical images (dB).
PSNR_CAP = 100.0
#: Default tile size (pixels) for per-tile statistics.
DEFAULT_TILE = 256

#: Largest difference between the fast float32 measurement and the same metric computed in float64, per metric
#: (SSIM in its own units, PSNR in dB), with a safety factor: measured at most 2.9e-7 SSIM and 1.7e-7 dB on Kodak
#: JPEG/WebP probes (docs/benchmarks.md). A decision closer than this to a threshold is re-measured in float64
#: (:meth:`Reference.precise`, ``measure(..., precise=True)``). Metrics not listed are computed in float64.
FLOAT32_ERROR: dict[str, float] = {"ssim": 2e-6, "psnr": 1e-4}
#: The same bound for per-tile statistics (``@min``, ``@p1``, ``@p5``): a tile averages fewer pixels, whose float32
#: errors share a sign in flat regions, so a tile's error approaches the per-pixel one. Measured on 10 photographs
#: × 6 JPEG/WebP probes: SSIM up to 2.7e-6 on 64-px tiles and 1.0e-6 on 256-px ones, per pixel 5.5e-6
#: (docs/benchmarks.md, § Search cost); 2e-5 covers the per-pixel worst case.
FLOAT32_TILE_ERROR: dict[str, float] = {"ssim": 2e-5, "psnr": 1e-4}

_K1, _K2 = 0.01, 0.03
_C1, _C2 = _K1**2, _K2**2
_WIN = 11
_SIGMA = 1.5
_PAD = (_WIN - 1) // 2
_MS_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
#: OpenCV's own float32 weights of the 11-tap Gaussian (what ``_blur`` uses on float32 planes), for the fused kernels.
_GAUSS32 = np.ascontiguousarray(cv2.getGaussianKernel(_WIN, _SIGMA, ktype=cv2.CV_32F).ravel())
#: Whether float32 references measure through the compiled fused kernels (:mod:`qualipress.metrics.fused`): the
#: reference's window statistics, :meth:`Reference.reduced` and :meth:`Reference.maps`, for non-lean references of
#: at least 11×11 pixels. The values agree with the OpenCV path to float32 rounding (docs/benchmarks.md § Fused
#: SSIM: whole-image SSIM within 1e-7 on Kodak JPEG probes, closer to the float64 definition than OpenCV's), inside
#: :data:`FLOAT32_ERROR`, so a decision never depends on the path. True: always; False: never (the OpenCV path;
#: tests compare the two); None (the default, or ``QUALIPRESS_FUSED=auto``; ``1``/``0`` force): once they pay in
#: this process. A cold process pays about 0.55 s CPU to import numba and load the kernels from its cache, which
#: a measurement saves back at about 5 ms (Kodak): so the kernels are used from the start when numba is already
#: loaded (by another kernel, e.g. the JPEG trellis) and otherwise from the :data:`FUSED_AFTER`-th measurement on,
#: and a single-photo run never pays for them.
USE_FUSED: bool | None = {"1": True, "0": False}.get(os.environ.get("QUALIPRESS_FUSED", "auto"))
#: Measurements (references prepared and probes measured through fusable references) a process makes through
#: OpenCV before it loads the kernels, when :data:`USE_FUSED` is None.
FUSED_AFTER = 100
_MEASURED = [0]


def kernels_loaded() -> bool:
    """Whether compiled kernels run now without waiting for :data:`FUSED_AFTER` measurements: forced on
    (:data:`USE_FUSED` True), or the automatic rule with numba already loaded. Other compiled kernels
    (``qualipress.search.kernels``) follow this, so a single-photo run never imports numba for them."""
    return USE_FUSED is True or (USE_FUSED is None and "numba" in sys.modules)


@dataclass(frozen=True)
class MetricResult:
    """One metric's outcome.

    Attributes
    ----------
    name : str
    value : float
        Whole-image score (over the mask when one was given).
    tiles : numpy.ndarray or None
        2-D grid of per-tile scores (None for global-only metrics).
    stats : dict
        ``mean``, ``min``, ``p1``, ``p5`` over tiles (for global-only metrics all equal ``value``).
    """

    name: str
    value: float
    tiles: np.ndarray | None = None
    stats: dict[str, float] = field(default_factory=dict)

    def stat(self, which: str) -> float:
        """``"mean"`` (the whole-image value), ``"min"``, ``"p1"`` or ``"p5"``."""
        if which == "mean":
            return self.value
        if which not in self.stats:
            raise UnsupportedError(f"{self.name} has no per-tile statistic {which!r}")
        return self.stats[which]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"value": _r(self.value)}
        d.update({k: _r(v) for k, v in self.stats.items() if k != "mean"})
        if self.tiles is not None:
            d["tiles_shape"] = list(self.tiles.shape)
        return d


def _r(v: float) -> float:
    return round(float(v), 6)


# -- preparation ------------------------------------------------------------------------------------------
def _straight(image: Image) -> bool:
    """Whether ``image`` has straight (non-premultiplied) alpha, which the metrics apply to the colour."""
    return image.has_alpha and not alpha_premultiplied(image)


def visible_mask(image: Image) -> np.ndarray | None:
    """The pixels whose colour is seen, when some are not: ``alpha > 0`` of an image with straight alpha and at
    least one fully transparent (and one visible) pixel, else None. The 5-pixel border SSIM crops is left out
    too when that leaves a pixel."""
    if not _straight(image):
        return None
    alpha = image.alpha()
    seen = alpha > 0
    if seen.all() or not seen.any():
        return None
    inner = np.zeros_like(seen)
    inner[_PAD:-_PAD or None, _PAD:-_PAD or None] = True
    return seen & inner if (seen & inner).any() else seen


def _prepare(reference: Image | np.ndarray, distorted: Image | np.ndarray,
             data_range: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float32 (H, W, C) in [0, 1]."""
    if isinstance(reference, np.ndarray) and isinstance(distorted, np.ndarray) and data_range is not None:
        a = np.asarray(reference, dtype=np.float32) / np.float32(data_range)
        b = np.asarray(distorted, dtype=np.float32) / np.float32(data_range)
        a = a[..., None] if a.ndim == 2 else a
        b = b[..., None] if b.ndim == 2 else b
    else:
        ref = as_image(reference)
        dis = as_image(distorted)
        if not dis.is_float and not ref.is_float and dis.bit_depth != ref.bit_depth:
            dis = Image(dis.pixels, ref.bit_depth, ref.transfer)
        a, b = seen_colour(ref), seen_colour(dis, straight=_straight(ref))
    if a.shape != b.shape:
        raise InputError(f"images differ in shape: {a.shape} vs {b.shape}")
    return np.ascontiguousarray(a), np.ascontiguousarray(b)


def _blur(x: np.ndarray, dst: np.ndarray | None = None) -> np.ndarray:
    return cv2.GaussianBlur(x, (_WIN, _WIN), _SIGMA, dst=dst, borderType=cv2.BORDER_REFLECT)


def _fused() -> Any:
    """The compiled kernels module, imported on first use: importing numba costs about 0.3 s, which
    ``qualipress --help`` and commands that measure nothing must not pay (docs/design.md § Compiled kernels)."""
    from qualipress.metrics import fused

    return fused


def _tile_reduce(m: np.ndarray, tile: int, reducer: Callable[[np.ndarray], float] = np.mean) -> np.ndarray:
    h, w = m.shape[:2]
    ny, nx = max(1, math.ceil(h / tile)), max(1, math.ceil(w / tile))
    out = np.empty((ny, nx), dtype=np.float64)
    for i in range(ny):
        for j in range(nx):
            out[i, j] = reducer(m[i * tile : (i + 1) * tile, j * tile : (j + 1) * tile])
    return out


def _tile_means(m: np.ndarray, tile: int) -> np.ndarray:
    """Mean of a 2-D map over each ``tile``×``tile`` tile (edge tiles smaller), summed in float64, without a
    per-tile Python loop."""
    h, w = m.shape[:2]
    y0, x0 = np.arange(0, h, tile), np.arange(0, w, tile)
    rows = np.concatenate([cv2.reduce(m[y : y + tile], 0, cv2.REDUCE_SUM, dtype=cv2.CV_64F) for y in y0])
    sums = np.add.reduceat(rows, x0, axis=1)
    counts = np.outer(np.diff(np.append(y0, h)), np.diff(np.append(x0, w)))
    return sums / counts


def _percentile(ordered: np.ndarray, q: float) -> float:
    """``np.percentile(x, q)`` (its default linear method, the same float64 operations) of the sorted,
    NaN-free ``ordered``: without ``np.percentile``'s overhead (about 0.1 ms a call, six calls a probe)."""
    n = ordered.size
    v = (n - 1) * (q / 100)
    if v >= n - 1:
        return float(ordered[-1])
    lo = math.floor(v)
    t = v - lo
    a, b = float(ordered[lo]), float(ordered[lo + 1])
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def _stats(tiles: np.ndarray, value: float) -> dict[str, float]:
    flat = np.sort(tiles.ravel().astype(np.float64, copy=False))
    if flat.size == 0 or not np.isfinite(flat[-1]):
        p1, p5 = np.percentile(tiles.ravel(), (1, 5))
        return {"mean": value, "min": float(np.min(tiles)), "p1": float(p1), "p5": float(p5)}
    return {"mean": value, "min": float(flat[0]), "p1": _percentile(flat, 1), "p5": _percentile(flat, 5)}


def _check_mask(mask: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    if mask is None:
        return None
    m = np.asarray(mask).astype(bool)
    if m.shape != shape[:2]:
        raise InputError(f"mask shape {m.shape} differs from image {shape[:2]}")
    if not m.any():
        raise InputError("mask selects no pixels")
    return m


# -- SSIM -------------------------------------------------------------------------------------------------
def ssim_map(reference: Image | np.ndarray, distorted: Image | np.ndarray, *,
             data_range: float | None = None) -> np.ndarray:
    """Per-pixel SSIM averaged over colour channels, shape (H, W), float32 (borders reflected)."""
    a, b = _prepare(reference, distorted, data_range)
    return _ssim_map(a, b)


#: Rows per strip: SSIM is computed strip by strip (with a halo of the window radius) so the working set stays
#: in cache and peak memory stays small on 4K frames.
_STRIP = 64
#: Most samples (rows × width × channels) in one strip of :meth:`Reference.maps` (at least :data:`_STRIP` rows): a
#: 768×512 RGB photograph is cut into strips of 113 rows (lean references, 2K frames and up, use
#: :data:`_LEAN_STRIP`). Smaller strips stay in cache: ``maps`` took 7.8-8.2 ms CPU per 768×512 RGB probe with
#: 96-128-row strips against 9.0 with 227 (1 << 19 samples) and 9.6 with one strip, and 55 ms on a non-lean
#: 2048×1080 RGB reference with 64-row strips against 65 with 128 (same values; docs/benchmarks.md, § Search cost).
_STRIP_SAMPLES = 1 << 18


def _strip_rows(shape: tuple[int, ...]) -> int:
    """Rows per strip for an (H, W, C) image (at least :data:`_STRIP`)."""
    h, w, c = shape
    return max(_STRIP, min(h, _STRIP_SAMPLES // max(1, w * c)))


def _ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return Reference.normalised(a).maps(prepared=b)[0]


def _channel_mean(x: np.ndarray) -> np.ndarray:
    """Mean over the last axis of (h, w, C) float32, equal bit for bit to ``x.mean(axis=2)`` but without
    NumPy's slow short-axis reduction (a sequential sum, then one division)."""
    if x.ndim == 2:
        return x
    out = np.array(x[..., 0])
    for c in range(1, x.shape[2]):
        out += x[..., c]
    if x.shape[2] > 1:
        out /= np.float32(x.shape[2])
    return out


def _ssim_block(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SSIM and contrast-structure maps of a block (2-D or (h, w, C) float32 in [0, 1] units).

    Rows within the window radius of a block edge that is not an image edge are wrong; callers drop them.
    """
    x = np.ascontiguousarray(x)
    y = np.ascontiguousarray(y)
    ux, uy = _blur(x), _blur(y)
    vx = _blur(cv2.multiply(x, x))
    vy = _blur(cv2.multiply(y, y))
    vxy = _blur(cv2.multiply(x, y))
    uxuy = cv2.multiply(ux, uy)
    ux2 = cv2.multiply(ux, ux, dst=ux)
    uy2 = cv2.multiply(uy, uy, dst=uy)
    vx -= ux2
    vy -= uy2
    vxy -= uxuy
    # cs = (2 vxy + C2) / (vx + vy + C2), in place
    vxy *= 2.0
    vxy += _C2
    vx += vy
    vx += _C2
    cs = np.divide(vxy, vx, out=vxy)
    # luminance = (2 ux uy + C1) / (ux^2 + uy^2 + C1), in place
    uxuy *= 2.0
    uxuy += _C1
    ux2 += uy2
    ux2 += _C1
    lum = np.divide(uxuy, ux2, out=uxuy)
    return cv2.multiply(lum, cs, dst=lum), cs


def _crop(m: np.ndarray) -> np.ndarray:
    h, w = m.shape[:2]
    if h > 2 * _PAD and w > 2 * _PAD:
        return m[_PAD : h - _PAD, _PAD : w - _PAD]
    return m


def ssim(reference: Image | np.ndarray, distorted: Image | np.ndarray, *, data_range: float | None = None) -> float:
    """Whole-image SSIM (see module docstring); agrees with scikit-image to < 1e-4."""
    m = ssim_map(reference, distorted, data_range=data_range)
    return float(np.mean(_crop(m), dtype=np.float64))


def _ssim_result(m: np.ndarray, tile: int, mask: np.ndarray | None) -> MetricResult:
    """Whole-image (or masked) SSIM and per-tile statistics from the per-pixel map."""
    if mask is None:
        value, tiles = float(np.mean(_crop(m), dtype=np.float64)), _tile_means(m, tile)
    else:
        value = float(np.mean(m[mask], dtype=np.float64))
        tiles = _tile_reduce(np.where(mask, m, np.nan), tile,
                             lambda t: float(np.nanmean(t)) if np.isfinite(t).any() else np.nan)
        tiles = tiles[np.isfinite(tiles)].reshape(1, -1)
    return MetricResult("ssim", value, tiles, _stats(tiles, value))


# -- PSNR -------------------------------------------------------------------------------------------------
def _psnr_from_mse(mse: float) -> float:
    return PSNR_CAP if mse <= 10 ** (-PSNR_CAP / 10) else min(PSNR_CAP, 10.0 * math.log10(1.0 / mse))


def psnr(reference: Image | np.ndarray, distorted: Image | np.ndarray, *, data_range: float | None = None) -> float:
    """Whole-image PSNR in dB (capped at :data:`PSNR_CAP`)."""
    a, b = _prepare(reference, distorted, data_range)
    d = cv2.subtract(a, b)
    return _psnr_from_mse(float(np.mean(cv2.multiply(d, d), dtype=np.float64)))


def _psnr_tiles(mse: float, mse_t: np.ndarray) -> MetricResult:
    """PSNR from a whole-image and per-tile mean squared error."""
    value = _psnr_from_mse(mse)
    tiles = np.array([_psnr_from_mse(float(v)) for v in mse_t.ravel()], dtype=np.float64).reshape(mse_t.shape)
    return MetricResult("psnr", value, tiles, _stats(tiles, value))


def _psnr_result(se: np.ndarray, tile: int, mask: np.ndarray | None) -> MetricResult:
    """Whole-image (or masked) PSNR and per-tile statistics from the per-pixel squared error (channel mean)."""
    mse = float(np.mean(se if mask is None else se[mask], dtype=np.float64))
    src = se if mask is None else np.where(mask, se, np.nan)
    mse_t = (_tile_means(se, tile) if mask is None else
             _tile_reduce(src, tile, lambda t: float(np.nanmean(t)) if np.isfinite(t).any() else np.nan))
    mse_t = mse_t[np.isfinite(mse_t)].reshape(1, -1) if mask is not None else mse_t
    return _psnr_tiles(mse, mse_t)


# -- a reference prepared once, measured against many times ----------------------------------------------
#: A reference with at least this many samples (rows × width × colour planes; a 2K RGB frame has 6.6 million) is
#: kept *lean*: none of its full-size float planes (normalised image, local mean, the two SSIM terms: four float32
#: copies, 8× the 16-bit frame) is stored; each :meth:`Reference.maps` call recomputes them strip by strip from the
#: reference's own samples (two more blurs per strip). The values are the same bit for bit (OpenCV's blur of a strip
#: with its halo equals the blur of the whole plane on the strip's rows), so this only trades memory for time.
#: Smaller images (Kodak's 1.2 million samples) keep the planes: there speed matters more than 20 MB.
_LEAN_SAMPLES = 1 << 22
#: Rows per strip of a lean reference: its nine strip buffers take 9 MB for a 2K RGB frame (20 MB at
#: :data:`_STRIP_SAMPLES`), and ``maps`` was no slower (process time, best of 7, 2048×1080 RGB: 0.104 s at 32 rows,
#: 0.103 at 85; 0.118 at 16).
_LEAN_STRIP = 32
#: Indices of the distorted strip's and a lean reference's own strip buffer in ``Reference._workspace``.
_Y, _A = 6, 10


def _free_refs() -> int:
    """What ``sys.getrefcount`` reports, on this interpreter, for an array held only by a list and one local name
    (as in :meth:`_Spare.take`): 3 up to Python 3.13, possibly fewer where argument loads are borrowed."""
    pool = [np.empty(0)]
    for i in range(len(pool)):
        arr = pool[i]
        return sys.getrefcount(arr)
    raise AssertionError  # pragma: no cover


_FREE_REFS = _free_refs()


class _Spare:
    """Float arrays left by :class:`Reference` objects that no longer exist, for the next reference of the same
    size: a search prepares a reference (four float planes of the image) and strip buffers for every image, and a
    fresh array costs a page fault per 4 kB on first touch (about 3,000 per cold Kodak search, 7-10 % of its CPU
    time; docs/benchmarks.md). An array is handed out again only when nothing else holds it (its reference count
    shows no view or other owner), so a caller that kept an array of a dead reference keeps its values. At most
    :attr:`LIMIT` bytes are kept (the oldest are dropped first), and arrays above :attr:`LARGEST` (4K frames,
    lean references' whole-image temporaries) never are. A lean reference (a film frame) gives nothing back:
    there the pool would hold its strip buffers through the rest of the frame and raise the worker's peak."""

    LIMIT = 64 << 20
    LARGEST = 16 << 20

    def __init__(self) -> None:
        self._arrays: list[np.ndarray] = []
        self._lock = threading.Lock()

    def take(self, shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
        """An uninitialised array of ``shape`` and ``dtype``: a kept one when one is free, else a new one."""
        with self._lock:
            for i in range(len(self._arrays)):
                arr = self._arrays[i]
                # free = no more references than the list and this name hold (what getrefcount reports for that
                # depends on the interpreter, so it is measured once: _FREE_REFS)
                if arr.shape == shape and arr.dtype == dtype and sys.getrefcount(arr) <= _FREE_REFS:
                    return self._arrays.pop(i)
        return np.empty(shape, dtype)

    def give(self, arrays: Sequence[np.ndarray]) -> None:
        """Keep ``arrays`` (their owner is gone) for :meth:`take`."""
        with self._lock:
            self._arrays.extend(a for a in arrays if a.base is None and a.nbytes <= self.LARGEST)
            total = sum(a.nbytes for a in self._arrays)
            while total > self.LIMIT:
                total -= self._arrays.pop(0).nbytes

    def when_gone(self, owner: object, arrays: Sequence[np.ndarray]) -> None:
        """Keep ``arrays`` once ``owner`` has been collected."""
        weakref.finalize(owner, self.give, list(arrays)).atexit = False


_SPARE = _Spare()



def _sum64(m: np.ndarray) -> float:
    """The sum of a strip's map in float64 (column sums first, as every strip total here is added)."""
    return float(cv2.sumElems(cv2.reduce(m, 0, cv2.REDUCE_SUM, dtype=cv2.CV_64F))[0])


def _add_tile_rows(m: np.ndarray, r0: int, r1: int, tile: int, cols: np.ndarray) -> None:
    """Add the column sums (float64) of strip ``m`` (image rows ``r0``..``r1``) into ``cols``, one row per tile
    row the strip touches."""
    for ty in range(r0 // tile, (r1 - 1) // tile + 1):
        a, b = max(r0, ty * tile) - r0, min(r1, (ty + 1) * tile) - r0
        cols[ty] += cv2.reduce(m[a:b], 0, cv2.REDUCE_SUM, dtype=cv2.CV_64F)[0]


class _Rows:
    """The samples of a lean :class:`Reference` made again by rows (:meth:`Reference.serve_rows`): sliced by rows
    like the array they stand for, converted whole only where a caller asks for the whole array."""

    def __init__(self, rows: Callable[[slice], np.ndarray], shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.rows, self.shape, self.dtype, self.ndim = rows, shape, dtype, len(shape)

    def __getitem__(self, rows: slice) -> np.ndarray:
        return self.rows(slice(*rows.indices(self.shape[0])))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self.rows(slice(0, self.shape[0]))
        return whole if dtype is None else whole.astype(dtype)


class Reference:
    """A reference image prepared once for measuring many distorted versions of it (a search's probes).

    The reference's normalisation to [0, 1] and its SSIM window statistics (local mean, its square and the
    local variance) are computed once; each :meth:`maps` call then blurs only the distorted side (three
    Gaussian blurs instead of five) and produces the SSIM map and the squared-error map in one strip-by-strip
    pass. The arithmetic is the same, operation for operation, as measuring the pair from scratch, so the
    values are identical.

    Parameters
    ----------
    reference : Image or numpy.ndarray
        An :class:`~qualipress.io.Image`, or an array already normalised to [0, 1] (float32, (H, W, C)) when
        ``data_range`` is None and it is a float array, or a raw array with ``data_range``.
    data_range : float, optional
        Peak of a raw array reference (as in :func:`qualipress.metrics.measure`).
    lean : bool, optional
        Keep no full-size float plane and recompute the window statistics per strip in every :meth:`maps` call
        (same values, about two more blurs per call). Default: lean from :data:`_LEAN_SAMPLES` samples on.

    Notes
    -----
    Memory: four float32 copies of the colour planes (the normalised reference, its local mean and two SSIM
    terms), e.g. 106 MB each for a 4096×2160 RGB frame, plus six strip buffers (about 7 MB each at 4096×2160 RGB);
    a lean reference keeps only the reference's own samples (not copied) and nine strip buffers. The distorted
    image is normalised strip by strip too (no full float copy of it).
    """

    def __init__(self, reference: Image | np.ndarray, *, data_range: float | None = None,
                 lean: bool | None = None) -> None:
        if isinstance(reference, np.ndarray) and data_range is not None:
            self._source: Image | np.ndarray = reference
            self._image: Image | None = None
        else:
            self._image = as_image(reference)
            self._source = self._image
        self.data_range = data_range
        self.visible = None if self._image is None else visible_mask(self._image)
        self._set(None, lean=lean)

    def serve_rows(self, rows: Callable[[slice], np.ndarray]) -> None:
        """Take this lean array reference's samples from ``rows(slice)`` (those rows of the array it was made from,
        the same values) from now on: the caller may drop the array. For a reference that can be made again by
        rows at less cost than holding it (the film display check's source rendering); each measurement then
        makes its strips again, halo included.

        Raises
        ------
        InputError
            Not a lean reference made from an array with ``data_range``.
        """
        src = self._source
        if not self._lean or self._image is not None or self.data_range is None or not isinstance(src, np.ndarray):
            raise InputError("only a lean reference made from an array with data_range can serve its rows")
        self._source = _Rows(rows, src.shape, src.dtype)

    @classmethod
    def normalised(cls, a: np.ndarray, *, lean: bool | None = None) -> Reference:
        """A reference from colour planes already normalised to [0, 1] (float32 (H, W, C)); distorted images
        given to it must be normalised the same way."""
        self = cls.__new__(cls)
        self._image, self.data_range, self.visible = None, 1.0, None
        a = a[..., None] if a.ndim == 2 else a
        self._source = np.ascontiguousarray(a, dtype=np.float32)
        self._set(self._source, lean=lean)
        return self

    # -- normalisation, whole or by rows --------------------------------------------------------------------
    def _scaled(self, x: Image | np.ndarray) -> bool:
        """Whether ``x`` normalises by scaling its integer colour samples alone (no straight alpha to apply)."""
        return (self._image is not None and isinstance(x, Image) and not x.is_float
                and not (x.has_alpha and _straight(self._image)))

    def _normalise(self, x: Image | np.ndarray, rows: slice | None = None, out: np.ndarray | None = None,
                   ) -> np.ndarray:
        """``x`` (the reference's source or a distorted image) normalised like the reference: (h, W, C) float32
        in [0, 1], only ``rows`` when given (the conversion is per sample, so rows of it equal it on those rows).

        Integer colour is converted and scaled in place (the values of :func:`seen_colour`: the sample converted to
        float32, then one float32 product), in the first rows of ``out`` (a float32 (rows, W) or (rows, W, C)
        buffer) when given, else in a new array.
        """
        if self._scaled(x):
            px = x.pixels if rows is None else x.pixels[rows]  # type: ignore[union-attr]
            px = px[..., :-1] if x.has_alpha else px  # type: ignore[union-attr]
            scale = np.float32(1.0 / x.max_value)  # type: ignore[union-attr]
            dst = px.astype(np.float32) if out is None else out[: px.shape[0]]
            dst = dst if dst.ndim == 3 else dst[..., None]
            if out is not None:
                dst[...] = px  # converted in a plain copy: faster than a mixed-type product (0.16 vs 0.23 ms)
            dst *= scale
            return dst
        if self._image is None:
            if not isinstance(x, np.ndarray | _Rows):
                raise InputError("a reference given as an array needs the distorted image as an array too")
            b = x if rows is None else x[rows]
            b = np.asarray(b, dtype=np.float32)
            if self.data_range != 1.0:
                b = b / np.float32(self.data_range)
            return b[..., None] if b.ndim == 2 else b
        img = x if isinstance(x, Image) else as_image(x)
        if rows is not None:
            img = Image(img.pixels[rows], img.bit_depth, img.transfer, img.colorspace, img.metadata, img.source)
        return seen_colour(img, straight=_straight(self._image))

    def _distorted(self, distorted: Image | np.ndarray) -> Image | np.ndarray:
        """``distorted`` ready for :meth:`_normalise` (an integer image takes the reference's bit depth), its
        shape checked against the reference's."""
        if self._image is None:
            if not isinstance(distorted, np.ndarray):
                raise InputError("a reference given as an array needs the distorted image as an array too")
            shape = distorted.shape if distorted.ndim == 3 else (*distorted.shape, 1)
        else:
            ref = self._image
            dis = as_image(distorted)
            if not dis.is_float and not ref.is_float and dis.bit_depth != ref.bit_depth:
                dis = Image(dis.pixels, ref.bit_depth, ref.transfer)
            distorted = dis
            shape = (dis.height, dis.width, dis.pixels.shape[2] - (1 if dis.has_alpha else 0))
        if tuple(shape) != self._shape:
            raise InputError(f"images differ in shape: {self._shape} vs {tuple(shape)}")
        return distorted

    def _set(self, a: np.ndarray | None, dtype: type = np.float32, *, lean: bool | None = None) -> None:
        """Prepare the window statistics from the normalised planes ``a`` (None: normalise the source now).

        A lean reference keeps only its source and the scalar it centres the variance on (computed here from the
        whole image, as the stored statistics are)."""
        kept: list[np.ndarray] = []
        if a is None:
            if np.dtype(dtype) == np.float32 and self._scaled(self._source) and not lean:
                src = self._source
                kept.append(_SPARE.take((src.height, src.width, src.n_channels - src.has_alpha),  # type: ignore
                                        np.float32))
            a = self._normalise(self._source, out=kept[0] if kept else None)
        p = self._planes(np.ascontiguousarray(a, dtype=dtype))
        self.dtype = np.dtype(dtype)
        self._shape = (a.shape[0], a.shape[1], a.shape[2])
        self._lean = bool(lean) if lean is not None else a.size >= _LEAN_SAMPLES
        self._rows = min(self._shape[0], _LEAN_STRIP) if self._lean else _strip_rows(self._shape)
        self._work: list[np.ndarray] | None = None
        self._twin: Reference | None = None
        self._packed = False  # the source's pixels are this reference's (see packed)
        c = self._shape[2]
        self._to_mean = np.full((1, c), 1.0 / c, dtype=self.dtype)
        # The local variance E[x²] - E[x]² cancels in float32; centring on the image's mean first keeps the
        # squares (and so the rounding) small. The variance does not change.
        m = float(np.mean(cv2.mean(p)[:c])) if c <= 4 else float(np.mean(p))
        self._m = float(self.dtype.type(m))
        if self._lean:
            return
        self.a = p if p.ndim == 3 else p[..., None]
        # The probes' buffers serve as scratch when the image is one strip, else one spare plane does.
        work: list[np.ndarray] = []
        if self._fusable():  # one compiled pass, no scratch planes; 2 ux² + C1 is not stored (see _lum0_plane)
            keep = [_SPARE.take(p.shape, self.dtype) for _ in range(2)]
            self._ux, self._cs0 = keep
            self._lum0: np.ndarray | None = None
            _fused().reference_stats(*self._fused_source(), np.float32(self._m), _GAUSS32, c,
                                     *(k.reshape(p.shape[0], -1) for k in keep))
        else:
            keep = [_SPARE.take(p.shape, self.dtype) for _ in range(3)]
            work = self._workspace() if self._rows >= p.shape[0] else [_SPARE.take(p.shape, self.dtype)] * 2
            self._ux, self._lum0, self._cs0 = self._statistics(p, scratch=(work[0], work[1]), keep=keep)
        if work and self._rows < p.shape[0]:
            _SPARE.give(work[:1])  # free again as soon as nothing refers to it
        _SPARE.when_gone(self, kept + keep)

    def _fusable(self, *, count: bool = True) -> bool:
        """Whether this reference measures through the fused kernels now (see :data:`USE_FUSED`; each call
        counts as one measurement towards :data:`FUSED_AFTER` unless ``count`` is False)."""
        h, w, _ = self._shape
        if self._lean or self.dtype != np.float32 or min(h, w) < _WIN or USE_FUSED is False:
            return False
        if not kernels_loaded():
            _MEASURED[0] += count
            return _MEASURED[0] > FUSED_AFTER
        return True

    def interior_values(self, mosaic: Image, tile: int, border: int, ids: np.ndarray | None = None,
                        bins: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """SSIM and squared error (channel means, float64) at the tile interiors of a mosaic of this image, from
        this reference's own window statistics (:func:`qualipress.metrics.fused.interior_values`: the layout, the
        order of the values), and their sums over ``bins`` bins by ``ids`` (one int64 bin a value, as
        ``np.bincount(ids, weights=..., minlength=bins)`` gives them; empty without ``ids``); or None where the
        fused kernels are not in use now (nothing counted then: the caller measures through :meth:`packed` and
        :meth:`maps`, which count).

        The values are those of ``packed(...).maps(mosaic cropped)`` at the interiors, bit for bit."""
        if not self._fusable(count=False) or border < _PAD or self._packed:
            return None
        raw = self._raw_samples(mosaic)
        planes = mosaic.pixels.shape[2] - mosaic.has_alpha
        if (raw is None or self._image is None or mosaic.bit_depth != self._image.bit_depth or planes != self._shape[2]
                or mosaic.height % tile or mosaic.width % tile or mosaic.height > self._shape[0]
                or 2 * mosaic.width > self._shape[1]):
            return None
        self._fusable()  # counted as the measurement it is
        u = tile - 2 * border
        size = (mosaic.height // tile) * u * (mosaic.width // tile) * u
        s, e = np.empty(size, np.float64), np.empty(size, np.float64)
        ids = np.empty(0, np.int64) if ids is None else np.ascontiguousarray(ids, dtype=np.int64)
        if ids.size not in (0, size):
            raise InputError(f"interior_values: {ids.size} bin ids for {size} values")
        if ids.size and (ids.min() < 0 or ids.max() >= bins):  # the kernel checks no bounds
            raise InputError(f"interior_values: bin ids outside 0..{bins - 1}")
        s_bins, e_bins = np.zeros(bins if ids.size else 0), np.zeros(bins if ids.size else 0)
        y = np.ascontiguousarray(raw[0]).reshape(mosaic.height, -1)
        _fused().interior_values(*self._fused_args(), y, raw[1], _GAUSS32, self._shape[2], tile, border, s, e, ids,
                                 s_bins, e_bins)
        return s, e, s_bins, e_bins

    def _fused_rows(self, distorted: Image | np.ndarray | None,
                    prepared: np.ndarray | None) -> tuple[np.ndarray, np.float32]:
        """The distorted samples as the fused kernels read them: (H, W·C) with the scale that normalises them
        (an integer image's own samples, converted in the kernel exactly as :meth:`_normalise` converts them;
        anything else normalised here first, scale 1)."""
        h = self._shape[0]
        if prepared is not None:
            pb = np.ascontiguousarray(prepared, dtype=np.float32)
            if pb.shape[:2] != self._shape[:2] or pb.size != h * self._shape[1] * self._shape[2]:
                raise InputError(f"images differ in shape: {self._shape} vs {prepared.shape}")
            return pb.reshape(h, -1), np.float32(1.0)
        dis = self._distorted(distorted)  # type: ignore[arg-type]
        raw = self._raw_samples(dis)
        if raw is not None:
            return np.ascontiguousarray(raw[0]).reshape(h, -1), raw[1]
        return self.prepare(dis).reshape(h, -1), np.float32(1.0)

    def _raw_samples(self, x: Image | np.ndarray) -> tuple[np.ndarray, np.float32] | None:
        """``x``'s colour samples as stored (alpha left out) and the scale that normalises them, when that is all
        :meth:`_normalise` does to them (:meth:`_scaled`, integer samples of at most 2 bytes); else None."""
        if not self._scaled(x):
            return None
        px = x.pixels[..., :-1] if x.has_alpha else x.pixels  # type: ignore[union-attr]
        if px.dtype.kind not in "ui" or px.dtype.itemsize > 2:
            return None
        return px, np.float32(1.0 / x.max_value)  # type: ignore[union-attr]

    def _fused_source(self) -> tuple[np.ndarray, np.float32]:
        """The reference's samples as (H, W·C) with their scale, for the fused kernels: an integer source is passed
        as stored (the kernels convert it exactly as :meth:`_normalise` does, reading a quarter of the bytes of the
        float plane), anything else (or a source with alpha, whose colour samples are not contiguous) as its
        normalised planes with scale 1."""
        h = self._shape[0]
        src = self._source
        raw = None if self._packed or not isinstance(src, Image) or src.has_alpha else self._raw_samples(src)
        x, scale = (self.a, np.float32(1.0)) if raw is None else raw
        return x.reshape(h, -1), scale

    def _fused_args(self) -> tuple[Any, ...]:
        """The reference's samples with their scale (:meth:`_fused_source`), its local mean and ``2 vx + C2``, as
        (H, W·C) arrays, for the fused kernels."""
        h = self._shape[0]
        return *self._fused_source(), self._ux.reshape(h, -1), self._cs0.reshape(h, -1)

    def _lum0_plane(self) -> np.ndarray:
        """``2 ux² + C1``: stored by the OpenCV path; the fused kernels recompute it from ``ux`` (one float32 plane
        less to write and read per probe), so a path that needs the plane computes it here, once."""
        if self._lum0 is None:
            lum0 = cv2.multiply(self._ux, self._ux)
            self._lum0 = cv2.addWeighted(lum0, 2.0, lum0, 0.0, _C1, dst=lum0)
        return self._lum0

    def _statistics(self, p: np.ndarray, k: slice = slice(None), *,
                    scratch: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
                    keep: tuple[np.ndarray | None, ...] = (None, None, None),
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Local mean ``ux``, ``2 ux² + C1`` and ``2 vx + C2`` of normalised planes ``p`` on its rows ``k`` (all of
        them by default; a strip's rows without its halo). ``scratch``: two buffers for temporaries (the second
        may be the first); ``keep``: buffers the three results are written to, in the order ``ux``, ``2 vx + C2``,
        ``2 ux² + C1`` (the last may be a scratch buffer); None: new arrays."""
        m = self._m
        ux = _blur(p, keep[0])
        c = cv2.subtract(p, (m, m, m, m), dst=scratch[0])
        sx = _blur(cv2.multiply(c, c, dst=c), keep[1])[k]
        uc = cv2.subtract(ux[k], (m, m, m, m), dst=None if scratch[1] is None else scratch[1][k])
        sx = cv2.subtract(sx, cv2.multiply(uc, uc, dst=uc), dst=sx)
        # Kept as the terms each probe needs: 2 ux² + C1 and 2 vx + C2 (see maps).
        ux = ux[k]
        lum0 = cv2.multiply(ux, ux, dst=None if keep[2] is None else keep[2][k])
        lum0 = cv2.addWeighted(lum0, 2.0, lum0, 0.0, _C1, dst=lum0)
        cs0 = cv2.addWeighted(sx, 2.0, sx, 0.0, _C2, dst=sx)
        return ux, lum0, cs0

    def _planes_full(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """The normalised planes and their three window statistics as full arrays (computed now when lean;
        ``2 ux² + C1`` is None where the fused kernels made the statistics, see :meth:`_lum0_plane`)."""
        if not self._lean:
            return self.a, self._ux, self._lum0, self._cs0
        p = self._planes(np.ascontiguousarray(self._normalise(self._source), dtype=self.dtype))
        ux, lum0, cs0 = self._statistics(p)
        return (p if p.ndim == 3 else p[..., None]), ux, lum0, cs0

    def _colour(self) -> np.ndarray:
        """The normalised reference, (H, W, C) in its float type: stored, or normalised now when lean (without the
        window statistics: the global metrics need only the colour, and a lean reference would blur the whole
        image again for each)."""
        if not self._lean:
            return self.a
        return np.ascontiguousarray(self._normalise(self._source), dtype=self.dtype)

    def packed(self, pack: Callable[[np.ndarray], np.ndarray]) -> Reference:
        """This reference with its pixels rearranged by ``pack`` (applied to the normalised planes and to each
        window statistic), without blurring again: a mosaic of tiles cut from the image
        (:mod:`qualipress.search.proxy`). Measurements through it are valid at the pixels whose whole SSIM
        window ``pack`` moves together (tile interiors)."""
        out = Reference.__new__(Reference)
        out._image, out.data_range, out.dtype = self._image, self.data_range, self.dtype
        out.visible = None
        a, ux, lum0, cs0 = self._planes_full()
        out.a = np.ascontiguousarray(pack(a))
        out._source = out.a if self._image is None else self._image
        out._ux, out._cs0 = (np.ascontiguousarray(pack(v)) for v in (ux, cs0))
        out._lum0 = None if lum0 is None else np.ascontiguousarray(pack(lum0))
        out._to_mean, out._m, out._lean = self._to_mean, self._m, False
        out._shape = tuple(out.a.shape)
        out._rows = _strip_rows(out._shape)
        out._work, out._twin, out._packed = None, None, True
        return out

    @staticmethod
    def _planes(x: np.ndarray) -> np.ndarray:
        """(H, W, C) as OpenCV works on it: a single plane as (H, W) (OpenCV drops a trailing axis of 1)."""
        return x[..., 0] if x.shape[2] == 1 else x

    @property
    def shape(self) -> tuple[int, ...]:
        """(H, W, C) of the normalised colour planes."""
        return self._shape

    def perceptual_of(self, image: Image) -> np.ndarray | None:
        """:func:`~qualipress.io.transfer.to_perceptual` of ``image`` without converting it again, when ``image`` is
        this reference's own source (integer samples, no alpha channel) and its normalised planes are kept (not
        lean, float32): the same values, its samples scaled by one float32 product. None otherwise. The planes are
        this reference's own: read them, never write them.
        """
        if (self._lean or self.dtype != np.float32 or image is not self._image or image.has_alpha
                or not self._scaled(image)):
            return None
        return self.a

    @property
    def lean(self) -> bool:
        """Whether the window statistics are recomputed per strip instead of kept (see :data:`_LEAN_SAMPLES`)."""
        return self._lean

    def precise(self) -> Reference:
        """The same reference in float64 (built once, on first use): measurements through it are the metric's
        exact definition, which the float32 path approximates to about 1e-6 SSIM (see :data:`SSIM_GUARD`).
        A lean reference's twin is lean too (only its centring scalar is computed from a whole float64 copy)."""
        if self.dtype == np.float64:
            return self
        if self._twin is None:
            twin = Reference.__new__(Reference)
            twin._image, twin.data_range, twin._source = self._image, self.data_range, self._source
            twin.visible = self.visible
            twin._set(self._planes_full()[0] if not self._lean else self._normalise(self._source), np.float64,
                      lean=self._lean)
            self._twin = twin
        return self._twin

    def prepare(self, distorted: Image | np.ndarray) -> np.ndarray:
        """The distorted image normalised like the reference: (H, W, C) in [0, 1], float32 (float64 for a
        :meth:`precise` reference). :meth:`maps` and :meth:`measure` do not need it (they normalise strip by
        strip)."""
        b = self._normalise(self._distorted(distorted))
        return np.ascontiguousarray(b, dtype=self.dtype)

    def _workspace(self) -> list[np.ndarray]:
        """Strip-sized buffers for the colour planes (with the window's halo), reused by every :meth:`maps` call:
        allocating (and page-faulting) fresh arrays of this size cost as much as the arithmetic. Six for the
        probe's arithmetic, three more for a lean reference's statistics, then the distorted strip normalised
        (:data:`_Y`) and a lean reference's own (:data:`_A`). A lean reference drops them after each pass of
        :meth:`_strips` (14 MB for a 2K frame and its display rendering, otherwise held while the next probe is
        encoded and decoded: the peak of a film worker)."""
        if self._work is None:
            h, w, c = self._shape
            shape = (min(h, self._rows + 2 * _PAD), w) if c == 1 else (min(h, self._rows + 2 * _PAD), w, c)
            self._work = [_SPARE.take(shape, self.dtype) for _ in range(11 if self._lean else 7)]
            if not self._lean:  # a lean reference (film frame) gives its memory back instead (peak per worker)
                _SPARE.when_gone(self, self._work)
        return self._work

    def _rows_of(self, distorted: Image | np.ndarray | None,
                 prepared: np.ndarray | Callable[[slice], np.ndarray] | None) -> Callable[[slice], np.ndarray]:
        """Rows of the distorted image, normalised (from ``prepared``, an array or a function of a row slice
        giving those rows as (rows, W, C), or converted strip by strip)."""
        if callable(prepared):
            rows_of = prepared
            return lambda r: self._planes(np.ascontiguousarray(rows_of(r), dtype=self.dtype))
        if prepared is not None:
            pb = self._planes(np.ascontiguousarray(prepared, dtype=self.dtype))
            if pb.shape[:2] != self._shape[:2]:
                raise InputError(f"images differ in shape: {self._shape} vs {prepared.shape}")
            return lambda r: pb[r]
        dis = self._distorted(distorted)  # type: ignore[arg-type]
        if self.dtype == np.float32 and self._scaled(dis):
            buf = self._workspace()[_Y]
            return lambda r: self._planes(self._normalise(dis, r, out=buf))
        return lambda r: self._planes(np.ascontiguousarray(self._normalise(dis, r), dtype=self.dtype))

    def maps(self, distorted: Image | np.ndarray | None = None, *, prepared: np.ndarray | None = None,
             out: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel SSIM (channel mean, borders reflected) and squared error (channel mean), both (H, W) in the
        reference's float type.

        Give ``distorted`` or, when already normalised with :meth:`prepare`, ``prepared``. The image is processed
        in strips of rows (with a halo of the window radius) so the buffers stay small on 4K frames
        (:data:`_STRIP_SAMPLES`); ``distorted`` is normalised strip by strip. ``out``: two (H, W) arrays of the
        reference's float type to write the maps into (a caller measuring many probes reuses them), else new ones.
        """
        h, w, _ = self._shape
        if out is not None:
            s_out, e_out = out
            if s_out.shape != (h, w) or e_out.shape != (h, w) or s_out.dtype != self.dtype or e_out.dtype != self.dtype:
                raise InputError(f"map buffers must be {(h, w)} {self.dtype}")
        else:
            s_out = np.empty((h, w), dtype=self.dtype)
            e_out = np.empty((h, w), dtype=self.dtype)
        if self._fusable() and not callable(prepared) and s_out.flags.c_contiguous and e_out.flags.c_contiguous:
            y, scale = self._fused_rows(distorted, prepared)
            _fused().probe_maps(*self._fused_args(), y, scale, _GAUSS32, self._shape[2], s_out, e_out)
            return s_out, e_out
        self._strips(self._rows_of(distorted, prepared), lambda r0, r1: (s_out[r0:r1], e_out[r0:r1]))
        return s_out, e_out

    def reduced(self, distorted: Image | np.ndarray | None = None, *,
                prepared: np.ndarray | Callable[[slice], np.ndarray] | None = None,
                tile: int = DEFAULT_TILE) -> tuple[float, np.ndarray, float, np.ndarray]:
        """What :meth:`measure` reports from the two maps, without the maps: whole-image SSIM (border cropped as
        in :func:`ssim`), per-tile SSIM means, whole-image and per-tile mean squared error.

        Each strip's maps are summed (float64) into the totals and tile sums as they come out, so no full-size
        map is made. The sums run in another order than over whole maps: the values agree with the full maps'
        to float64 rounding (about 1e-15, far inside :data:`FLOAT32_ERROR`), not bit for bit. ``prepared`` may be
        a function of a row slice returning those rows normalised ((rows, W, C)): the distorted image is then
        never whole (each strip asks for its rows with their halo).
        """
        h, w, _ = self._shape
        crop = h > 2 * _PAD and w > 2 * _PAD
        y0, x0 = np.arange(0, h, tile), np.arange(0, w, tile)
        s_cols = np.zeros((y0.size, w), np.float64)
        e_cols = np.zeros((y0.size, w), np.float64)
        if self._fusable() and not callable(prepared):
            y, scale = self._fused_rows(distorted, prepared)
            s_total, e_total = _fused().probe_sums(*self._fused_args(), y, scale, _GAUSS32, self._shape[2], tile,
                                                   crop, s_cols, e_cols)
        else:
            s_total, e_total = self._strip_sums(distorted, prepared, tile, crop, s_cols, e_cols)
        counts = np.outer(np.diff(np.append(y0, h)), np.diff(np.append(x0, w)))
        n_crop = (h - 2 * _PAD) * (w - 2 * _PAD) if crop else h * w
        return (s_total / n_crop, np.add.reduceat(s_cols, x0, axis=1) / counts, e_total / (h * w),
                np.add.reduceat(e_cols, x0, axis=1) / counts)

    def reduced_error(self, distorted: Image | np.ndarray, *, tile: int = DEFAULT_TILE) -> tuple[float, np.ndarray]:
        """The whole-image and per-tile mean squared error of :meth:`reduced`, the same values bit for bit, without
        the SSIM (no blurs): what a PSNR-only measurement needs."""
        h, w, _ = self._shape
        y0, x0 = np.arange(0, h, tile), np.arange(0, w, tile)
        e_cols = np.zeros((y0.size, w), np.float64)
        if self._fusable():
            y, scale = self._fused_rows(distorted, None)
            e_total = _fused().error_sums(*self._fused_source(), y, scale, self._shape[2], tile, e_cols)
        else:
            e_total = self._strip_error_sums(distorted, tile, e_cols)
        counts = np.outer(np.diff(np.append(y0, h)), np.diff(np.append(x0, w)))
        return e_total / (h * w), np.add.reduceat(e_cols, x0, axis=1) / counts

    def _strip_error_sums(self, distorted: Image | np.ndarray, tile: int, e_cols: np.ndarray) -> float:
        """:meth:`_strip_sums`'s squared-error total and column sums alone: the same strips and operations."""
        h, w, _ = self._shape
        rows_b = self._rows_of(distorted, None)
        work = self._workspace()
        e_buf = _SPARE.take((min(h, self._rows), w), self.dtype)
        total = 0.0
        for r0 in range(0, h, self._rows):
            r1 = min(h, r0 + self._rows)
            if self._lean:
                a = self._normalise(self._source, slice(r0, r1), out=work[_A] if self.dtype == np.float32 else None)
                a = self._planes(np.ascontiguousarray(a, dtype=self.dtype))
            else:
                a = self._planes(self.a)[r0:r1]
            d = cv2.subtract(rows_b(slice(r0, r1)), a, dst=work[0][: r1 - r0])
            dd = cv2.multiply(d, d, dst=work[2][: r1 - r0])
            e_map = e_buf[: r1 - r0]
            self._channel_mean(dd, e_map)
            total += _sum64(e_map)
            _add_tile_rows(e_map, r0, r1, tile, e_cols)
        if self._lean:  # as :meth:`_strips`: freed until the next measurement
            self._work = None
        else:
            _SPARE.give([e_buf])
        return total

    def _strip_sums(self, distorted: Image | np.ndarray | None,
                    prepared: np.ndarray | Callable[[slice], np.ndarray] | None, tile: int, crop: bool,
                    s_cols: np.ndarray, e_cols: np.ndarray) -> tuple[float, float]:
        """:meth:`reduced`'s sums through OpenCV strips: the SSIM map's total (border cropped when ``crop``) and the
        squared error's, with each tile row's column sums added into ``s_cols`` and ``e_cols``."""
        h, w, _ = self._shape
        total = [0.0, 0.0]
        rows = min(h, self._rows)
        bufs = (_SPARE.take((rows, w), self.dtype), _SPARE.take((rows, w), self.dtype))

        def dest(r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
            return bufs[0][: r1 - r0], bufs[1][: r1 - r0]

        def done(r0: int, r1: int, s_map: np.ndarray, e_map: np.ndarray) -> None:
            c0, c1 = (max(r0, _PAD), min(r1, h - _PAD)) if crop else (r0, r1)
            if c1 > c0:
                part = s_map[c0 - r0: c1 - r0, _PAD: w - _PAD] if crop else s_map[c0 - r0: c1 - r0]
                total[0] += _sum64(part)
            total[1] += _sum64(e_map)
            _add_tile_rows(s_map, r0, r1, tile, s_cols)
            _add_tile_rows(e_map, r0, r1, tile, e_cols)

        self._strips(self._rows_of(distorted, prepared), dest, done)
        if not self._lean:
            _SPARE.give(bufs)  # reusable once this call's names for them are gone
        return total[0], total[1]

    def _strips(self, rows_b: Callable[[slice], np.ndarray],
                dest: Callable[[int, int], tuple[np.ndarray, np.ndarray]],
                done: Callable[[int, int, np.ndarray, np.ndarray], None] | None = None) -> None:
        """Compute the SSIM and squared-error maps strip by strip into ``dest(r0, r1)`` (two (r1 - r0, W) arrays),
        calling ``done(r0, r1, ssim, squared_error)`` after each strip."""
        h = self._shape[0]
        work = self._workspace()
        for r0 in range(0, h, self._rows):
            r1 = min(h, r0 + self._rows)
            s_dst, e_dst = dest(r0, r1)
            h0, h1 = max(0, r0 - _PAD), min(h, r1 + _PAD)
            k0, k1 = r0 - h0, r1 - h0
            d, xd, dd, ud, exd, edd = (buf[: h1 - h0] for buf in work[:6])
            if self._lean:
                a = self._normalise(self._source, slice(h0, h1), out=work[_A] if self.dtype == np.float32 else None)
                a = self._planes(np.ascontiguousarray(a, dtype=self.dtype))
                w6, w7, w8 = (buf[: h1 - h0] for buf in work[7:10])
                ux, lum0, cs0 = self._statistics(a, slice(k0, k1), scratch=(w6, w6), keep=(w8, w7, w6))
            else:
                a = self._planes(self.a)[h0:h1]
                ux, lum0, cs0 = self._ux[r0:r1], self._lum0_plane()[r0:r1], self._cs0[r0:r1]
            # In terms of the difference d = y - x (y the distorted image): with ud = E[d], cxd = E[xd] - ux ud
            # and vd = E[d²] - ud², the SSIM terms are
            #   2 ux uy + C1 = L,  ux² + uy² + C1 = L + ud²,  L = 2 ux² + C1 + 2 ux ud
            #   2 cov + C2 = A,    vx + vy + C2 = A + vd,     A = 2 vx + C2 + 2 cxd.
            # Every quantity computed per probe is small where the images agree, so float32 keeps its precision
            # (E[y²] - E[y]² of the direct formula cancels to ~3e-8 against C2), and identical images give 1.
            d = cv2.subtract(rows_b(slice(h0, h1)), a, dst=d)
            xd = cv2.multiply(a, d, dst=xd)
            dd = cv2.multiply(d, d, dst=dd)
            ud = _blur(d, ud)[k0:k1]
            exd = _blur(xd, exd)[k0:k1]
            edd = _blur(dd, edd)[k0:k1]
            self._channel_mean(dd[k0:k1], e_dst)
            t = cv2.multiply(ux, ud, dst=xd[k0:k1])                        # ux ud
            big_a = cv2.addWeighted(exd, 2.0, t, -2.0, 0.0, dst=exd)       # 2 cxd
            big_a = cv2.add(big_a, cs0, dst=big_a)                         # A
            big_l = cv2.addWeighted(t, 2.0, lum0, 1.0, 0.0, dst=t)         # L
            ud2 = cv2.multiply(ud, ud, dst=ud)
            vd = cv2.subtract(edd, ud2, dst=edd)
            den_c = cv2.add(big_a, vd, dst=vd)
            den_l = cv2.add(big_l, ud2, dst=ud2)
            num = cv2.multiply(big_a, big_l, dst=big_a)
            den = cv2.multiply(den_c, den_l, dst=den_c)
            self._channel_mean(cv2.divide(num, den, dst=num), s_dst)
            if done is not None:
                done(r0, r1, s_dst, e_dst)
        if self._lean:  # freed until the next measurement: a film worker decodes its next probe in this memory
            self._work = None

    def _channel_mean(self, x: np.ndarray, out: np.ndarray) -> None:
        """Mean over the colour planes of an (h, w, C) block into ``out`` (one pass, ``cv2.transform``)."""
        if x.ndim == 2:
            out[...] = x
        elif x.shape[2] > 4:
            out[...] = _channel_mean(x)
        else:
            res = cv2.transform(x, self._to_mean, dst=out)
            if res is not out and not np.shares_memory(res, out):
                out[...] = res

    def _box(self) -> tuple[slice, slice]:
        """The bounding box of the visible pixels (the whole image when all are), where global metrics are
        measured; at least :data:`_WIN` pixels a side where the image allows."""
        if self.visible is None:
            return slice(None), slice(None)
        rows, cols = np.flatnonzero(self.visible.any(axis=1)), np.flatnonzero(self.visible.any(axis=0))
        out = []
        for idx, n in ((rows, self.visible.shape[0]), (cols, self.visible.shape[1])):
            lo, hi = int(idx[0]), int(idx[-1]) + 1
            grow = max(0, _WIN - (hi - lo))
            lo = max(0, lo - grow)
            out.append(slice(lo, min(n, max(hi, lo + _WIN))))
        return out[0], out[1]

    def _seen(self, mask: np.ndarray | None) -> np.ndarray | None:
        """``mask`` restricted to the visible pixels (see :meth:`measure`)."""
        if self.visible is None:
            return mask
        if mask is None:
            return self.visible
        both = np.asarray(mask).astype(bool) & self.visible if np.shape(mask) == self.visible.shape else mask
        return both if np.any(both) else mask

    def measure(self, distorted: Image | np.ndarray, metrics: Sequence[str] = ("ssim", "psnr"), *,
                tile: int = DEFAULT_TILE, mask: np.ndarray | None = None,
                scoped: Mapping[str, tuple[np.ndarray, Sequence[str]]] | None = None) -> dict[str, MetricResult]:
        """Measure ``distorted`` against this reference: one pass for SSIM, PSNR and their tiles.

        Parameters
        ----------
        metrics : sequence of str
            ``ssim``, ``psnr``, ``ms-ssim``, ``ssimulacra2``, ``butteraugli``.
        mask : numpy.ndarray, optional
            Boolean (H, W): whole-image values over these pixels (ssim and psnr only).
        scoped : mapping of str to (mask, metric names), optional
            Extra measurements over masks from the same maps, keyed ``"scope:metric"``.

        Notes
        -----
        For a reference with fully transparent pixels (straight alpha) SSIM and PSNR are taken over its
        :attr:`visible` pixels: alone when ``mask`` is None, intersected with ``mask`` and each scoped mask
        otherwise (when that leaves a pixel). Global metrics are measured over the visible pixels' bounding box.
        """
        dis = self._distorted(distorted)
        b: np.ndarray | None = None  # the whole normalised image, only for metrics without a per-pixel map
        a: np.ndarray | None = None  # and the reference's, once per call
        seen = self._seen(mask)
        reduced = None
        if seen is None and not scoped and "ssim" in metrics:
            # no mask, nothing transparent: the whole-image and per-tile values straight from the strips
            v_s, t_s, v_e, t_e = self.reduced(dis, tile=tile)
            reduced = {"ssim": MetricResult("ssim", v_s, t_s, _stats(t_s, v_s)),
                       "psnr": _psnr_tiles(v_e, t_e)}
        elif seen is None and not scoped and "psnr" in metrics:
            reduced = {"psnr": _psnr_tiles(*self.reduced_error(dis, tile=tile))}  # no SSIM: no blurs
        requests: list[tuple[str, np.ndarray | None, Sequence[str]]] = [("", seen, metrics)]
        requests += [(f"{scope}:", self._seen(m), names) for scope, (m, names) in (scoped or {}).items()]
        maps: tuple[np.ndarray, np.ndarray] | None = None
        out: dict[str, MetricResult] = {}
        for prefix, raw_mask, names in requests:
            m = _check_mask(raw_mask, self._shape)
            for name in names:
                if name in ("ssim", "psnr") and reduced is not None:
                    out[prefix + name] = reduced[name]
                    continue
                if name in ("ssim", "psnr"):
                    if maps is None:
                        maps = self.maps(dis)
                    out[prefix + name] = (_ssim_result(maps[0], tile, m) if name == "ssim"
                                          else _psnr_result(maps[1], tile, m))
                    continue
                if raw_mask is not None and raw_mask is not self.visible:
                    raise UnsupportedError(f"{name} cannot be restricted to a mask (use ssim or psnr for ROI "
                                           "targets)")
                if a is None:  # set together with b
                    b, a = self.prepare(dis), self._colour()
                box = self._box() if raw_mask is not None else (slice(None), slice(None))
                value = _global_metric(name, a[box], b[box])
                out[prefix + name] = MetricResult(name, value, None,
                                                  {"mean": value, "min": value, "p1": value, "p5": value})
        return out


def _global_metric(name: str, a: np.ndarray, b: np.ndarray) -> float:
    """A metric without per-tile values, on normalised arrays (availability is checked by the caller)."""
    if name == "ms-ssim":
        return _ms_ssim(a, b)
    if name == "ssimulacra2":
        return _ssimulacra2(a, b)
    if name == "butteraugli":
        return butteraugli(a, b, data_range=1.0)
    raise UnsupportedError(f"no global implementation of metric {name!r}")


# -- MS-SSIM ----------------------------------------------------------------------------------------------
def ms_ssim(reference: Image | np.ndarray, distorted: Image | np.ndarray, *,
            data_range: float | None = None) -> float:
    """Multi-scale SSIM (see module docstring)."""
    a, b = _prepare(reference, distorted, data_range)
    return _ms_ssim(a, b)


def _ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
    side = min(a.shape[:2])
    scales = 5
    while scales > 1 and side < (_WIN - 1) * 2 ** (scales - 1) + 1:
        scales -= 1
    if side < _WIN:
        raise InputError(f"image too small for MS-SSIM ({a.shape[1]}x{a.shape[0]}, needs ≥ {_WIN} px)")
    weights = np.array(_MS_WEIGHTS[:scales], dtype=np.float64)
    weights /= weights.sum()
    per_channel = []
    for c in range(a.shape[2]):
        x, y = a[..., c], b[..., c]
        vals = []
        for s in range(scales):
            s_map, cs_map = _ssim_block(x, y)
            if s == scales - 1:
                vals.append(max(0.0, float(np.mean(_crop(s_map), dtype=np.float64))))
            else:
                vals.append(max(0.0, float(np.mean(_crop(cs_map), dtype=np.float64))))
                x, y = _down2(x), _down2(y)
        per_channel.append(float(np.prod(np.array(vals) ** weights)))
    return float(np.mean(per_channel))


def _down2(x: np.ndarray) -> np.ndarray:
    h, w = (x.shape[0] // 2) * 2, (x.shape[1] // 2) * 2
    x = x[:h, :w]
    return np.ascontiguousarray(0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2]))


# -- SSIMULACRA 2 and butteraugli -------------------------------------------------------------------------
def ssimulacra2_available() -> bool:
    """True when the ``ssimulacra2`` package imports."""
    return backend_available("ssimulacra2.ssimulacra2")


def ssimulacra2(reference: Image | np.ndarray, distorted: Image | np.ndarray, *,
                data_range: float | None = None) -> float:
    """SSIMULACRA 2 score (100 = identical, ~90 visually lossless, ~70 high quality, ~50 medium)."""
    a, b = _prepare(reference, distorted, data_range)
    return _ssimulacra2(a, b)


def _ssimulacra2(a: np.ndarray, b: np.ndarray) -> float:
    try:
        from ssimulacra2 import ssimulacra2 as s2
    except ImportError as exc:
        raise UnsupportedError("ssimulacra2 needs the 'bench' extra: pip install 'qualipress[bench]'") from exc
    if a.shape[2] not in (1, 3):
        raise UnsupportedError("ssimulacra2 needs grey or RGB images")
    if a.shape[2] == 1:
        a, b = np.repeat(a, 3, axis=2), np.repeat(b, 3, axis=2)
    lin1 = s2.srgb_to_linear(a.astype(np.float64) * 255.0)
    lin2 = s2.srgb_to_linear(b.astype(np.float64) * 255.0)
    ms = s2.Msssim()
    for scale in range(s2.kNumScales):
        if lin1.shape[0] < 8 or lin1.shape[1] < 8:
            break
        x1 = s2.make_positive_xyb(s2.linear_rgb_to_xyb(lin1))
        x2 = s2.make_positive_xyb(s2.linear_rgb_to_xyb(lin2))
        mu1, mu2 = s2.blur_image(x1), s2.blur_image(x2)
        sc = s2.MsssimScale()
        sc.avg_ssim = s2.ssim_map(mu1, mu2, s2.blur_image(x1 * x1), s2.blur_image(x2 * x2), s2.blur_image(x1 * x2))
        sc.avg_edgediff = s2.edge_diff_map(x1, mu1, x2, mu2)
        ms.scales.append(sc)
        if scale < s2.kNumScales - 1:
            lin1, lin2 = s2.downsample(lin1, 2, 2), s2.downsample(lin2, 2, 2)
    return float(ms.score())


def butteraugli_available() -> bool:
    return shutil.which("butteraugli_main") is not None


def butteraugli(reference: Image | np.ndarray, distorted: Image | np.ndarray, *,
                data_range: float | None = None) -> float:
    """Butteraugli max distance from libjxl's ``butteraugli_main`` (lower is better; < 1.0 ≈ invisible)."""
    exe = shutil.which("butteraugli_main")
    if exe is None:
        raise UnsupportedError("butteraugli needs libjxl's butteraugli_main (Debian package libjxl-devtools)")
    a, b = _prepare(reference, distorted, data_range)
    import imagecodecs

    with tempfile.TemporaryDirectory(prefix="qp-ba-") as tmp:
        paths = []
        for name, arr in (("ref.png", a), ("dist.png", b)):
            px = np.rint(np.clip(arr, 0, 1) * 65535).astype(np.uint16)
            if px.shape[2] == 1:
                px = np.repeat(px, 3, axis=2)
            p = Path(tmp) / name
            p.write_bytes(imagecodecs.png_encode(px[..., :3]))
            paths.append(str(p))
        out = subprocess.run([exe, *paths], capture_output=True, text=True, timeout=600, check=False)
    if out.returncode != 0:
        raise UnsupportedError(f"butteraugli_main failed: {out.stderr.strip()[:200]}")
    return float(out.stdout.strip().splitlines()[0].split()[0])
