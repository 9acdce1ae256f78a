"""Text detection with PP-OCRv4's detection network (shipped in rapidocr-onnxruntime), DB post-processing."""

from __future__ import annotations

import cv2
import numpy as np

from qualipress.detect._models import ppocr_det_session
from qualipress.detect.regions import Region

_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)

#: A compact component (box sides within :data:`FLAT_ASPECT` of each other) whose luma, smoothed by a 5×5 box mean,
#: varies by less than this standard deviation (8-bit codes) inside it holds no strokes: a flat blob the network
#: fires on (QA 11: a film frame's bright highlight disc, 0.07-0.15), not text. Measured with
#: ``benchmarks/text_flat_blobs.py``: every component the network keeps on Kodak and the people photos is at 1.9
#: or more (99 components, 36 images), so none of them is dropped.
FLAT_STD = 1.0
#: Longer box side over shorter side up to which a flat component counts as a blob (a text line is longer).
FLAT_ASPECT = 2.0


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
    flat_std: float = FLAT_STD,
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
    flat_std : float
        Compact components whose smoothed luma varies less than this inside them are dropped
        (:data:`FLAT_STD`); 0 keeps them.
    """
    prob = text_probability(rgb)
    luma = cv2.blur(rgb[..., :3].astype(np.float32).mean(axis=2), (5, 5)) if flat_std > 0 else None
    binary = (prob > threshold).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=4)
    h, w = binary.shape
    out: list[Region] = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if min(bw, bh) < min_side:
            continue
        mine = labels[y : y + bh, x : x + bw] == i
        score = float(prob[y : y + bh, x : x + bw][mine].mean())
        if score < box_threshold:
            continue
        if (luma is not None and max(bw, bh) <= FLAT_ASPECT * min(bw, bh)
                and float(luma[y : y + bh, x : x + bw][mine].std()) < flat_std):
            continue  # a flat blob (a highlight disc), no strokes
        d = area * unclip / max(1.0, 2.0 * (bw + bh))
        box = (max(0.0, x - d), max(0.0, y - d), min(float(w), x + bw + d), min(float(h), y + bh + d))
        out.append(Region("text", box, score, source="ppocr-det"))
    return out
