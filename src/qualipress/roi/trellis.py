"""Trellis quantisation of ``jpeg-roi`` blocks: the JPEG Huffman trellis of :mod:`qualipress.codecs.jpegtrellis`
driven by the ROI encoder's own block map.

``jpeg-roi`` writes its own coefficients on one (fine) header grid, so it can choose every AC level by
``D + λ·R`` with the real baseline rate model (run/size symbols, ZRL, EOB) instead of the per-coefficient model of
:func:`qualipress.roi.encoder.rdo_quantise`:

* λ per block: the Lagrange multiplier of the block's level (:func:`qualipress.roi.encoder.rdo_lambda` of the ROI,
  ring or background quality; ROI blocks ``fine_rdo`` × theirs), times ``scale``;
* code lengths from the image's own symbol counts, luma apart from chroma (Cb and Cr share one Huffman table, as
  libjpeg assigns them), since ``jpeg-roi`` writes optimised Huffman tables; re-counted after each pass;
* distortion in squared DCT units (``weight = step²`` per zig-zag position), the units of the encoder's λ.

The trellis chooses each level among the rounded one, one less in magnitude, and zero. With ``dc=True`` the DC
levels are then chosen along each component's prediction chain (:func:`_dc_plane`: the encoder's choice — fine
rounding in the ROI, :func:`~qualipress.roi.encoder.rdo_dc` in the background — or either level around the
coefficient); otherwise they are left as the encoder chose them. The file stays baseline JPEG: only the integer
levels change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qualipress.codecs.jpegtrellis import ZIGZAG, ac_symbols, code_lengths, dc_symbols
from qualipress.errors import InputError

#: Trellis passes (the code lengths are re-estimated from the previous pass's levels before each). Two since
#: session 7: with the DC trellis, +0.03 / +0.04 / +0.04 dB ROI and +0.09 / +0.07 / +0.06 dB background at 0.5 / 0.8
#: / 1.0 bpp on the 9 COCO photos against one pass without it (``docs/roi.md`` §7, *Compiled trellis*).
PASSES = 2
#: Which blocks the trellis re-quantises: none, the ROI (header-quality) blocks, or every block.
SCOPES = ("off", "roi", "all")


@dataclass
class TrellisPlane:
    """One component as the trellis sees it.

    Attributes
    ----------
    coefs : numpy.ndarray
        float ``(R, C, 8, 8)`` unquantised DCT coefficients (natural order).
    levels : numpy.ndarray
        int ``(R, C, 8, 8)`` the encoder's first choice of levels (natural order); the start of the symbol counts
        and the values kept where the trellis does not run.
    table : numpy.ndarray
        ``(8, 8)`` header quantisation table of the component.
    lam : numpy.ndarray
        float ``(R, C)`` Lagrange multiplier of each block in squared DCT units per bit; blocks with ``lam < 0``
        keep their levels (they still count for the code lengths).
    group : int
        Huffman table the component is coded with (0 = luma, 1 = chroma).
    order : numpy.ndarray, optional
        Flat block indices in coding order (:func:`qualipress.roi.encoder.scan_order`, the DC prediction chain);
        needed for the DC trellis.
    """

    coefs: np.ndarray
    levels: np.ndarray
    table: np.ndarray
    lam: np.ndarray
    group: int
    order: np.ndarray | None = None


def _zigzag(blocks: np.ndarray) -> np.ndarray:
    """``(..., 8, 8)`` natural order → ``(n, 64)`` zig-zag order."""
    return blocks.reshape(-1, 64)[:, ZIGZAG]


def trellis_planes(planes: Sequence[TrellisPlane], passes: int = PASSES, dc: bool = False) -> list[np.ndarray]:
    """Trellis levels of every plane (natural order, the shape of ``levels``).

    Parameters
    ----------
    planes : sequence of TrellisPlane
        The image's components; planes with the same ``group`` share the code lengths.
    passes : int
        Trellis passes (≥ 1).
    dc : bool
        After the AC passes, also choose the DC levels (:func:`_dc_plane`); otherwise they are unchanged.

    Returns
    -------
    list of numpy.ndarray
        int32 levels per plane.
    """
    if passes < 1:
        raise InputError(f"trellis passes must be >= 1, got {passes}")
    zz = [_zigzag(p.levels).astype(np.int64) for p in planes]
    for _ in range(passes):
        for g in sorted({p.group for p in planes}):
            members = [i for i, p in enumerate(planes) if p.group == g]
            lengths = code_lengths(sum(ac_symbols(zz[i]) for i in members))
            for i in members:
                zz[i] = _one_plane(planes[i], zz[i], lengths)
    if dc:
        for g in sorted({p.group for p in planes}):
            members = [i for i, p in enumerate(planes) if p.group == g]
            lengths = code_lengths(sum(dc_symbols(zz[i][_order(planes[i]), 0]) for i in members))
            for i in members:
                zz[i][:, 0] = _dc_plane(planes[i], zz[i][:, 0], lengths)
    out = []
    for p, z in zip(planes, zz, strict=True):
        nat = np.empty_like(z)
        nat[:, ZIGZAG] = z
        out.append(nat.reshape(p.levels.shape).astype(np.int32))
    return out


def _one_plane(p: TrellisPlane, current: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """One trellis pass over the blocks of ``p`` with ``lam >= 0``.

    The trellis only moves a level by one or to zero, while the RDO that chose ``current`` may drop a size class;
    so each block keeps whichever of the two has the lower ``D + λ·R`` under the same code lengths (compiled:
    :func:`qualipress.codecs.trellis_kernels.trellis_keep_cheaper`).
    """
    from qualipress.codecs.trellis_kernels import trellis_keep_cheaper  # numba: imported on first use

    steps = p.table.reshape(-1)[ZIGZAG].astype(np.float64)
    coefs = np.ascontiguousarray(p.coefs, np.float64).reshape(-1, 64)  # a view of the encoder's DCT output
    lam = np.ascontiguousarray(p.lam, np.float64).reshape(-1)
    if lam.shape != (len(coefs),) or current.shape != (len(coefs), 64):  # the kernel does no bounds checks
        raise InputError(f"trellis plane: {len(coefs)} blocks of coefficients but λ {lam.shape} and levels "
                         f"{current.shape}")
    return trellis_keep_cheaper(coefs, ZIGZAG, steps, lam, np.ascontiguousarray(lengths, np.float64), current)


def _order(p: TrellisPlane) -> np.ndarray:
    if p.order is None:
        raise InputError("the DC trellis needs each plane's coding order")
    return p.order


def _dc_plane(p: TrellisPlane, current: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """DC levels of ``p`` by an exact search along its prediction chain (compiled:
    :func:`qualipress.codecs.trellis_kernels.dc_viterbi`).

    A block with ``lam > 0`` takes its current level (the fine rounding, or the background DC rule's choice), or one
    of the two levels around its coefficient, whichever minimises ``(c − level·step)² / lam`` plus the bits of the
    DPCM differences under the group's DC code lengths; the others keep their level and only predict.
    """
    from qualipress.codecs.trellis_kernels import dc_viterbi  # numba: imported on first use

    order = _order(p)
    step = float(p.table[0, 0])
    x = p.coefs[..., 0, 0].reshape(-1)[order].astype(np.float64)
    lam = p.lam.reshape(-1)[order].astype(np.float64)
    cur = current[order].astype(np.int64)
    lo = np.floor(x / step).astype(np.int64)
    cand = np.stack([cur, lo, lo + 1], axis=1)
    free = lam > 0
    cand[~free] = cur[~free, None]
    cost = np.zeros(cand.shape)
    cost[free] = (x[free, None] - cand[free] * step) ** 2 / lam[free, None]
    out = current.astype(np.int64)
    out[order] = dc_viterbi(cand, cost, np.ascontiguousarray(lengths, np.float64))
    return out
