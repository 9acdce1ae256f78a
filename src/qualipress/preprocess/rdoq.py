"""Quality-aware rate–distortion pre-editing for JPEG (``rdoq``): trellis quantisation done in the pixel domain.

A JPEG encoder rounds every DCT coefficient to the nearest multiple of its quantisation step. That is the
smallest error per coefficient, not the best trade of error against bits: a lone ±1 far down the zig-zag costs a
whole run/size symbol plus its magnitude bits and saves little error. Encoders such as mozjpeg therefore choose the
levels per block by minimising ``D + λ·R`` (trellis quantisation). The decoder only sees the levels, so the same
choice can be made *before* any encoder: this module predicts the levels the target encoder will produce at a given
quality (its colour conversion, chroma subsampling, block grid and quantisation tables), picks the levels that
minimise ``D + λ·R`` per block, and writes the pixels whose re-encode at that quality gives those levels (changed
coefficients are moved to the centre of their new quantisation bin, so the 8-bit rounding of the written pixels
does not undo them).

What it models:

* libjpeg's JFIF RGB → YCbCr, the 8×8 grid anchored at the origin, 2×2 (4:2:0) or 2×1 (4:2:2) box
  down-sampling of chroma, the tables of the core ``jpeg`` codec (:func:`qualipress.codecs.jpegq.qtables`,
  IJG scaling, fractional qualities included) or jpegli's own (read back from a real jpegli encode); the core
  ``jpeg`` codec's subsampling rule (4:4:4 from quality 90 up) unless the encode asks for another;
* rate: baseline Huffman coding of AC coefficients — per non-zero level one run/size symbol (``ZRL`` for each
  16 zeros of run) and ``size`` magnitude bits, ``EOB`` after the last non-zero one — with the code lengths of the
  optimal Huffman table libjpeg builds from the image's own symbol counts (:func:`huffman_lengths`), re-estimated
  after each pass;
* distortion: squared error in RGB units (Y, Cb, Cr weighted by what their errors do to R, G and B; a chroma
  coefficient of a subsampled plane covers 2 or 4 pixels, optionally through the decoder's triangle up-sampling,
  :func:`upsample_gain`), tilted towards the quantisation table's own weighting (``beta``) so that low frequencies
  are protected — more in flat blocks, less in busy ones (``bslope``) — and divided by a texture-masking factor.

The DC coefficient and partial blocks at the right/bottom edge (outside whole MCUs) are left alone. The trellis
considers, per coefficient, the level rounding gives, one less, and zero (the only moves that save bits).
``docs/preprocess.md`` (section *Quality-aware RD pre-editing*) has the measurements.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from qualipress.codecs.jpegtrellis import (
    ZIGZAG,
    ac_symbols,
    bit_length,
    code_lengths,
    dc_symbols,
    dc_trellis,
    huffman_lengths,
    trellis,
)
from qualipress.errors import UnsupportedError
from qualipress.io import Image
from qualipress.io.jpegtables import RGB_TO_YCBCR_T871, dct_matrix
from qualipress.preprocess.pool import deadzone

#: A function from symbol counts to code lengths in bits (:func:`code_lengths` or :func:`huffman_lengths`).
LengthsFn = Callable[[np.ndarray], np.ndarray]

#: Codecs whose quantisation the pre-edit models.
RDOQ_CODECS = ("jpeg", "jpegli")
#: Per-codec factor on :attr:`RdoqSettings.strength`. jpegli already drops, block by block, much of what the trellis
#: would: at full strength the edit cost bits on training images (+1.5 % BD PSNR, +4.2 % SSIMULACRA2 on 4 BSD
#: images), at 0.3 it was neutral to slightly better (−0.07 % / −0.24 %); see docs/preprocess.md.
CODEC_STRENGTH = {"jpeg": 1.0, "jpegli": 0.3}
#: Codecs for which :attr:`RdoqSettings.calm` applies. Not jpegli: its SSIMULACRA2 gain was already nil under
#: version 6's lower β (docs/preprocess.md), and the calm tier lowers β further.
CALM_CODECS = ("jpeg",)
#: Quality at which :func:`image_risk` measures an image (fixed, so that an image gets one tier at every quality).
RISK_QUALITY = 75.0
#: RMS AC coefficient (code values) under which :func:`image_risk` counts a luma block as flat.
FLAT_ACTIVITY = 1.5

#: JFIF RGB → YCbCr (rows Y, Cb, Cr) and the inverse (offsets of 128 on Cb/Cr left out: only differences are
#: converted back).
_RGB2YCC = np.array(RGB_TO_YCBCR_T871)
_YCC2RGB = np.linalg.inv(_RGB2YCC)
#: RGB squared error caused by a unit error of Y, Cb, Cr (columns of the inverse), relative to Y's.
_PLANE_WEIGHT = (_YCC2RGB**2).sum(axis=0) / 3.0

#: Bumped when the method's output changes (benchmark caches key on it).
RDOQ_VERSION = 9



@dataclass(frozen=True)
class RdoqSettings:
    """How hard the pre-edit trades error for bits.

    The defaults were chosen on 24 training images (never Kodak) as the setting with the largest PSNR gain
    among those that also save at least 3 % at equal SSIMULACRA2 with no image worse than +1 % at either
    metric (``docs/preprocess.md``, "Fourth tuning" to "Sixth tuning"; the rule was written down before each
    sweep; since the sixth, the bound must also hold on 32 development images): strength 0.8, β 0.1 made
    texture-dependent (``bslope`` 1), chroma, masking 0.5, libjpeg's Huffman code lengths; with libjpeg-turbo
    two per-image tiers from :func:`image_risk`: "risky" images (model slope at q75 > 45 or more than 35 % flat
    blocks) at strength 0.5, "calm" ones (slope ≤ 35, at most 35 % flat blocks) blended towards strength 1, β 0,
    masking 0.25 (fully at slope ≤ 20).

    Attributes
    ----------
    strength : float
        ``λ`` as a multiple of the codec's own distortion-per-bit slope at the encode's quality for this image
        (measured by the model between the tables of quality ± 3, in the same distortion units): 1 trades error
        for bits at the rate the codec's quality scale does; 0 changes nothing. Scaled per codec by
        :data:`CODEC_STRENGTH` (jpegli 0.3).
    beta : float
        0 = plain squared error (what PSNR rewards); 1 = error measured in units of each coefficient's own
        quantisation step (the table's perceptual weighting: low frequencies, with small steps, are protected).
    chroma : bool
        Also edit Cb and Cr.
    passes : int
        Trellis passes; the Huffman code lengths are re-estimated from the levels of the previous pass.
    masking : float
        Texture masking: each block's distortion is divided by ``((a + 2) / (ā + 2)) ** masking`` (``a`` = the
        block's RMS AC coefficient in code values, ``ā`` its median over the plane; clipped to ¼..4), so busy
        blocks, where an error is less visible, give up more bits and flat blocks fewer. 0 = plain.
    anchor : float
        The ``ā`` of the masking as a fixed activity in code values instead of the plane's median (0): then an
        image whose blocks are mostly flat (skies) is edited more gently as a whole, and a busy one harder, rather
        than every image around its own median. With an anchor, the chroma blocks are masked by the activity of
        the luma blocks they cover (chroma planes are smooth; their own activity would protect them everywhere).
    dc : bool
        Also choose the DC levels (:func:`~qualipress.codecs.jpegtrellis.dc_trellis` along each component's coding
        order, where the DC is DPCM-coded); otherwise the DC is left as rounding gives it.
    fancy : bool
        Weigh a chroma coefficient's error by what reaches the pixels through the decoder's triangle ("fancy")
        up-sampling of subsampled chroma (:data:`UPSAMPLE_GAIN`: high chroma frequencies are smoothed away, down
        to 0.28 of their energy per direction) instead of by pixel replication.
    cstrength : float
        Extra factor on ``λ`` for the chroma planes (their distortion weights are divided by it): 1 = same price
        of a bit everywhere.
    qexp : float
        ``λ`` also scaled by ``(quality / 75) ** qexp``: > 0 edits high qualities harder, < 0 low ones.
    huffman : bool
        Price the AC symbols with the integer code lengths of the Huffman table libjpeg would build from the
        counts (:func:`huffman_lengths`, 16-bit limit, one reserved code) instead of ``−log2 p``.
    bslope : float
        Texture-dependent ``beta``: each block's tilt is ``beta · min(2, ((ā + 2) / (a + 2)) ** bslope)`` (``a``,
        ``ā`` as for ``masking``), so flat blocks protect their low frequencies more and busy ones less; the tilt is
        taken relative to the plane's geometric-mean AC step, so only the block's frequency shape changes. 0 = one
        ``beta`` for every block.
    calm : float
        Per-image risk tier: an image whose :func:`image_risk` slope (its own distortion-per-bit slope at quality
        75, plain squared error) is at most ``calm`` and whose share of flat blocks is at most ``calm_flat`` is
        "calm" — little grain or fine texture whose removal SSIMULACRA2 would see, few flat areas where blocking
        would show — and is edited with ``calm_strength``, ``calm_beta`` and ``calm_masking`` (a setting closer to
        what PSNR rewards) instead of ``strength``, ``beta`` and ``masking``. 0 = off (one setting for every
        image; version 8's default). 35 with ``calm_ramp`` 15 since version 9 (a hard 30 without ramp, version
        7, lost the per-image bound on Kodak; ``docs/preprocess.md``). libjpeg-turbo only (:data:`CALM_CODECS`).
    calm_strength, calm_beta, calm_masking : float
        The calm tier's ``strength``, ``beta`` and ``masking``.
    calm_flat : float
        Largest share of flat luma blocks a calm image may have.
    calm_ramp : float
        0: the calm tier is all or nothing at ``calm``. Otherwise the width (in slope units) of a ramp below
        ``calm`` over which the calm tier's strength, β and masking are blended in linearly, so that an image just
        under the threshold is edited nearly as the base setting says.
    risky : float
        The other side of the same risk measure: an image whose :func:`image_risk` slope is above ``risky`` (0 =
        no slope limit), or whose share of flat luma blocks is above ``risky_flat``, is "risky" — grain or fine
        texture SSIMULACRA2 weighs, or large flat areas where the edit shows as blocking — and is edited with
        ``risky_strength`` instead of ``strength`` (β and masking unchanged). Checked before the calm tier, so
        an image is in at most one tier. libjpeg-turbo only (:data:`CALM_CODECS`). 0 with ``risky_flat`` 1 = off.
    risky_flat : float
        Share of flat luma blocks above which an image is risky (1 = never for flatness).
    risky_strength : float
        The risky tier's ``strength``.
    """

    strength: float = 0.8
    beta: float = 0.1
    chroma: bool = True
    passes: int = 2
    masking: float = 0.5
    dc: bool = False
    anchor: float = 0.0
    fancy: bool = False
    cstrength: float = 1.0
    qexp: float = 0.0
    huffman: bool = True
    bslope: float = 1.0
    calm: float = 35.0
    calm_strength: float = 1.0
    calm_beta: float = 0.0
    calm_masking: float = 0.25
    calm_flat: float = 0.35
    calm_ramp: float = 15.0
    risky: float = 45.0
    risky_flat: float = 0.35
    risky_strength: float = 0.5

    def for_image(self, image: Image, codec: str) -> RdoqSettings:
        """The settings ``image`` is edited with: with ``calm`` > 0, images whose :func:`image_risk` slope is at
        most ``calm`` and flat share at most ``calm_flat`` (for a codec in :data:`CALM_CODECS`) take
        ``calm_strength``, ``calm_beta`` and ``calm_masking`` — with ``calm_ramp`` > 0 only in part, the more the
        further their slope lies under ``calm`` (all of it at ``calm − calm_ramp`` and below); otherwise (and
        always at ``strength`` 0, which switches the edit off) these settings unchanged. With ``risky`` > 0 or
        ``risky_flat`` < 1, images whose slope is above ``risky`` or whose flat share is above ``risky_flat`` take
        ``risky_strength`` instead (whatever ``calm`` says); a tier's settings come back with the tiers switched
        off."""
        tiers = self.calm > 0 or self.risky > 0 or self.risky_flat < 1.0
        if not tiers or self.strength <= 0 or codec not in CALM_CODECS:
            return self
        slope, flat = image_risk(image)
        if (self.risky > 0 and slope > self.risky) or flat > self.risky_flat:
            return replace(self, strength=self.risky_strength, calm=0.0, risky=0.0, risky_flat=1.0)
        if self.calm <= 0 or slope > self.calm or flat > self.calm_flat:
            return self
        t = min(1.0, (self.calm - slope) / self.calm_ramp) if self.calm_ramp > 0 else 1.0

        def mix(base: float, calm: float) -> float:
            return base + t * (calm - base)

        return replace(self, strength=mix(self.strength, self.calm_strength), beta=mix(self.beta, self.calm_beta),
                       masking=mix(self.masking, self.calm_masking), calm=0.0, risky=0.0, risky_flat=1.0)


@dataclass(frozen=True)
class JpegLayout:
    """What the encoder does with an 8-bit image at one setting: its tables and chroma subsampling."""

    luma: np.ndarray
    chroma: np.ndarray
    #: Chroma down-sampling factors (vertical, horizontal): (2, 2) = 4:2:0, (1, 2) = 4:2:2, (1, 1) = 4:4:4.
    factors: tuple[int, int]
    #: AC coefficients with ``|c / step|`` below this are written as zero (0.5: plain rounding, libjpeg-turbo;
    #: jpegli's adaptive dead zone is modelled by the one value calibrated for its proxy, ~0.92).
    zero: float = 0.5


def jpeg_layout(codec: str, quality: float, options: Mapping[str, Any] | None = None) -> JpegLayout:
    """Quantisation tables and chroma subsampling ``codec`` uses at ``quality``.

    Parameters
    ----------
    codec : str
        ``"jpeg"`` (core codec, libjpeg-turbo) or ``"jpegli"``.
    quality : float
        The codec's quality (1–100; fractional for ``jpeg``).
    options : mapping, optional
        The encode's codec options (``subsampling`` for ``jpeg``).

    Raises
    ------
    UnsupportedError
        Another codec, or jpegli without pyjpegli.
    """
    if codec == "jpeg":
        from qualipress.codecs.builtin import jpeg_subsampling
        from qualipress.codecs.jpegq import qtables

        luma, chroma = (np.asarray(t, np.float64).reshape(8, 8) for t in qtables(quality))
        sub = jpeg_subsampling(quality, str((options or {}).get("subsampling", "auto")))
        return JpegLayout(luma, chroma, {"420": (2, 2), "422": (1, 2), "444": (1, 1)}[sub])
    if codec == "jpegli":
        from qualipress.preprocess.jpegproxy import DEADZONE, jpegli_tables

        luma, chroma = (np.asarray(t, np.float64) for t in jpegli_tables(int(round(quality))))
        return JpegLayout(luma, chroma, (2, 2), DEADZONE["jpegli"])
    raise UnsupportedError(f"rdoq pre-edits for {', '.join(RDOQ_CODECS)}, not {codec!r}")


# -- transforms ------------------------------------------------------------------------------------------------


#: The orthonormal 2-D 8×8 DCT as one 64×64 matrix, rows in zig-zag order: coefficients = blocks @ _DCT64.T.
_DCT64 = np.kron(dct_matrix(), dct_matrix())[ZIGZAG]


def _to_blocks(plane: np.ndarray) -> np.ndarray:
    """(H, W) with H, W multiples of 8 → (n, 64) orthonormal DCT coefficients in zig-zag order."""
    h, w = plane.shape
    b = plane.reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3).reshape(-1, 64)
    return b @ _DCT64.T


def _from_blocks(coef: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Inverse of :func:`_to_blocks`."""
    h, w = shape
    b = (coef @ _DCT64).reshape(h // 8, w // 8, 8, 8)
    return b.transpose(0, 2, 1, 3).reshape(h, w)


# -- the pre-edit ----------------------------------------------------------------------------------------------


#: Quality steps either side of the encode's quality over which the model measures the codec's own RD slope.
_SLOPE_STEP = 3.0


@dataclass
class _Plane:
    """One component as the encoder sees it: DCT coefficients of its (cropped, down-sampled) samples, its table,
    and the distortion weight of a unit coefficient error at each zig-zag position (``omega``)."""

    coef: np.ndarray
    table: np.ndarray
    omega: np.ndarray
    shape: tuple[int, int]
    zero: float = 0.5
    #: Block indices in the order the encoder codes them (the DC predictor follows it).
    order: np.ndarray | None = None

    @property
    def steps(self) -> np.ndarray:
        return self.table.reshape(-1)[ZIGZAG]

    @property
    def weight(self) -> np.ndarray:
        """Distortion per squared step unit (what the trellis weighs errors of ``coef / steps`` with)."""
        return self.omega * self.steps**2

    def levels(self, steps: np.ndarray | None = None) -> np.ndarray:
        mag = np.abs(self.coef / (self.steps if steps is None else steps))
        lv = np.floor(mag + 0.5).astype(np.int64)
        lv[:, 1:][mag[:, 1:] < self.zero] = 0
        return lv * np.where(self.coef < 0, -1, 1)


def _upsample_gain_1d(factor: int) -> np.ndarray:
    """Energy of each 1-D 8-point DCT basis function of a down-sampled line after libjpeg's triangle up-sampling
    by ``factor`` (2: output samples ¾·nearest + ¼·next nearest input sample), relative to pixel replication;
    ones for ``factor`` 1. The block's neighbours are zero (an isolated coefficient error)."""
    if factor == 1:
        return np.ones(8)
    basis = dct_matrix()
    gain = np.empty(8)
    for k in range(8):
        x = np.zeros(24)
        x[8:16] = basis[k]
        pad = np.concatenate([x[:1], x, x[-1:]])
        up = np.empty(48)
        up[0::2] = 0.75 * x + 0.25 * pad[:-2]
        up[1::2] = 0.75 * x + 0.25 * pad[2:]
        gain[k] = float((up**2).sum()) / (2.0 * float((x**2).sum()))
    return gain


def upsample_gain(fy: int, fx: int) -> np.ndarray:
    """Per zig-zag position, the share of a chroma coefficient's pixel error (as replication would spread it) that
    survives the decoder's triangle up-sampling of a ``fy``×``fx`` subsampled plane (separable: the product of the
    vertical and horizontal 1-D gains). All ones for 4:4:4."""
    return np.outer(_upsample_gain_1d(fy), _upsample_gain_1d(fx)).reshape(-1)[ZIGZAG]


def _planes(ycc: np.ndarray, layout: JpegLayout, beta: float, chroma: bool, fancy: bool = False) -> list[_Plane]:
    """The planes the encoder codes. ``omega`` = what a unit error costs in RGB squared error (a chroma sample of a
    subsampled plane covers ``fy·fx`` pixels; with ``fancy``, through the decoder's triangle up-sampling), tilted by
    ``step**(-2·beta)`` (the table's own weighting)."""
    fy, fx = layout.factors

    def omega(table: np.ndarray, plane_weight: float) -> np.ndarray:
        return plane_weight * table.reshape(-1)[ZIGZAG] ** (-2.0 * beta)

    def chroma_omega() -> np.ndarray:
        w = omega(layout.chroma, fy * fx)
        if fancy:
            w = w * upsample_gain(fy, fx)
        return w

    colour = ycc.shape[2] == 3
    out = [_Plane(_to_blocks(ycc[..., 0]), layout.luma, omega(layout.luma, _PLANE_WEIGHT[0]), ycc.shape[:2],
                  layout.zero, _coding_order(ycc.shape[:2], (fy, fx) if colour else (1, 1)))]
    if chroma and colour:
        h, w = ycc.shape[0] // fy, ycc.shape[1] // fx
        for c in (1, 2):
            sub = ycc[..., c].reshape(h, fy, w, fx).mean(axis=(1, 3))
            out.append(_Plane(_to_blocks(sub), layout.chroma, _PLANE_WEIGHT[c] * chroma_omega(),
                              (h, w), layout.zero, _coding_order((h, w), (1, 1))))
    return out


def _coding_order(shape: tuple[int, int], mcu: tuple[int, int]) -> np.ndarray:
    """Raster block indices of a plane of ``shape`` (whole MCUs) in the order an interleaved baseline scan codes
    them: MCU by MCU, ``mcu`` = (rows, columns) of this plane's blocks in one MCU. The partial MCUs at the right
    edge, which the encoder codes between the rows, are outside the edited area and not in the chain."""
    by, bx = shape[0] // 8, shape[1] // 8
    fy, fx = mcu
    return np.arange(by * bx).reshape(by // fy, fy, bx // fx, fx).transpose(0, 2, 1, 3).reshape(-1)


def _groups(planes: list[_Plane]) -> list[list[int]]:
    """Planes that share a Huffman table: luma; Cb and Cr."""
    return [g for g in ([0], list(range(1, len(planes)))) if g]


def _rate_distortion(planes: list[_Plane], tables: list[np.ndarray],
                     lengths_of: LengthsFn = code_lengths) -> tuple[float, float]:
    """Model (distortion, bits) of the AC coefficients quantised by plain rounding with ``tables`` (zig-zag)."""
    dist, bits = 0.0, 0.0
    for g in _groups(planes):
        counts = np.zeros(256, np.int64)
        for i in g:
            p, q = planes[i], tables[i]
            lv = p.levels(q)
            err = np.abs(p.coef[:, 1:]) - np.abs(lv[:, 1:]) * q[1:]
            dist += float((p.omega[1:] * err**2).sum())
            counts += ac_symbols(lv)
            bits += float(bit_length(np.abs(lv[:, 1:])).sum())
        bits += float((counts * lengths_of(counts)).sum())
    return dist, bits


def _codec_slope(planes: list[_Plane], codec: str, quality: float, options: Mapping[str, Any] | None,
                 lengths_of: LengthsFn = code_lengths) -> float:
    """The codec's own distortion-per-bit slope at ``quality`` for this image, from the model (no encode):
    −ΔD/ΔR between the tables of ``quality ± 3``. 0 when it cannot be measured (e.g. a flat image)."""
    lo, hi = max(1.0, quality - _SLOPE_STEP), min(100.0, quality + _SLOPE_STEP)
    if codec == "jpegli":
        lo, hi = float(round(lo)), float(round(hi))
    pts = []
    for q in (lo, hi):
        lay = jpeg_layout(codec, q, options)
        tabs = [(lay.luma if i == 0 else lay.chroma).reshape(-1)[ZIGZAG] for i in range(len(planes))]
        pts.append(_rate_distortion(planes, tabs, lengths_of))
    (d_lo, r_lo), (d_hi, r_hi) = pts
    if r_hi - r_lo <= 0 or d_lo - d_hi <= 0:
        return 0.0
    return (d_lo - d_hi) / (r_hi - r_lo)


def image_risk(image: Image) -> tuple[float, float]:
    """What :attr:`RdoqSettings.calm` judges an image by: its own distortion-per-bit slope at
    :data:`RISK_QUALITY` with libjpeg-turbo's tables (plain squared error in RGB units per bit, luma and chroma,
    libjpeg's Huffman lengths; independent of the image's size), and the share of its luma blocks that are flat
    (RMS AC coefficient below :data:`FLAT_ACTIVITY` code values).

    The slope is high for noisy or finely textured images, where each bit removed takes away texture that
    SSIMULACRA2 sees and PSNR barely weighs, and low for clean ones; flat blocks (skies, dark backgrounds) are
    where a harder edit shows as blocking.

    Parameters
    ----------
    image : Image
        8-bit grey or RGB.

    Returns
    -------
    (float, float)
        The slope (0 when it cannot be measured: smaller than one MCU, or flat) and the flat share (0 … 1).
    """
    if _RISK_MEMO and _RISK_MEMO[0][0] is image.pixels:  # the same at every quality: once per image
        return _RISK_MEMO[0][1]
    layout = _layout_for(image, "jpeg", RISK_QUALITY, None)
    h, w = _mcu_crop(image, layout)
    risk = (0.0, 0.0)
    if h and w:
        planes = _planes(_ycc(image)[:h, :w], layout, 0.0, True)
        flat = float((_activity(planes[0]) < FLAT_ACTIVITY).mean())
        risk = (_codec_slope(planes, "jpeg", RISK_QUALITY, None, huffman_lengths), flat)
    _RISK_MEMO[:] = [(image.pixels, risk)]
    return risk


#: The last image :func:`image_risk` measured (held by identity; images are never modified in place) and its risk.
_RISK_MEMO: list[tuple[np.ndarray, tuple[float, float]]] = []


def _activity(p: _Plane) -> np.ndarray:
    """RMS AC coefficient of every block (code values)."""
    return np.sqrt((p.coef[:, 1:] ** 2).mean(axis=1))


def _colocated(luma_act: np.ndarray, luma: _Plane, p: _Plane) -> np.ndarray:
    """Mean activity of the luma blocks each block of the (down-sampled) plane ``p`` covers."""
    fy, fx = luma.shape[0] // p.shape[0], luma.shape[1] // p.shape[1]
    by, bx = p.shape[0] // 8, p.shape[1] // 8
    return luma_act.reshape(by, fy, bx, fx).mean(axis=(1, 3)).reshape(-1)


def _masked(p: _Plane, masking: float, anchor: float = 0.0, act: np.ndarray | None = None) -> np.ndarray:
    """Per-block trellis weights with texture masking (see :attr:`RdoqSettings.masking` and ``anchor``); ``act``
    replaces the plane's own block activity."""
    if masking == 0:
        return p.weight
    act = _activity(p) if act is None else act
    ref = anchor if anchor > 0 else float(np.median(act))
    m = np.clip(((act + 2.0) / (ref + 2.0)) ** masking, 0.25, 4.0)
    return p.weight[None, :] / m[:, None]


def _tilted(p: _Plane, weight: np.ndarray, beta: float, bslope: float, act: np.ndarray | None = None) -> np.ndarray:
    """``weight`` with each block's ``beta`` tilt made texture-dependent (:attr:`RdoqSettings.bslope`); ``act`` is
    the plane's block activity when already computed."""
    act = _activity(p) if act is None else act
    r = np.minimum(2.0, ((float(np.median(act)) + 2.0) / (act + 2.0)) ** bslope)
    rel = p.steps / np.exp(np.log(p.steps[1:]).mean())
    return np.broadcast_to(weight, p.coef.shape) * rel[None, :] ** (-2.0 * beta * (r[:, None] - 1.0))


def _choose_levels(planes: list[_Plane], lam: float, passes: int, masking: float = 0.0,
                   dc: bool = False, anchor: float = 0.0, cstrength: float = 1.0,
                   lengths_of: LengthsFn = code_lengths, beta: float = 0.0, bslope: float = 0.0) -> list[np.ndarray]:
    """Trellis levels of every plane; luma and chroma have their own Huffman tables (Cb and Cr share one). With
    ``dc``, the DC levels too, along each plane's coding order with its group's DC code lengths. Chroma weights
    are divided by ``cstrength``; AC code lengths come from ``lengths_of(counts)``."""
    levels = [p.levels() for p in planes]
    if anchor > 0 and masking:  # anchored: every plane masked by the luma texture it sits in
        luma_act = _activity(planes[0])
        weights = [_masked(p, masking, anchor, luma_act if i == 0 else _colocated(luma_act, planes[0], p))
                   for i, p in enumerate(planes)]
        acts = [None] * len(planes)
    else:  # each plane's own block activity, computed once for the masking and the tilt
        acts = [_activity(p) if masking or (bslope and beta) else None for p in planes]
        weights = [_masked(p, masking, act=a) for p, a in zip(planes, acts, strict=True)]
    if cstrength != 1.0:
        weights = [w if i == 0 else w / cstrength for i, w in enumerate(weights)]
    if bslope and beta:
        weights = [_tilted(p, w, beta, bslope, a) for p, w, a in zip(planes, weights, acts, strict=True)]
    for _ in range(max(1, passes)):
        for g in _groups(planes):
            lengths = lengths_of(sum(ac_symbols(levels[i]) for i in g))
            dc_lengths = code_lengths(sum(dc_symbols(levels[i][planes[i].order, 0]) for i in g)) if dc else None
            for i in g:
                p = planes[i]
                levels[i] = trellis(p.coef / p.steps, weights[i], lam, lengths, p.zero)
                if dc_lengths is not None:
                    o = p.order
                    w = np.broadcast_to(weights[i], levels[i].shape)[o, 0]
                    levels[i][o, 0] = dc_trellis(p.coef[o, 0] / p.steps[0], w, lam, dc_lengths)
    return levels


def _layout_for(image: Image, codec: str, quality: float, options: Mapping[str, Any] | None) -> JpegLayout:
    if image.is_float or image.bit_depth != 8:
        raise UnsupportedError(f"rdoq pre-edits 8-bit images only (this one is {image.bit_depth}-bit"
                               f"{' float' if image.is_float else ''})")
    return jpeg_layout(codec, quality, options)


def _mcu_crop(image: Image, layout: JpegLayout) -> tuple[int, int]:
    fy, fx = layout.factors if image.n_channels - int(image.has_alpha) >= 3 else (1, 1)
    return image.height // (8 * fy) * 8 * fy, image.width // (8 * fx) * 8 * fx


def predicted_levels(image: Image, quality: float, *, codec: str = "jpeg",
                     options: Mapping[str, Any] | None = None) -> list[np.ndarray]:
    """The levels the model expects ``codec`` to write for ``image`` (nearest level; jpegli: with its dead zone),
    per plane (Y, Cb, Cr), each (blocks, 64) in zig-zag order over whole MCUs: what a pre-edit's round trip is
    checked against."""
    layout = _layout_for(image, codec, quality, options)
    h, w = _mcu_crop(image, layout)
    ycc = _ycc(image)[:h, :w]
    return [p.levels() for p in _planes(ycc, layout, 0.0, True)]


def _ycc(image: Image) -> np.ndarray:
    col = image.pixels[..., :-1] if image.has_alpha else image.pixels
    x = col.astype(np.float64)
    if x.shape[2] >= 3:
        return x @ _RGB2YCC.T - np.array([128.0, 0.0, 0.0])
    return x - 128.0


def rdoq(image: Image, quality: float, *, codec: str = "jpeg", options: Mapping[str, Any] | None = None,
         settings: RdoqSettings | None = None) -> tuple[Image, list[np.ndarray]]:
    """Pre-edit ``image`` so that ``codec`` at ``quality`` writes rate–distortion-optimised levels.

    Parameters
    ----------
    image : Image
        8-bit grey or RGB (alpha passes through untouched). Never modified.
    quality : float
        The quality the image will be encoded at.
    codec : str
        ``"jpeg"`` (core codec, libjpeg-turbo) or ``"jpegli"``.
    options : mapping, optional
        The encode's codec options (``subsampling``).

    Returns
    -------
    (Image, list of numpy.ndarray)
        The pre-edited image, and the levels chosen per plane (Y, Cb, Cr; (blocks, 64), zig-zag order) that
        its encode should produce.

    Raises
    ------
    UnsupportedError
        Not 8-bit integer, or a codec other than ``jpeg``/``jpegli``.
    """
    layout = _layout_for(image, codec, quality, options)
    cfg = (settings or RdoqSettings()).for_image(image, codec)
    h, w = _mcu_crop(image, layout)
    if h == 0 or w == 0 or cfg.strength <= 0:
        return image, []
    ycc = _ycc(image)[:h, :w]
    planes = _planes(ycc, layout, cfg.beta, cfg.chroma, cfg.fancy)
    lengths_of = huffman_lengths if cfg.huffman else code_lengths
    lam = cfg.strength * CODEC_STRENGTH[codec] * _codec_slope(planes, codec, quality, options, lengths_of)
    lam *= (quality / 75.0) ** cfg.qexp
    if lam <= 0:
        return image, []
    levels = _choose_levels(planes, lam, cfg.passes, cfg.masking, cfg.dc, cfg.anchor, cfg.cstrength, lengths_of,
                            cfg.beta, cfg.bslope)
    delta = np.zeros_like(ycc)
    fy, fx = layout.factors
    for c, (p, lv) in enumerate(zip(planes, levels, strict=True)):
        changed = lv != p.levels()
        target = np.where(changed, lv * p.steps, p.coef)  # moved coefficients go to the centre of their new bin
        d = _from_blocks(target - p.coef, p.shape)
        if c:
            d = np.repeat(np.repeat(d, fy, axis=0), fx, axis=1)
        delta[..., c] = d
    col = image.pixels[..., :-1] if image.has_alpha else image.pixels
    out = col.astype(np.float64)
    if out.shape[2] >= 3:
        out[:h, :w] += delta @ _YCC2RGB.T
    else:
        out[:h, :w] += delta
    px = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    if image.has_alpha:
        px = np.concatenate([px, image.pixels[..., -1:]], axis=2)
    return image.with_pixels(np.ascontiguousarray(px)), levels


#: Name of the method for :func:`qualipress.preprocess.get_preprocessor` (``rdoq`` or
#: ``rdoq:strength=S:beta=B:masking=M:anchor=A:chroma=0|1:dc=0|1:passes=N:bslope=K:huffman=0|1:fancy=0|1:``
#: ``cstrength=C:qexp=E:calm=T:calm_strength=S:calm_beta=B:calm_masking=M:calm_flat=F:calm_ramp=W:``
#: ``risky=R:risky_flat=F:risky_strength=S:quality=Q:codec=C``;
#: ``:`` separates,
#: as names are listed with ``,``).
RDOQ = "rdoq"
#: The pool's ``deadzone`` made at the encode's own quality (the baseline of the family).
DEADZONE_MATCHED = "deadzone-matched"


def parse_rdoq(name: str) -> RdoqPreprocessor | MatchedDeadzone | None:
    """``rdoq`` with optional settings (``rdoq:strength=0.05:beta=0.5``) → its preprocessor, ``deadzone-matched``
    → :class:`MatchedDeadzone`; None for other names.

    Raises
    ------
    UnsupportedError
        An unknown or malformed setting.
    """
    head, _, rest = name.strip().lower().partition(":")
    if head == DEADZONE_MATCHED and not rest:
        return MatchedDeadzone()
    if head != RDOQ:
        return None
    kw: dict[str, Any] = {}
    fields = {"strength": float, "beta": float, "masking": float, "chroma": lambda v: v not in ("0", "false", "no"),
              "passes": int, "dc": lambda v: v not in ("0", "false", "no"), "anchor": float,
              "fancy": lambda v: v not in ("0", "false", "no"), "cstrength": float, "qexp": float,
              "huffman": lambda v: v not in ("0", "false", "no"), "bslope": float, "calm": float,
              "calm_strength": float, "calm_beta": float, "calm_masking": float, "calm_flat": float,
              "calm_ramp": float, "risky": float, "risky_flat": float, "risky_strength": float}
    extra: dict[str, Any] = {}
    for item in filter(None, (t.strip() for t in rest.split(":"))):
        key, eq, val = item.partition("=")
        try:
            if key in fields and eq:
                kw[key] = fields[key](val)
            elif key == "quality" and eq:
                extra["quality"] = float(val)
            elif key == "codec" and val in RDOQ_CODECS:
                extra["codec"] = val
            else:
                raise ValueError(item)
        except ValueError:
            raise UnsupportedError(f"rdoq: bad setting {item!r}; use strength=S, beta=B, masking=M, anchor=A, "
                                   f"chroma=0|1, dc=0|1, passes=N, bslope=K, huffman=0|1, fancy=0|1, cstrength=C, "
                                   f"qexp=E, calm=T, calm_strength=S, calm_beta=B, calm_masking=M, calm_flat=F, "
                                   f"calm_ramp=W, risky=R, risky_flat=F, risky_strength=S, "
                                   f"quality=Q, codec={'|'.join(RDOQ_CODECS)}") from None
    return RdoqPreprocessor(settings=RdoqSettings(**kw), **extra)


class RdoqPreprocessor:
    """``rdoq`` as a preprocessing: an ``Image -> Image`` callable at a fixed quality, and, through
    :meth:`at_quality`, the per-encode pre-edit ``compress --preprocess rdoq`` hands to the JPEG codecs.

    Parameters
    ----------
    quality : float
        Quality used when called as a plain preprocessor (no encode setting known).
    codec : str
        Whose quantisation is modelled when called plainly.
    """

    #: Codecs :meth:`at_quality` can serve.
    codecs = RDOQ_CODECS

    def __init__(self, *, quality: float = 75.0, codec: str = "jpeg", settings: RdoqSettings | None = None) -> None:
        self.quality = float(quality)
        self.codec = codec
        self.settings = settings or RdoqSettings()

    def __call__(self, image: Image) -> Image:
        return rdoq(image, self.quality, codec=self.codec, settings=self.settings)[0]

    def at_quality(self, image: Image, quality: float, codec: str = "jpeg",
                   options: Mapping[str, Any] | None = None) -> Image:
        """The pre-edit for an encode of ``image`` by ``codec`` at ``quality`` with ``options``."""
        return rdoq(image, quality, codec=codec, options=options, settings=self.settings)[0]

    @property
    def cache_id(self) -> str:
        """What identifies its outputs (benchmark caches)."""
        s = self.settings
        return (f"rdoq-v{RDOQ_VERSION}:strength={s.strength:g},beta={s.beta:g},chroma={int(s.chroma)},"
                f"passes={s.passes},masking={s.masking:g}{self._extra},quality={self.quality:g},codec={self.codec}")

    @property
    def _extra(self) -> str:
        """Settings added after version 4, named only when not at the current default (``dc``, ``anchor``: their
        neutral value)."""
        s, d = self.settings, RdoqSettings()
        return ((",dc=1" if s.dc else "") + (f",anchor={s.anchor:g}" if s.anchor else "")
                + (f",fancy={int(s.fancy)}" if s.fancy != d.fancy else "")
                + (f",cstrength={s.cstrength:g}" if s.cstrength != d.cstrength else "")
                + (f",qexp={s.qexp:g}" if s.qexp != d.qexp else "")
                + (f",huffman={int(s.huffman)}" if s.huffman != d.huffman else "")
                + (f",bslope={s.bslope:g}" if s.bslope != d.bslope else "")
                + (f",calm={s.calm:g}/{s.calm_strength:g}/{s.calm_beta:g}/{s.calm_masking:g}/{s.calm_flat:g}"
                   + (f"/ramp={s.calm_ramp:g}" if s.calm_ramp else "") if _calm_fields(s) != _calm_fields(d) else "")
                + (f",risky={s.risky:g}/{s.risky_flat:g}/{s.risky_strength:g}"
                   if _risky_fields(s) != _risky_fields(d) else ""))

    def __repr__(self) -> str:
        return self.cache_id


def _calm_fields(s: RdoqSettings) -> tuple[float, ...]:
    return s.calm, s.calm_strength, s.calm_beta, s.calm_masking, s.calm_flat, s.calm_ramp


def _risky_fields(s: RdoqSettings) -> tuple[float, ...]:
    return s.risky, s.risky_flat, s.risky_strength


class MatchedDeadzone:
    """The pool's ``deadzone`` (luma AC coefficients under 0.7 of the step zeroed) at the encode's own quality
    instead of q75: the baseline of the quality-aware family (IJG luma table at that quality number, also for
    jpegli)."""

    cache_id = "deadzone-matched-v1"
    #: Codecs :meth:`at_quality` serves.
    codecs = RDOQ_CODECS

    def __call__(self, image: Image) -> Image:
        return deadzone(image)

    def at_quality(self, image: Image, quality: float, codec: str = "jpeg",
                   options: Mapping[str, Any] | None = None) -> Image:
        """``deadzone`` with the thresholds of ``quality``."""
        return deadzone(image, quality=quality)

    def __repr__(self) -> str:
        return DEADZONE_MATCHED
