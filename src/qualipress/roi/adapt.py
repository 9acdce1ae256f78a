"""Per-image statistics the ``jpeg-roi`` encoder adapts its allocation to (issue 14, held-out follow-up).

The quality profile (:mod:`qualipress.roi.mapping`) was first chosen for all photos alike. Photos that went
through 4:2:0 JPEG before (most web photos; on the annotated people set the AI Challenger, OCHuman and PoseTrack
files) or that simply carry little colour detail gain nothing from 4:4:4: the chroma blocks cost bits and hold
no detail. What the encoder can see in the pixels:

* :func:`chroma_energy`: how much fine (2×2-scale) detail the chroma planes hold, i.e. what 4:2:0 would remove.
  A decoded 4:2:0 JPEG has almost none (its chroma was stored at half resolution and interpolated back), a grey
  photo exactly none. :func:`qualipress.roi.mapping.profile_for` compares it with the chroma quantisation step
  of the quality being encoded. (The same relative to luma, ``chroma_detail`` in ``benchmarks/roi_adapt.py``, was
  measured and not used.)
* the share of the picture in the detected ROI (:class:`ImageTraits`), for the background quality.

The figures behind the thresholds are in ``docs/roi.md`` §7 (*Per-image adaptation*).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from qualipress.io.jpegtables import RGB_TO_YCBCR


@dataclass(frozen=True)
class ImageTraits:
    """What the per-image adaptation of ``jpeg-roi`` looks at.

    Attributes
    ----------
    chroma_energy : float or None
        :func:`chroma_energy` of the image; None for grey images (no chroma to subsample).
    roi_fraction : float
        Share of the image's pixels in the (refined) ROI.
    """

    chroma_energy: float | None
    roi_fraction: float

    def to_dict(self) -> dict[str, float | None]:
        return {"chroma_energy": None if self.chroma_energy is None else round(self.chroma_energy, 4),
                "roi_fraction": round(self.roi_fraction, 4)}


def image_traits(pixels: np.ndarray, roi_mask: np.ndarray) -> ImageTraits:
    """:class:`ImageTraits` of 8-bit pixels and their boolean ROI mask."""
    px = np.asarray(pixels)
    grey = px.ndim == 2 or px.shape[2] == 1
    m = np.asarray(roi_mask, bool)
    return ImageTraits(None if grey else chroma_energy(px), float(m.mean()) if m.size else 0.0)


def fine_energies(planes: np.ndarray, *, per_channel: bool = True) -> np.ndarray:
    """Mean squared difference between float32 ``(H, W, C)`` planes and their 2×2-mean, bilinearly re-enlarged
    version (what halving the resolution loses): one value per channel, or one over all channels."""
    import cv2

    h, w = planes.shape[:2]
    p = np.ascontiguousarray(planes[: h - h % 2, : w - w % 2])
    small = cv2.resize(p, (p.shape[1] // 2, p.shape[0] // 2), interpolation=cv2.INTER_AREA)
    up = cv2.resize(small, (p.shape[1], p.shape[0]), interpolation=cv2.INTER_LINEAR).reshape(p.shape)
    if not per_channel:
        return np.array([cv2.norm(p, up, cv2.NORM_L2SQR) / p.size])
    n = p.shape[0] * p.shape[1]
    return np.array([cv2.norm(a, b, cv2.NORM_L2SQR) / n for a, b in zip(cv2.split(p), cv2.split(up), strict=True)])


def jfif_planes(px: np.ndarray, rows: slice) -> np.ndarray:
    """JFIF Y / Cb / Cr planes (``rows`` of the colour matrix; offsets dropped) as float32 ``(H, W, k)``."""
    import cv2

    m = RGB_TO_YCBCR[rows].astype(np.float32)
    return cv2.transform(np.ascontiguousarray(px, dtype=np.float32), m).reshape(px.shape[0], px.shape[1], -1)


def chroma_energy(pixels: np.ndarray) -> float:
    """Fine (2×2-scale) chroma energy ``(E(Cb) + E(Cr)) / 2`` in squared 8-bit code values (0 for grey).

    What 4:2:0 subsampling would remove, to be compared with
    the chroma quantisation step of a quality.
    """
    px = np.asarray(pixels)
    if px.ndim == 2 or (px.ndim == 3 and px.shape[2] == 1) or px.shape[0] < 2 or px.shape[1] < 2:
        return 0.0
    return float(fine_energies(jfif_planes(px, slice(1, 3)), per_channel=False)[0])


def option_flag(value: Any, default: bool) -> bool:
    """A boolean ``jpeg-roi`` option given as a bool or as command-line text (``false``, ``0``, ``no``, ``off``
    are false); ``default`` when not given."""
    if value is None:
        return default
    return str(value).strip().lower() not in ("false", "0", "no", "off")


def adapting(options: Mapping[str, Any]) -> bool:
    """Whether a ``jpeg-roi`` option set asks for the per-image adaptation (option ``adapt``, default on)."""
    return option_flag(options.get("adapt"), True)


def adapted_bg_quality(quality: float, traits: ImageTraits | None) -> float:
    """Background quality for ROI quality ``quality``: the fixed mapping without ``traits``, otherwise the
    large-ROI ratio and the step cap (:func:`qualipress.roi.mapping.bg_quality_for`)."""
    from qualipress.roi.mapping import MAX_BG_STEP_RATIO, bg_quality_for

    if traits is None:
        return bg_quality_for(quality)
    return bg_quality_for(quality, traits.roi_fraction, max_step_ratio=MAX_BG_STEP_RATIO)
