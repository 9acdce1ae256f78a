"""Text detection with PP-OCRv4's detection network (shipped in rapidocr-onnxruntime), DB post-processing."""

from __future__ import annotations

import cv2
import numpy as np

from qualipress.detect._models import ppocr_det_session
from qualipress.detect.regions import Region

_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


def text_probability(rgb: np.ndarray, *, max_side: int = 960) -> np.ndarray:
    """Per-pixel text probability ``(H, W)`` float32 (the network's map resized to the image)."""
    h, w = rgb.shape[:2]
    s = min(1.0, max_side / max(h, w))
    w_in = max(32, round(w * s / 32) * 32)
    h_in = max(32, round(h * s / 32) * 32)
    x = cv2.resize(rgb, (w_in, h_in), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    x = (x.astype(np.float32) / 255.0 - _MEAN) / _STD
    sess = ppocr_det_session()
    prob = sess.run(None, {sess.get_inputs()[0].name: x.transpose(2, 0, 1)[None]})[0][0, 0]
    return cv2.resize(prob.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def detect_text(
    rgb: np.ndarray,
    *,
    threshold: float = 0.3,
    box_threshold: float = 0.6,
    unclip: float = 1.6,
    min_side: int = 3,
) -> list[Region]:
    """Text lines/words as boxes.

    Parameters
    ----------
    rgb : numpy.ndarray
        uint8 ``(H, W, 3)``.
    threshold : float
        Probability threshold of the binary text map.
    box_threshold : float
        Minimum mean probability inside a component for it to count.
    unclip : float
        The network shrinks text kernels; each box grows by ``area * unclip / perimeter`` on every side.
    min_side : int
        Components thinner than this (pixels) are dropped.
    """
    prob = text_probability(rgb)
    binary = (prob > threshold).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=4)
    h, w = binary.shape
    out: list[Region] = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if min(bw, bh) < min_side:
            continue
        score = float(prob[y : y + bh, x : x + bw][labels[y : y + bh, x : x + bw] == i].mean())
        if score < box_threshold:
            continue
        d = area * unclip / max(1.0, 2.0 * (bw + bh))
        box = (max(0.0, x - d), max(0.0, y - d), min(float(w), x + bw + d), min(float(h), y + bh + d))
        out.append(Region("text", box, score, source="ppocr-det"))
    return out
