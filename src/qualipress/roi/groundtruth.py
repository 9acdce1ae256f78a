"""Annotated persons as pixel masks, and how well an ROI block map covers them (for benchmarks and tests).

The people photos in the shared data folder come with COCO-style annotation files: person boxes for every
set, polygon or RLE masks for some (COCO, OCHuman). :func:`load_person_truth` turns them into one
:class:`PersonTruth` per image; :func:`block_coverage` scores an encoder's ROI blocks against it.

Nothing here is used when compressing; it exists so ROI coding can be measured against people drawn by hand
rather than against the tool's own detections.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from qualipress.errors import InputError
from qualipress.io.metadata import apply_orientation
from qualipress.roi.mask import coverage as mcu_coverage
from qualipress.roi.mask import expand_blocks


@dataclass
class PersonTruth:
    """The annotated persons of one image.

    Attributes
    ----------
    boxes : numpy.ndarray
        bool ``(H, W)``: union of the person boxes.
    mask : numpy.ndarray
        bool ``(H, W)``: union of the person masks; a person without a mask contributes its box.
    persons : int
        Number of annotated persons.
    masked : int
        How many of them came with a mask (polygon or RLE).
    areas : list of numpy.ndarray
        bool ``(H, W)`` per person: its mask, or its box when it has none (empty when not loaded).
    ignore : numpy.ndarray or None
        bool ``(H, W)``: regions the annotators marked as holding people they did not annotate (PoseTrack's
        ``ignore_regions_x`` / ``ignore_regions_y`` polygons); None when the file marks none.
    """

    boxes: np.ndarray
    mask: np.ndarray
    persons: int
    masked: int
    areas: list[np.ndarray] = field(default_factory=list)
    ignore: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.boxes.shape[0]), int(self.boxes.shape[1]))

    def cropped(self, top: int, left: int) -> PersonTruth:
        """The truth of the image with ``top`` rows and ``left`` columns removed (grid-shift benchmarks)."""
        return PersonTruth(self.boxes[top:, left:], self.mask[top:, left:], self.persons, self.masked,
                           [a[top:, left:] for a in self.areas],
                           None if self.ignore is None else self.ignore[top:, left:])

    def oriented(self, orientation: int) -> PersonTruth:
        """The truth after the pixels are turned upright for EXIF ``orientation`` (see :func:`apply_orientation`)."""
        return PersonTruth(apply_orientation(self.boxes, orientation), apply_orientation(self.mask, orientation),
                           self.persons, self.masked, [apply_orientation(a, orientation) for a in self.areas],
                           None if self.ignore is None else apply_orientation(self.ignore, orientation))


def rle_decode(rle: dict[str, Any], shape: tuple[int, int]) -> np.ndarray:
    """A COCO run-length mask (compressed string or plain ``counts`` list) as bool ``(H, W)``.

    COCO runs alternate background/foreground starting with background, in column-major order; the
    compressed form stores each run as a variable-length, 5-bit-per-character number, delta-coded against the
    run two places back from the third run on.
    """
    h, w = (int(v) for v in rle.get("size", shape))
    if (h, w) != tuple(shape):
        raise InputError(f"RLE mask is {w}x{h}, the image is {shape[1]}x{shape[0]}")
    counts = rle["counts"]
    if isinstance(counts, str):
        runs: list[int] = []
        p = 0
        s = counts.encode("ascii")
        while p < len(s):
            x, k, more = 0, 0, True
            while more:
                c = s[p] - 48
                x |= (c & 0x1F) << (5 * k)
                more = bool(c & 0x20)
                p += 1
                k += 1
                if not more and (c & 0x10):
                    x |= -1 << (5 * k)
            if len(runs) > 2:
                x += runs[-2]
            runs.append(x)
    else:
        runs = [int(v) for v in counts]
    flat = np.zeros(h * w, bool)
    pos, value = 0, False
    for n in runs:
        if n < 0 or pos + n > h * w:
            raise InputError("RLE mask runs do not fit the image")
        if value:
            flat[pos:pos + n] = True
        pos += n
        value = not value
    return flat.reshape(w, h).T


def polygons_mask(polygons: Iterable[Iterable[float]], shape: tuple[int, int]) -> np.ndarray:
    """Union of COCO polygons ``[x0, y0, x1, y1, ...]`` as bool ``(H, W)``."""
    m = np.zeros(shape, np.uint8)
    for poly in polygons:
        pts = np.asarray(list(poly), np.float64).reshape(-1, 2)
        if len(pts) >= 3:
            cv2.fillPoly(m, [np.rint(pts * 8).astype(np.int32)], 1, shift=3)
    return m.astype(bool)


def _box_mask(bbox: Iterable[float], shape: tuple[int, int]) -> np.ndarray:
    x, y, bw, bh = (float(v) for v in bbox)
    m = np.zeros(shape, bool)
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(shape[1], int(np.ceil(x + bw))), min(shape[0], int(np.ceil(y + bh)))
    if x1 > x0 and y1 > y0:
        m[y0:y1, x0:x1] = True
    return m


def ignore_regions(info: dict[str, Any], shape: tuple[int, int]) -> np.ndarray | None:
    """The regions an image entry marks as holding unannotated people (PoseTrack: ``ignore_regions_x`` and
    ``ignore_regions_y``, one list of x and one of y per polygon) as bool ``(H, W)``; None when it marks none."""
    xs, ys = info.get("ignore_regions_x") or [], info.get("ignore_regions_y") or []
    if len(xs) != len(ys):
        raise InputError(f"{info.get('file_name')}: {len(xs)} x lists and {len(ys)} y lists of ignore regions")
    polys = []
    for x, y in zip(xs, ys, strict=True):
        if len(x) != len(y):
            raise InputError(f"{info.get('file_name')}: an ignore region has {len(x)} x and {len(y)} y values")
        polys.append([v for pt in zip(x, y, strict=True) for v in pt])
    m = polygons_mask(polys, shape)
    return m if m.any() else None


def _image_path(json_path: Path, file_name: str) -> Path | None:
    for base in (json_path.parent, json_path.parent.parent, json_path.parent.parent / "images"):
        p = base / file_name
        if p.is_file():
            return p
    return None


def load_person_truth(root: str | Path) -> dict[Path, PersonTruth]:
    """Every image under ``root`` that a COCO-style annotation file (a dict with ``images``, ``annotations``
    and a ``person`` category) lists, with its persons.

    Images the file lists without any person annotation are kept with empty masks (negatives). Face-only
    landmark sets and list-format files (MPII) are skipped: they do not outline whole persons.

    Returns
    -------
    dict
        Image path → :class:`PersonTruth`, in the image's stored (not EXIF-rotated) pixel frame.
    """
    out: dict[Path, PersonTruth] = {}
    for jp in sorted(Path(root).rglob("*.json")):
        try:
            doc = json.loads(jp.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read annotations {jp}: {exc}") from exc
        if not isinstance(doc, dict) or not {"images", "annotations", "categories"} <= set(doc):
            continue
        person_ids = {c["id"] for c in doc["categories"] if str(c.get("name", "")).lower() == "person"}
        if not person_ids:
            continue
        anns: dict[Any, list[dict]] = {}
        for a in doc["annotations"]:
            if a.get("category_id") in person_ids:
                anns.setdefault(a["image_id"], []).append(a)
        for info in doc["images"]:
            path = _image_path(jp, info["file_name"])
            if path is None:
                continue
            shape = (int(info["height"]), int(info["width"]))
            boxes, mask = np.zeros(shape, bool), np.zeros(shape, bool)
            n = masked = 0
            areas: list[np.ndarray] = []
            for a in anns.get(info["id"], []):
                bbox = a.get("bbox")
                if not bbox or float(bbox[2]) <= 0 or float(bbox[3]) <= 0:
                    continue
                n += 1
                b = _box_mask(bbox, shape)
                boxes |= b
                seg = a.get("segmentation")
                m = None
                if isinstance(seg, list) and seg:
                    m = polygons_mask(seg, shape)
                elif isinstance(seg, dict) and "counts" in seg:
                    m = rle_decode(seg, shape)
                if m is not None and m.any():
                    masked += 1
                    mask |= m
                    areas.append(m)
                else:
                    mask |= b
                    areas.append(b)
            out[path] = PersonTruth(boxes, mask, n, masked, areas, ignore_regions(info, shape))
    return out


#: A person counts as found by :func:`block_coverage` when ROI blocks hold this share of its area.
FOUND_SHARE = 0.5


def block_coverage(levels: np.ndarray, mcu: tuple[int, int], truth: PersonTruth) -> dict[str, float | None]:
    """How an ROI block map (``levels > 0``) matches the annotated persons.

    Returns
    -------
    dict
        ``coverage``: fraction of annotated person pixels (masks where given, else boxes) inside ROI blocks;
        ``box_coverage``: the same for the person boxes; ``outside``: fraction of ROI blocks with no pixel in
        any person box (wasted on background); ``outside_unmarked``: the same, counting a block that reaches a
        region the annotators marked as holding unannotated people (:attr:`PersonTruth.ignore`) as inside, as
        PoseTrack's own evaluation does with detections there (equal to ``outside`` when none is marked);
        ``iou``: IoU of the ROI block pixels with the person masks;
        ``roi_fraction``: fraction of the image in ROI blocks; ``persons_found``: share of the annotated persons
        with at least :data:`FOUND_SHARE` of their own area (mask, or box without one) in ROI blocks (None when
        the truth has no per-person areas). Ratios with an empty denominator are None.
    """
    shape = truth.shape
    if -(-shape[0] // mcu[0]) != levels.shape[0] or -(-shape[1] // mcu[1]) != levels.shape[1]:
        raise InputError(f"block map {levels.shape} does not tile an image of {shape[1]}x{shape[0]} by {mcu}")
    roi = expand_blocks(levels > 0, mcu, shape).astype(bool)

    def ratio(a: float, b: float) -> float | None:
        return float(a / b) if b else None

    in_box = mcu_coverage(truth.boxes, mcu) > 0
    marked = in_box if truth.ignore is None else in_box | (mcu_coverage(truth.ignore, mcu) > 0)
    roi_blocks = levels > 0
    return {
        "coverage": ratio((roi & truth.mask).sum(), truth.mask.sum()),
        "box_coverage": ratio((roi & truth.boxes).sum(), truth.boxes.sum()),
        "outside": ratio((roi_blocks & ~in_box).sum(), roi_blocks.sum()),
        "outside_unmarked": ratio((roi_blocks & ~marked).sum(), roi_blocks.sum()),
        "iou": ratio((roi & truth.mask).sum(), (roi | truth.mask).sum()),
        "roi_fraction": float(roi.mean()),
        "persons_found": ratio(sum(1 for a in truth.areas if a.any() and (roi & a).sum() >= FOUND_SHARE * a.sum()),
                               sum(1 for a in truth.areas if a.any())),
    }
