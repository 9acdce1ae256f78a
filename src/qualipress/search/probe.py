"""One probe: encode at one setting, decode, measure. The primitive every encode→decode→measure loop uses.

A probe is what the search makes at each step, what an RD sweep makes at each point of its curve, what ROI rate
control makes for each pair of qualities and what post-write verification repeats on the file on disk. Each of
them calls this module instead of wiring :func:`qualipress.codecs.decode_like` and
:func:`qualipress.metrics.measure` together itself, so they decode and measure the same way.

Examples
--------
>>> from qualipress.metrics import prepare_reference
>>> ref = prepare_reference(image)                                          # doctest: +SKIP
>>> p = probe(image, "jpeg", 80, reference=ref, metrics=("ssim", "psnr"))   # doctest: +SKIP
>>> p.bytes, p.values()["ssim"], p.encode_seconds                           # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qualipress import codecs as _codecs
from qualipress import metrics as _metrics
from qualipress.codecs.base import Codec
from qualipress.io.image import Image
from qualipress.io.transfer import to_perceptual_image
from qualipress.metrics import MetricResult, Reference
from qualipress.metrics.core import DEFAULT_TILE

#: Decides from float32 values whether a measurement is too close to call and must be repeated in float64
#: (``Target.near_threshold`` is one).
PreciseIf = Callable[[dict[str, MetricResult]], bool]


@dataclass
class ProbeResult:
    """One encoded, decoded and measured setting.

    Attributes
    ----------
    codec : str
    setting : float or None
        The codec's setting (None for a lossless encode or bytes the caller encoded itself).
    data : bytes
        The encoded file.
    decoded : Image
        ``data`` decoded like the encoded image (:func:`qualipress.codecs.decode_like`).
    metrics : dict of str to MetricResult
        Keys as requested (``"ssim"``, ``"roi:ssim"``).
    encode_seconds, decode_seconds, measure_seconds : float
        Wall time of each step (0 for a step the caller did).
    """

    codec: str
    setting: float | None
    data: bytes
    decoded: Image
    metrics: dict[str, MetricResult]
    encode_seconds: float = 0.0
    decode_seconds: float = 0.0
    measure_seconds: float = 0.0

    @property
    def bytes(self) -> int:
        return len(self.data)

    @property
    def seconds(self) -> float:
        return self.encode_seconds + self.decode_seconds + self.measure_seconds

    def values(self) -> dict[str, float]:
        """Whole-image metric values by key."""
        return {k: float(v.value) for k, v in self.metrics.items()}


def encodable(image: Image) -> Image:
    """What a codec is given for ``image``: float (linear, HDR) frames in the perceptual integer encoding."""
    return to_perceptual_image(image) if image.is_float else image


def measure_decoded(
    reference: Image | Reference,
    decoded: Image,
    metrics: Sequence[str] = ("ssim", "psnr"),
    *,
    masks: Mapping[str, np.ndarray | None] | None = None,
    tile: int = DEFAULT_TILE,
    precise_if: PreciseIf | None = None,
) -> dict[str, MetricResult]:
    """Measure a decoded image; ``"scope:metric"`` keys are measured over ``masks[scope]`` in the same pass.

    Parameters
    ----------
    reference : Image or Reference
        What quality is measured against; a prepared one (:func:`qualipress.metrics.prepare_reference`) is not
        prepared again.
    metrics : sequence of str
        Metric names, optionally scoped (``"roi:ssim"``). A scope missing from ``masks`` is skipped; a scope whose
        mask is None is measured over the whole image.
    precise_if : callable, optional
        Called with the float32 results; when it returns True the measurement is repeated in float64.
    """
    whole: list[str] = []
    by_scope: dict[str, list[str]] = {}
    for key in dict.fromkeys(metrics):
        scope, sep, name = key.rpartition(":")
        if sep:
            by_scope.setdefault(scope, []).append(name)
        else:
            whole.append(key)
    masks = masks or {}
    scoped = {scope: (masks[scope], names) for scope, names in by_scope.items() if scope in masks}
    res = _metrics.measure(reference, decoded, whole, tile=tile, scoped=scoped)
    if precise_if is not None and precise_if(res):
        res = _metrics.measure(reference, decoded, whole, tile=tile, scoped=scoped, precise=True)
    return res


def measure_encoded(
    data: bytes,
    codec: Codec | str,
    image: Image,
    *,
    reference: Image | Reference | None = None,
    metrics: Sequence[str] = ("ssim", "psnr"),
    masks: Mapping[str, np.ndarray | None] | None = None,
    tile: int = DEFAULT_TILE,
    precise_if: PreciseIf | None = None,
    setting: float | None = None,
) -> ProbeResult:
    """Decode ``data`` (encoded from ``image`` by ``codec``) and measure it: a probe whose encode the caller made.

    ``image`` is what the codec was given (see :func:`encodable`); ``reference`` (default ``image``) what quality
    is measured against. Other parameters as :func:`measure_decoded`.
    """
    cdc = _codecs.get(codec) if isinstance(codec, str) else codec
    t0 = time.perf_counter()
    decoded = _codecs.decode_like(cdc, data, image)
    t1 = time.perf_counter()
    res = measure_decoded(reference if reference is not None else image, decoded, metrics, masks=masks, tile=tile,
                          precise_if=precise_if)
    return ProbeResult(cdc.name, setting, data, decoded, res, 0.0, t1 - t0, time.perf_counter() - t1)


def probe(
    image: Image,
    codec: Codec | str,
    setting: float | None,
    *,
    reference: Image | Reference | None = None,
    masks: Mapping[str, np.ndarray | None] | None = None,
    metrics: Sequence[str] = ("ssim", "psnr"),
    lossless: bool = False,
    options: Mapping[str, Any] | None = None,
    tile: int = DEFAULT_TILE,
    precise_if: PreciseIf | None = None,
) -> ProbeResult:
    """Encode ``image`` with ``codec`` at ``setting``, decode it and measure it.

    Parameters
    ----------
    image : Image
        A float image is encoded in its perceptual integer form (as the search does).
    setting : float or None
        The codec's own setting (``QualityParam``); None for the codec's default or with ``lossless``.
    reference : Image or Reference, optional
        What quality is measured against (default ``image``). Pass a prepared reference when probing one image
        many times.
    masks : mapping of str to numpy.ndarray or None, optional
        Masks for scoped metric keys (``{"roi": mask}`` for ``"roi:ssim"``).
    metrics : sequence of str
        Metric keys, see :func:`measure_decoded`.
    options : mapping, optional
        Further encode options of the codec.
    precise_if : callable, optional
        See :func:`measure_decoded`.

    Raises
    ------
    qualipress.errors.QualipressError
        From the codec (unsupported image or option) or the metrics (unknown or unavailable metric).
    """
    cdc = _codecs.get(codec) if isinstance(codec, str) else codec
    enc = encodable(image)
    t0 = time.perf_counter()
    data = cdc.encode(enc, quality=setting, lossless=lossless, **dict(options or {}))
    t1 = time.perf_counter()
    out = measure_encoded(data, cdc, enc, reference=reference if reference is not None else image, metrics=metrics,
                          masks=masks, tile=tile, precise_if=precise_if, setting=setting)
    out.encode_seconds = t1 - t0
    return out
