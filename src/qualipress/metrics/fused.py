"""Compiled, fused SSIM kernels (numba): one pass over the image per measurement, no full-size temporaries.

:class:`qualipress.metrics.core.Reference` measures a probe with nine OpenCV Gaussian blurs and about seventeen
element-wise float32 passes per strip; each pass streams the strip through memory. The kernels here do the same
arithmetic row by row: each row of the three moments of the difference image (``d``, ``x·d``, ``d²``, see
``Reference._strips``) is computed once and blurred horizontally into a ring of the 11 rows the window spans; each
output row is their vertical blur, from which its SSIM and squared-error values are reduced (whole-image sums and
tile-column sums, float64) or stored while the row is still in cache. :func:`reference_stats` does the reference
side (local mean and the two SSIM terms ``2 ux² + C1``, ``2 vx + C2``) the same way. Both 11-tap passes use the
kernel's symmetry (six products per output sample instead of eleven). The vertical pass makes four output
rows at a time from a ring of 14 rows (:func:`_vblur4`), with its multiply-adds spelled out (:func:`_fma`) so
that the values do not depend on which loop made them.

The arithmetic is float32 like OpenCV's, with OpenCV's own float32 Gaussian weights (``cv2.getGaussianKernel``);
only the order of the additions in a blur differs, so the values agree with the OpenCV path to float32 rounding
(measured in ``tests/metrics/test_fused.py`` and docs/benchmarks.md), not bit for bit.

Every array argument is 2-D ``(H, W·C)``: the colour planes interleaved as stored, ``C`` given separately. Images
need at least :data:`MIN_SIDE` rows and columns (BORDER_REFLECT is applied once; callers fall back to OpenCV below).
This module imports numba at import time: import it lazily (``docs/design.md`` § Compiled kernels).
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np
from numba.core import types
from numba.extending import intrinsic

#: Smallest height and width the kernels handle (one reflection at each edge covers the 5-pixel window radius).
MIN_SIDE = 11

_PAD = 5
_TAPS = 11
#: Output rows of one vertical pass (:func:`_vblur4`); the rings of the whole-image kernels hold ``_TAPS + _BLOCK - 1``
#: horizontally blurred rows.
_BLOCK = 4
_C1 = np.float32(0.01**2)
_C2 = np.float32(0.03**2)
#: Compiler flags: numpy's error model (no Python exception checks in divisions, which stop vectorisation), products
#: rounded as written. Where samples are normalised (``float32(v) * scale``) products stay rounded as
#: ``Reference._normalise`` rounds them, so an integer image and its normalised float planes give the same values bit
#: for bit; the vertical blur (:func:`_vblur`, :func:`_vblur4`) spells its fused multiply-adds out with :func:`_fma`.
_EXACT = {"cache": True, "nogil": True, "error_model": "numpy"}
#: The horizontal blur's flags: fused multiply-adds (``contract``: one rounding instead of two per tap, about half the
#: float32 error of OpenCV's blurs against the float64 definition; no reassociation, so each sum is taken in the
#: written order).
_JIT = {**_EXACT, "fastmath": {"contract"}}


@nb.njit(**_JIT)
def _reflect(i: int, n: int) -> int:
    """OpenCV's BORDER_REFLECT (``fedcba|abcdef``) of index ``i`` into ``[0, n)``, for ``-5 <= i < n + 5``."""
    if i < 0:
        return -i - 1
    if i >= n:
        return 2 * n - i - 1
    return i


@nb.njit(**_JIT)
def _pad_row(v: np.ndarray, w: int, c: int) -> None:
    """Fill the 5 reflected pixels at each end of a padded row ``v`` ((w + 10)·c samples, image at 5·c)."""
    for p in range(_PAD):
        src = _PAD + (_PAD - 1 - p)          # left: padded pixel p shows image pixel 4 - p
        dst_r = _PAD + w + p                 # right: image pixel w + p shows w - 1 - p
        src_r = _PAD + w - 1 - p
        for ch in range(c):
            v[p * c + ch] = v[src * c + ch]
            v[dst_r * c + ch] = v[src_r * c + ch]


