"""The NumPy implementation of the JPEG AC trellis that the compiled kernels replaced (session 6, commit 845b5ba),
and the Python DC trellis that :func:`~qualipress.codecs.trellis_kernels.dc_viterbi` replaced (issue 11).

Kept as the reference the kernels of :mod:`qualipress.codecs.trellis_kernels` are compared with: the same levels, to
the last one, on random blocks and on real photos (``tests/codecs/test_jpegtrellis.py``, ``tests/roi/test_trellis.py``).
Vectorised over blocks: blocks are taken in slices sorted by their number of non-zero rounded AC levels (the trellis
states), and each step of the dynamic programme runs over a whole slice.
"""

from __future__ import annotations

import numpy as np

from qualipress.codecs.jpegtrellis import DC_SYMBOLS, bit_length

_CHUNK = 2048


def reference_trellis(u: np.ndarray, weight: np.ndarray, lam: float, lengths: np.ndarray, zero: float = 0.5,
                      chunk: int = _CHUNK) -> np.ndarray:
    """Per block, the AC levels that minimise ``Σ weight·(|u| − level)² + lam·bits``.

    Parameters
    ----------
    u : numpy.ndarray
        (n, 64) coefficients divided by their quantisation step, zig-zag order.
    weight : numpy.ndarray
        (64,) distortion per squared step unit at each zig-zag position, or (n, 64) per block.
    lam : float
        Price of one bit in distortion units.
    lengths : numpy.ndarray
        (256,) code length of every AC symbol (:func:`code_lengths`).
    zero : float
        The encoder's zero threshold (:attr:`JpegLayout.zero`): AC coefficients under it are zero anyway.
    chunk : int
        Blocks per vectorised step, taken in order of their number of non-zero rounded AC levels (the step's cost
        grows with the square of its largest count); the levels do not depend on it.

    Returns
    -------
    numpy.ndarray
        (n, 64) signed integer levels; the DC (position 0) is rounded, every AC level is the rounded one, one less
        in magnitude, or zero.
    """
    n = len(u)
    mag = np.abs(u)
    plain = np.floor(mag + 0.5).astype(np.int64)
    plain[:, 1:][mag[:, 1:] < zero] = 0
    out = np.zeros((n, 64), np.int64)
    out[:, 0] = plain[:, 0]
    weight = np.broadcast_to(weight, (n, 64))
    d0 = weight[:, 1:] * mag[:, 1:] ** 2
    z = np.zeros((n, 64))
    np.cumsum(d0, axis=1, out=z[:, 1:])  # z[:, k] = zeroing error of positions 1..k
    count = (plain[:, 1:] > 0).sum(axis=1)
    order = np.argsort(count, kind="stable")
    for start in range(0, n, chunk):
        idx = order[start:start + chunk]
        m = int(count[idx].max()) if len(idx) else 0
        if m:
            out[idx, 1:] = _trellis_chunk(mag[idx], plain[idx], z[idx], weight[idx], lam, lengths, m)
    sign = np.where(u < 0, -1, 1)
    return out * sign


