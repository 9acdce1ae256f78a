"""HTJ2K (High-Throughput JPEG 2000, ISO/IEC 15444-15) through imagecodecs' OpenJPH binding.

The fast JPEG 2000 of the film / IMF world: its block coder is many times faster than JPEG 2000 Part 1, for
somewhat larger files at equal quality (measured in ``docs/film.md``). The output is a bare HTJ2K codestream
(``.jhc``); OpenJPEG ≥ 2.5, Kakadu and OpenJPH decode it. qualipress decodes it with OpenJPEG: OpenJPH's
decoder, as bound by imagecodecs 2026.3, lets lossy samples that overshoot the range wrap around.

OpenJPH's Python binding takes no bit depth: samples are read as 8 or 16 bits. Deeper-than-8 images (10, 12 bit)
are therefore scaled into the 16-bit container (shifted left), and :func:`qualipress.codecs.decode_like` shifts
them back (``scales_to_container``). The quality setting is OpenJPH's quantisation step for the irreversible
9/7 wavelet, relative to the full sample range: lower is better (``1e-4`` is near lossless, ``0.1`` is poor).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qualipress.codecs.base import Codec, CodecInfo, QualityParam, shifted_into
from qualipress.codecs.builtin import _decoded, _ImagecodecsMixin, _plane
from qualipress.io.image import Image


def _step_grid() -> tuple[float, ...]:
    # quantisation steps from 0.2 (poor) down to 1e-4 (near lossless), log-spaced: ~8% per step
    s = np.exp(np.linspace(np.log(0.2), np.log(1e-4), 100))
    return tuple(float(f"{v:.4g}") for v in s)


class Htj2kCodec(_ImagecodecsMixin, Codec):
    """HTJ2K (OpenJPH): 8 and 16-bit containers (10/12-bit scaled into 16), lossy 9/7 or reversible 5/3."""

    name = "htj2k"
    module_attr = "htj2k"
    info = CodecInfo(
        bit_depths=(8, 16), channels=(1, 3, 4), lossy=True, lossless=True,
        quality=QualityParam("step", 1e-5, 0.5, False, _step_grid(), 0.003),
        extension=".jhc", mime="image/jphc", library="OpenJPH",
        scales_to_container=True, sweep=(0.1, 0.05, 0.03, 0.02, 0.01, 0.006, 0.003, 0.001),
        notes="bare HTJ2K codestream; 9-15-bit images are stored scaled into 16 bits",
    )

    def prepare(self, image: Image) -> Image:
        image = super().prepare(image)
        return shifted_into(image, 16) if 8 < image.bit_depth < 16 else image

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        import imagecodecs

        px = np.ascontiguousarray(_plane(image))
        if lossless:
            return bytes(imagecodecs.htj2k_encode(px, level=0, reversible=True))
        return bytes(imagecodecs.htj2k_encode(px, level=float(quality or 0.003), reversible=False))

    def decode(self, data: bytes) -> Image:
        import imagecodecs

        # OpenJPEG, not OpenJPH: OpenJPH's decoder (imagecodecs 2026.3) wraps samples the 9/7 wavelet pushes
        # past the container's range around (white becomes black); OpenJPEG clamps them
        arr = np.asarray(imagecodecs.jpeg2k_decode(data, numthreads=2))
        return _decoded(arr, 8 if arr.dtype == np.uint8 else 16)


__all__ = ["Htj2kCodec"]
