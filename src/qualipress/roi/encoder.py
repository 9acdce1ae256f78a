"""ROI JPEG encoder: our own colour transform, DCT and per-block quantisation, written as baseline JPEG.

How a JPEG with two (or more) fidelities stays standard
-------------------------------------------------------
A baseline JPEG carries one quantisation table per component. The table in the header is the **fine** table
(the highest quality in use); ROI blocks are rounded with it. Background blocks must be written on that same
fine grid, so they cannot be cheap the way a real coarse table is: a non-zero value costs its magnitude bits
on the fine grid. Two ways to quantise them are implemented:

* ``"rdo"`` (default): rate-distortion optimised choice per coefficient on the fine grid (keep, shrink to a
  smaller JPEG size class, or zero), with a Lagrange multiplier from the background quality. It is the
  spatially varying dead-zone idea (jpegli, guetzli) pushed to an explicit rate model.
* ``"multiples"``: the coarse table's step ``M[k] * Qfine[k]``, ``M[k] = max(1, round(Qcoarse[k] / Qfine[k]))``,
  written as ``round(c / (M Qfine)) * M``: every decoder reconstructs the coarse value exactly, but each
  non-zero value pays about ``log2(M)`` extra bits (measured: +44..56% bytes on kodim23 for a q30..40
  background under a q90 header); an optional dead-zone zeroes more small coefficients.

Entropy coding and file writing are done by libjpeg-turbo through ``jpeglib.write_dct`` with optimised
Huffman tables (``+OPTIMIZE_CODING``), baseline, JFIF APP0 only.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qualipress.errors import CodecError, CodecUnavailableError, InputError
from qualipress.io.jpegtables import ANNEX_K_CHROMA, ANNEX_K_LUMA, RGB_TO_YCBCR, dct_matrix, ijg_table
from qualipress.roi.trellis import PASSES, SCOPES, TrellisPlane, trellis_planes

#: ITU-T T.81 Annex K luminance and chrominance tables (natural order), as used by IJG libjpeg.
STD_LUMA, STD_CHROMA = ANNEX_K_LUMA, ANNEX_K_CHROMA

#: Chroma subsampling → (horizontal, vertical) luma samples per chroma sample.
SUBSAMPLING: dict[str, tuple[int, int]] = {"444": (1, 1), "422": (2, 1), "420": (2, 2)}


def quality_table(base: np.ndarray, quality: float) -> np.ndarray:
    """IJG quality scaling of a base table (``jpeg_quality_scaling``), clamped to 1..255 for baseline; an integer
    quality gives libjpeg's table (its integer scale below quality 50)."""
    return ijg_table(base, quality, libjpeg=True).astype(np.int32)


def flattened(base: np.ndarray, flatness: float) -> np.ndarray:
    """A base table moved geometrically toward its DC step: ``base**(1 - f) * base[0, 0]**f``.

    ``f = 0`` is the table itself (Annex K); ``f = 1`` is flat at the DC step. Flatter tables quantise high
    frequencies more finely than Annex K's visually weighted steps, and at a given quality they cost more bits;
    compared at equal file size they give higher PSNR (measured in ``docs/roi.md`` §7). The DC step, and with it
    the RDO multipliers (:func:`rdo_lambda`), is unchanged.
    """
    f = float(flatness)
    if not 0.0 <= f <= 1.0:
        raise InputError(f"table flatness must be in [0, 1], got {flatness}")
    if f == 0.0:
        return base
    return base ** (1.0 - f) * float(base[0, 0]) ** f


_D = dct_matrix()


def blockify(plane: np.ndarray) -> np.ndarray:
    """``(8R, 8C)`` plane → ``(R, C, 8, 8)`` blocks."""
    r, c = plane.shape[0] // 8, plane.shape[1] // 8
    return plane.reshape(r, 8, c, 8).swapaxes(1, 2)


def fdct(blocks: np.ndarray) -> np.ndarray:
    """Orthonormal 8×8 DCT-II of level-shifted samples (= the JPEG FDCT scaling)."""
    return _D @ blocks @ _D.T


