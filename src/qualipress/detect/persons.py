"""Person detection: MediaPipe selfie segmentation (a mask per person area), Haar full-body fallback.

The selfie model is made for people close to the camera: on a whole photo it misses people smaller than about
a third of the frame. :func:`tiled_person_probability` also runs it on overlapping square tiles of half the
shorter side and keeps the per-pixel maximum, so people that are small in the photo are large in some tile.
Measured on the 20 annotated people photos (``benchmarks/roi_gt.py``; ``docs/roi.md``): ROI blocks covered
70.6% of the annotated person pixels with the whole image alone, 83.6% with tiles (95.1% on the 12 images with
person masks), for 0.12 → 0.19 of ROI blocks outside any annotated person (many of them unannotated people).
A fine pass then runs quarter-side tiles only where the coarser scales found someone, and a face no person
explains gets a crop of its own (session 9: all 20 photos 86.1 % covered, 92 % of the people found; ``docs/roi.md`` §7).
"""

from __future__ import annotations

from collections.abc import Sequence

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


#: Tile scales of :func:`tiled_person_probability`: k = 1 is the whole image, k = 2 square tiles of half the
#: shorter side.
TILE_SCALES: tuple[int, ...] = (1, 2)
#: Overlap of neighbouring tiles (fraction of the tile side).
TILE_OVERLAP = 0.25
#: Fine pass (:func:`fine_tiles`): square tiles of side ``min(H, W) / FINE_SCALE``, no overlap...
FINE_SCALE: int | None = 4
#: ... each run only when the coarser scales' probability reaches this (the detection threshold of
#: :func:`detect_persons_mediapipe`: a person was found) somewhere in the tile or within ``FINE_REACH`` of its side
#: around it.
FINE_EVIDENCE = 0.5
#: How far around a fine tile a found person makes it run, as a fraction of the tile side.
FINE_REACH = 0.5
#: Face-anchored crops (:func:`face_crops`): side in face heights (3-8 measured on the development photos' faces:
#: 5 segments the face's person best, IoU 0.85 with the annotated masks inside the crop)...
FACE_CROP = 5.0
#: ... its top this many face heights above the face's.
FACE_CROP_UP = 0.5
#: A face counts as already explained when this share of its box is person in the probability map.
FACE_EXPLAINED = 0.5
#: At most this many face-anchored crops per image (the highest-scoring faces first): a bound on the time.
MAX_FACE_CROPS = 8
#: At most this many tiles planned per pass (the half-side tiles, the fine grid): a bound on the time on extreme
#: aspect ratios (QA 11: a 15,000×64 strip planned 1,875 half-side tiles of 32 px, 8.3 CPU-s). Where the grid
#: would hold more, its squares grow until it does not; where even squares of the shorter side would, the pass is
#: left out (the whole image and the face crops still run). Photo shapes never reach it: Kodak and the ROI
#: development photos plan at most 15 half-side and 40 fine tiles, a 4:1 panorama 33 and 64
#: (``benchmarks/roi_tile_cap.py``).
MAX_TILES = 64
#: A person component is kept when its mean probability reaches this (issue 14, session 10): components that only
#: just clear the 0.5 pixel threshold everywhere are mostly texture the model half believes in (on the COCO photos an
#: umbrella's print and foliage). Chosen on the 9 COCO development photos: ROI blocks outside every person 15.5 % →
#: 15.1 %, coverage and persons found unchanged; held out, the 12 masked photos 20.2 % → 19.9 %
#: (``benchmarks/roi_outside.py``, ``docs/roi.md`` §7 *Outside blocks and the low-rate mapping*).
MIN_MEAN = 0.6


def _tile_starts(length: int, size: int, step: int) -> list[int]:
    starts = list(range(0, max(0, length - size) + 1, step))
    if starts[-1] + size < length:
        starts.append(length - size)
    return starts


