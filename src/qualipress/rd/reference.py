"""Reference codecs of the RD harness that are not part of the core codec table.

``pillow-jpeg`` encodes exactly as CompressAI's ``compressai.utils.bench`` JPEG codec did for its published
Kodak results: ``PIL.Image.save(format="JPEG", quality=q)`` with Pillow's defaults (4:2:0 chroma subsampling,
standard IJG tables, no optimisation), decoded by Pillow. It exists so that our harness can be checked against
CompressAI's published numbers on equal terms.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from qualipress import codecs
from qualipress.codecs.base import Codec, CodecInfo, QualityParam
from qualipress.codecs.builtin import JPEG_SWEEP
from qualipress.errors import CodecError
from qualipress.io.image import Image


class PillowJpegCodec(Codec):
    """JPEG through Pillow's libjpeg(-turbo) with Pillow's defaults (CompressAI's reference)."""

    name = "pillow-jpeg"
    info = CodecInfo(
        bit_depths=(8,),
        channels=(1, 3),
        sweep=JPEG_SWEEP,
        lossy=True,
        lossless=False,
        quality=QualityParam("quality", 1, 100, True, tuple(float(q) for q in range(1, 101)), 75),
        extension=".jpg",
        mime="image/jpeg",
        library="pillow",
    )

    @classmethod
    def version(cls) -> str:
        import PIL
        from PIL import features

        return f"pillow {PIL.__version__} libjpeg-turbo {features.version('libjpeg_turbo') or '?'}"

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        from PIL import Image as PILImage

        px = image.pixels
        pil = PILImage.fromarray(px[..., 0] if px.shape[2] == 1 else px)
        buf = io.BytesIO()
        pil.save(buf, format="JPEG", quality=int(round(quality or 75)))
        return buf.getvalue()

    def decode(self, data: bytes) -> Image:
        from PIL import Image as PILImage

        try:
            with PILImage.open(io.BytesIO(data)) as im:
                im.load()
                arr = np.asarray(im)
        except Exception as exc:
            raise CodecError(f"pillow-jpeg: cannot decode: {exc}") from exc
        if arr.ndim == 2:
            arr = arr[..., None]
        return Image(np.ascontiguousarray(arr), bit_depth=8)


#: Harness-only codecs (name -> class).
REFERENCE_CODECS: dict[str, type[Codec]] = {"pillow-jpeg": PillowJpegCodec}


def get_codec(name: str) -> Codec:
    """A codec from the harness's reference set or the core codec table."""
    if name in REFERENCE_CODECS:
        return REFERENCE_CODECS[name]()

    return codecs.get(name)
