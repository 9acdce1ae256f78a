"""One entry point over all detectors."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from qualipress.detect._image import to_rgb8
from qualipress.detect.faces import detect_faces_centerface, detect_faces_haar
from qualipress.detect.persons import detect_persons_haar, detect_persons_mediapipe
from qualipress.detect.regions import Region, normalize_classes
from qualipress.detect.saliency import detect_saliency
from qualipress.detect.text import detect_text
from qualipress.errors import InputError, ModelError
from qualipress.io.image import Image

Detector = Callable[[np.ndarray], list[Region]]

#: Backends per class, preferred first. ``detect`` uses the first one whose model loads unless told otherwise.
BACKENDS: dict[str, dict[str, Detector]] = {
    "faces": {"centerface": detect_faces_centerface, "haar": detect_faces_haar},
    "persons": {"mediapipe": detect_persons_mediapipe, "haar": detect_persons_haar},
    "text": {"ppocr": detect_text},
    "saliency": {"spectral-residual": detect_saliency},
}

#: Backends that are given the faces found before them (``faces=`` keyword): the MediaPipe person segmentation
#: frames a crop on each face no person explains (:func:`qualipress.detect.persons.face_crops`).
FACE_HINTED: frozenset[tuple[str, str]] = frozenset({("persons", "mediapipe")})

#: Default classes of :func:`detect`.
DEFAULT_CLASSES: tuple[str, ...] = ("faces", "persons", "text")


@dataclass
class DetectionReport:
    """Regions plus how they were found (for reports)."""

    regions: list[Region]
    seconds: dict[str, float] = field(default_factory=dict)
    backends: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def detect_report(
    image: Image | np.ndarray,
    classes: str | Iterable[str] = DEFAULT_CLASSES,
    *,
    backends: dict[str, str] | None = None,
    min_score: float = 0.0,
) -> DetectionReport:
    """Like :func:`detect` but also returns per-class timings, the backend used and fallback notes."""
    wanted = normalize_classes(classes)
    rgb = to_rgb8(image)
    report = DetectionReport(regions=[])
    # faces first whatever the asked order, so a face-hinted backend sees them (review: "persons,faces" skipped
    # the face crops); the regions are put back in the asked order below
    for label in sorted(wanted, key=lambda c: c != "faces"):
        if label == "user":
            raise InputError("'user' regions come from a mask or boxes file (load_mask / load_boxes)")
        choices = BACKENDS[label]
        chosen = (backends or {}).get(label)
        if chosen is not None and chosen not in choices:
            raise InputError(f"unknown backend {chosen!r} for {label}; expected one of {list(choices)}")
        order = [chosen] if chosen else list(choices)
        t0 = time.perf_counter()
        errors = []
        for name in order:
            faces = [r for r in report.regions if r.label == "faces"] if (label, name) in FACE_HINTED else []
            try:
                found = choices[name](rgb, faces=faces) if faces else choices[name](rgb)
            except ModelError as exc:
                errors.append(f"{name}: {exc}")
                continue
            report.backends[label] = name
            report.regions.extend(r for r in found if r.score >= min_score)
            if errors:
                report.notes.append(f"{label}: fell back to {name} ({'; '.join(errors)})")
            break
        else:
            raise ModelError(f"no {label} detector could run: {'; '.join(errors)}")
        report.seconds[label] = time.perf_counter() - t0
    report.regions.sort(key=lambda r: wanted.index(r.label) if r.label in wanted else len(wanted))
    return report


def detect(
    image: Image | np.ndarray,
    classes: str | Iterable[str] = DEFAULT_CLASSES,
    *,
    backends: dict[str, str] | None = None,
    min_score: float = 0.0,
) -> list[Region]:
    """Detect regions of the given classes.

    Parameters
    ----------
    image : Image or numpy.ndarray
        Any :class:`~qualipress.io.Image` (grey, RGB, alpha, 8/16-bit, float); detectors see an
        8-bit RGB copy.
    classes : str or iterable of str
        Some of ``"faces"``, ``"persons"``, ``"text"``, ``"saliency"`` (singular spellings accepted; a
        comma-separated string works too).
    backends : dict, optional
        Force a backend per class, e.g. ``{"faces": "haar"}``; see :data:`BACKENDS`. By default the first
        backend whose model loads is used (a fallback is noted in :func:`detect_report`).
    min_score : float
        Drop regions scoring below this.

    Returns
    -------
    list of Region
        In class order, then detector order. Empty when nothing is found.

    Raises
    ------
    InputError
        Unknown class or backend.
    ModelError
        No backend of a requested class can load its model.

    Examples
    --------
    >>> from qualipress.detect import detect, region_mask          # doctest: +SKIP
    >>> regions = detect(img, ("faces", "persons"))                 # doctest: +SKIP
    >>> mask = region_mask(regions, (img.height, img.width))        # doctest: +SKIP
    """
    return detect_report(image, classes, backends=backends, min_score=min_score).regions
