"""User-given regions: a mask PNG or a boxes JSON file."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.detect.regions import ALIASES, Region, normalize_classes
from qualipress.errors import InputError
from qualipress.io.files import atomic_write_bytes


def load_mask(path: str | Path, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read a mask image as a boolean ``(H, W)`` array.

    Any image Pillow opens is accepted; it is converted to grey and pixels above 127 are ROI. When the file
    has an alpha channel whose values vary, the alpha channel is used instead (so a cut-out PNG works too).

    Parameters
    ----------
    shape : (int, int), optional
        Expected ``(height, width)``; a mask of another size is refused (never silently resized).

    Raises
    ------
    InputError
        Unreadable file or wrong size.
    """
    from PIL import Image as PILImage

    p = Path(path)
    try:
        with PILImage.open(p) as im:
            im.load()
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                alpha = np.asarray(im.convert("RGBA"))[..., 3]
                varies = alpha.min() != alpha.max()
                mask = alpha > 127 if varies else np.asarray(im.convert("L")) > 127
            else:
                mask = np.asarray(im.convert("L")) > 127
    except (OSError, ValueError) as exc:
        raise InputError(f"{p}: cannot read mask image ({exc})") from exc
    if shape is not None and mask.shape != (int(shape[0]), int(shape[1])):
        raise InputError(
            f"{p}: mask is {mask.shape[1]}x{mask.shape[0]} but the image is {shape[1]}x{shape[0]}; "
            "give a mask of the same size"
        )
    return mask


def mask_region(mask: np.ndarray, *, label: str = "user", source: str = "user-mask") -> Region | None:
    """One region covering a boolean mask (its bounding box plus the mask), or None when the mask is empty."""
    m = np.asarray(mask).astype(bool)
    if m.ndim != 2:
        raise InputError(f"mask must be 2-D, got shape {m.shape}")
    ys, xs = np.nonzero(m)
    if len(ys) == 0:
        return None
    box = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
    return Region(label, box, 1.0, mask=m, source=source)


def _parse_box(item: dict[str, Any], where: str) -> tuple[float, float, float, float]:
    if "box" in item:
        v = item["box"]
        if len(v) != 4:
            raise InputError(f"{where}: 'box' needs [x0, y0, x1, y1]")
        return float(v[0]), float(v[1]), float(v[2]), float(v[3])
    if "bbox" in item:
        v = item["bbox"]
        if len(v) != 4:
            raise InputError(f"{where}: 'bbox' needs [x, y, w, h] (COCO style)")
        return float(v[0]), float(v[1]), float(v[0]) + float(v[2]), float(v[1]) + float(v[3])
    if all(k in item for k in ("x", "y", "w", "h")):
        x, y = float(item["x"]), float(item["y"])
        return x, y, x + float(item["w"]), y + float(item["h"])
    raise InputError(f"{where}: needs 'box' [x0,y0,x1,y1], 'bbox' [x,y,w,h] or x/y/w/h")


def load_boxes(path: str | Path, shape: tuple[int, int] | None = None) -> list[Region]:
    """Read regions from a JSON file.

    Accepted forms: a list of objects, or ``{"regions": [...]}``. Each object has one of ``"box": [x0, y0,
    x1, y1]``, ``"bbox": [x, y, w, h]`` (COCO) or ``x``/``y``/``w``/``h``, and optionally ``"label"`` (or
    ``"class"``; default ``"user"``) and ``"score"`` (default 1.0). Boxes are clipped to ``shape`` when given.

    Raises
    ------
    InputError
        Unreadable or malformed file.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{p}: cannot read boxes JSON ({exc})") from exc
    items = data.get("regions") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InputError(f"{p}: expected a list of boxes or {{'regions': [...]}}")
    out: list[Region] = []
    for i, item in enumerate(items):
        where = f"{p} item {i}"
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected an object")
        x0, y0, x1, y1 = _parse_box(item, where)
        if shape is not None:
            h, w = shape
            x0, x1 = float(np.clip(x0, 0, w)), float(np.clip(x1, 0, w))
            y0, y1 = float(np.clip(y0, 0, h)), float(np.clip(y1, 0, h))
        label = str(item.get("label", item.get("class", "user"))).lower()
        label = normalize_classes([label])[0] if label in ALIASES else "user"
        if x1 <= x0 or y1 <= y0:
            continue
        out.append(Region(label, (x0, y0, x1, y1), float(item.get("score", 1.0)), source="user-boxes"))
    return out


def mask_png(mask: np.ndarray) -> bytes:
    """A boolean mask as 8-bit greyscale PNG bytes (255 = ROI), readable by :func:`load_mask`."""
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.fromarray(np.asarray(mask, dtype=bool).astype(np.uint8) * 255, mode="L").save(buf, format="PNG")
    return buf.getvalue()


def save_mask(path: str | Path, mask: np.ndarray) -> Path:
    """Write a boolean mask as an 8-bit PNG (255 = ROI), atomically."""
    return atomic_write_bytes(path, mask_png(mask))


def save_boxes(path: str | Path, regions: list[Region]) -> Path:
    """Write regions (without masks) as ``{"regions": [...]}`` JSON, readable by :func:`load_boxes`."""
    text = json.dumps({"regions": [r.to_dict() for r in regions]}, indent=1)
    return atomic_write_bytes(path, text.encode("utf-8"))
