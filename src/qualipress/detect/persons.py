"""Person detection: MediaPipe selfie segmentation (a mask per person area), Haar full-body fallback.

The selfie model is made for people close to the camera: on a whole photo it misses people smaller than about
a third of the frame. :func:`tiled_person_probability` also runs it on overlapping square tiles of half the
shorter side and keeps the per-pixel maximum, so people that are small in the photo are large in some tile.
Measured on the 20 annotated people photos (``benchmarks/roi_gt.py``; ``docs/roi.md``): ROI blocks covered
70.6% of the annotated person pixels with the whole image alone, 83.6% with tiles (95.1% on the 12 images with
person masks), for 0.12 → 0.19 of ROI blocks outside any annotated person (many of them unannotated people).
"""

from __future__ import annotations

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


def _tile_starts(length: int, size: int, step: int) -> list[int]:
    starts = list(range(0, max(0, length - size) + 1, step))
    if starts[-1] + size < length:
        starts.append(length - size)
    return starts


def _square_tiles(shape: tuple[int, int], k: int, overlap: float) -> list[tuple[int, int, int]]:
    """``(y, x, size)`` of the square tiles of side ``min(H, W) / k`` (none when that is under 32 pixels)."""
    h, w = shape
    size = int(round(min(h, w) / k))
    if size < 32:
        return []
    step = max(1, int(size * (1.0 - overlap)))
    return [(y, x, size) for y in _tile_starts(h, size, step) for x in _tile_starts(w, size, step)]


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


def tiled_person_probability(
    rgb: np.ndarray,
    *,
    scales: tuple[int, ...] = TILE_SCALES,
    overlap: float = TILE_OVERLAP,
    model_selection: int = 0,
    fine_scale: int | None = FINE_SCALE,
    fine_evidence: float = FINE_EVIDENCE,
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
        Probability the coarser scales must reach in a tile for the fine pass to run there.

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
        Tile scales (:func:`tiled_person_probability`); ``(1,)`` = the whole image only.
    overlap : float
        Overlap of neighbouring tiles.
    fine_scale : int or None
        Scale of the fine pass (:func:`fine_tiles`; None: none).
    """
    prob = tiled_person_probability(
        rgb, scales=scales, overlap=overlap, model_selection=model_selection, fine_scale=fine_scale
    )
    return component_regions(prob > threshold, prob, "persons", "mediapipe-selfie", min_area=min_area)


def detect_persons_haar(rgb: np.ndarray) -> list[Region]:
    """Full bodies with OpenCV's Haar cascade (weak; score reported as 0.5)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    found = haar_cascade("haarcascade_fullbody.xml").detectMultiScale(grey, scaleFactor=1.1, minNeighbors=3)
    return [Region("persons", (x, y, x + bw, y + bh), 0.5, source="haar") for (x, y, bw, bh) in found]
