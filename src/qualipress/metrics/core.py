"""Fast full-reference metrics on perceptually coded images, with per-tile values.

Definitions (all on images normalised to [0, 1] by :func:`qualipress.io.to_perceptual`, alpha excluded):

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
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from qualipress.errors import InputError, UnsupportedError
from qualipress.io.image import Image, as_image
from qualipress.io.transfer import to_perceptual

#: PSNR of identical images (dB).
PSNR_CAP = 100.0
#: Default tile size (pixels) for per-tile statistics.
DEFAULT_TILE = 256

_K1, _K2 = 0.01, 0.03
_C1, _C2 = _K1**2, _K2**2
_WIN = 11
_SIGMA = 1.5
_PAD = (_WIN - 1) // 2
_MS_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


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
        a, b = to_perceptual(ref), to_perceptual(dis)
    if a.shape != b.shape:
        raise InputError(f"images differ in shape: {a.shape} vs {b.shape}")
    return np.ascontiguousarray(a), np.ascontiguousarray(b)


def _blur(x: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(x, (_WIN, _WIN), _SIGMA, borderType=cv2.BORDER_REFLECT)


def _tile_reduce(m: np.ndarray, tile: int, reducer: Callable[[np.ndarray], float] = np.mean) -> np.ndarray:
    h, w = m.shape[:2]
    ny, nx = max(1, math.ceil(h / tile)), max(1, math.ceil(w / tile))
    out = np.empty((ny, nx), dtype=np.float64)
    for i in range(ny):
        for j in range(nx):
            out[i, j] = reducer(m[i * tile : (i + 1) * tile, j * tile : (j + 1) * tile])
    return out


def _stats(tiles: np.ndarray, value: float) -> dict[str, float]:
    flat = tiles.ravel()
    return {"mean": value, "min": float(flat.min()), "p1": float(np.percentile(flat, 1)),
            "p5": float(np.percentile(flat, 5))}


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
_STRIP = 128


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
        value = float(np.mean(_crop(m), dtype=np.float64))
    else:
        value = float(np.mean(m[mask], dtype=np.float64))
    tiles = _tile_reduce(m if mask is None else np.where(mask, m, np.nan), tile,
                         lambda t: float(np.nanmean(t)) if np.isfinite(t).any() else np.nan)
    tiles = tiles if mask is None else tiles[np.isfinite(tiles)].reshape(1, -1)
    return MetricResult("ssim", value, tiles, _stats(tiles, value))


# -- PSNR -------------------------------------------------------------------------------------------------
def _psnr_from_mse(mse: float) -> float:
    return PSNR_CAP if mse <= 10 ** (-PSNR_CAP / 10) else min(PSNR_CAP, 10.0 * math.log10(1.0 / mse))


def psnr(reference: Image | np.ndarray, distorted: Image | np.ndarray, *, data_range: float | None = None) -> float:
    """Whole-image PSNR in dB (capped at :data:`PSNR_CAP`)."""
    a, b = _prepare(reference, distorted, data_range)
    d = cv2.subtract(a, b)
    return _psnr_from_mse(float(np.mean(cv2.multiply(d, d), dtype=np.float64)))


def _psnr_result(se: np.ndarray, tile: int, mask: np.ndarray | None) -> MetricResult:
    """Whole-image (or masked) PSNR and per-tile statistics from the per-pixel squared error (channel mean)."""
    value = _psnr_from_mse(float(np.mean(se if mask is None else se[mask], dtype=np.float64)))
    src = se if mask is None else np.where(mask, se, np.nan)
    mse_t = _tile_reduce(src, tile, lambda t: float(np.nanmean(t)) if np.isfinite(t).any() else np.nan)
    mse_t = mse_t[np.isfinite(mse_t)].reshape(1, -1) if mask is not None else mse_t
    tiles = np.vectorize(_psnr_from_mse, otypes=[np.float64])(mse_t)
    return MetricResult("psnr", value, tiles, _stats(tiles, value))


# -- a reference prepared once, measured against many times ----------------------------------------------
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

    Notes
    -----
    Memory: four float32 copies of the colour planes (the normalised reference, its local mean, the mean's
    square and the local variance), e.g. 106 MB each for a 4096×2160 RGB frame.
    """

    def __init__(self, reference: Image | np.ndarray, *, data_range: float | None = None) -> None:
        if isinstance(reference, np.ndarray) and data_range is not None:
            a = np.asarray(reference, dtype=np.float32) / np.float32(data_range)
            a = a[..., None] if a.ndim == 2 else a
            self._image: Image | None = None
        else:
            self._image = as_image(reference)
            a = to_perceptual(self._image)
        self.data_range = data_range
        self._set(a)

    @classmethod
    def normalised(cls, a: np.ndarray) -> Reference:
        """A reference from colour planes already normalised to [0, 1] (float32 (H, W, C)); distorted images
        given to it must be normalised the same way."""
        self = cls.__new__(cls)
        self._image, self.data_range = None, 1.0
        self._set(a[..., None] if a.ndim == 2 else a)
        return self

    def _set(self, a: np.ndarray) -> None:
        self.a = np.ascontiguousarray(a, dtype=np.float32)
        ux = _blur(self.a)
        ux2 = cv2.multiply(ux, ux)
        sx = _blur(cv2.multiply(self.a, self.a))
        sx -= ux2
        self._ux, self._ux2, self._sx = ux, ux2, sx

    @property
    def shape(self) -> tuple[int, ...]:
        """(H, W, C) of the normalised colour planes."""
        return tuple(self.a.shape)

    def prepare(self, distorted: Image | np.ndarray) -> np.ndarray:
        """The distorted image normalised like the reference: float32 (H, W, C) in [0, 1]."""
        if self._image is None:
            if not isinstance(distorted, np.ndarray):
                raise InputError("a reference given as an array needs the distorted image as an array too")
            b = np.asarray(distorted, dtype=np.float32)
            if self.data_range != 1.0:
                b = b / np.float32(self.data_range)
            b = b[..., None] if b.ndim == 2 else b
        else:
            ref = self._image
            dis = as_image(distorted)
            if not dis.is_float and not ref.is_float and dis.bit_depth != ref.bit_depth:
                dis = Image(dis.pixels, ref.bit_depth, ref.transfer)
            b = to_perceptual(dis)
        if b.shape != self.a.shape:
            raise InputError(f"images differ in shape: {self.a.shape} vs {b.shape}")
        return np.ascontiguousarray(b)

    def maps(self, distorted: Image | np.ndarray | None = None, *,
             prepared: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel SSIM (channel mean, borders reflected) and squared error (channel mean), both (H, W) float32.

        Give ``distorted`` or, when already normalised with :meth:`prepare`, ``prepared``.
        """
        b = prepared if prepared is not None else self.prepare(distorted)  # type: ignore[arg-type]
        a = self.a
        h = a.shape[0]
        s_out = np.empty(a.shape[:2], dtype=np.float32)
        e_out = np.empty(a.shape[:2], dtype=np.float32)
        for r0 in range(0, h, _STRIP):
            r1 = min(h, r0 + _STRIP)
            h0, h1 = max(0, r0 - _PAD), min(h, r1 + _PAD)
            k0, k1 = r0 - h0, r0 - h0 + (r1 - r0)
            x, y = a[h0:h1], b[h0:h1]
            uy = _blur(y)[k0:k1]
            vy = _blur(cv2.multiply(y, y))[k0:k1]
            vxy = _blur(cv2.multiply(x, y))[k0:k1]
            ux, ux2, sx = self._ux[r0:r1], self._ux2[r0:r1], self._sx[r0:r1]
            uxuy = cv2.multiply(ux, uy)
            uy2 = cv2.multiply(uy, uy)
            vy -= uy2
            vxy -= uxuy
            # cs = (2 vxy + C2) / (vx + vy + C2)
            vxy *= 2.0
            vxy += _C2
            den = sx + vy
            den += _C2
            cs = np.divide(vxy, den, out=vxy)
            # luminance = (2 ux uy + C1) / (ux^2 + uy^2 + C1)
            uxuy *= 2.0
            uxuy += _C1
            lden = ux2 + uy2
            lden += _C1
            lum = np.divide(uxuy, lden, out=uxuy)
            s_out[r0:r1] = _channel_mean(cv2.multiply(lum, cs, dst=lum))
            d = cv2.subtract(a[r0:r1], b[r0:r1])
            e_out[r0:r1] = _channel_mean(cv2.multiply(d, d))
        return s_out, e_out

    def measure(self, distorted: Image | np.ndarray, metrics: Sequence[str] = ("ssim", "psnr"), *,
                tile: int = DEFAULT_TILE, mask: np.ndarray | None = None,
                scoped: Mapping[str, tuple[np.ndarray, Sequence[str]]] | None = None) -> dict[str, MetricResult]:
        """Measure ``distorted`` against this reference: one pass for SSIM, PSNR and their tiles.

        Parameters
        ----------
        distorted : Image or numpy.ndarray
        metrics : sequence of str
            ``ssim``, ``psnr``, ``ms-ssim``, ``ssimulacra2``, ``butteraugli``.
        tile : int
        mask : numpy.ndarray, optional
            Boolean (H, W): whole-image values over these pixels (ssim and psnr only).
        scoped : mapping of str to (mask, metric names), optional
            Extra measurements over masks from the same maps, keyed ``"scope:metric"``.

        Returns
        -------
        dict of str to MetricResult
        """
        b = self.prepare(distorted)
        requests: list[tuple[str, np.ndarray | None, Sequence[str]]] = [("", mask, metrics)]
        requests += [(f"{scope}:", m, names) for scope, (m, names) in (scoped or {}).items()]
        maps: tuple[np.ndarray, np.ndarray] | None = None
        out: dict[str, MetricResult] = {}
        for prefix, raw_mask, names in requests:
            m = _check_mask(raw_mask, self.a.shape)
            for name in names:
                if name in ("ssim", "psnr"):
                    if maps is None:
                        maps = self.maps(prepared=b)
                    out[prefix + name] = (_ssim_result(maps[0], tile, m) if name == "ssim"
                                          else _psnr_result(maps[1], tile, m))
                    continue
                if m is not None:
                    raise UnsupportedError(f"{name} cannot be restricted to a mask (use ssim or psnr for ROI "
                                           "targets)")
                value = _global_metric(name, self.a, b)
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
    try:
        import ssimulacra2.ssimulacra2  # noqa: F401

        return True
    except Exception:
        return False


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
