"""Compiled, fused SSIM kernels (numba): one pass over the image per measurement, no full-size temporaries.

:class:`qualipress.metrics.core.Reference` measures a probe with nine OpenCV Gaussian blurs and about seventeen
element-wise float32 passes per strip; each pass streams the strip through memory. The kernels here do the same
arithmetic row by row: the 11 rows a window needs are read, the three blurred moments of the difference image
(``d``, ``x·d``, ``d²``, see ``Reference._strips``) are accumulated vertically into one row, blurred horizontally,
and the SSIM and squared-error values of that row are reduced (whole-image sums and tile-column sums, float64) or
stored, while the row is still in cache. :func:`reference_stats` does the reference side (local mean and the two
SSIM terms ``2 ux² + C1``, ``2 vx + C2``) the same way.

The arithmetic is float32 like OpenCV's, with OpenCV's own float32 Gaussian weights (``cv2.getGaussianKernel``);
only the order of the additions in a blur differs, so the values agree with the OpenCV path to float32 rounding
(measured in ``tests/metrics/test_fused.py`` and docs/benchmarks.md), not bit for bit.

Every array argument is 2-D ``(H, W·C)``: the colour planes interleaved as stored, ``C`` given separately. Images
need at least :data:`MIN_SIDE` rows and columns (BORDER_REFLECT is applied once; callers fall back to OpenCV below).
This module imports numba at import time: import it lazily (``docs/design.md`` § Compiled kernels).
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: Smallest height and width the kernels handle (one reflection at each edge covers the 5-pixel window radius).
MIN_SIDE = 11

_PAD = 5
_TAPS = 11
_C1 = np.float32(0.01**2)
_C2 = np.float32(0.03**2)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _reflect(i: int, n: int) -> int:
    """OpenCV's BORDER_REFLECT (``fedcba|abcdef``) of index ``i`` into ``[0, n)``, for ``-5 <= i < n + 5``."""
    if i < 0:
        return -i - 1
    if i >= n:
        return 2 * n - i - 1
    return i


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _pad_row(v: np.ndarray, w: int, c: int) -> None:
    """Fill the 5 reflected pixels at each end of a padded row ``v`` ((w + 10)·c samples, image at 5·c)."""
    for p in range(_PAD):
        src = _PAD + (_PAD - 1 - p)          # left: padded pixel p shows image pixel 4 - p
        dst_r = _PAD + w + p                 # right: image pixel w + p shows w - 1 - p
        src_r = _PAD + w - 1 - p
        for ch in range(c):
            v[p * c + ch] = v[src * c + ch]
            v[dst_r * c + ch] = v[src_r * c + ch]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _hblur(v: np.ndarray, out: np.ndarray, g: np.ndarray, c: int, n: int) -> None:
    """``out[i] = Σ_k g[k] · v[i + k·c]`` for ``i < n``: the horizontal pass over a padded row."""
    g0 = g[0]
    for i in range(n):
        out[i] = g0 * v[i]
    for k in range(1, _TAPS):
        gk = g[k]
        src = v[k * c: k * c + n]  # a view: indices from 0 stay provably non-negative, so the loop vectorises
        for i in range(n):
            out[i] += gk * src[i]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _probe_row(r: int, x: np.ndarray, ux: np.ndarray, lum0: np.ndarray, cs0: np.ndarray, y: np.ndarray,
               scale: np.float32, g: np.ndarray, c: int, bufs: np.ndarray, s_row: np.ndarray,
               e_row: np.ndarray) -> None:
    """SSIM (channel mean) and squared error (channel mean) of row ``r`` into ``s_row`` and ``e_row``.

    ``x``: the normalised reference; ``ux``, ``lum0``, ``cs0``: its window statistics (see
    ``Reference._statistics``); ``y``: the distorted samples, normalised as ``float32(y) * scale``.
    """
    h, n = x.shape
    w = n // c
    off = _PAD * c
    vd, vxd, vdd, hd, hxd, hdd = bufs[0], bufs[1], bufs[2], bufs[3], bufs[4], bufs[5]
    # the image part of the padded rows, as views (see _hblur)
    vd0, vxd0, vdd0 = vd[off: off + n], vxd[off: off + n], vdd[off: off + n]
    for k in range(_TAPS):
        rr = _reflect(r + k - _PAD, h)
        gk = g[k]
        xr = x[rr]
        yr = y[rr]
        if k == 0:
            for i in range(n):
                xv = xr[i]
                d = np.float32(yr[i]) * scale - xv
                vd0[i] = gk * d
                vxd0[i] = gk * (xv * d)
                vdd0[i] = gk * (d * d)
        else:
            for i in range(n):
                xv = xr[i]
                d = np.float32(yr[i]) * scale - xv
                vd0[i] += gk * d
                vxd0[i] += gk * (xv * d)
                vdd0[i] += gk * (d * d)
    _pad_row(vd, w, c)
    _pad_row(vxd, w, c)
    _pad_row(vdd, w, c)
    _hblur(vd, hd, g, c, n)
    _hblur(vxd, hxd, g, c, n)
    _hblur(vdd, hdd, g, c, n)
    two = np.float32(2.0)
    uxr, l0r, c0r, xr, yr = ux[r], lum0[r], cs0[r], x[r], y[r]
    sv, ev = vd, vxd  # the padded rows are free again: per-sample SSIM and squared error
    for i in range(n):
        ud = hd[i]
        t = uxr[i] * ud
        big_a = two * hxd[i] - two * t + c0r[i]
        big_l = two * t + l0r[i]
        ud2 = ud * ud
        vdv = hdd[i] - ud2
        sv[i] = (big_a * big_l) / ((big_a + vdv) * (big_l + ud2))
        d = np.float32(yr[i]) * scale - xr[i]
        ev[i] = d * d
    if c == 1:
        for j in range(w):
            s_row[j] = sv[j]
            e_row[j] = ev[j]
    else:
        inv = np.float32(1.0 / c)
        for j in range(w):
            s = np.float32(0.0)
            e = np.float32(0.0)
            for ch in range(c):
                s += sv[j * c + ch]
                e += ev[j * c + ch]
            s_row[j] = s * inv
            e_row[j] = e * inv