_YCC = RGB_TO_YCBCR.astype(np.float32)
#: Squared RGB error (mean over R, G, B) of a unit error in Cb and in Cr, relative to a unit error in Y (= 1).
CHROMA_RGB_WEIGHT = tuple(float(w) for w in (np.linalg.inv(RGB_TO_YCBCR) ** 2).sum(axis=0)[1:] / 3.0)


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """JFIF (full-range BT.601) RGB → YCbCr, float32 ``(H, W, 3)``."""
    import cv2

    m = np.hstack([_YCC, np.array([[0.0], [128.0], [128.0]], np.float32)])
    return cv2.transform(np.ascontiguousarray(rgb, dtype=np.float32), m)


def upsample_fancy(plane: np.ndarray, sx: int, sy: int) -> np.ndarray:
    """libjpeg's "fancy" chroma upsampling: ×2 along each subsampled axis with the triangle filter (each output
    sample ¾ of its own chroma sample and ¼ of the next one on its side, the edge sample repeated), float32.

    OpenCV's bilinear resize by exactly 2 with pixel-centre alignment is that filter.
    """
    import cv2

    c = np.ascontiguousarray(plane, np.float32)
    return cv2.resize(c, (c.shape[1] * sx, c.shape[0] * sy), interpolation=cv2.INTER_LINEAR)


def _upsample_adjoint(resid: np.ndarray, sx: int, sy: int) -> np.ndarray:
    """Transpose of :func:`upsample_fancy`: per subsampled axis the correlation with ``[1, 3, 3, 1] / 4`` (edge
    samples repeated, which is what the repeated edge of the upsampling transposes to), every second sample."""
    import cv2

    k2, k1 = np.array([0.25, 0.75, 0.75, 0.25], np.float32), np.array([1.0], np.float32)
    r = np.ascontiguousarray(resid, np.float32)
    g = cv2.sepFilter2D(r, cv2.CV_32F, k2 if sx == 2 else k1, k2 if sy == 2 else k1,
                        borderType=cv2.BORDER_REPLICATE)
    return g[slice(1, None, 2) if sy == 2 else slice(None), slice(1, None, 2) if sx == 2 else slice(None)]


#: Default passes of :func:`subsample_chroma` fitting the chroma to the decoder's upsampling (0 = the plain box
#: mean of libjpeg's encoder). 2 chosen on the 9 COCO development photos (issue 14, session 9): +0.03 / +0.02 /
#: +0.02 dB ROI PSNR at 0.5 / 0.8 / 1.0 bpp, never lower on a photo (``docs/roi.md`` §7 *Finding the missed
#: people*).
CHROMA_FIT = 2


def subsample_chroma(plane: np.ndarray, sx: int, sy: int, fit: int = CHROMA_FIT) -> np.ndarray:
    """A chroma plane (sides multiples of ``sy``, ``sx``) reduced by ``sx`` × ``sy``.

    The box mean, then ``fit`` steps of gradient descent on ``‖upsample(c) − plane‖²`` with the decoder's
    upsampling (:func:`upsample_fancy`, step ``1 / ‖U‖²`` so the error never grows), toward the chroma samples
    whose libjpeg-turbo (and browser) reconstruction is closest to the full-resolution plane, rather than the box
    mean's triangle-filtered blur. Values are kept in 0..255.
    """
    c = plane.reshape(plane.shape[0] // sy, sy, plane.shape[1] // sx, sx).mean(axis=(1, 3))
    if sx > 2 or sy > 2 or not fit:  # only libjpeg's 2× fancy upsampling is modelled
        return c
    step = 1.0 / (sx * sy)  # the largest eigenvalue of UᵀU: 2 per subsampled axis (a flat plane)
    plane = np.asarray(plane, np.float32)
    for _ in range(int(fit)):
        resid = plane - upsample_fancy(c, sx, sy)
        c = np.clip(c + step * _upsample_adjoint(resid, sx, sy), 0.0, 255.0)
    return c.astype(np.float64)


@dataclass
class EncodeStats:
    """What the encoder did, for reports and the timing benchmark."""

    roi_blocks: int = 0
    total_blocks: int = 0
    levels: dict[int, float] = field(default_factory=dict)
    header_quality: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def roi_fraction(self) -> float:
        return self.roi_blocks / self.total_blocks if self.total_blocks else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "roi_blocks": self.roi_blocks,
            "total_blocks": self.total_blocks,
            "roi_fraction": round(self.roi_fraction, 4),
            "levels": {str(k): v for k, v in sorted(self.levels.items())},
            "header_quality": self.header_quality,
            "seconds": {k: round(v, 4) for k, v in self.seconds.items()},
        }


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def mcu_size(subsampling: str, n_channels: int) -> tuple[int, int]:
    """MCU ``(height, width)`` in pixels for a subsampling mode (8×8 for greyscale)."""
    if n_channels == 1:
        return 8, 8
    if subsampling not in SUBSAMPLING:
        raise InputError(f"subsampling must be one of {', '.join(SUBSAMPLING)}, got {subsampling!r}")
    sx, sy = SUBSAMPLING[subsampling]
    return 8 * sy, 8 * sx


