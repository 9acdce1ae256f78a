"""The :class:`Region` type, class names and priorities, masks from regions, and detector agreement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qualipress.errors import InputError

#: Region classes, highest priority first. ``user`` regions come from a mask PNG or a boxes JSON the user
#: gives; ``saliency`` is the classical fallback when no semantic detector finds anything.
CLASSES: tuple[str, ...] = ("user", "faces", "persons", "text", "saliency")

#: Priority of each class (hierarchical fidelity: face > person > text > background = 0).
PRIORITY: dict[str, int] = {"user": 4, "faces": 3, "persons": 2, "text": 1, "saliency": 1}

#: Accepted spellings → canonical class name.
ALIASES: dict[str, str] = {
    "face": "faces",
    "faces": "faces",
    "person": "persons",
    "persons": "persons",
    "people": "persons",
    "text": "text",
    "texts": "text",
    "saliency": "saliency",
    "salient": "saliency",
    "user": "user",
    "mask": "user",
}


def normalize_classes(classes: str | Iterable[str]) -> tuple[str, ...]:
    """Canonical class names from a comma-separated string or an iterable, duplicates removed.

    Parameters
    ----------
    classes : str or iterable of str
        E.g. ``"faces,persons,text"`` or ``("face", "person")``.

    Returns
    -------
    tuple of str
        Canonical names in the order given.

    Raises
    ------
    InputError
        When a name is unknown.
    """
    items = classes.split(",") if isinstance(classes, str) else list(classes)
    out: list[str] = []
    for raw in items:
        name = str(raw).strip().lower()
        if not name:
            continue
        if name not in ALIASES:
            raise InputError(f"unknown ROI class {raw!r}; expected some of {', '.join(CLASSES)}")
        canon = ALIASES[name]
        if canon not in out:
            out.append(canon)
    return tuple(out)


@dataclass(frozen=True)
class Region:
    """One detected (or user-given) region.

    Parameters
    ----------
    label : str
        Canonical class name, one of :data:`CLASSES`.
    box : tuple of float
        ``(x0, y0, x1, y1)`` in pixels, ``x1``/``y1`` exclusive, clipped to the image.
    score : float
        Detector confidence in ``[0, 1]`` (1.0 for user regions).
    mask : numpy.ndarray or None
        Optional boolean ``(H, W)`` mask of the whole image for segmentation-style detectors; when None the
        region covers its box.
    source : str
        Detector that produced it (``"centerface"``, ``"mediapipe-selfie"``, ``"ppocr-det"``, ``"haar"``,
        ``"spectral-residual"``, ``"user-mask"``, ``"user-boxes"``).
    """

    label: str
    box: tuple[float, float, float, float]
    score: float = 1.0
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)
    source: str = ""

    def __post_init__(self) -> None:
        if self.label not in PRIORITY:
            raise InputError(f"unknown region label {self.label!r}")
        x0, y0, x1, y1 = (float(v) for v in self.box)
        if not (np.isfinite([x0, y0, x1, y1]).all() and x1 >= x0 and y1 >= y0):
            raise InputError(f"invalid box {self.box!r} (need x0 <= x1, y0 <= y1, finite)")
        object.__setattr__(self, "box", (x0, y0, x1, y1))

    @property
    def priority(self) -> int:
        """Priority of the region's class (see :data:`PRIORITY`)."""
        return PRIORITY[self.label]

    @property
    def area(self) -> float:
        """Box area in pixels."""
        x0, y0, x1, y1 = self.box
        return (x1 - x0) * (y1 - y0)

    def int_box(self, shape: tuple[int, int]) -> tuple[int, int, int, int]:
        """Box rounded outward to integer pixels and clipped to ``shape = (H, W)``."""
        h, w = shape
        x0, y0, x1, y1 = self.box
        return (
            int(np.clip(np.floor(x0), 0, w)),
            int(np.clip(np.floor(y0), 0, h)),
            int(np.clip(np.ceil(x1), 0, w)),
            int(np.clip(np.ceil(y1), 0, h)),
        )

    def to_dict(self) -> dict:
        """Plain-data form (no mask) for reports and JSON files."""
        return {
            "label": self.label,
            "box": [round(v, 2) for v in self.box],
            "score": round(float(self.score), 4),
            "source": self.source,
        }


