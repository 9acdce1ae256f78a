"""Person detection: MediaPipe selfie segmentation (a mask per person area), Haar full-body fallback."""

from __future__ import annotations

import cv2
import numpy as np

from qualipress.detect._models import haar_cascade, selfie_segmenter
from qualipress.detect.regions import Region, component_regions


def person_probability(rgb: np.ndarray, *, model_selection: int = 0) -> np.ndarray:
    """Per-pixel person probability ``(H, W)`` float32 in ``[0, 1]`` from MediaPipe selfie segmentation."""
    res = selfie_segmenter(model_selection).process(np.ascontiguousarray(rgb))
    prob = res.segmentation_mask
    if prob is None:
        return np.zeros(rgb.shape[:2], np.float32)
    return np.asarray(prob, dtype=np.float32)


def detect_persons_mediapipe(
    rgb: np.ndarray, *, threshold: float = 0.5, min_area: float = 0.002, model_selection: int = 0
) -> list[Region]:
    """Person areas as regions carrying their own masks (one per connected component).

    Parameters
    ----------
    rgb : numpy.ndarray
        uint8 ``(H, W, 3)``.
    threshold : float
        Probability above which a pixel is "person".
    min_area : float
        Components smaller than this fraction of the image are dropped.
    model_selection : int
        0 = general 256×256 model, 1 = landscape 144×256 model.
    """
    prob = person_probability(rgb, model_selection=model_selection)
    return component_regions(prob > threshold, prob, "persons", "mediapipe-selfie", min_area=min_area)


def detect_persons_haar(rgb: np.ndarray) -> list[Region]:
    """Full bodies with OpenCV's Haar cascade (weak; score reported as 0.5)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    found = haar_cascade("haarcascade_fullbody.xml").detectMultiScale(grey, scaleFactor=1.1, minNeighbors=3)
    return [Region("persons", (x, y, x + bw, y + bh), 0.5, source="haar") for (x, y, bw, bh) in found]