#: Lagrange multiplier per IJG quality for RDO background blocks: ``RDO_ALPHA * Qdc(q)**2`` (squared DCT units
#: per bit). Calibrated on kodim23 so that a background at quality q gets about the PSNR of a plain JPEG at q.
RDO_ALPHA = 0.15
#: Estimated Huffman symbol cost (bits) of a non-zero AC coefficient, on top of its magnitude bits: the
#: encoder's default (``RDO_ALPHA`` was calibrated with it). The ``jpeg-roi`` codec passes its profile's
#: ``rdo_bits`` instead (2: measured better at equal size on annotated people, ``docs/roi.md`` §7).
RDO_SYMBOL_BITS = 4.0


def rdo_lambda(quality: float) -> float:
    """Lagrange multiplier of an RDO level of IJG quality ``quality``."""
    return RDO_ALPHA * float(quality_table(STD_LUMA, quality)[0, 0]) ** 2


def rdo_quantise(
    coefs: np.ndarray, fine: np.ndarray, lam: float, symbol_bits: float = RDO_SYMBOL_BITS
) -> np.ndarray:
    """Rate-distortion optimised quantisation on the fine grid (values are NOT restricted to multiples).

    For every AC coefficient the value minimising ``(c - v * fine)**2 + lam * bits(v)`` is chosen among 0,
    ``v0 = round(|c| / fine)`` and the largest magnitudes of the two JPEG size classes below ``v0``'s
    (``bits(v) = size(v) + symbol_bits``, ``bits(0) = 0``); lower classes never win because the
    distortion grows faster than the bits saved. DC keeps the fine rounding. Coefficients are treated
    independently (run lengths are not modelled).
    """
    shape = coefs.shape
    flat = coefs.reshape(-1, 64)
    f = np.broadcast_to(fine.reshape(1, 64), flat.shape)
    v0 = np.rint(np.abs(flat) / f)
    out = np.zeros(flat.shape, np.int32)
    nz = v0 >= 1
    nz[:, 0] = False
    if nz.any():
        a = (np.abs(flat[nz]) / f[nz]).astype(np.float64)
        fz = f[nz].astype(np.float64)
        v = v0[nz]
        size = np.floor(np.log2(v)) + 1
        best = v.copy()
        best_j = ((a - v) * fz) ** 2 + lam * (size + symbol_bits)
        j0 = (a * fz) ** 2
        for drop in (1, 2):
            cand = np.exp2(size - drop) - 1
            ok = cand >= 1
            j = ((a - cand) * fz) ** 2 + lam * (size - drop + symbol_bits)
            better = ok & (j < best_j)
            best = np.where(better, cand, best)
            best_j = np.where(better, j, best_j)
        best = np.where(j0 <= best_j, 0, best)
        out[nz] = (np.sign(flat[nz]) * best).astype(np.int32)
    out[:, 0] = np.rint(flat[:, 0] / fine[0, 0]).astype(np.int32)
    return out.reshape(shape)


