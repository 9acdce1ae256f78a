"""Compiled kernels of the search (numba): the setting predictor's image features in one call each.

:func:`qualipress.search.predict.image_features` measures five texture features on up to sixteen 64×64 tiles of the
image's luma, and the colourfulness of the whole image. Through OpenCV and NumPy that is about fifteen calls a
tile, half of whose cost is the call itself, and six strided float32 passes for the colourfulness: about one JPEG
encode in all (measured in docs/benchmarks.md § JPEG search cost: compiled predictor features).
:func:`tile_features` and :func:`colourfulness` do the same arithmetic in one compiled call each.

The luma is OpenCV's (the caller converts it). The per-pixel arithmetic is float32 in OpenCV's order where a value
is amplified or thresholded later: the 7×7 box sums exact in float64, scaled and rounded to float32 as OpenCV's box
filter does, and the local variance ``E[y²] − μ²`` in float32 (its cancellation in flat areas reaches the texture
feature); the 8×8 block means of the flat fraction summed four values at a time as OpenCV's area resize sums them;
the Laplacian's and the noise filter's taps in ``filter2D``'s row order. The flat fraction, the Laplacian energy and
the noise σ are then OpenCV's bit for bit (on 144 photographs and the tests' images). The gradient (``|dx| + |dy|``
added in float32 before the float64 sum), the texture (float64 sums instead of NumPy's pairwise float32 ones) and
the colourfulness (float64 sums) agree to about 1e-8, 1e-8 and 1.3e-7 relative (``tests/search/test_predict.py``;
docs/benchmarks.md § JPEG search cost: compiled predictor features). Borders are OpenCV's default,
BORDER_REFLECT_101. Products are rounded as written (no ``contract``). This module imports numba at import time:
import it lazily (``docs/design.md`` § Compiled kernels); :func:`qualipress.search.predict.image_features` uses it
under the metric kernels' rule (:data:`qualipress.metrics.core.USE_FUSED`).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

#: Smallest tile side the kernels take (the 7×7 box reflects 3 pixels into the tile; the flat fraction wants 8×8
#: blocks); smaller images keep the OpenCV path.
MIN_SIDE = 8

_EXACT = {"cache": True, "nogil": True, "error_model": "numpy"}
_FLAT = np.float32(1e-4)
_SQRT_HALF_PI = math.sqrt(math.pi / 2)


@nb.njit(**_EXACT)
def _r101(i: int, n: int) -> int:
    """BORDER_REFLECT_101 (``dcb|abcd|cba``) of index ``i`` into ``[0, n)``, for ``-n < i < 2n - 1``."""
    if i < 0:
        return -i
    if i >= n:
        return 2 * n - i - 2
    return i


@nb.njit(**_EXACT)
def _one_tile(y: np.ndarray, p: np.ndarray, acc: np.ndarray, row: np.ndarray, out: np.ndarray) -> None:
    """Add a luma tile's gradient energy, mean local standard deviation, Laplacian energy, noise σ and flat-block
    fraction to ``out`` (float64, 5), as ``predict._tile_features`` computes them.

    Work buffers, at least: ``p`` (h + 6, w + 6) float32, ``acc`` (6, w + 6) float64, ``row`` (6, w + 6) float32.
    Each row's values are made in float32 first and then added to per-column float64 sums (``acc``): both loops then
    vectorise across columns without reordering any one sum (the Sobel part 4.6 times faster than adding
    values as they are made)."""
    h, w = y.shape
    n = h * w
    # the tile with a 3-pixel BORDER_REFLECT_101 frame
    for i in range(h + 6):
        r = _r101(i - 3, h)
        for j in range(w + 6):
            p[i, j] = y[r, _r101(j - 3, w)]
    acc[:, :] = 0.0
    two, four = np.float32(2.0), np.float32(4.0)
    g, lp, nz = row[0], row[1], row[2]
    for i in range(3, h + 3):
        a, b, c = p[i - 1], p[i], p[i + 1]
        for j in range(w):  # column j + 3 of p
            # Sobel: the row pass (difference or [1 2 1] sum), then the column pass
            dx = (a[j + 4] - a[j + 2]) + (b[j + 4] - b[j + 2]) * two + (c[j + 4] - c[j + 2])
            dy = (c[j + 2] + c[j + 3] * two + c[j + 4]) - (a[j + 2] + a[j + 3] * two + a[j + 4])
            g[j] = abs(dx) + abs(dy)
            lp[j] = abs(a[j + 3] + b[j + 2] + b[j + 3] * np.float32(-4.0) + b[j + 4] + c[j + 3])
            nz[j] = abs(a[j + 2] - a[j + 3] * two + a[j + 4] - b[j + 2] * two + b[j + 3] * four - b[j + 4] * two
                        + c[j + 2] - c[j + 3] * two + c[j + 4])
        for j in range(w):
            acc[0, j] += g[j]
            acc[1, j] += lp[j]
        if 3 < i < h + 2:  # the noise filter's interior (OpenCV's result less its frame)
            for j in range(1, w - 1):
                acc[2, j] += nz[j]
    _local_std(p, h, w, acc, row[3])
    gs = lap = noise = tex = 0.0
    for j in range(w):
        gs += acc[0, j]
        lap += acc[1, j]
        noise += acc[2, j]
        tex += acc[3, j]
    out[0] += gs / (8.0 * n)
    out[1] += tex / n
    out[2] += lap / n
    if h >= 3 and w >= 3:
        out[3] += _SQRT_HALF_PI * noise / (6.0 * (h - 2) * (w - 2))
    out[4] += _flat_fraction(y)


@nb.njit(**_EXACT)
def _local_std(p: np.ndarray, h: int, w: int, acc: np.ndarray, tx: np.ndarray) -> None:
    """Add each column's sum of the 7×7 local standard deviation of the framed tile ``p`` to ``acc[3]``: box sums
    exact in float64, scaled and rounded to float32, ``E[y²] − μ²`` in float32 (``acc[4]``, ``acc[5]`` and ``tx``
    are work rows)."""
    rs = np.zeros((h + 6, w), np.float64)
    rs2 = np.zeros((h + 6, w), np.float64)
    for i in range(h + 6):
        pi, ri, ri2 = p[i], rs[i], rs2[i]
        for k in range(7):
            for j in range(w):
                v = pi[j + k]
                ri[j] += v
                ri2[j] += v * v
    scale = 1.0 / 49.0
    s, s2 = acc[4], acc[5]
    for i in range(h):
        s[:w] = 0.0
        s2[:w] = 0.0
        for k in range(7):
            rk, rk2 = rs[i + k], rs2[i + k]
            for j in range(w):
                s[j] += rk[j]
                s2[j] += rk2[j]
        for j in range(w):
            mu = np.float32(s[j] * scale)
            var = np.float32(s2[j] * scale) - mu * mu
            tx[j] = np.float32(math.sqrt(max(var, np.float32(0.0))))  # float32's correctly rounded root
        for j in range(w):
            acc[3, j] += tx[j]


@nb.njit(**_EXACT)
def _flat_fraction(y: np.ndarray) -> float:
    """Fraction of the tile's 8×8 blocks that are flat (variance under 1e-4), from INTER_AREA's block means: float32
    sums in row order, four values added and then to the total as OpenCV's area resize adds them."""
    h, w = y.shape
    bh, bw = h // 8, w // 8
    if bh and bw:
        flat = 0
        inv = np.float32(1.0 / 64.0)
        for bi in range(bh):
            for bj in range(bw):
                m1 = np.float32(0.0)
                m2 = np.float32(0.0)
                for u in range(8):
                    for v in range(0, 8, 4):  # OpenCV's area sum: four values added, then to the total
                        r = bi * 8 + u
                        c0 = bj * 8 + v
                        a0, a1, a2, a3 = y[r, c0], y[r, c0 + 1], y[r, c0 + 2], y[r, c0 + 3]
                        m1 += ((a0 + a1) + a2) + a3
                        m2 += ((a0 * a0 + a1 * a1) + a2 * a2) + a3 * a3
                m1 *= inv
                m2 *= inv
                if m2 - m1 * m1 < _FLAT:
                    flat += 1
        return flat / (bh * bw)
    return 0.0


