"""Classical saliency (spectral residual, Hou & Zhang 2007): a fallback that needs no model."""

from __future__ import annotations

import cv2
import numpy as np

from qualipress.detect.regions import Region, component_regions


def saliency_map(rgb: np.ndarray, *, width: int = 64) -> np.ndarray:
    """Spectral-residual saliency ``(H, W)`` float32 in ``[0, 1]``.

    The grey image is shrunk to ``width`` columns, the log-amplitude spectrum minus its local (3×3) mean is
    kept with the original phase, transformed back, squared and blurred, then resized to the image.
    """
    h, w = rgb.shape[:2]
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    sw = max(8, min(width, w))
    sh = max(8, round(h * sw / w))
    small = cv2.resize(grey, (sw, sh), interpolation=cv2.INTER_AREA)
    spec = np.fft.fft2(small)
    log_amp = np.log(np.abs(spec) + 1e-8)
    phase = np.angle(spec)
    residual = log_amp - cv2.blur(log_amp.astype(np.float32), (3, 3))
    sal = np.abs(np.fft.ifft2(np.exp(residual + 1j * phase))) ** 2
    sal = cv2.GaussianBlur(sal.astype(np.float32), (0, 0), sigmaX=max(1.0, sw / 24))
    sal = cv2.resize(sal, (w, h), interpolation=cv2.INTER_LINEAR)
    lo, hi = float(sal.min()), float(sal.max())
    return ((sal - lo) / (hi - lo)).astype(np.float32) if hi > lo else np.zeros((h, w), np.float32)


def detect_saliency(rgb: np.ndarray, *, factor: float = 3.0, min_area: float = 0.005) -> list[Region]:
    """Salient areas: pixels above ``factor`` × mean saliency, one region (with mask) per component."""
    sal = saliency_map(rgb)
    mean = float(sal.mean())
    if mean <= 0:
        return []
    return component_regions(sal > min(0.95, factor * mean), sal, "saliency", "spectral-residual", min_area=min_area)