def scan_order(grid: tuple[int, int], blocks_per_mcu: tuple[int, int]) -> np.ndarray:
    """Flat indices of a component's ``(R, C)`` block grid in the order an interleaved baseline scan codes them
    (MCU by MCU in raster order, ``fy × fx`` blocks inside each MCU), which is the order of DC prediction."""
    r, c = grid
    fy, fx = blocks_per_mcu
    idx = np.arange(r * c).reshape(r // fy, fy, c // fx, fx)
    return idx.transpose(0, 2, 1, 3).ravel()


def rdo_dc(values: np.ndarray, coefs: np.ndarray, step: float, lam: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Rate-distortion choice of the DC values of the blocks with ``lam > 0``, along the DC prediction chain.

    JPEG codes each DC as the difference to the previous block's DC: its cost is the difference's size class
    (plus a Huffman code that depends on that class). On the fine header grid a coarse background still pays
    for every small DC step; here each such block takes, greedily in scan order, the value among ``round(c /
    step)``, the previous DC (difference 0) and the largest differences of the two size classes below that
    minimises ``(c - v * step)**2 + lam * size(v - previous)``. Blocks with ``lam == 0`` keep their value and
    only serve as predictors.

    Parameters
    ----------
    values : numpy.ndarray
        int ``(N,)`` DC values (fine rounding), in block order.
    coefs : numpy.ndarray
        float ``(N,)`` unquantised DC coefficients.
    step : float
        The header table's DC step.
    lam : numpy.ndarray
        float ``(N,)`` Lagrange multiplier per block (0 = keep).
    order : numpy.ndarray
        Scan order (:func:`scan_order`).
    """
    from qualipress.codecs.trellis_kernels import dc_chain  # numba: imported on first use

    out = np.asarray(values, np.int64).copy()
    vals = np.ascontiguousarray(out[order])
    xs = np.asarray(coefs, np.float64)[order] / step
    lams = np.asarray(lam, np.float64)[order] / (step * step)  # in units of step**2 per bit
    vals = dc_chain(vals, xs, lams)
    out[order] = vals
    return out


def _quantise(
    coefs: np.ndarray,
    fine: np.ndarray,
    level_of_block: np.ndarray,
    tables: dict[int, np.ndarray],
    deadzone: float,
    cutoff: dict[int, int] | None = None,
    lambdas: dict[int, float] | None = None,
    fine_rdo: set[int] | None = None,
    symbol_bits: float = RDO_SYMBOL_BITS,
) -> np.ndarray:
    """Quantise ``(R, C, 8, 8)`` coefficients per level: plain rounding with the level's table where it is
    the header (fine) table; otherwise RDO on the fine grid when ``lambdas`` has the level, else exact
    multiples of the fine table (optionally with a dead-zone)."""
    out = np.empty(coefs.shape, dtype=np.int32)
    for level, table in tables.items():
        sel = level_of_block == level
        if not sel.any():
            continue
        mult = np.maximum(1, np.rint(table / fine)).astype(np.int32)
        lam = (lambdas or {}).get(level)
        if lam is not None and ((mult > 1).any() or level in (fine_rdo or ())):
            q = rdo_quantise(coefs[sel], fine, lam, symbol_bits).astype(np.float64)
            mult = np.ones_like(mult)
        else:
            step = mult * fine
            x = coefs[sel] / step
            q = np.rint(x)
            if deadzone > 0.5 and (mult > 1).any():
                # zero the small coefficients of coarse blocks (not DC)
                small = np.abs(x) < deadzone
                small[..., 0, 0] = False
                q[small] = 0
        keep = (cutoff or {}).get(level, 8)
        if keep < 8:
            # low-pass: only the keep x keep lowest frequencies survive (chroma detail reduced)
            q[..., keep:, :] = 0
            q[..., :, keep:] = 0
        out[sel] = q.astype(np.int32) * mult
    return _baseline_limits(out)


def _baseline_limits(levels: np.ndarray) -> np.ndarray:
    """Clip ``(..., 8, 8)`` integer levels in place to what baseline JPEG codes: DC within 11 bits, AC within 10.

    Returns ``levels``.
    """
    dc = np.clip(levels[..., 0, 0], -2047, 2047)
    np.clip(levels, -1023, 1023, out=levels)
    levels[..., 0, 0] = dc
    return levels


def encode_blocks(
    pixels: np.ndarray,
    block_levels: np.ndarray,
    qualities: dict[int, float],
    *,
    subsampling: str = "420",
    deadzone: float = 0.5,
    chroma_qualities: dict[int, float] | None = None,
    chroma_cutoff: dict[int, int] | None = None,
    mode: str = "rdo",
    fine_rdo: float = 0.0,
    dc_rdo: float = 0.0,
    optimize: bool = True,
    table_flatness: float = 0.0,
    symbol_bits: float = RDO_SYMBOL_BITS,
    trellis: str = "off",
    trellis_scale: float = 1.0,
    trellis_rgb: bool = False,
    trellis_passes: int = PASSES,
    trellis_dc: bool = False,
    bg_chroma_lambda: float = 1.0,
    chroma_fit: int = CHROMA_FIT,
) -> tuple[bytes, EncodeStats]:
    """Encode an 8-bit image with a quality level per MCU.

    Parameters
    ----------
    pixels : numpy.ndarray
        uint8 ``(H, W, 1)`` or ``(H, W, 3)`` RGB.
    block_levels : numpy.ndarray
        int ``(ceil(H / mcu_h), ceil(W / mcu_w))``: level of each MCU (see :func:`mcu_size`).
    qualities : dict of int to float
        IJG quality (1..100) of each level used in ``block_levels``.
    subsampling : str
        ``"420"`` (default), ``"422"`` or ``"444"``; ignored for greyscale.
    deadzone : float
        Rounding threshold for coarse blocks: 0.5 is plain rounding; e.g. 0.65 zeroes more small AC
        coefficients in the background.
    chroma_qualities : dict of int to float, optional
        Per-level quality of the chroma tables (default: the same as ``qualities``).
    chroma_cutoff : dict of int to int, optional
        Per-level number of chroma DCT frequencies kept per axis (8 = all; 4 ≈ half the chroma resolution,
        like 4:2:0 but only in those blocks).
    mode : str
        How blocks coarser than the header table are quantised: ``"rdo"`` (default; :func:`rdo_quantise`
        with :func:`rdo_lambda` of the level's quality) or ``"multiples"`` (exact multiples of the fine table
        approximating the level's table, optionally with ``deadzone``).
    fine_rdo : float
        When > 0, blocks at the header quality are RDO-quantised too, with ``fine_rdo * rdo_lambda(q)``
        (a light trellis-like saving; 0 = plain rounding).
    dc_rdo : float
        With ``mode="rdo"``, background DC values are chosen by :func:`rdo_dc` with ``dc_rdo`` times their
        level's multiplier (0 = fine rounding, the DC precision of the ROI).
    optimize : bool
        Optimised Huffman tables (two passes in libjpeg).
    table_flatness : float
        Base tables :func:`flattened` by this much before IJG quality scaling (0 = Annex K, libjpeg's tables).
    symbol_bits : float
        Rate model of :func:`rdo_quantise`: bits a non-zero AC coefficient costs on top of its magnitude bits.
    trellis : str
        ``"off"`` (default), ``"roi"`` or ``"all"``: after the quantisation above, the AC levels of the ROI
        (header-quality) blocks, or of every block with an RDO multiplier, are chosen again by the JPEG Huffman
        trellis (:mod:`qualipress.roi.trellis`) with the block's multiplier × ``trellis_scale``.
    trellis_scale : float
        Factor on the RDO multipliers for the trellis.
    trellis_passes : int
        Trellis passes (:func:`qualipress.roi.trellis.trellis_planes`).
    bg_chroma_lambda : float
        Factor on the trellis multiplier of the background's chroma blocks (level 0; 1 = the background's own).
    trellis_dc : bool
        With the trellis on, also choose the DC levels of its blocks along each component's prediction chain
        (exact search with the image's DC code lengths; :func:`qualipress.roi.trellis.trellis_planes`).
    trellis_rgb : bool
        Weigh the trellis's chroma distortion by what it costs in RGB squared error (:data:`CHROMA_RGB_WEIGHT`
        times the luma samples a chroma sample covers): chroma multipliers divided by that weight.
    chroma_fit : int
        Back-projection passes of the chroma subsampling (:func:`subsample_chroma`; 0 = box mean).
    """
    try:
        import jpeglib
    except ImportError as exc:  # pragma: no cover - part of the roi extra
        raise CodecUnavailableError("jpeg-roi needs jpeglib: pip install 'qualipress[roi]'") from exc
    t0 = time.perf_counter()
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in (1, 3):
        raise InputError(f"encoder needs uint8 (H, W, 1|3) pixels, got {pixels.dtype} {pixels.shape}")
    h, w, nc = pixels.shape
    mh, mw = mcu_size(subsampling, nc)
    rows, cols = -(-h // mh), -(-w // mw)
    if block_levels.shape != (rows, cols):
        raise InputError(f"block map is {block_levels.shape}, the MCU grid is {(rows, cols)}")
    missing = set(np.unique(block_levels).tolist()) - set(qualities)
    if missing:
        raise InputError(f"no quality for block level(s) {sorted(missing)}")
    used = sorted(set(np.unique(block_levels).tolist()))
    tabs = _LevelTables(qualities, dict(chroma_qualities or qualities), used, table_flatness, mode, fine_rdo)

    if trellis not in SCOPES:
        raise InputError(f"trellis must be one of {', '.join(SCOPES)}, got {trellis!r}")
    if not trellis_scale > 0:
        raise InputError(f"trellis_scale must be > 0, got {trellis_scale}")
    comps = _components(pixels, block_levels, tabs, subsampling, deadzone=deadzone, chroma_cutoff=chroma_cutoff,
                        mode=mode, fine_rdo=fine_rdo, dc_rdo=dc_rdo, symbol_bits=symbol_bits,
                        trellis=(trellis, float(trellis_scale)), trellis_rgb=bool(trellis_rgb),
                        trellis_passes=int(trellis_passes), trellis_dc=bool(trellis_dc),
                        bg_chroma_lambda=float(bg_chroma_lambda), chroma_fit=int(chroma_fit))
    t1 = time.perf_counter()
    data = _write_dct(jpeglib, comps, tabs.fine, (h, w, nc), subsampling, optimize)
    t2 = time.perf_counter()
    roi = int((block_levels > 0).sum())
    stats = EncodeStats(
        roi_blocks=roi,
        total_blocks=int(block_levels.size),
        levels={int(lv): float(qualities[lv]) for lv in used},
        header_quality=float(tabs.header_q),
        seconds={"dct_quant": t1 - t0, "entropy_write": t2 - t1},
    )
    return data, stats


class _LevelTables:
    """Quantisation tables and RDO multipliers of the block levels used by one encode.

    ``fine`` holds the header (luma, chroma) tables (the finest level's), ``luma`` / ``chroma`` each level's
    tables, ``lambdas`` the RDO multipliers and ``fine_levels`` the levels at the header quality.
    """

    def __init__(self, qualities: dict[int, float], cq: dict[int, float], used: list[int], table_flatness: float,
                 mode: str, fine_rdo: float) -> None:
        self.used = used
        self.header_q = max(qualities[lv] for lv in used)
        header_cq = max(cq[lv] for lv in used)
        base_luma, base_chroma = flattened(STD_LUMA, table_flatness), flattened(STD_CHROMA, table_flatness)
        self.fine = [quality_table(base_luma, self.header_q), quality_table(base_chroma, header_cq)]
        if mode not in ("rdo", "multiples"):
            raise InputError(f"mode must be 'rdo' or 'multiples', got {mode!r}")
        self.luma = {lv: quality_table(base_luma, qualities[lv]) for lv in used}
        self.lambdas = {lv: rdo_lambda(qualities[lv]) for lv in used} if mode == "rdo" else {}
        self.fine_levels = {lv for lv in used if qualities[lv] == self.header_q}
        if fine_rdo > 0:
            self.lambdas.update({lv: fine_rdo * rdo_lambda(qualities[lv]) for lv in self.fine_levels})
        self.chroma = {lv: quality_table(base_chroma, cq[lv]) for lv in used}


def _components(pixels: np.ndarray, block_levels: np.ndarray, tabs: _LevelTables, subsampling: str, *,
                deadzone: float, chroma_cutoff: dict[int, int] | None, mode: str, fine_rdo: float, dc_rdo: float,
                symbol_bits: float, trellis: tuple[str, float] = ("off", 1.0),
                trellis_rgb: bool = False, trellis_passes: int = PASSES,
                trellis_dc: bool = False, bg_chroma_lambda: float = 1.0,
                chroma_fit: int = CHROMA_FIT) -> list[np.ndarray]:
    """Quantised DCT blocks of each component (Y, or Y Cb Cr subsampled), cropped to libjpeg's block counts."""
    h, w, nc = pixels.shape
    mh, mw = mcu_size(subsampling, nc)
    rows, cols = block_levels.shape
    # pad to whole MCUs by edge replication
    padded = np.pad(pixels, ((0, rows * mh - h), (0, cols * mw - w), (0, 0)), mode="edge")
    planes = [padded[..., 0].astype(np.float64)] if nc == 1 else list(np.moveaxis(rgb_to_ycbcr(padded), -1, 0))
    comps: list[np.ndarray] = []
    tplanes: list[TrellisPlane] = []
    for ci, plane in enumerate(planes):
        if ci == 0:
            fy, fx = mh // 8, mw // 8  # luma blocks per MCU
            tables, table0 = tabs.luma, tabs.fine[0]
        else:
            sx, sy = SUBSAMPLING[subsampling]
            if sx > 1 or sy > 1:
                plane = subsample_chroma(plane, sx, sy, chroma_fit)
            fy, fx = 1, 1
            tables, table0 = tabs.chroma, tabs.fine[1]
        levels = np.repeat(np.repeat(block_levels, fy, axis=0), fx, axis=1)
        cutoff = chroma_cutoff if ci > 0 else None
        # what a unit error of this plane's samples costs in RGB squared error, relative to luma
        rgb_w = CHROMA_RGB_WEIGHT[ci - 1] * np.prod(SUBSAMPLING[subsampling]) if ci > 0 else 1.0
        q, coefs = _quantise_plane(plane, table0, levels, tables, tabs, (fy, fx), deadzone, cutoff, mode, fine_rdo,
                                   dc_rdo, symbol_bits)
        if trellis[0] != "off":
            lam = _trellis_lambdas(levels, tabs, trellis, cutoff)
            if trellis_rgb:
                lam = np.where(lam >= 0, lam / rgb_w, lam)
            if ci > 0 and bg_chroma_lambda != 1.0 and len(tabs.used) > 1:
                lam = np.where((levels == 0) & (lam >= 0), lam * bg_chroma_lambda, lam)
            tplanes.append(TrellisPlane(coefs, q, table0, lam, int(ci > 0), scan_order(levels.shape, (fy, fx))))
        comps.append(q)
    if tplanes and any((p.lam >= 0).any() for p in tplanes):
        comps = [_baseline_limits(q) for q in trellis_planes(tplanes, trellis_passes, trellis_dc)]
    out: list[np.ndarray] = []
    for ci, q in enumerate(comps):
        # libjpeg wants the component's real block count: ceil(samples / 8), not the MCU-padded count
        if ci == 0:
            need_r, need_c = _ceil(h, 8), _ceil(w, 8)
        else:
            sx, sy = SUBSAMPLING[subsampling]
            need_r, need_c = _ceil(_ceil(h, sy), 8), _ceil(_ceil(w, sx), 8)
        out.append(np.ascontiguousarray(q[:need_r, :need_c].astype(np.int16)))
    return out


def _trellis_lambdas(levels: np.ndarray, tabs: _LevelTables, trellis: tuple[str, float],
                     cutoff: dict[int, int] | None) -> np.ndarray:
    """Trellis multiplier of each block of a plane (``-1``: keep the quantiser's levels): ROI (header-quality)
    blocks with scope ``"roi"``, every block that has an RDO multiplier with ``"all"``; never the low-passed
    background chroma blocks."""
    scope, scale = trellis
    lam = np.full(levels.shape, -1.0)
    for lv in tabs.used:
        if lv in (cutoff or {}) or lv not in tabs.lambdas:
            continue
        if scope == "all" or lv in tabs.fine_levels:
            lam[levels == lv] = scale * tabs.lambdas[lv]
    return lam


def _quantise_plane(
    plane: np.ndarray,
    table0: np.ndarray,
    levels: np.ndarray,
    tables: dict[int, np.ndarray],
    tabs: _LevelTables,
    per_mcu: tuple[int, int],
    deadzone: float,
    cutoff: dict[int, int] | None,
    mode: str,
    fine_rdo: float,
    dc_rdo: float,
    symbol_bits: float,
) -> tuple[np.ndarray, np.ndarray]:
    """DCT and quantise one (subsampled, MCU-padded) plane; ``levels`` is the level of each of its blocks.
    Returns the levels and the DCT coefficients."""
    coefs = fdct(blockify(plane - 128.0))
    q = _quantise(
        coefs, table0, levels, tables, deadzone, cutoff, tabs.lambdas,
        tabs.fine_levels if fine_rdo > 0 else None, symbol_bits,
    )
    if dc_rdo and mode == "rdo" and len(tabs.used) > 1:
        lam_block = np.zeros(levels.shape)
        for lv in tabs.used:
            if lv not in tabs.fine_levels:
                lam_block[levels == lv] = dc_rdo * tabs.lambdas[lv]
        if lam_block.any():
            q[..., 0, 0] = rdo_dc(
                q[..., 0, 0].ravel(), coefs[..., 0, 0].ravel(), float(table0[0, 0]), lam_block.ravel(),
                scan_order(levels.shape, per_mcu),
            ).reshape(levels.shape)
    return q, coefs


def _write_dct(jpeglib: Any, comps: list[np.ndarray], fine: list[np.ndarray], shape: tuple[int, int, int],
               subsampling: str, optimize: bool) -> bytes:
    """Entropy-code quantised components with libjpeg (through a temporary file); return the JPEG bytes."""
    h, w, nc = shape
    qt = np.stack([fine[0], fine[1]]).astype(np.uint16) if nc == 3 else fine[0][None].astype(np.uint16)
    if nc == 3:
        jpeg = jpeglib.from_dct(comps[0], comps[1], comps[2], qt=qt, quant_tbl_no=[0, 1, 1])
    else:
        jpeg = jpeglib.from_dct(comps[0], qt=qt, quant_tbl_no=[0])
    jpeg.height, jpeg.width = h, w
    if nc == 3:
        sx, sy = SUBSAMPLING[subsampling]
        jpeg.samp_factor = np.array([[sy, sx], [1, 1], [1, 1]])
    fd, tmp = tempfile.mkstemp(suffix=".jpg")
    os.close(fd)
    try:
        jpeg.write_dct(tmp, flags=["+OPTIMIZE_CODING"] if optimize else [])
        with open(tmp, "rb") as fh:
            data = fh.read()
    except Exception as exc:
        raise CodecError(f"jpeglib could not write the JPEG: {exc}") from exc
    finally:
        os.unlink(tmp)
    return data
