"""JPEG trellis quantisation: the baseline Huffman rate model and the per-block ``D + λ·R`` search over levels.

Shared by the pixel-domain pre-edit (:mod:`qualipress.preprocess.rdoq`) and any encoder that chooses its own levels.
Coefficients are handled per 8×8 block in zig-zag order; the DC (position 0) is only rounded.
"""

from __future__ import annotations

import numpy as np

#: Natural (row-major) index of each zig-zag position 0..63 (ITU-T T.81 figure A.6).
ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
    21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60,
    61, 54, 47, 55, 62, 63,
])

#: Blocks handled per trellis call (blocks are sorted by their number of non-zero levels first).
_CHUNK = 2048


def bit_length(a: np.ndarray) -> np.ndarray:
    """Size category of non-negative integer magnitudes (0 for 0)."""
    return np.frexp(a.astype(np.float64))[1].astype(np.int64)


def ac_symbols(levels: np.ndarray) -> np.ndarray:
    """Counts of the 256 baseline AC Huffman symbols (``run << 4 | size``; ``0x00`` = EOB, ``0xF0`` = ZRL).

    Parameters
    ----------
    levels : numpy.ndarray
        (n, 64) integer levels in zig-zag order (position 0, the DC, is ignored).

    Returns
    -------
    numpy.ndarray
        (256,) int64 counts.
    """
    ac = levels[:, 1:]
    nz = ac != 0
    b, k = np.nonzero(nz)  # row-major: blocks in order, positions increasing within a block
    k = k + 1
    prev = np.zeros_like(k)
    same = np.zeros(len(b), bool)
    same[1:] = b[1:] == b[:-1]  # not the first non-zero level of its block
    prev[same] = k[np.nonzero(same)[0] - 1]
    run = k - prev - 1
    size = bit_length(np.abs(ac[nz]))
    counts = np.bincount(((run & 15) << 4) | size, minlength=256)
    counts[0xF0] += int((run >> 4).sum())
    last = np.zeros(len(levels), np.int64)
    last[b] = k  # the last write per block wins (positions increase)
    counts[0x00] += int((last < 63).sum())
    return counts


def code_lengths(counts: np.ndarray) -> np.ndarray:
    """Huffman code lengths (bits) estimated from symbol counts: ``-log2 p`` clipped to 1..16; an unseen symbol
    costs as much as one seen half a time."""
    total = max(float(counts.sum()), 1.0)
    p = np.maximum(counts.astype(np.float64), 0.5) / total
    return np.clip(-np.log2(p), 1.0, 16.0)


def trellis(u: np.ndarray, weight: np.ndarray, lam: float, lengths: np.ndarray, zero: float = 0.5) -> np.ndarray:
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
    for start in range(0, n, _CHUNK):
        idx = order[start:start + _CHUNK]
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
    for i in range(m):
        run = pos[:, i:i + 1] - spos[:, :i + 1] - 1
        base = best[:, :i + 1] + (z_before[:, i:i + 1] - zs[:, :i + 1]) + zrl * (run >> 4)
        r4 = (run & 15) << 4
        c1 = base + lengths_lam[r4 | s1[:, i:i + 1]]
        j1 = np.argmin(c1, axis=1)
        t1 = c1[np.arange(n), j1] + bits1[:, i] + dist1[:, i]
        c2 = base + lengths_lam[r4 | s2[:, i:i + 1]]
        j2 = np.argmin(c2, axis=1)
        t2 = np.where(a2[:, i] > 0, c2[np.arange(n), j2] + bits2[:, i] + dist2[:, i], np.inf)
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
