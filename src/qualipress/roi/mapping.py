"""The single-knob quality mapping of ``jpeg-roi``: one ``--quality`` → ROI quality, background quality and the
encoder profile.

ROI blocks are encoded at IJG quality ``Q`` and background blocks at ``bg_quality_for(Q) = max(5, round(0.45 * Q))``
(Q=90 → 40, the seed paper's pair; Q=75 → 34; Q=50 → 22). Both the codec and its rate control read it from here.

The rest of the encoder's defaults depend on the ROI quality too (:func:`profile_for`): below
:data:`LOW_RATE_QUALITY` (about 0.6 bpp on the annotated people photos) the encoder writes 4:2:0 with flat
tables, since in 4:4:4 every chroma block pays its DC difference and end-of-block code, which at 0.5 bpp
(32 bits per 8×8 luma block) is a large share of the file; from there on 4:4:4 with tables halfway flat.
The figures behind every value are in ``docs/roi.md`` §7 (*Against annotated people*).

**Per-image adaptation** (issue 14, held-out follow-up; ``docs/roi.md`` §7, *Per-image adaptation*): given what
the encoder sees in the image (:class:`qualipress.roi.adapt.ImageTraits`), the fixed switch at quality 45 is
replaced by a per-image one: the low-rate profile (4:2:0) is kept as long as the image's fine chroma energy is
below :data:`CHROMA_K` × (the chroma DC step of the quality)², i.e. while 4:4:4 would spend bits on chroma detail
the quantiser removes anyway. And when the detected ROI covers :data:`LARGE_ROI` of the picture or more, the
background is encoded at :data:`LARGE_ROI_BG_RATIO` × the ROI quality instead of 0.45 ×: there is little
background to take bits from, and what the detector missed of the people lies in it. At high qualities the
background's quantiser steps are kept within :data:`MAX_BG_STEP_RATIO` × the ROI's.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from qualipress.io.jpegtables import ijg_scale
from qualipress.roi.encoder import STD_CHROMA, quality_table

#: Background quality as a fraction of the ROI quality (the seed paper's 90 → 40).
BG_RATIO = 0.45
#: Share of the picture in the detected ROI from which the background gets :data:`LARGE_ROI_BG_RATIO`.
LARGE_ROI = 0.34
#: Background / ROI quality ratio for large ROIs (per-image adaptation).
LARGE_ROI_BG_RATIO = 0.55
#: With the adaptation, background quantiser steps are at most this many times the ROI's (binds from ROI
#: quality ≈ 83 up, where 0.45 × Q would make them 5–19× finer in the ROI).
MAX_BG_STEP_RATIO = 4.0


def quality_for_scale(scale: float) -> float:
    """Inverse of :func:`ijg_scale` (a real-valued quality in 1..100)."""
    s = max(float(scale), 0.0)
    q = 5000.0 / s if s > 100.0 else (200.0 - s) / 2.0
    return min(max(q, 1.0), 100.0)


def bg_quality_for(quality: float, roi_fraction: float | None = None, max_step_ratio: float | None = None,
                   min_step_ratio: float | None = None) -> float:
    """Background quality paired with ROI quality ``quality`` by the single-knob mapping.

    ``max(5, round(0.45 * Q))``; with ``roi_fraction`` (share of the picture in the detected ROI, per-image
    adaptation) at or above :data:`LARGE_ROI`, ``max(5, round(0.55 * Q))``. With ``max_step_ratio`` the
    background's quantiser steps are at most that many times the ROI's (the quality ratio alone makes them 2× at
    Q = 30 but 6× at Q = 90 and 19× at Q = 97); with ``min_step_ratio`` at least that many times (binds at the low
    end, where 0.45 × Q makes them only 2.2× the ROI's), never below quality 5. The codec's mapping does not use
    ``min_step_ratio``: a floor of 3 with ring weight 0.55, chosen on the COCO photos (+0.16 / +0.20 / +0.19 dB),
    lost 0.11 / 0.10 / 0.01 dB ROI and 1.1 dB background on the held-out photos (``docs/roi.md`` §7, *Outside
    blocks and the low-rate mapping*).
    """
    large = roi_fraction is not None and float(roi_fraction) >= LARGE_ROI
    bg = float(max(5, round((LARGE_ROI_BG_RATIO if large else BG_RATIO) * float(quality))))
    if min_step_ratio is not None:
        bg = max(5.0, min(bg, float(math.floor(quality_for_scale(min_step_ratio * ijg_scale(quality))))))
    if max_step_ratio is not None:
        bg = max(bg, float(math.ceil(quality_for_scale(max_step_ratio * ijg_scale(quality)))))
    return min(bg, float(quality))


#: ROI qualities below this get the low-rate profile (:data:`LOW_RATE`), the others :data:`HIGH_RATE` (when the
#: image's chroma energy is not known; see :func:`profile_for`).
LOW_RATE_QUALITY = 45.0
#: Per-image switch: the low-rate profile (4:2:0) while the fine chroma energy is below ``CHROMA_K`` × the
#: squared chroma DC step of the quality (:func:`profile_for`).
CHROMA_K = 0.01


@dataclass(frozen=True)
class Profile:
    """Encoder defaults for one range of ROI qualities (each is a ``RoiJpegCodec`` option of the same name).

    Attributes
    ----------
    subsampling : str
        Chroma subsampling (``"444"`` or ``"420"``).
    table_flatness : float
        How far the base tables move from Annex K toward the DC step (``encoder.flattened``).
    fine_rdo : float
        RDO strength of the ROI blocks, as a fraction of their quality's multiplier.
    block_threshold : float
        Share of an MCU the ROI must cover for the MCU to be an ROI block.
    ring : int
        Width in MCUs of the transition ring around the ROI blocks.
    ring_weight : float
        Quality of the ring between background (0) and ROI (1).
    rdo_bits : float
        Rate model of the RDO: bits a non-zero AC coefficient costs on top of its magnitude bits
        (``encoder.rdo_quantise``).
    """

    subsampling: str
    table_flatness: float
    fine_rdo: float
    block_threshold: float
    ring: int
    ring_weight: float
    rdo_bits: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Quality of the transition ring, the fraction of the way from the background to the ROI quality, in both profiles
#: (0.3 / 0.2 before issue 14 session 8; 0.4 chosen on the COCO photos: same ROI PSNR, better background,
#: ``docs/roi.md`` §7 *Coverage and the ring*).
RING_WEIGHT = 0.4
#: Below :data:`LOW_RATE_QUALITY`: 4:2:0 (16×16 MCUs, so a quarter-covered MCU is already ROI), flat tables,
#: lighter RDO in the ROI, a one-MCU ring at :data:`RING_WEIGHT`, 2 bits per non-zero symbol.
LOW_RATE = Profile("420", 1.0, 0.5, 0.25, 1, RING_WEIGHT, 2.0)
#: From :data:`LOW_RATE_QUALITY` up: 4:4:4 (ROI blocks keep their colour detail), tables three quarters flat,
#: a two-MCU (16 px) ring at :data:`RING_WEIGHT`, 2 bits per non-zero symbol.
HIGH_RATE = Profile("444", 0.75, 1.0, 0.5, 2, RING_WEIGHT, 2.0)


def chroma_step(quality: float) -> float:
    """DC step of the IJG chroma table at ``quality`` (the table flattening keeps the DC step)."""
    return float(quality_table(STD_CHROMA, quality)[0, 0])


def profile_for(quality: float, chroma_energy: float | None = None) -> Profile:
    """Encoder defaults for ROI quality ``quality`` (:data:`LOW_RATE` or :data:`HIGH_RATE`).

    Parameters
    ----------
    quality : float
        ROI quality.
    chroma_energy : float, optional
        The image's fine chroma energy (:func:`qualipress.roi.adapt.chroma_energy`). Without it the switch is
        at :data:`LOW_RATE_QUALITY` for every image; with it, :data:`LOW_RATE` while
        ``chroma_energy < CHROMA_K * chroma_step(quality) ** 2``.
    """
    if chroma_energy is None:
        return LOW_RATE if float(quality) < LOW_RATE_QUALITY else HIGH_RATE
    return LOW_RATE if float(chroma_energy) < CHROMA_K * chroma_step(quality) ** 2 else HIGH_RATE


def switch_quality(chroma_energy: float | None = None) -> int | None:
    """Lowest integer quality in 1..100 that gets :data:`HIGH_RATE` (None when none does).

    The chroma step falls as the quality rises, so :func:`profile_for` switches once, from :data:`LOW_RATE` to
    :data:`HIGH_RATE`, at this quality.
    """
    return next((q for q in range(1, 101) if profile_for(q, chroma_energy) is HIGH_RATE), None)
