"""Quality report of an ROI encode: ROI / background / whole-image metrics and detector agreement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from qualipress import metrics as _metrics
from qualipress.detect import Region, detect, match_regions, normalize_classes
from qualipress.io.image import Image, as_image

#: Classes whose detector agreement the report checks by default.
AGREEMENT_CLASSES = ("faces", "persons")


def _scoped(ref: Image, dec: Image, mask: np.ndarray | None, names: Sequence[str]) -> dict[str, float] | None:
    if mask is not None and not mask.any():
        return None
    res = _metrics.measure(ref, dec, names, mask=mask)
    return {k: round(float(v.value), 5) for k, v in res.items()}


def quality_report(
    original: Image | np.ndarray,
    decoded: Image | np.ndarray,
    roi_mask: np.ndarray,
    *,
    data: bytes | None = None,
    regions: Sequence[Region] | None = None,
    agreement_classes: str | Iterable[str] | None = AGREEMENT_CLASSES,
    iou_threshold: float = 0.5,
) -> dict[str, Any]:
    """Measure an ROI encode.

    Parameters
    ----------
    original, decoded : Image or numpy.ndarray
        Same shape, integer.
    roi_mask : numpy.ndarray
        Boolean ``(H, W)`` ROI (pixel or block mask) the ROI/background scores are computed over.
    data : bytes, optional
        The encoded file, for size and bpp.
    regions : sequence of Region, optional
        Regions detected on the original; when given with ``agreement_classes`` the same detectors run on the
        decoded image and their boxes are matched one-to-one at ``IoU >= iou_threshold`` (F1 per class).
    agreement_classes : str or iterable of str or None
        Classes to check (None or empty to skip; detector time is not small).

    Returns
    -------
    dict
        ``{"whole": {psnr, ssim}, "roi": {...} | None, "background": {...} | None, "roi_fraction",
        "bytes", "bpp", "agreement": {class: Agreement.to_dict()}}``.
    """
    ref, dec = as_image(original), as_image(decoded)
    mask = np.asarray(roi_mask).astype(bool)
    names = ("psnr", "ssim")
    out: dict[str, Any] = {
        "whole": _scoped(ref, dec, None, names),
        "roi": _scoped(ref, dec, mask, names),
        "background": _scoped(ref, dec, ~mask, names),
        "roi_fraction": round(float(mask.mean()), 4),
    }
    if data is not None:
        out["bytes"] = len(data)
        out["bpp"] = round(8 * len(data) / (ref.width * ref.height), 5)
    if regions is not None and agreement_classes:
        classes = normalize_classes(agreement_classes)
        found = detect(dec, classes)
        out["agreement"] = {
            c: match_regions(regions, found, iou_threshold=iou_threshold, classes=(c,)).to_dict() for c in classes
        }
    return out
