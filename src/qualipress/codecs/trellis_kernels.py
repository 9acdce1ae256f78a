"""Compiled (numba) kernels of the JPEG AC trellis (:mod:`qualipress.codecs.jpegtrellis`) and of the ROI
encoder's level choices (:mod:`qualipress.roi.trellis`, :func:`qualipress.roi.encoder.rdo_dc`): one module, so
numba's per-file cache never pairs a kernel with a stale copy of a helper (``_size``).

Imported lazily by :mod:`qualipress.codecs.jpegtrellis` (numba's import costs ~0.3 s). The kernels run block by block
and do the floating-point operations of the former NumPy implementation in the same order (the per-state costs, the
first minimum on ties), so they choose the same levels; the NumPy implementation is kept in the tests as the
reference they are compared with (``tests/codecs/trellis_reference.py``).

The trellis of one block: its states are the positions of its non-zero rounded AC levels (``plain``), plus the
start (after the DC). Each such position takes the rounded level ``a``, or ``a − 1``, or is skipped (zero); a
move from state ``j`` to position ``p`` costs the zeroing error of the positions between them, the ZRL codes of the
run, the run/size symbol and the magnitude bits; the end adds the zeroing error of the tail and the EOB code.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _size(a: int) -> int:  # callers pass a non-negative value (a negative one never returns)
    """Size category (bit length) of a non-negative integer."""
    s = 0
    while a:
        a >>= 1
        s += 1
    return s


@njit(cache=True, nogil=True)
def _block(u: np.ndarray, w: np.ndarray, lam: float, lengths: np.ndarray, zero: float, out: np.ndarray,
           mag: np.ndarray, plain: np.ndarray, z: np.ndarray, pos: np.ndarray, best: np.ndarray, back: np.ndarray,
           level: np.ndarray) -> None:
    """Trellis levels of one block into ``out`` (64 signed levels, zig-zag; the DC rounded).

    ``mag`` … ``level`` are scratch arrays (64 or 65 long) owned by the caller.
    """
    count = 0
    for k in range(64):
        m = abs(u[k])
        mag[k] = m
        a = int(np.floor(m + 0.5))
        if k > 0 and m < zero:
            a = 0
        plain[k] = a
        out[k] = 0
        if k > 0 and a > 0:
            pos[count] = k
            count += 1
    out[0] = plain[0]
    z[0] = 0.0
    acc = 0.0
    for k in range(1, 64):
        acc += w[k] * (mag[k] * mag[k])
        z[k] = acc  # zeroing error of positions 1..k
    if count:
        zrl = lam * lengths[0xF0]
        best[0] = 0.0
        # state 0 = start (position 0); state i + 1 = position pos[i] is the last non-zero level so far
        for i in range(count):
            p = pos[i]
            a1 = plain[p]
            a2 = a1 - 1
            s1 = _size(a1)
            s2 = _size(a2)
            own = a2 > 0 and s2 != s1  # the "one less" level has its own symbols only when it drops a size class
            zb = z[p - 1]
            j1, m1, j2, m2 = 0, np.inf, 0, np.inf
            for j in range(i + 1):
                sp = 0 if j == 0 else pos[j - 1]
                run = p - sp - 1
                base = best[j] + (zb - z[sp]) + zrl * (run >> 4)
                r4 = (run & 15) << 4
                c1 = base + lam * lengths[r4 | s1]
                if c1 < m1:
                    j1, m1 = j, c1
                if own:
                    c2 = base + lam * lengths[r4 | s2]
                    if c2 < m2:
                        j2, m2 = j, c2
            if not own:
                j2, m2 = j1, m1
            e1 = mag[p] - a1
            t1 = m1 + lam * s1 + w[p] * (e1 * e1)
            t2 = np.inf
            if a2 > 0:
                e2 = mag[p] - a2
                t2 = m2 + lam * s2 + w[p] * (e2 * e2)
            if t2 < t1:
                best[i + 1], back[i], level[i] = t2, j2, a2
            else:
                best[i + 1], back[i], level[i] = t1, j1, a1
        eob = lam * lengths[0x00]
        state, low = 0, np.inf
        for j in range(count + 1):
            sp = 0 if j == 0 else pos[j - 1]
            e = best[j] + (z[63] - z[sp]) + (eob if sp < 63 else 0.0)
            if e < low:
                state, low = j, e
        while state > 0:
            out[pos[state - 1]] = level[state - 1]
            state = back[state - 1]
    for k in range(64):
        if u[k] < 0:
            out[k] = -out[k]


@njit(cache=True, nogil=True)
def trellis_rows(u: np.ndarray, weight: np.ndarray, lam: np.ndarray, lengths: np.ndarray, zero: float) -> np.ndarray:
    """AC trellis of every block (see :func:`qualipress.codecs.jpegtrellis.trellis`).

    Parameters
    ----------
    u : float64 (n, 64)
        Coefficients divided by their steps, zig-zag order.
    weight : float64 (1, 64) or (n, 64)
        Distortion weights, one row for all blocks or one per block.
    lam : float64 (1,) or (n,)
        Price of a bit, one for all blocks or one per block.
    lengths : float64 (256,)
        AC code lengths.
    zero : float
        Zero threshold of the AC coefficients.

    Returns
    -------
    int64 (n, 64)
        Signed levels.
    """
    n = u.shape[0]
    out = np.zeros((n, 64), np.int64)
    mag, z = np.empty(64), np.empty(64)
    plain, pos = np.empty(64, np.int64), np.empty(64, np.int64)
    best, back, level = np.empty(65), np.empty(64, np.int64), np.empty(64, np.int64)
    for b in range(n):
        w = weight[b if weight.shape[0] > 1 else 0]
        lm = lam[b if lam.shape[0] > 1 else 0]
        _block(u[b], w, lm, lengths, zero, out[b], mag, plain, z, pos, best, back, level)
    return out


@njit(cache=True, nogil=True)
def _rd_cost(u: np.ndarray, levels: np.ndarray, w: np.ndarray, lam: float, lengths: np.ndarray) -> float:
    """``Σ w·(|u| − |level|)² + lam·bits`` over the AC positions of one block.

    The distortion is summed as NumPy sums 63 values along a contiguous axis (eight partial sums, combined pairwise,
    then the last seven in order) and the bits per symbol in coding order, so that this cost equals the reference's
    to the last bit and the keep-or-replace decision below is the reference's.
    """
    part = np.zeros(8)
    for k in range(1, 57):
        e = abs(u[k]) - abs(levels[k])
        part[(k - 1) & 7] += w[k] * (e * e)
    dist = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]))
    for k in range(57, 64):
        e = abs(u[k]) - abs(levels[k])
        dist += w[k] * (e * e)
    bits, run, last = 0.0, 0, 0
    for k in range(1, 64):
        a = abs(levels[k])
        if a == 0:
            run += 1
            continue
        s = _size(a)
        bits += (lengths[((run & 15) << 4) | s] + s) + lengths[0xF0] * (run >> 4)
        run, last = 0, k
    if last < 63:
        bits += lengths[0x00]
    return 0.0 + dist + lam * bits


@njit(cache=True, nogil=True)
def trellis_keep_cheaper(coefs: np.ndarray, order: np.ndarray, steps: np.ndarray, lam: np.ndarray,
                         lengths: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Trellis AC levels of the blocks with ``lam >= 0`` and a non-zero rounded AC level, each kept only where its
    ``D + λ·R`` is not above that of ``current`` (the trellis moves a level by at most one; another quantiser may
    have dropped it further). DC levels and the other blocks are ``current``'s.

    Parameters
    ----------
    coefs : float64 (n, 64)
        Unquantised DCT coefficients of each block, natural (row-major) order.
    order : int64 (64,)
        Natural index of each zig-zag position.
    steps : float64 (64,)
        Quantisation step of each zig-zag position; the distortion weight is its square (squared DCT units).
    lam : float64 (n,)
        Price of a bit per block; negative: keep ``current``.
    lengths : float64 (256,)
        AC code lengths.
    current : int64 (n, 64)
        Levels so far (zig-zag).

    Returns
    -------
    int64 (n, 64)
        Levels in zig-zag order.
    """
    n = coefs.shape[0]
    out = current.copy()
    weight = steps * steps
    u, lv = np.empty(64), np.empty(64, np.int64)
    mag, z = np.empty(64), np.empty(64)
    plain, pos = np.empty(64, np.int64), np.empty(64, np.int64)
    best, back, level = np.empty(65), np.empty(64, np.int64), np.empty(64, np.int64)
    for b in range(n):
        if lam[b] < 0:
            continue
        busy = False
        for k in range(64):
            u[k] = coefs[b, order[k]] / steps[k]
            if k > 0 and abs(u[k]) >= 0.5:
                busy = True
        if not busy:
            continue
        _block(u, weight, lam[b], lengths, 0.5, lv, mag, plain, z, pos, best, back, level)
        lv[0] = current[b, 0]
        if _rd_cost(u, lv, weight, lam[b], lengths) <= _rd_cost(u, current[b], weight, lam[b], lengths):
            out[b] = lv
    return out