def component_regions(
    binary: np.ndarray, score_map: np.ndarray, label: str, source: str, *, min_area: float
) -> list[Region]:
    """One region (with its own mask) per 8-connected component of ``binary``, scored by the mean of
    ``score_map`` inside it; components smaller than ``min_area`` of the image are dropped."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(np.asarray(binary, np.uint8), connectivity=8)
    h, w = labels.shape
    out: list[Region] = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if area < min_area * h * w:
            continue
        m = labels == i
        out.append(Region(label, (x, y, x + bw, y + bh), float(score_map[m].mean()), mask=m, source=source))
    return out


def _fill(region: Region, shape: tuple[int, int]) -> np.ndarray:
    """Boolean (H, W) area of one region."""
    if region.mask is not None:
        if region.mask.shape != shape:
            raise InputError(f"region mask is {region.mask.shape}, image is {shape}")
        return region.mask.astype(bool, copy=False)
    out = np.zeros(shape, dtype=bool)
    x0, y0, x1, y1 = region.int_box(shape)
    out[y0:y1, x0:x1] = True
    return out


def region_mask(
    regions: Sequence[Region],
    shape: tuple[int, int],
    *,
    classes: str | Iterable[str] | None = None,
    min_score: float = 0.0,
) -> np.ndarray:
    """Union of regions as a boolean ``(H, W)`` mask.

    Parameters
    ----------
    shape : (int, int)
        ``(height, width)`` of the image.
    classes : str or iterable of str, optional
        Keep only these classes (all when None).
    min_score : float
        Ignore regions scoring below this.

    Returns
    -------
    numpy.ndarray
        bool ``(H, W)``; all False when nothing qualifies.
    """
    shape = (int(shape[0]), int(shape[1]))
    keep = None if classes is None else set(normalize_classes(classes))
    out = np.zeros(shape, dtype=bool)
    for r in regions:
        if (keep is None or r.label in keep) and r.score >= min_score:
            out |= _fill(r, shape)
    return out


def priority_map(regions: Sequence[Region], shape: tuple[int, int], *, min_score: float = 0.0) -> np.ndarray:
    """Per-pixel priority: the highest :attr:`Region.priority` covering each pixel, 0 for background.

    Returns
    -------
    numpy.ndarray
        uint8 ``(H, W)``.
    """
    shape = (int(shape[0]), int(shape[1]))
    out = np.zeros(shape, dtype=np.uint8)
    for r in regions:
        if r.score >= min_score:
            np.maximum(out, _fill(r, shape).astype(np.uint8) * np.uint8(r.priority), out=out)
    return out


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes (0 when both are empty)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


@dataclass(frozen=True)
class Agreement:
    """How well two sets of regions match (one-to-one, greedy by IoU).

    ``precision = matched / n_candidate``, ``recall = matched / n_reference``, ``f1`` their harmonic mean.
    When both sets are empty all three are 1.0 (nothing to find, nothing found); when only one is empty
    they are 0.0.
    """

    precision: float
    recall: float
    f1: float
    matched: int
    n_reference: int
    n_candidate: int

    def to_dict(self) -> dict:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "matched": self.matched,
            "n_reference": self.n_reference,
            "n_candidate": self.n_candidate,
        }


def match_regions(
    reference: Sequence[Region],
    candidate: Sequence[Region],
    *,
    iou_threshold: float = 0.5,
    classes: str | Iterable[str] | None = None,
) -> Agreement:
    """Detector agreement: F1 of one-to-one box matches at ``IoU >= iou_threshold``, same label only.

    Typical use: regions detected on the original vs on the decoded output.

    Parameters
    ----------
    iou_threshold : float
        Minimum IoU for a match (0.5 is the usual F1@IoU0.5).
    classes : str or iterable of str, optional
        Compare only these classes.
    """
    keep = None if classes is None else set(normalize_classes(classes))
    ref = [r for r in reference if keep is None or r.label in keep]
    cand = [c for c in candidate if keep is None or c.label in keep]
    pairs = []
    for i, r in enumerate(ref):
        for j, c in enumerate(cand):
            if r.label == c.label:
                v = iou(r.box, c.box)
                if v >= iou_threshold:
                    pairs.append((v, i, j))
    pairs.sort(reverse=True)
    used_r: set[int] = set()
    used_c: set[int] = set()
    for _, i, j in pairs:
        if i not in used_r and j not in used_c:
            used_r.add(i)
            used_c.add(j)
    m, nr, nc = len(used_r), len(ref), len(cand)
    if nr == 0 and nc == 0:
        return Agreement(1.0, 1.0, 1.0, 0, 0, 0)
    p = m / nc if nc else 0.0
    r_ = m / nr if nr else 0.0
    f1 = 2 * p * r_ / (p + r_) if p + r_ > 0 else 0.0
    return Agreement(p, r_, f1, m, nr, nc)
