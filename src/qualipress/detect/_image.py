"""Input conversion shared by the detectors."""

from __future__ import annotations

import numpy as np

from qualipress.errors import InputError
from qualipress.io.image import Image, as_image


def to_rgb8(image: Image | np.ndarray) -> np.ndarray:
    """8-bit RGB ``(H, W, 3)`` view of any image the detectors accept.

    Grey is replicated, alpha dropped, 9–16-bit integers scaled down, float images clipped to ``[0, 1]``
    (detectors only need a display-like picture; this never changes what gets encoded).
    """
    img = as_image(image)
    px = img.color().pixels
    if img.is_float:
        arr = np.nan_to_num(px, nan=0.0, posinf=1.0, neginf=0.0)
        px8 = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif px.dtype == np.uint16:
        px8 = (px.astype(np.float32) * (255.0 / img.max_value) + 0.5).clip(0, 255).astype(np.uint8)
    else:
        px8 = px
    if px8.shape[2] == 1:
        px8 = np.repeat(px8, 3, axis=2)
    if px8.shape[2] != 3:
        raise InputError(f"cannot run detectors on a {px8.shape[2]}-channel image")
    return np.ascontiguousarray(px8)
