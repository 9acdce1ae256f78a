"""The single-knob quality mapping of ``jpeg-roi``: one ``--quality`` → ROI quality, background quality and the
encoder profile.

ROI blocks are encoded at IJG quality ``Q`` and background blocks at ``bg_quality_for(Q) = max(5, round(0.45 * Q))``
(Q=90 → 40, the seed paper's pair; Q=75 → 34; Q=50 → 22). Both the codec and its rate control read it from here.

The rest of the encoder's defaults depend on the ROI quality too (:func:`profile_for`): below
:data:`LOW_RATE_QUALITY` (about 0.6 bpp on the annotated people photos) the encoder writes 4:2:0 with flat
tables, since in 4:4:4 every chroma block pays its DC difference and end-of-block code, which at 0.5 bpp
(32 bits per 8×8 luma block) is a large share of the file; from there on 4:4:4 with tables halfway flat.
The figures behind every value are in ``docs/roi.md`` §7 (*Against annotated people*).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


def bg_quality_for(quality: float) -> float:
    """Background quality paired with ROI quality ``quality`` by the single-knob mapping."""
    return float(max(5, round(0.45 * float(quality))))


#: ROI qualities below this get the low-rate profile (:data:`LOW_RATE`), the others :data:`HIGH_RATE`.
LOW_RATE_QUALITY = 45.0


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


#: Below :data:`LOW_RATE_QUALITY`: 4:2:0 (16×16 MCUs, so a quarter-covered MCU is already ROI), flat tables,
#: lighter RDO in the ROI, a one-MCU ring at 30% of the way to the ROI quality, 2 bits per non-zero symbol.
LOW_RATE = Profile("420", 1.0, 0.5, 0.25, 1, 0.3, 2.0)
#: From :data:`LOW_RATE_QUALITY` up: 4:4:4 (ROI blocks keep their colour detail), tables three quarters flat,
#: a two-MCU (16 px) ring at 20% of the way to the ROI quality, 2 bits per non-zero symbol.
HIGH_RATE = Profile("444", 0.75, 1.0, 0.5, 2, 0.2, 2.0)


def profile_for(quality: float) -> Profile:
    """Encoder defaults for ROI quality ``quality`` (:data:`LOW_RATE` or :data:`HIGH_RATE`)."""
    return LOW_RATE if float(quality) < LOW_RATE_QUALITY else HIGH_RATE