def _trellis_chunk(mag: np.ndarray, plain: np.ndarray, z: np.ndarray, weight: np.ndarray, lam: float,
                   lengths: np.ndarray, m: int) -> np.ndarray:
    """The trellis on blocks with at most ``m`` non-zero rounded AC levels (states = those positions)."""
    n = len(mag)
    nz = plain[:, 1:] > 0
    # positions of the non-zero rounded levels, in order, padded with 64 (invalid)
    rank = np.cumsum(nz, axis=1) - 1
    pos = np.full((n, m), 64, np.int64)
    b, k = np.nonzero(nz)
    pos[b, rank[b, k]] = k + 1
    valid = pos < 64
    safe = np.minimum(pos, 63)
    rows = np.arange(n)[:, None]
    a1 = np.where(valid, plain[rows, safe], 1)
    a2 = a1 - 1
    u_at = mag[rows, safe]
    w_at = weight[rows, safe]
    dist1 = w_at * (u_at - a1) ** 2
    dist2 = w_at * (u_at - a2) ** 2
    s1 = bit_length(a1)
    s2 = bit_length(a2)
    bits1 = lam * s1
    bits2 = lam * s2
    z_before = z[rows, safe - 1]  # zeroing error of positions 1..pos-1
    # state 0 = start (after the DC, position 0); state i+1 = position pos[:, i] is the last non-zero so far
    spos = np.concatenate([np.zeros((n, 1), np.int64), safe], axis=1)
    zs = z[rows, spos]
    best = np.full((n, m + 1), np.inf)
    best[:, 0] = 0.0
    back = np.zeros((n, m), np.int64)
    level = np.zeros((n, m), np.int64)
    zrl, lengths_lam = lam * lengths[0xF0], lam * lengths
    # The "one less" level has its own symbols only where it drops a size class (a1 a power of two ≥ 2); elsewhere
    # its costs per predecessor equal the rounded level's, so its best predecessor is the same one.
    own = (a2 > 0) & (s2 != s1)
    every = np.arange(n)
    for i in range(m):
        run = pos[:, i:i + 1] - spos[:, :i + 1] - 1
        base = best[:, :i + 1] + (z_before[:, i:i + 1] - zs[:, :i + 1]) + zrl * (run >> 4)
        r4 = (run & 15) << 4
        c1 = base + lengths_lam[r4 | s1[:, i:i + 1]]
        j1 = np.argmin(c1, axis=1)
        m1 = c1[every, j1]
        t1 = m1 + bits1[:, i] + dist1[:, i]
        j2, m2 = j1.copy(), m1.copy()
        sub = np.flatnonzero(own[:, i])
        if sub.size:
            c2 = base[sub] + lengths_lam[r4[sub] | s2[sub, i:i + 1]]
            j2[sub] = np.argmin(c2, axis=1)
            m2[sub] = c2[np.arange(sub.size), j2[sub]]
        t2 = np.where(a2[:, i] > 0, m2 + bits2[:, i] + dist2[:, i], np.inf)
        take2 = t2 < t1
        best[:, i + 1] = np.where(valid[:, i], np.where(take2, t2, t1), np.inf)
        back[:, i] = np.where(take2, j2, j1)
        level[:, i] = np.where(take2, a2[:, i], a1[:, i])
    end = best + (z[:, 63:64] - zs) + lam * lengths[0x00] * (spos < 63)
    state = np.argmin(end, axis=1)
    out = np.zeros((n, 63), np.int64)
    for _ in range(m):
        live = state > 0
        if not live.any():
            break
        r = np.nonzero(live)[0]
        i = state[r] - 1
        out[r, pos[r, i] - 1] = level[r, i]
        state[r] = back[r, i]
    return out


def reference_keep_cheaper(u: np.ndarray, weight: np.ndarray, lam: np.ndarray, lengths: np.ndarray,
                           current: np.ndarray) -> np.ndarray:
    """The former ``qualipress.roi.trellis._one_plane``: trellis levels per multiplier group, each block keeping
    ``current`` where that is cheaper (see :func:`qualipress.codecs.trellis_kernels.trellis_keep_cheaper`)."""
    out = current.copy()
    busy = (np.abs(u[:, 1:]) >= 0.5).sum(axis=1)
    for value in np.unique(lam[lam >= 0]):
        idx = np.nonzero((lam == value) & (busy > 0))[0]
        lv = reference_trellis(u[idx], weight, float(value), lengths, chunk=512)
        lv[:, 0] = current[idx, 0]
        worse = _rd_cost(u[idx], lv, weight, value, lengths) > _rd_cost(u[idx], current[idx], weight, value, lengths)
        lv[worse] = current[idx][worse]
        out[idx] = lv
    return out


def _rd_cost(u: np.ndarray, levels: np.ndarray, weight: np.ndarray, lam: float, lengths: np.ndarray) -> np.ndarray:
    err = np.abs(u[:, 1:]) - np.abs(levels[:, 1:])
    return (weight[1:] * err**2).sum(axis=1) + lam * block_bits(levels, lengths)


