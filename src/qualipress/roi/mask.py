"""From regions to an encoder block map: mask refinement and per-MCU levels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from qualipress.detect import (
    DetectionReport,
    Region,
    detect_report,
    load_boxes,
    load_mask,
    mask_region,
    normalize_classes,
    priority_map,
)
from qualipress.errors import InputError
from qualipress.io.image import Image

#: Default classes when ROI detection is asked for without a list.
DEFAULT_ROI = ("faces", "persons", "text")


def roi_classes(roi: str | Iterable[str] | None, *, user_input: bool) -> tuple[str, ...]:
    """Detector classes from an option value: a comma-separated string or a sequence; None means
    :data:`DEFAULT_ROI`, or no detector at all when a user mask or boxes are given (``user_input``)."""
    if roi is None:
        return () if user_input else DEFAULT_ROI
    if isinstance(roi, str):
        return tuple(c.strip() for c in roi.split(",") if c.strip())
    return tuple(roi)


def refine_mask(
    mask: np.ndarray,
    *,
    dilate: int | None = None,
    close: int | None = None,
    min_area: float = 0.0005,
) -> np.ndarray:
    """Clean a binary ROI mask so it covers object borders and drops specks.

    Parameters
    ----------
    mask : numpy.ndarray
        bool ``(H, W)``.
    dilate : int, optional
        Dilation radius in pixels (default: 1% of the shorter side, at least 2) so that hair, ears and edges
        just outside a detector's box or segmentation are kept.
    close : int, optional
        Closing radius in pixels (default: twice the dilation) to fill holes and join near fragments.
    min_area : float
        Connected components smaller than this fraction of the image are removed (before dilation).

    Returns
    -------
    numpy.ndarray
        bool ``(H, W)``.
    """
    m = np.asarray(mask).astype(np.uint8)
    if m.ndim != 2:
        raise InputError(f"mask must be 2-D, got {m.shape}")
    if not m.any():
        return m.astype(bool)
    h, w = m.shape
    d = max(2, round(0.01 * min(h, w))) if dilate is None else int(dilate)
    c = 2 * d if close is None else int(close)
    if min_area > 0:
        _, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        small = np.nonzero(stats[1:, cv2.CC_STAT_AREA] < min_area * h * w)[0] + 1
        if len(small):
            m[np.isin(labels, small)] = 0
    if c > 0:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * c + 1, 2 * c + 1))
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, k)
    if d > 0:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * d + 1, 2 * d + 1))
        m = cv2.dilate(m, k)
    return m.astype(bool)


def refine_priority(pmap: np.ndarray, **kwargs: Any) -> np.ndarray:
    """Apply :func:`refine_mask` level by level to a priority map (higher levels win where they overlap)."""
    out = np.zeros_like(pmap, dtype=np.uint8)
    for level in sorted(int(v) for v in np.unique(pmap) if v > 0):
        m = refine_mask(pmap >= level, **kwargs)
        out[m] = np.maximum(out[m], level)
    return out


def coverage(mask: np.ndarray, mcu: tuple[int, int]) -> np.ndarray:
    """Fraction of each MCU's **in-image** pixels that the mask covers, ``(rows, cols)`` float."""
    h, w = mask.shape
    mh, mw = mcu
    rows, cols = -(-h // mh), -(-w // mw)
    padded = np.zeros((rows * mh, cols * mw), np.float64)
    inside = np.zeros_like(padded)
    padded[:h, :w] = mask
    inside[:h, :w] = 1.0
    num = padded.reshape(rows, mh, cols, mw).sum(axis=(1, 3))
    den = inside.reshape(rows, mh, cols, mw).sum(axis=(1, 3))
    return num / np.maximum(den, 1.0)


def block_levels(pmap: np.ndarray, mcu: tuple[int, int], *, threshold: float = 0.5) -> np.ndarray:
    """Level of every MCU: the highest priority ``p`` whose pixels (priority ≥ p) cover ≥ ``threshold`` of it.

    With a plain boolean mask this is the ROI block map (1 = ROI, 0 = background).

    Parameters
    ----------
    pmap : numpy.ndarray
        ``(H, W)`` priorities (bool or integer; 0 = background).
    mcu : (int, int)
        MCU height and width in pixels (16×16 for 4:2:0).
    threshold : float
        Coverage a block needs, in ``(0, 1]``.

    Returns
    -------
    numpy.ndarray
        uint8 ``(rows, cols)``.
    """
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"block threshold must be in (0, 1], got {threshold}")
    p = np.asarray(pmap).astype(np.uint8)
    h, w = p.shape
    out = np.zeros((-(-h // mcu[0]), -(-w // mcu[1])), np.uint8)
    for level in sorted(int(v) for v in np.unique(p) if v > 0):
        cov = coverage(p >= level, mcu)
        out[cov >= threshold - 1e-9] = level
    return out


def expand_blocks(levels: np.ndarray, mcu: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """Block levels back to pixels ``(H, W)`` (for saving the block mask or measuring on it)."""
    full = np.repeat(np.repeat(levels, mcu[0], axis=0), mcu[1], axis=1)
    return full[: shape[0], : shape[1]]


@dataclass
class RoiAnalysis:
    """The ROI of one image: regions, refined pixel priorities, and notes on how they were obtained."""

    regions: list[Region]
    priority: np.ndarray
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    backends: dict[str, str] = field(default_factory=dict)

    @property
    def mask(self) -> np.ndarray:
        """Boolean pixel ROI (any priority > 0)."""
        return self.priority > 0

    @property
    def empty(self) -> bool:
        return not bool(self.priority.any())

    def to_dict(self) -> dict[str, Any]:
        return {
            "regions": [r.to_dict() for r in self.regions],
            "roi_pixel_fraction": round(float(self.mask.mean()), 4),
            "backends": self.backends,
            "notes": self.notes,
            "seconds": {k: round(v, 4) for k, v in self.seconds.items()},
        }


#: Default growth of face boxes on every side, as a fraction of their size (see :func:`analyse`).
FACE_MARGIN = 0.25
#: The growth is at most this fraction of the image's shorter side.
FACE_MARGIN_CAP = 0.05


def _grow(region: Region, margin: float, shape: tuple[int, int]) -> Region:
    x0, y0, x1, y1 = region.box
    cap = FACE_MARGIN_CAP * min(shape)  # big faces already hold their context
    dx, dy = min(margin * (x1 - x0), cap), min(margin * (y1 - y0), cap)
    box = (max(0.0, x0 - dx), max(0.0, y0 - dy), min(float(shape[1]), x1 + dx), min(float(shape[0]), y1 + dy))
    return replace(region, box=box)


#: Shapes :func:`fill_person_regions` can fill a person component to.
PERSON_FILLS = ("none", "hull", "rows", "box")
#: How :func:`analyse` fills detected person components (see :func:`fill_person_regions`).
PERSON_FILL = "none"
#: A person component keeps its own mask when the fill would be more than this many times its area.
PERSON_FILL_GROWTH = 2.0


def _filled(mask: np.ndarray, box: tuple[int, int, int, int], how: str) -> np.ndarray:
    x0, y0, x1, y1 = box
    crop = np.ascontiguousarray(mask[y0:y1, x0:x1]).astype(np.uint8)
    if how == "box":
        out = np.ones_like(crop)
    elif how == "rows":
        any_row = crop.any(axis=1)
        first = np.argmax(crop, axis=1)
        last = crop.shape[1] - 1 - np.argmax(crop[:, ::-1], axis=1)
        cols = np.arange(crop.shape[1])
        out = (any_row[:, None] & (cols[None, :] >= first[:, None]) & (cols[None, :] <= last[:, None]))
        out = out.astype(np.uint8)
    else:
        contours, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        out = crop.copy()
        if contours:
            cv2.fillPoly(out, [cv2.convexHull(np.concatenate(contours))], 1)
    full = mask.astype(bool)  # a copy: the component's pixels outside its box stay
    full[y0:y1, x0:x1] |= out.astype(bool)
    return full


def fill_person_regions(
    regions: Sequence[Region], shape: tuple[int, int], how: str, *, max_growth: float | None = None
) -> list[Region]:
    """Person regions with their masks filled to a simpler shape; other regions unchanged.

    Person segmentation leaves the background between limbs, arms and torso out of the mask, and a person is
    annotated (and read) as one area. Each person region that carries a mask gets it replaced by

    * ``"hull"``: its convex hull,
    * ``"rows"``: per row, everything between its leftmost and rightmost pixel,
    * ``"box"``: its bounding box,

    or is kept as it is (``"none"``).

    Parameters
    ----------
    shape : (int, int)
        ``(height, width)`` of the image.
    how : str
        One of :data:`PERSON_FILLS`.
    max_growth : float, optional
        A region keeps its own mask when the filled one would be more than this many times its area (a crowd
        or several people merged into one component fill to a large shape holding mostly background).
    """
    if how not in PERSON_FILLS:
        raise InputError(f"unknown person fill {how!r} (one of {', '.join(PERSON_FILLS)})")
    if how == "none":
        return list(regions)
    out: list[Region] = []
    for r in regions:
        if r.label == "persons" and r.mask is not None and r.mask.any():
            m = np.asarray(r.mask, bool)
            filled = _filled(m, r.int_box(shape), how)
            if max_growth is not None and filled.sum() > max_growth * m.sum():
                out.append(r)
            else:
                out.append(replace(r, mask=filled))
        else:
            out.append(r)
    return out


def analyse(
    image: Image | np.ndarray,
    classes: str | Iterable[str] | None = DEFAULT_ROI,
    *,
    roi_mask: str | Path | np.ndarray | None = None,
    roi_boxes: str | Path | Sequence[Region] | None = None,
    refine: bool = True,
    min_score: float = 0.0,
    face_margin: float | None = None,
    person_fill: str | None = None,
) -> RoiAnalysis:
    """Detect, combine with user input and refine: the ROI of one image.

    Parameters
    ----------
    classes : str or iterable of str or None
        Detector classes (``faces``, ``persons``, ``text``, ``saliency``); None or empty for user input only.
    roi_mask : path or numpy.ndarray, optional
        User mask (PNG path or boolean array of the image size); class ``user``, the highest priority.
    roi_boxes : path or sequence of Region, optional
        User boxes (JSON path, see :func:`qualipress.detect.load_boxes`, or regions).
    refine : bool
        Apply :func:`refine_priority` (dilation, closing, speck removal) to detector output. User masks are
        taken as drawn.
    min_score : float
        Minimum detector score.
    face_margin : float, optional
        Face boxes grow by this fraction of their width and height on every side before the mask is built
        (default :data:`FACE_MARGIN`; at most :data:`FACE_MARGIN_CAP` of the shorter image side): face
        detectors box the face tightly, while people (and detectors run on the decoded image) also read the
        hair and head outline around it.
    person_fill : str, optional
        Shape detected person components are filled to (:func:`fill_person_regions`; default
        :data:`PERSON_FILL`), a fill growing a region's area more than :data:`PERSON_FILL_GROWTH` times left out.
    """
    from time import perf_counter

    arr = image.pixels if isinstance(image, Image) else np.asarray(image)
    shape = (int(arr.shape[0]), int(arr.shape[1]))
    wanted = normalize_classes(classes) if classes else ()
    wanted = tuple(c for c in wanted if c != "user")
    rep = DetectionReport(regions=[])
    if wanted:
        rep = detect_report(image, wanted, min_score=min_score)
    regions = list(rep.regions)
    t0 = perf_counter()
    grow = FACE_MARGIN if face_margin is None else float(face_margin)
    if grow > 0:
        regions = [_grow(r, grow, shape) if r.label == "faces" and r.mask is None else r for r in regions]
    fill = PERSON_FILL if person_fill is None else person_fill
    if fill != "none":
        regions = fill_person_regions(regions, shape, fill, max_growth=PERSON_FILL_GROWTH)
    pmap = priority_map(regions, shape)
    if refine and pmap.any():
        pmap = refine_priority(pmap)
    user: list[Region] = []
    if roi_mask is not None:
        m = load_mask(roi_mask, shape) if isinstance(roi_mask, (str, Path)) else np.asarray(roi_mask).astype(bool)
        if m.shape != shape:
            raise InputError(f"ROI mask is {m.shape[1]}x{m.shape[0]} but the image is {shape[1]}x{shape[0]}")
        r = mask_region(m)
        if r is not None:
            user.append(r)
        else:
            rep.notes.append("the ROI mask is empty")
    if roi_boxes is not None:
        boxes = load_boxes(roi_boxes, shape) if isinstance(roi_boxes, (str, Path)) else list(roi_boxes)
        if not boxes:
            rep.notes.append("the ROI boxes file has no boxes")
        user.extend(boxes)
    if user:
        pmap = np.maximum(pmap, priority_map(user, shape))
        regions.extend(user)
    rep.seconds["refine"] = perf_counter() - t0
    out = RoiAnalysis(regions, pmap, list(rep.notes), dict(rep.seconds), dict(rep.backends))
    if out.empty:
        asked = ", ".join(wanted) if wanted else "no detector classes"
        out.notes.append(f"no ROI found ({asked}; user mask/boxes: {'yes' if user else 'none'})")
    return out