@nb.njit(**_EXACT)
def tile_features(y: np.ndarray, ys: np.ndarray, xs: np.ndarray, th: int, tw: int, out: np.ndarray) -> None:
    """Sum, into ``out`` (float64, zero on entry), the five texture features of the ``th`` × ``tw`` tiles at rows
    ``ys`` and columns ``xs`` of the luma ``y`` ((H, W) float32)."""
    p = np.empty((th + 6, tw + 6), np.float32)
    acc = np.empty((6, tw + 6), np.float64)
    row = np.empty((6, tw + 6), np.float32)
    for t in range(ys.size):
        _one_tile(y[ys[t]:ys[t] + th, xs[t]:xs[t] + tw], p, acc, row, out)


@nb.njit(**_EXACT)
def colourfulness(px: np.ndarray) -> float:
    """Hasler and Süsstrunk's colourfulness of ``px`` ((H, W, C ≥ 3) float32 normalised RGB) on every other pixel of
    every other row: ``r - g`` and ``(r + g)·0.5 - b`` in float32 as ``predict._colour_features`` forms them, their
    means and standard deviations from float64 sums (two passes; per-column sums, as in :func:`_one_tile`)."""
    h, w = px.shape[0], px.shape[1]
    nx = (w + 1) // 2
    n = ((h + 1) // 2) * nx
    rg = np.empty(nx, np.float32)
    yb = np.empty(nx, np.float32)
    acc = np.zeros((4, nx), np.float64)
    half = np.float32(0.5)
    for i in range(0, h, 2):
        for j in range(nx):
            r, g, b = px[i, 2 * j, 0], px[i, 2 * j, 1], px[i, 2 * j, 2]
            rg[j] = r - g
            yb[j] = half * (r + g) - b
        for j in range(nx):
            acc[0, j] += rg[j]
            acc[1, j] += yb[j]
    m_rg = acc[0].sum() / n
    m_yb = acc[1].sum() / n
    for i in range(0, h, 2):
        for j in range(nx):
            r, g, b = px[i, 2 * j, 0], px[i, 2 * j, 1], px[i, 2 * j, 2]
            d = (r - g) - m_rg
            e = (half * (r + g) - b) - m_yb
            acc[2, j] += d * d
            acc[3, j] += e * e
    return math.sqrt(acc[2].sum() / n + acc[3].sum() / n) + 0.3 * math.sqrt(m_rg * m_rg + m_yb * m_yb)