@nb.njit(cache=True, nogil=True, error_model="numpy")
def probe_sums(x: np.ndarray, ux: np.ndarray, lum0: np.ndarray, cs0: np.ndarray, y: np.ndarray, scale: np.float32,
               g: np.ndarray, c: int, tile: int, crop: bool, s_cols: np.ndarray,
               e_cols: np.ndarray) -> tuple[float, float]:
    """Whole-image sums of the SSIM map (over the 5-pixel-cropped interior when ``crop``) and of the squared-error
    map, as float64; the maps' column sums per tile row are added to ``s_cols`` and ``e_cols`` ((ny, W) float64).
    """
    h, n = x.shape
    w = n // c
    bufs = np.zeros((6, n + 2 * _PAD * c), np.float32)
    s_row = np.empty(w, np.float32)
    e_row = np.empty(w, np.float32)
    total_s = 0.0
    total_e = 0.0
    for r in range(h):
        _probe_row(r, x, ux, lum0, cs0, y, scale, g, c, bufs, s_row, e_row)
        ty = r // tile
        sc = s_cols[ty]
        ec = e_cols[ty]
        for j in range(w):
            sc[j] += s_row[j]
            ec[j] += e_row[j]
            total_e += e_row[j]
        if not crop:
            for j in range(w):
                total_s += s_row[j]
        elif _PAD <= r < h - _PAD:
            for j in range(_PAD, w - _PAD):
                total_s += s_row[j]
    return total_s, total_e


@nb.njit(cache=True, nogil=True, error_model="numpy")
def probe_maps(x: np.ndarray, ux: np.ndarray, lum0: np.ndarray, cs0: np.ndarray, y: np.ndarray, scale: np.float32,
               g: np.ndarray, c: int, s_out: np.ndarray, e_out: np.ndarray) -> None:
    """The SSIM map and squared-error map (channel means, (H, W) float32) into ``s_out`` and ``e_out``."""
    h, n = x.shape
    bufs = np.zeros((6, n + 2 * _PAD * c), np.float32)
    for r in range(h):
        _probe_row(r, x, ux, lum0, cs0, y, scale, g, c, bufs, s_out[r], e_out[r])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def reference_stats(a: np.ndarray, m: np.float32, g: np.ndarray, c: int, ux: np.ndarray, lum0: np.ndarray,
                    cs0: np.ndarray) -> None:
    """The reference's window statistics from its normalised planes ``a``: local mean ``ux``, ``2 ux² + C1`` and
    ``2 vx + C2`` with ``vx = E[(a - m)²] - (ux - m)²`` (centred on the image mean ``m``, a float32, as
    ``Reference._statistics`` does), written into the three (H, W·C) float32 arrays."""
    h, n = a.shape
    w = n // c
    off = _PAD * c
    vu = np.zeros(n + 2 * off, np.float32)
    vs = np.zeros(n + 2 * off, np.float32)
    hu = np.empty(n, np.float32)
    hs = np.empty(n, np.float32)
    vu0, vs0 = vu[off: off + n], vs[off: off + n]
    two = np.float32(2.0)
    for r in range(h):
        for k in range(_TAPS):
            ar = a[_reflect(r + k - _PAD, h)]
            gk = g[k]
            if k == 0:
                for i in range(n):
                    v = ar[i]
                    t = v - m
                    vu0[i] = gk * v
                    vs0[i] = gk * (t * t)
            else:
                for i in range(n):
                    v = ar[i]
                    t = v - m
                    vu0[i] += gk * v
                    vs0[i] += gk * (t * t)
        _pad_row(vu, w, c)
        _pad_row(vs, w, c)
        _hblur(vu, hu, g, c, n)
        _hblur(vs, hs, g, c, n)
        uo, lo, co = ux[r], lum0[r], cs0[r]
        for i in range(n):
            u = hu[i]
            uc = u - m
            uo[i] = u
            lo[i] = two * (u * u) + _C1
            co[i] = two * (hs[i] - uc * uc) + _C2