@nb.njit(**_JIT)
def _hblur(v: np.ndarray, out: np.ndarray, g: np.ndarray, c: int, n: int) -> None:
    """``out[i] = Σ_k g[k] · v[i + k·c]`` for ``i < n``: the horizontal pass over a padded row (``g`` symmetric).

    Offsets are unsigned so that numba emits no negative-index wraparound, which would stop vectorisation."""
    uc = np.uint64(c)
    c2 = uc + uc
    c3, c4, c5 = c2 + uc, c2 + c2, c2 + c2 + uc
    c6, c7, c8, c9, c10 = c5 + uc, c5 + c2, c5 + c3, c5 + c4, c5 + c5
    g0, g1, g2, g3, g4, g5 = g[0], g[1], g[2], g[3], g[4], g[5]
    for i in range(np.uint64(n)):
        out[i] = (g0 * (v[i] + v[i + c10]) + g1 * (v[i + uc] + v[i + c9]) + g2 * (v[i + c2] + v[i + c8])
                  + g3 * (v[i + c3] + v[i + c7]) + g4 * (v[i + c4] + v[i + c6]) + g5 * v[i + c5])


@intrinsic
def _fma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` rounded once (LLVM's ``llvm.fma``): the vertical pass spells its multiply-adds out, so that
    every output row is the same sequence of roundings whichever loop computes it (with ``contract`` alone LLVM
    picks which product of ``g0 s0 + g1 s1`` to fuse per loop, and :func:`_vblur4` would not match :func:`_vblur`
    bit for bit)."""

    if not (isinstance(a, types.Float) and a == b == c):
        return None  # a numba typing error, not broken LLVM code, for mixed or integer operands

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.fma(*args)

    return a(a, b, c), codegen


@nb.njit(**_EXACT)
def _vtaps(g0: np.float32, g1: np.float32, g2: np.float32, g3: np.float32, g4: np.float32, g5: np.float32,
           s0: np.float32, s1: np.float32, s2: np.float32, s3: np.float32, s4: np.float32,
           c5: np.float32) -> np.float32:
    """``g0 s0 + g1 s1 + … + g4 s4 + g5 c5`` (``sk``: the sum of the two samples ``k`` rows from the centre
    ``c5``) with fused multiply-adds, in the order the contracted blur of earlier versions used, so the values
    are the same bit for bit."""
    t = _fma(g0, s0, g1 * s1)
    t = _fma(g2, s2, t)
    t = _fma(g3, s3, t)
    t = _fma(g4, s4, t)
    return _fma(g5, c5, t)


@nb.njit(**_EXACT)
def _vblur(ring: np.ndarray, r: int, g: np.ndarray, out: np.ndarray) -> None:
    """The vertical pass for output row ``r``: ``ring[(r + k) % R]`` holds image row ``r + k - 5`` (``R`` rows in
    the ring, at least 11)."""
    m = ring.shape[0]
    a0, a1, a2, a3, a4, a5 = (ring[(r + 0) % m], ring[(r + 1) % m], ring[(r + 2) % m],
                              ring[(r + 3) % m], ring[(r + 4) % m], ring[(r + 5) % m])
    a6, a7, a8, a9, a10 = (ring[(r + 6) % m], ring[(r + 7) % m], ring[(r + 8) % m],
                           ring[(r + 9) % m], ring[(r + 10) % m])
    g0, g1, g2, g3, g4, g5 = g[0], g[1], g[2], g[3], g[4], g[5]
    for i in range(out.shape[0]):
        out[i] = _vtaps(g0, g1, g2, g3, g4, g5, a0[i] + a10[i], a1[i] + a9[i], a2[i] + a8[i], a3[i] + a7[i],
                        a4[i] + a6[i], a5[i])


@nb.njit(**_EXACT)
def _vblur4(ring: np.ndarray, r: int, g: np.ndarray, o0: np.ndarray, o1: np.ndarray, o2: np.ndarray,
            o3: np.ndarray) -> None:
    """:func:`_vblur` of output rows ``r`` to ``r + 3`` (into ``o0`` to ``o3``) in one pass over the 14 ring rows
    they read: each ring sample is loaded once for four outputs instead of once per output (the ring, 3 × 14
    rows of the image's width, lives in L2, whose bandwidth bounds the pass). Each output is the same sequence of
    operations as :func:`_vblur`'s, so the values are the same bit for bit."""
    m = ring.shape[0]
    a0, a1, a2, a3, a4, a5, a6 = (ring[(r + 0) % m], ring[(r + 1) % m], ring[(r + 2) % m], ring[(r + 3) % m],
                                  ring[(r + 4) % m], ring[(r + 5) % m], ring[(r + 6) % m])
    a7, a8, a9, a10, a11, a12, a13 = (ring[(r + 7) % m], ring[(r + 8) % m], ring[(r + 9) % m],
                                      ring[(r + 10) % m], ring[(r + 11) % m], ring[(r + 12) % m],
                                      ring[(r + 13) % m])
    g0, g1, g2, g3, g4, g5 = g[0], g[1], g[2], g[3], g[4], g[5]
    for i in range(o0.shape[0]):
        b0, b1, b2, b3, b4, b5, b6 = a0[i], a1[i], a2[i], a3[i], a4[i], a5[i], a6[i]
        b7, b8, b9, b10, b11, b12, b13 = a7[i], a8[i], a9[i], a10[i], a11[i], a12[i], a13[i]
        o0[i] = _vtaps(g0, g1, g2, g3, g4, g5, b0 + b10, b1 + b9, b2 + b8, b3 + b7, b4 + b6, b5)
        o1[i] = _vtaps(g0, g1, g2, g3, g4, g5, b1 + b11, b2 + b10, b3 + b9, b4 + b8, b5 + b7, b6)
        o2[i] = _vtaps(g0, g1, g2, g3, g4, g5, b2 + b12, b3 + b11, b4 + b10, b5 + b9, b6 + b8, b7)
        o3[i] = _vtaps(g0, g1, g2, g3, g4, g5, b3 + b13, b4 + b12, b5 + b11, b6 + b10, b7 + b9, b8)


@nb.njit(**_EXACT)
def _moments(xs: np.ndarray, xscale: np.float32, ys: np.ndarray, scale: np.float32, q0: np.ndarray, q1: np.ndarray,
             q2: np.ndarray) -> None:
    """``d = y·scale − x·xscale``, ``x·d`` and ``d²`` of the first ``q0.size`` samples of ``xs``/``ys`` into
    ``q0``, ``q1``, ``q2``: the three planes the SSIM's blurs read for a probe."""
    for i in range(q0.shape[0]):
        xv = np.float32(xs[i]) * xscale
        d = np.float32(ys[i]) * scale - xv
        q0[i] = d
        q1[i] = xv * d
        q2[i] = d * d


@nb.njit(**_EXACT)
def _probe_in(v: int, x: np.ndarray, xscale: np.float32, y: np.ndarray, scale: np.float32, g: np.ndarray, c: int,
              pad: np.ndarray, ring: np.ndarray) -> None:
    """Image row ``v`` (reflected when outside) of ``d``, ``x·d`` and ``d²``, blurred horizontally into its ring
    slot ``ring[q, (v + 5) % 11]``."""
    h, n = x.shape
    rr = _reflect(v, h)
    xr, yr = x[rr], y[rr]
    off = _PAD * c
    pd, pxd, pdd = pad[0], pad[1], pad[2]
    _moments(xr, xscale, yr, scale, pd[off: off + n], pxd[off: off + n], pdd[off: off + n])
    slot = (v + _PAD) % ring.shape[1]
    for q in range(3):
        _pad_row(pad[q], n // c, c)
        _hblur(pad[q], ring[q, slot], g, c, n)


@nb.njit(**_EXACT)
def _ssim_row(blurred: np.ndarray, b0: np.uint64, uxr: np.ndarray, c0r: np.ndarray, xr: np.ndarray,
              xscale: np.float32, x0: np.uint64, yr: np.ndarray, scale: np.float32, y0: np.uint64, c: int,
              s_row: np.ndarray, e_row: np.ndarray) -> None:
    """SSIM and squared error (channel means) of ``s_row.size`` pixels of one row from their blurred moments
    ``E[d]``, ``E[x·d]``, ``E[d²]`` (``blurred[0:3]`` from sample ``b0``; ``blurred[3:5]`` scratch), the reference's
    local mean ``uxr`` and ``2 vx + C2`` ``c0r`` and its samples ``xr`` (from sample ``x0``), and the distorted
    samples ``yr`` (from ``y0``). Offsets, not views: a view costs two reference-count updates, which in the
    mosaic's many short rows (:func:`interior_values`) cost more than the arithmetic; unsigned, so that numba emits
    no negative-index wraparound (which would stop vectorisation)."""
    w = s_row.shape[0]
    n = np.uint64(w * c)
    ud, exd, edd, sv, ev = blurred[0], blurred[1], blurred[2], blurred[3], blurred[4]
    two = np.float32(2.0)
    for i in range(n):
        u = ud[b0 + i]
        ur = uxr[x0 + i]
        t = ur * u
        big_a = two * exd[b0 + i] - two * t + c0r[x0 + i]
        big_l = two * t + (two * (ur * ur) + _C1)  # 2 ux² + C1, recomputed (not stored: bandwidth)
        u2 = u * u
        vd = edd[b0 + i] - u2
        sv[i] = (big_a * big_l) / ((big_a + vd) * (big_l + u2))
        d = np.float32(yr[y0 + i]) * scale - np.float32(xr[x0 + i]) * xscale
        ev[i] = d * d
    _plane_mean(sv, c, s_row)
    _plane_mean(ev, c, e_row)


@nb.njit(**_EXACT)
def _plane_mean(v: np.ndarray, c: int, out: np.ndarray) -> None:
    """``out[j]`` = the mean of the ``c`` interleaved samples of pixel ``j`` of ``v`` (float32, in order)."""
    w = out.shape[0]
    if c == 1:
        for j in range(w):
            out[j] = v[j]
        return
    inv = np.float32(1.0 / c)
    if c == 3:  # the common case, as (w, 3) rows: vectorises better than by flat indices (0.37 vs 0.48 ms a
        # Kodak image, the same sums)
        v3 = v[: 3 * w].reshape((w, 3))
        for j in range(w):
            out[j] = (v3[j, 0] + v3[j, 1] + v3[j, 2]) * inv
        return
    for j in range(w):
        acc = np.float32(0.0)
        for ch in range(c):
            acc += v[j * c + ch]
        out[j] = acc * inv


@nb.njit(**_EXACT)
def _error_rows(x: np.ndarray, xscale: np.float32, y: np.ndarray, scale: np.float32, c: int, tile: int,
                e_cols: np.ndarray) -> None:
    """Each row's squared error (channel mean), added to the tile rows' column sums ``e_cols``: the values
    :func:`_probe_rows` adds there, without the SSIM."""
    h, n = x.shape
    w = n // c
    ev = np.empty(n, np.float32)
    e_row = np.empty(w, np.float32)
    for r in range(h):
        xr, yr = x[r], y[r]
        for i in range(n):
            d = np.float32(yr[i]) * scale - np.float32(xr[i]) * xscale
            ev[i] = d * d
        _plane_mean(ev, c, e_row)
        ec = e_cols[r // tile]
        for j in range(w):
            ec[j] += e_row[j]


def error_sums(x: np.ndarray, xscale: np.float32, y: np.ndarray, scale: np.float32, c: int, tile: int,
               e_cols: np.ndarray) -> float:
    """The squared-error map's whole-image sum (float64), its column sums per tile row added to ``e_cols``: what
    :func:`probe_sums` gives for it, bit for bit, at a fraction of the cost (a PSNR-only measurement). Arguments as
    :func:`probe_sums`."""
    _error_rows(x, xscale, y, scale, c, tile, e_cols)
    return float(e_cols.sum())


@nb.njit(**_EXACT)
def _probe_rows(x: np.ndarray, xscale: np.float32, ux: np.ndarray, cs0: np.ndarray, y: np.ndarray,
                scale: np.float32, g: np.ndarray, c: int, s_out: np.ndarray, e_out: np.ndarray, s_cols: np.ndarray,
                e_cols: np.ndarray, crop_cols: np.ndarray, tile: int, reduce: bool) -> None:
    """Every row's SSIM and squared error: stored into ``s_out``/``e_out`` (when not ``reduce``) or added to the
    tile-row column sums ``s_cols``/``e_cols`` and, for rows inside the 5-pixel crop, to ``crop_cols``."""
    h, n = x.shape
    w = n // c
    pad = np.zeros((3, n + 2 * _PAD * c), np.float32)
    ring = np.empty((3, _TAPS + _BLOCK - 1, n), np.float32)
    blurred = np.empty((_BLOCK, 5, n), np.float32)
    s_row = np.empty(w, np.float32)
    e_row = np.empty(w, np.float32)
    for v in range(-_PAD, _PAD):
        _probe_in(v, x, xscale, y, scale, g, c, pad, ring)
    zero = np.uint64(0)
    for r0 in range(0, h, _BLOCK):
        k = min(_BLOCK, h - r0)
        for j in range(k):
            _probe_in(r0 + j + _PAD, x, xscale, y, scale, g, c, pad, ring)
        for q in range(3):
            if k == _BLOCK:
                _vblur4(ring[q], r0, g, blurred[0, q], blurred[1, q], blurred[2, q], blurred[3, q])
            else:
                for j in range(k):
                    _vblur(ring[q], r0 + j, g, blurred[j, q])
        for j in range(k):
            r = r0 + j
            if not reduce:
                _ssim_row(blurred[j], zero, ux[r], cs0[r], x[r], xscale, zero, y[r], scale, zero, c, s_out[r],
                          e_out[r])
                continue
            _ssim_row(blurred[j], zero, ux[r], cs0[r], x[r], xscale, zero, y[r], scale, zero, c, s_row, e_row)
            sc = s_cols[r // tile]
            ec = e_cols[r // tile]
            for i in range(w):
                sc[i] += s_row[i]
                ec[i] += e_row[i]
            if _PAD <= r < h - _PAD:
                for i in range(w):
                    crop_cols[i] += s_row[i]


def probe_sums(x: np.ndarray, xscale: np.float32, ux: np.ndarray, cs0: np.ndarray, y: np.ndarray,
               scale: np.float32, g: np.ndarray, c: int, tile: int, crop: bool, s_cols: np.ndarray,
               e_cols: np.ndarray) -> tuple[float, float]:
    """Whole-image sums of the SSIM map (over the 5-pixel-cropped interior when ``crop``) and of the squared-error
    map, as float64; the maps' column sums per tile row are added to ``s_cols`` and ``e_cols`` ((ny, W) float64,
    zero on entry).

    ``x``: the reference's samples, normalised as ``float32(x) * xscale`` (an integer source is read as stored:
    a quarter of the float32 plane's bytes); ``ux``, ``cs0``: its local mean and ``2 vx + C2`` (see
    :func:`reference_stats`; ``2 ux² + C1`` is recomputed from ``ux``, not read); ``y``: the distorted samples,
    normalised as ``float32(y) * scale``; ``g``: the 11 Gaussian weights; ``c``: colour planes. All (H, W·C)
    C-contiguous.
    """
    w = x.shape[1] // c
    crop_cols = np.zeros(w, np.float64)
    none = np.empty((0, 0), np.float32)
    _probe_rows(x, xscale, ux, cs0, y, scale, g, c, none, none, s_cols, e_cols, crop_cols, tile, True)
    total_s = float(crop_cols[_PAD: w - _PAD].sum()) if crop else float(s_cols.sum())
    return total_s, float(e_cols.sum())


def probe_maps(x: np.ndarray, xscale: np.float32, ux: np.ndarray, cs0: np.ndarray, y: np.ndarray,
               scale: np.float32, g: np.ndarray, c: int, s_out: np.ndarray, e_out: np.ndarray) -> None:
    """The SSIM map and squared-error map (channel means, (H, W) float32) into ``s_out`` and ``e_out`` (arguments
    as :func:`probe_sums`)."""
    none = np.empty((0, 0), np.float64)
    _probe_rows(x, xscale, ux, cs0, y, scale, g, c, s_out, e_out, none, none, np.empty(0, np.float64), 1, False)


@nb.njit(**_EXACT)
def _interior_rows(x: np.ndarray, xscale: np.float32, ux: np.ndarray, cs0: np.ndarray, y: np.ndarray,
                   scale: np.float32, g: np.ndarray, c: int, t: int, border: int, ny: int, per_row: int,
                   s_out: np.ndarray, e_out: np.ndarray, ids: np.ndarray, s_bins: np.ndarray,
                   e_bins: np.ndarray) -> None:
    """:func:`interior_values` for one call, tile row by tile row: the rows of every kept tile that the interiors'
    windows reach, side by side (``seg`` samples a tile, no reflection: the windows stay inside their tile), are
    blurred horizontally and then vertically (four interior rows a pass, :func:`_vblur4`) along the tile row (the
    samples between two tiles' interiors come out too and are not used), and each interior row of every tile is
    reduced, in order (:func:`_interior_out`)."""
    u = t - 2 * border
    span = u + 2 * _PAD
    seg = span * c
    length = per_row * seg
    lo = border - _PAD
    pad = np.empty((3, length), np.float32)
    ring = np.empty((3, _TAPS + _BLOCK - 1, length), np.float32)
    blurred = np.empty((_BLOCK, 5, length), np.float32)
    rows = np.empty((2, u), np.float32)
    p0, p1, p2 = pad[0], pad[1], pad[2]
    m = length - 2 * _PAD * c
    for ty in range(ny):
        shift = ty % 2
        for rr in range(span):
            row = ty * t + lo + rr
            for k in range(per_row):
                x0 = ((2 * k + shift) * t + lo) * c   # first sample the windows of this tile read, image and mosaic
                y0 = (k * t + lo) * c
                xs = x[row, x0: x0 + seg]
                ys = y[row, y0: y0 + seg]
                _moments(xs, xscale, ys, scale, p0[k * seg: (k + 1) * seg], p1[k * seg: (k + 1) * seg],
                         p2[k * seg: (k + 1) * seg])
            for q in range(3):
                _hblur(pad[q], ring[q, rr % ring.shape[1]], g, c, m)
            last = rr - (_TAPS - 1)  # the interior row whose window's last row this is
            if last < 0 or ((last + 1) % _BLOCK and last != u - 1):
                continue
            i0 = last - last % _BLOCK  # a block of interior rows i0..last, all of whose windows are in the ring
            for q in range(3):
                if last - i0 + 1 == _BLOCK:
                    _vblur4(ring[q], i0, g, blurred[0, q, :m], blurred[1, q, :m], blurred[2, q, :m],
                            blurred[3, q, :m])
                else:
                    for j in range(last - i0 + 1):
                        _vblur(ring[q], i0 + j, g, blurred[j, q, :m])
            for j in range(last - i0 + 1):
                _interior_out(x, xscale, ux, cs0, y, scale, c, t, border, ty, i0 + j, per_row, seg, blurred[j],
                              rows, s_out, e_out, ids, s_bins, e_bins)


@nb.njit(**_EXACT)
def _interior_out(x: np.ndarray, xscale: np.float32, ux: np.ndarray, cs0: np.ndarray, y: np.ndarray,
                  scale: np.float32, c: int, t: int, border: int, ty: int, ii: int, per_row: int, seg: int,
                  blurred: np.ndarray, rows: np.ndarray, s_out: np.ndarray, e_out: np.ndarray, ids: np.ndarray,
                  s_bins: np.ndarray, e_bins: np.ndarray) -> None:
    """Interior row ``ii`` of every tile of tile row ``ty`` from its blurred moments ``blurred`` (see
    :func:`_interior_rows`): its SSIM and squared error into ``s_out``/``e_out`` and the bins (``rows``:
    scratch)."""
    u = t - 2 * border
    shift = ty % 2
    row = ty * t + border + ii
    s_row, e_row = rows[0], rows[1]
    uxr, c0r, xr, yr = ux[row], cs0[row], x[row], y[row]
    for k in range(per_row):
        xi = ((2 * k + shift) * t + border) * c
        yi = (k * t + border) * c
        _ssim_row(blurred, np.uint64(k * seg), uxr, c0r, xr, xscale, np.uint64(xi), yr, scale, np.uint64(yi),
                  c, s_row, e_row)
        base = ((ty * u + ii) * per_row + k) * u
        for j in range(u):
            s_out[base + j] = s_row[j]
            e_out[base + j] = e_row[j]
        if ids.shape[0]:  # in the values' order, as np.bincount adds them
            for j in range(u):
                s_bins[ids[base + j]] += s_row[j]
                e_bins[ids[base + j]] += e_row[j]


def interior_values(x: np.ndarray, xscale: np.float32, ux: np.ndarray, cs0: np.ndarray, y: np.ndarray,
                    scale: np.float32, g: np.ndarray, c: int, tile: int, border: int, s_out: np.ndarray,
                    e_out: np.ndarray, ids: np.ndarray, s_bins: np.ndarray, e_bins: np.ndarray) -> None:
    """SSIM and squared error (channel means) at the interiors of a mosaic's tiles, straight from the image's own
    reference statistics: no rearranged copy of them, and nothing computed outside the interiors but the
    horizontal blurs their windows need.

    The mosaic (``y``, (Hm, Wm·C), normalised as ``float32(y) * scale``) holds every other ``tile``-pixel tile of
    the image, in a checkerboard: tile ``k`` of tile row ``ty`` is the image's tile ``2k + ty % 2`` (see
    :class:`qualipress.search.proxy.Mosaic`). ``x``, ``ux``, ``cs0``: the reference's samples and window statistics
    as in :func:`probe_sums`, at the image's size. Each interior (the tile less ``border`` ≥ 5 pixels at every edge)
    is measured with a window that stays inside its tile, so its values are those the maps of the rearranged
    reference give there, bit for bit. ``s_out``, ``e_out``: float64 arrays of ``ny · u · per_row · u`` values
    (``u = tile - 2·border``), written in the order (tile row, interior row, tile, interior column). ``ids`` (int64,
    the same length, or empty): a bin for each value; ``s_bins``/``e_bins`` (float64, zero on entry) then receive
    the values' sums per bin, added in the values' order (``np.bincount(ids, weights=s_out)``, bit for bit).
    """
    ny, per_row = y.shape[0] // tile, y.shape[1] // (tile * c)
    _interior_rows(x, xscale, ux, cs0, y, scale, g, c, tile, border, ny, per_row, s_out, e_out, ids, s_bins, e_bins)


@nb.njit(**_EXACT)
def _stats_in(v: int, a: np.ndarray, ascale: np.float32, m: np.float32, g: np.ndarray, c: int, pad: np.ndarray,
              ring: np.ndarray) -> None:
    """Image row ``v`` (reflected) of ``a`` (normalised as ``float32(a) * ascale``) and ``(a - m)²``, blurred
    horizontally into ring slot ``(v + 5) % 11``."""
    h, n = a.shape
    ar = a[_reflect(v, h)]
    off = _PAD * c
    p0, p1 = pad[0][off: off + n], pad[1][off: off + n]
    for i in range(n):
        x = np.float32(ar[i]) * ascale
        t = x - m
        p0[i] = x
        p1[i] = t * t
    slot = (v + _PAD) % ring.shape[1]
    for q in range(2):
        _pad_row(pad[q], n // c, c)
        _hblur(pad[q], ring[q, slot], g, c, n)


@nb.njit(**_EXACT)
def reference_stats(a: np.ndarray, ascale: np.float32, m: np.float32, g: np.ndarray, c: int, ux: np.ndarray,
                    cs0: np.ndarray) -> None:
    """The reference's window statistics from its samples ``a`` (normalised as ``float32(a) * ascale``): local mean
    ``ux`` and ``2 vx + C2`` with ``vx = E[(a - m)²] - (ux - m)²`` (centred on the image mean ``m``, a float32, as
    ``Reference._statistics`` does), written into the two (H, W·C) float32 arrays. ``2 ux² + C1`` is not stored:
    the probe kernels recompute it from ``ux``."""
    h, n = a.shape
    pad = np.zeros((2, n + 2 * _PAD * c), np.float32)
    ring = np.empty((2, _TAPS + _BLOCK - 1, n), np.float32)
    hs = np.empty((_BLOCK, n), np.float32)
    two = np.float32(2.0)
    for v in range(-_PAD, _PAD):
        _stats_in(v, a, ascale, m, g, c, pad, ring)
    for r0 in range(0, h, _BLOCK):
        k = min(_BLOCK, h - r0)
        for j in range(k):
            _stats_in(r0 + j + _PAD, a, ascale, m, g, c, pad, ring)
        if k == _BLOCK:
            _vblur4(ring[0], r0, g, ux[r0], ux[r0 + 1], ux[r0 + 2], ux[r0 + 3])
            _vblur4(ring[1], r0, g, hs[0], hs[1], hs[2], hs[3])
        else:
            for j in range(k):
                _vblur(ring[0], r0 + j, g, ux[r0 + j])
                _vblur(ring[1], r0 + j, g, hs[j])
        for j in range(k):
            uo, co, hj = ux[r0 + j], cs0[r0 + j], hs[j]
            for i in range(n):
                uc = uo[i] - m
                co[i] = two * (hj[i] - uc * uc) + _C2