def _square_tiles(
    shape: tuple[int, int], k: int, overlap: float, limit: int | None = MAX_TILES
) -> list[tuple[int, int, int]]:
    """``(y, x, size)`` of the square tiles of side ``min(H, W) / k`` (none when that is under 32 pixels).

    When that grid holds more than ``limit`` tiles, the side grows (an eighth at a time, up to the shorter side)
    until it holds at most ``limit``; none when squares of the shorter side still exceed it. ``limit=None``: no
    bound.
    """
    h, w = shape
    short = min(h, w)
    size = int(round(short / k))
    if size < 32:
        return []
    while True:
        step = max(1, int(size * (1.0 - overlap)))
        ys, xs = _tile_starts(h, size, step), _tile_starts(w, size, step)
        if limit is None or len(ys) * len(xs) <= limit:
            return [(y, x, size) for y in ys for x in xs]
        if size >= short:
            return []
        size = min(short, size + max(1, size // 8))


def fine_tiles(
    coarse: np.ndarray, scale: int, *, evidence: float = FINE_EVIDENCE, reach: float = FINE_REACH
) -> list[tuple[int, int, int]]:
    """Tiles of the fine pass: ``(y, x, size)`` of the non-overlapping square tiles of side
    ``min(H, W) / scale`` where the coarser scales' probability ``coarse`` reaches ``evidence`` in the tile or
    within ``reach`` × its side around it."""
    out = []
    for y, x, s in _square_tiles(coarse.shape[:2], scale, 0.0):
        m = int(round(reach * s))
        if float(coarse[max(0, y - m) : y + s + m, max(0, x - m) : x + s + m].max()) >= evidence:
            out.append((y, x, s))
    return out


def face_crops(
    prob: np.ndarray, faces: Sequence[Region], *, side: float = FACE_CROP, up: float = FACE_CROP_UP,
    explained: float = FACE_EXPLAINED, limit: int = MAX_FACE_CROPS, threshold: float = FINE_EVIDENCE,
) -> list[tuple[int, int, int]]:
    """Squares ``(y, x, size)`` framed on the faces no person explains yet.

    A face whose box is less than ``explained`` person (``prob > threshold``) gets a square of ``side`` face heights
    (at least 32 pixels, at most the image's shorter side), centred on it horizontally, its top ``up`` face heights
    above the face's, moved inside the image; the ``limit`` highest-scoring such faces at most.
    """
    h, w = prob.shape[:2]
    out: list[tuple[int, int, int]] = []
    for f in sorted(faces, key=lambda r: -r.score):
        if len(out) >= limit:
            break
        x0, y0, x1, y1 = f.int_box((h, w))
        if x1 <= x0 or y1 <= y0 or float((prob[y0:y1, x0:x1] > threshold).mean()) >= explained:
            continue
        size = int(min(max(32.0, side * (y1 - y0)), h, w))
        if size == h == w:
            continue  # the whole (square) image: the scale-1 pass already ran on exactly this
        top = int(min(max(0.0, y0 - up * (y1 - y0)), h - size))
        left = int(min(max(0.0, (x0 + x1) / 2 - size / 2), w - size))
        out.append((top, left, size))
    return out


def tiled_person_probability(
    rgb: np.ndarray,
    *,
    scales: tuple[int, ...] = TILE_SCALES,
    overlap: float = TILE_OVERLAP,
    model_selection: int = 0,
    fine_scale: int | None = FINE_SCALE,
    fine_evidence: float = FINE_EVIDENCE,
    faces: Sequence[Region] = (),
) -> np.ndarray:
    """Person probability as the per-pixel maximum over the whole image and overlapping square tiles.

    Parameters
    ----------
    rgb : numpy.ndarray
        uint8 ``(H, W, 3)``.
    scales : tuple of int
        For each ``k``, square tiles of side ``min(H, W) / k`` (``k = 1``: the whole image, not tiled).
    overlap : float
        Fraction of the tile side shared by neighbouring tiles, in ``[0, 1)``.
    model_selection : int
        MediaPipe model (see :func:`detect_persons_mediapipe`).
    fine_scale : int or None
        Scale of the fine pass (:func:`fine_tiles`), run after ``scales`` on the tiles where they found a person;
        None: no fine pass.
    fine_evidence : float
        Probability the coarser scales must reach in a tile for the fine pass to run there, and that counts a
        face's pixels as explained by a person (:func:`face_crops`).
    faces : sequence of Region
        Faces found in the image: those no person explains after the tiles get a crop of their own
        (:func:`face_crops`).

    Returns
    -------
    numpy.ndarray
        float32 ``(H, W)`` in ``[0, 1]``.
    """
    h, w = rgb.shape[:2]
    out = np.zeros((h, w), np.float32)
    for k in scales:
        if k <= 1:
            np.maximum(out, person_probability(rgb, model_selection=model_selection), out=out)
            continue
        _max_into(out, rgb, _square_tiles((h, w), k, overlap), model_selection)
    if fine_scale is not None and fine_scale > 1:
        _max_into(out, rgb, fine_tiles(out, fine_scale, evidence=fine_evidence), model_selection)
    if faces:
        _max_into(out, rgb, face_crops(out, faces, threshold=fine_evidence), model_selection)
    return out


def _max_into(out: np.ndarray, rgb: np.ndarray, tiles: list[tuple[int, int, int]], model_selection: int) -> None:
    """Per-pixel maximum of ``out`` and the probability of each tile (the tiles chosen before any is run)."""
    for y, x, size in tiles:
        tile = np.ascontiguousarray(rgb[y : y + size, x : x + size])
        view = out[y : y + size, x : x + size]
        np.maximum(view, person_probability(tile, model_selection=model_selection), out=view)


def detect_persons_mediapipe(
    rgb: np.ndarray,
    *,
    threshold: float = 0.5,
    min_area: float = 0.0005,
    model_selection: int = 0,
    scales: tuple[int, ...] = TILE_SCALES,
    overlap: float = TILE_OVERLAP,
    fine_scale: int | None = FINE_SCALE,
    faces: Sequence[Region] | None = None,
    min_mean: float = MIN_MEAN,
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
    scales : tuple of int
        Tile scales (:func:`tiled_person_probability`); ``(1,)`` with ``fine_scale=None`` and no faces = the
        whole image only.
    overlap : float
        Overlap of neighbouring tiles.
    fine_scale : int or None
        Scale of the fine pass (:func:`fine_tiles`; None: none).
    faces : sequence of Region, optional
        Faces already found (:func:`qualipress.detect.detect` passes them when faces are asked for first): a
        face no person explains gets a crop of its own (:func:`face_crops`).
    min_mean : float
        Components whose mean probability is below this are dropped (their region score is that mean);
        0 keeps every component.
    """
    prob = tiled_person_probability(
        rgb, scales=scales, overlap=overlap, model_selection=model_selection, fine_scale=fine_scale,
        fine_evidence=threshold, faces=faces or (),
    )
    regions = component_regions(prob > threshold, prob, "persons", "mediapipe-selfie", min_area=min_area)
    return [r for r in regions if r.score >= min_mean]


def detect_persons_haar(rgb: np.ndarray) -> list[Region]:
    """Full bodies with OpenCV's Haar cascade (weak; score reported as 0.5)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    found = haar_cascade("haarcascade_fullbody.xml").detectMultiScale(grey, scaleFactor=1.1, minNeighbors=3)
    return [Region("persons", (x, y, x + bw, y + bh), 0.5, source="haar") for (x, y, bw, bh) in found]
