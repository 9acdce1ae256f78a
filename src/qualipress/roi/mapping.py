"""The single-knob quality mapping of ``jpeg-roi``: one ``--quality`` → (ROI quality, background quality).

ROI blocks are encoded at IJG quality ``Q`` and background blocks at ``bg_quality_for(Q) = max(5, round(0.45 * Q))``
(Q=90 → 40, the seed paper's pair; Q=75 → 34; Q=50 → 22). Both the codec and its rate control read it from here.
"""

from __future__ import annotations


def bg_quality_for(quality: float) -> float:
    """Background quality paired with ROI quality ``quality`` by the single-knob mapping."""
    return float(max(5, round(0.45 * float(quality))))