@njit(cache=True, nogil=True)
def ac_counts(levels: np.ndarray) -> np.ndarray:
    """Counts of the 256 baseline AC Huffman symbols of (n, 64) zig-zag levels (see
    :func:`qualipress.codecs.jpegtrellis.ac_symbols`)."""
    counts = np.zeros(256, np.int64)
    for b in range(levels.shape[0]):
        run, last = 0, 0
        for k in range(1, 64):
            a = abs(levels[b, k])
            if a == 0:
                run += 1
                continue
            counts[0xF0] += run >> 4
            counts[((run & 15) << 4) | _size(a)] += 1
            run, last = 0, k
        if last < 63:
            counts[0x00] += 1
    return counts


@njit(cache=True, nogil=True)
def dc_viterbi(cand: np.ndarray, cost: np.ndarray, lengths: np.ndarray, price: float = 1.0) -> np.ndarray:
    """DC levels of one component along its coding order, each among its candidates, minimising the candidates'
    costs plus ``price`` times the bits of the DPCM differences (size-category code + magnitude bits; predictor 0
    at the start).

    Parameters
    ----------
    cand : int64 (n, k)
        Candidate levels of each block (repeats allowed: a block with one choice repeats it).
    cost : float64 (n, k)
        Distortion of each candidate, in the units of ``price`` (in bits with the default price 1: distortion over
        the block's price of a bit).
    lengths : float64 (16,)
        Code length of every DC size category.
    price : float
        Cost of one bit. Each sum is ``cost`` plus ``price · (length + size)`` (rounded as a product first), added
        in coding order: the floating-point operations of :func:`qualipress.codecs.jpegtrellis.dc_trellis`'s former
        Python loop, so both choose the same levels.

    Returns
    -------
    int64 (n,)
        The chosen levels (exact Viterbi search; the first candidate on ties).
    """
    n, k = cand.shape
    out = np.zeros(n, np.int64)
    if n == 0:
        return out
    acc, nxt = np.empty(k), np.empty(k)
    back = np.zeros((n, k), np.int64)
    rate = np.empty(lengths.shape[0])  # price of each size category's bits, formed once (no fused multiply-add)
    for a in range(lengths.shape[0]):
        rate[a] = price * (lengths[a] + a)
    for s in range(k):
        a = _size(abs(cand[0, s]))
        acc[s] = cost[0, s] + rate[a]
    for i in range(1, n):
        for s in range(k):
            low, arg = np.inf, 0
            for r in range(k):
                a = _size(abs(cand[i, s] - cand[i - 1, r]))
                c = acc[r] + rate[a]
                if c < low:
                    low, arg = c, r
            nxt[s] = low + cost[i, s]
            back[i, s] = arg
        acc[:] = nxt
    state, low = 0, np.inf
    for s in range(k):
        if acc[s] < low:
            state, low = s, acc[s]
    for i in range(n - 1, -1, -1):
        out[i] = cand[i, state]
        state = back[i, state]
    return out


@njit(cache=True, nogil=True)
def dc_chain(vals: np.ndarray, xs: np.ndarray, lams: np.ndarray) -> np.ndarray:
    """The greedy DC choice of :func:`qualipress.roi.encoder.rdo_dc` along the prediction chain.

    Parameters
    ----------
    vals : int64 (N,)
        DC values in scan order (changed in place and returned).
    xs : float64 (N,)
        Unquantised DC coefficients over the step, in scan order.
    lams : float64 (N,)
        Multipliers in units of step² per bit; blocks with ``lams <= 0`` keep their value.
    """
    prev = 0
    for i in range(vals.shape[0]):
        lm = lams[i]
        if lm > 0:
            x = xs[i]
            v = vals[i]
            d = v - prev
            if d:
                size = _size(abs(d))
                e = x - v
                best_v, best_j = v, e * e + lm * size
                sign = 1 if d > 0 else -1
                for s in (size - 1, size - 2):
                    if s < 0:
                        break
                    cand = prev + sign * ((1 << s) - 1)
                    e = x - cand
                    j = e * e + lm * s
                    if j < best_j:
                        best_v, best_j = cand, j
                vals[i] = best_v
        prev = vals[i]
    return vals
