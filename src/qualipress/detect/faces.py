"""Face detection: CenterFace (ONNX, via OpenCV DNN) with an OpenCV Haar cascade as fallback."""

from __future__ import annotations

import cv2
import numpy as np

from qualipress.detect._models import centerface_net, haar_cascade
from qualipress.detect.regions import Region


def _nms(boxes: np.ndarray, scores: np.ndarray, thr: float) -> list[int]:
    if len(boxes) == 0:
        return []
    xywh = [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes]
    keep = cv2.dnn.NMSBoxes(xywh, [float(s) for s in scores], 0.0, thr)
    return [int(i) for i in np.asarray(keep).reshape(-1)]


def detect_faces_centerface(
    rgb: np.ndarray, *, threshold: float = 0.4, max_side: int = 1280, nms: float = 0.3, min_size: float = 6.0
) -> list[Region]:
    """Faces with CenterFace.

    Parameters
    ----------
    rgb : numpy.ndarray
        uint8 ``(H, W, 3)``.
    threshold : float
        Minimum heat-map score.
    max_side : int
        The image is downscaled so its longer side is at most this (speed); boxes are mapped back.
    nms : float
        IoU above which overlapping detections are merged.
    min_size : float
        Faces narrower or shorter than this many image pixels are dropped (on images smaller than the network's
        32-pixel minimum input, the stretched pixels otherwise yield "faces" of a pixel or two).
    """
    h, w = rgb.shape[:2]
    s = min(1.0, max_side / max(h, w))
    w_in = max(32, int(np.ceil(w * s / 32)) * 32)
    h_in = max(32, int(np.ceil(h * s / 32)) * 32)
    sx, sy = w_in / w, h_in / h
    blob = cv2.dnn.blobFromImage(rgb, 1.0, (w_in, h_in), (0, 0, 0), swapRB=False, crop=False)
    net = centerface_net((h_in, w_in))
    net.setInput(blob)
    heat, scale, offset, _ = net.forward(["537", "538", "539", "540"])
    heat = heat[0, 0]
    ys, xs = np.nonzero(heat > threshold)
    if len(ys) == 0:
        return []
    bh = np.exp(scale[0, 0, ys, xs]) * 4.0
    bw = np.exp(scale[0, 1, ys, xs]) * 4.0
    cy = (ys + offset[0, 0, ys, xs] + 0.5) * 4.0
    cx = (xs + offset[0, 1, ys, xs] + 0.5) * 4.0
    boxes = np.stack([(cx - bw / 2) / sx, (cy - bh / 2) / sy, (cx + bw / 2) / sx, (cy + bh / 2) / sy], axis=1)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
    scores = heat[ys, xs]
    return [
        Region("faces", tuple(boxes[i]), float(scores[i]), source="centerface")
        for i in _nms(boxes, scores, nms)
        if boxes[i, 2] - boxes[i, 0] >= min_size and boxes[i, 3] - boxes[i, 1] >= min_size
    ]


def detect_faces_haar(rgb: np.ndarray, *, min_size: int = 24) -> list[Region]:
    """Frontal faces with OpenCV's Haar cascade (weaker; no real score, reported as 0.5)."""
    grey = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    found = haar_cascade("haarcascade_frontalface_default.xml").detectMultiScale(
        grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_size, min_size)
    )
    return [Region("faces", (x, y, x + fw, y + fh), 0.5, source="haar") for (x, y, fw, fh) in found]
