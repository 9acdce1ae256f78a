"""JPEG trellis quantisation: the baseline Huffman rate model and the per-block ``D + λ·R`` search over levels.

Shared by the pixel-domain pre-edit (:mod:`qualipress.preprocess.rdoq`) and any encoder that chooses its own levels.
Coefficients are handled per 8×8 block in zig-zag order. :func:`trellis` chooses the AC levels of each block (the
DC, position 0, is only rounded there); :func:`dc_trellis` chooses the DC levels of one component along its coding
order, where they are DPCM-coded (the difference to the previous block's DC: a size-category symbol and its bits).
"""

from __future__ import annotations

import heapq

import numpy as np

from qualipress.errors import InputError

#: Natural (row-major) index of each zig-zag position 0..63 (ITU-T T.81 figure A.6).
ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
    21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60,
    61, 54, 47, 55, 62, 63,
])

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
    from qualipress.codecs.trellis_kernels import ac_counts  # numba: imported on first use

    return ac_counts(np.ascontiguousarray(levels, np.int64).reshape(-1, 64))


def code_lengths(counts: np.ndarray) -> np.ndarray:
    """Huffman code lengths (bits) estimated from symbol counts: ``-log2 p`` clipped to 1..16; an unseen symbol
    costs as much as one seen half a time."""
    total = max(float(counts.sum()), 1.0)
    p = np.maximum(counts.astype(np.float64), 0.5) / total
    return np.clip(-np.log2(p), 1.0, 16.0)


def huffman_lengths(counts: np.ndarray) -> np.ndarray:
    """Code lengths of the optimal Huffman table libjpeg builds from symbol ``counts`` (``jpeg_gen_optimal_table``:
    one reserved all-ones code, lengths limited to 16 by moving symbols up from the longest lengths); an unseen
    symbol costs what :func:`code_lengths` gives it (the table would have to grow).

    Parameters
    ----------
    counts : numpy.ndarray
        (n,) symbol counts.

    Returns
    -------
    numpy.ndarray
        (n,) float code lengths in bits.
    """
    counts = np.asarray(counts, np.int64)
    out = code_lengths(counts).astype(np.float64)
    seen = np.flatnonzero(counts > 0)
    if seen.size == 0:
        return out
    # Huffman over the seen symbols plus one reserved symbol of count 1 (index -1)
    heap: list[tuple[int, int, list[int]]] = [(int(counts[s]), int(s), [int(s)]) for s in seen]
    heap.append((1, -1, [-1]))
    heapq.heapify(heap)
    depth: dict[int, int] = {int(s): 0 for s in seen}
    depth[-1] = 0
    while len(heap) > 1:  # never a single node: the reserved symbol makes at least two
        c1, t1, m1 = heapq.heappop(heap)
        c2, t2, m2 = heapq.heappop(heap)
        for sym in m1 + m2:
            depth[sym] += 1
        heapq.heappush(heap, (c1 + c2, min(t1, t2), m1 + m2))
    # limit to 16 bits as libjpeg does, on the histogram of lengths
    bits = np.zeros(max(max(depth.values()), 16) + 1, np.int64)
    for d in depth.values():
        bits[d] += 1
    i = len(bits) - 1
    while i > 16:
        while bits[i] > 0:
            j = i - 2
            while bits[j] == 0:
                j -= 1
            bits[i] -= 2
            bits[i - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
        i -= 1
    # the reserved code takes one of the longest; the rest go to the symbols by decreasing count
    i = 16
    while bits[i] == 0:
        i -= 1
    bits[i] -= 1
    ranked = seen[np.argsort(-counts[seen], kind="stable")]
    lengths = np.repeat(np.arange(len(bits)), bits)[: len(ranked)]
    out[ranked] = lengths
    return out


def trellis(u: np.ndarray, weight: np.ndarray, lam: float, lengths: np.ndarray, zero: float = 0.5) -> np.ndarray:
    """Per block, the AC levels that minimise ``Σ weight·(|u| − level)² + lam·bits``.

    Exact dynamic programme per block over the positions of its non-zero rounded AC levels, compiled
    (:func:`qualipress.codecs.trellis_kernels.trellis_rows`; numba is imported on the first call).

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
    from qualipress.codecs.trellis_kernels import trellis_rows  # numba: imported on first use

    u = np.ascontiguousarray(u, np.float64).reshape(-1, 64)
    w = np.ascontiguousarray(weight, np.float64).reshape(-1, 64)
    if len(w) not in (1, len(u)):
        raise InputError(f"trellis weights: one row of 64 or one per block ({len(u)}), got {len(w)} rows")
    lengths = np.ascontiguousarray(lengths, np.float64)
    return trellis_rows(u, w, np.array([float(lam)]), lengths, float(zero))


#: DC difference size categories of baseline 8-bit JPEG are 0..11; counts and code lengths are kept for 16.
DC_SYMBOLS = 16


def dc_symbols(dc: np.ndarray) -> np.ndarray:
    """Counts of the DC Huffman symbols (size categories of the DPCM differences) of one component.

    Parameters
    ----------
    dc : numpy.ndarray
        (n,) integer DC levels in coding order; the predictor starts at 0 (no restart markers).

    Returns
    -------
    numpy.ndarray
        (:data:`DC_SYMBOLS`,) int64 counts.
    """
    dc = np.asarray(dc, np.int64)
    diff = np.diff(dc, prepend=0)
    return np.bincount(bit_length(np.abs(diff)), minlength=DC_SYMBOLS)[:DC_SYMBOLS]


def dc_trellis(u: np.ndarray, weight: np.ndarray | float, lam: float, lengths: np.ndarray) -> np.ndarray:
    """DC levels of one component that minimise ``Σ weight·(u − level)² + lam·bits`` along its coding order.

    Every block may take either of the two levels nearest to its ``u`` (``floor(u)`` or ``floor(u) + 1``; the
    rounded one is among them); the bits are those of the DPCM difference to the previous block's level (its
    size-category code from ``lengths`` plus ``size`` magnitude bits; the first block is predicted from 0). Exact
    Viterbi search over the sequence, by the compiled kernel the ROI encoder's DC choice uses
    (:func:`qualipress.codecs.trellis_kernels.dc_viterbi` with the two levels as candidates; numba is imported on
    the first call).

    Parameters
    ----------
    u : numpy.ndarray
        (n,) DC coefficients divided by their quantisation step, in coding order.
    weight : numpy.ndarray or float
        Distortion per squared step unit, (n,) per block or one value.
    lam : float
        Price of one bit in distortion units.
    lengths : numpy.ndarray
        (:data:`DC_SYMBOLS`,) code length of every DC size category (:func:`code_lengths` of :func:`dc_symbols`).

    Returns
    -------
    numpy.ndarray
        (n,) int64 levels.
    """
    from qualipress.codecs.trellis_kernels import dc_viterbi  # numba: imported on first use

    u = np.asarray(u, np.float64)
    n = len(u)
    lengths = np.ascontiguousarray(lengths, np.float64)
    if len(lengths) < DC_SYMBOLS:  # the kernel does no bounds checks
        raise InputError(f"dc_trellis needs {DC_SYMBOLS} DC code lengths, got {len(lengths)}")
    lo = np.floor(u).astype(np.int64)
    w = np.broadcast_to(np.asarray(weight, np.float64), (n,))
    cost = np.stack([w * (u - lo) ** 2, w * (lo + 1 - u) ** 2], axis=1)
    return dc_viterbi(np.stack([lo, lo + 1], axis=1), cost, lengths[:DC_SYMBOLS], float(lam))