def _runs(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The run/size pairs of every block's non-zero AC levels, and where each block's last one is.

    Parameters
    ----------
    levels : numpy.ndarray
        (n, 64) integer levels in zig-zag order (position 0, the DC, is ignored).

    Returns
    -------
    block, run, size : numpy.ndarray
        Per non-zero AC level (blocks in order, positions increasing within a block): its block, the number of
        zeros before it since the previous non-zero AC level (or the DC), and its size category.
    last : numpy.ndarray
        (n,) zig-zag position of each block's last non-zero AC level (0 when it has none); ``last < 63`` means the
        block ends with an EOB.
    """
    ac = levels[:, 1:]
    block, k = np.nonzero(ac)  # row-major: blocks in order, positions increasing within a block
    k = k + 1
    prev = np.zeros_like(k)
    same = np.zeros(len(block), bool)
    same[1:] = block[1:] == block[:-1]  # not the first non-zero level of its block
    prev[same] = k[np.nonzero(same)[0] - 1]
    size = bit_length(np.abs(ac[block, k - 1]))
    last = np.zeros(len(levels), np.int64)
    last[block] = k  # the last write per block wins (positions increase)
    return block, k - prev - 1, size, last


def reference_ac_symbols(levels: np.ndarray) -> np.ndarray:
    """The NumPy count that :func:`qualipress.codecs.trellis_kernels.ac_counts` replaced: counts of the 256
    baseline AC Huffman symbols (``run << 4 | size``; ``0x00`` = EOB, ``0xF0`` = ZRL).

    Parameters
    ----------
    levels : numpy.ndarray
        (n, 64) integer levels in zig-zag order (position 0, the DC, is ignored).

    Returns
    -------
    numpy.ndarray
        (256,) int64 counts.
    """
    _, run, size, last = _runs(levels)
    counts = np.bincount(((run & 15) << 4) | size, minlength=256)
    counts[0xF0] += int((run >> 4).sum())
    counts[0x00] += int((last < 63).sum())
    return counts


def block_bits(levels: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """AC bits of each block under the code lengths ``lengths``: run/size symbols (ZRL for each 16 zeros of run),
    magnitude bits and the end-of-block code when the last level is not at position 63.

    Parameters
    ----------
    levels : numpy.ndarray
        (n, 64) integer levels in zig-zag order (position 0, the DC, is ignored).
    lengths : numpy.ndarray
        (256,) code length of every AC symbol.

    Returns
    -------
    numpy.ndarray
        (n,) float bits.
    """
    block, run, size, last = _runs(levels)
    cost = lengths[((run & 15) << 4) | size] + size + lengths[0xF0] * (run >> 4)
    bits = np.bincount(block, weights=cost, minlength=len(levels))
    return bits + lengths[0x00] * (last < 63)


def reference_dc_trellis(u: np.ndarray, weight: np.ndarray | float, lam: float, lengths: np.ndarray) -> np.ndarray:
    """The Python Viterbi of :func:`qualipress.codecs.jpegtrellis.dc_trellis` before it ran on the compiled
    :func:`qualipress.codecs.trellis_kernels.dc_viterbi` (two states per block: ``floor(u)``, ``floor(u) + 1``; the
    lower state on ties)."""
    u = np.asarray(u, np.float64)
    n = len(u)
    if n == 0:
        return np.zeros(0, np.int64)
    lo = np.floor(u).astype(np.int64)
    w = np.broadcast_to(np.asarray(weight, np.float64), (n,))
    d_lo = (w * (u - lo) ** 2).tolist()
    d_hi = (w * (lo + 1 - u) ** 2).tolist()
    low = lo.tolist()
    rate = [lam * (float(lengths[s]) + s) for s in range(min(len(lengths), DC_SYMBOLS))]
    # Viterbi over two states per block (0: floor, 1: floor + 1); python floats: 2×2 moves per block.
    from_hi = bytearray(n)  # state 0 of block i reached from state 1 of block i − 1
    hi_from_hi = bytearray(n)  # state 1 of block i reached from state 1 of block i − 1
    a = low[0]
    c0 = d_lo[0] + rate[abs(a).bit_length()]
    c1 = d_hi[0] + rate[abs(a + 1).bit_length()]
    prev = a
    for i in range(1, n):
        a = low[i]
        k = a - prev  # difference to the previous floor; moves: k (0→0), k−1 (1→0), k+1 (0→1), k (1→1)
        r00 = c0 + rate[abs(k).bit_length()]
        r10 = c1 + rate[abs(k - 1).bit_length()]
        r01 = c0 + rate[abs(k + 1).bit_length()]
        r11 = c1 + rate[abs(k).bit_length()]
        if r10 < r00:
            from_hi[i], n0 = 1, r10
        else:
            n0 = r00
        if r11 < r01:
            hi_from_hi[i], n1 = 1, r11
        else:
            n1 = r01
        c0, c1, prev = n0 + d_lo[i], n1 + d_hi[i], a
    state = 1 if c1 < c0 else 0
    up = np.zeros(n, np.int64)
    for i in range(n - 1, -1, -1):
        up[i] = state
        if i:
            state = hi_from_hi[i] if state else from_hi[i]
    return lo + up
