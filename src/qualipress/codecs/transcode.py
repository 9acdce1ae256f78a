"""Candidates that re-use an already-compressed source instead of decoding and re-encoding it.

``source:<format>`` keeps the input file itself (its metadata re-written only when a policy asks), and
``transcode:jpeg`` / ``transcode:jpegxl`` change a JPEG's entropy coding without touching its DCT coefficients:
mozjpeg-lossless-optimization (progressive, optimised Huffman tables) and JPEG XL's JPEG recompression, from which
the original JPEG file is rebuilt bit for bit (``imagecodecs.jpegxl_decode_jpeg``). Each ``transcode:jpegxl``
file is proven to rebuild its JPEG before it is offered (:func:`check_rebuilds`); one that does not is
not taken.

None of them looks at the pixels it is given: the source bytes come in the ``source`` encode option and the
metadata to write in ``source_metadata`` (a :class:`qualipress.io.metadata.Carry` whose orientation is the
source's own, since these candidates keep the stored pixels). Their decoders apply the EXIF orientation, so the
decoded image compares with the upright image :func:`qualipress.io.read_image` returns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qualipress.codecs import decode_as
from qualipress.codecs.base import Codec, CodecInfo
from qualipress.errors import CodecError, UnsupportedError
from qualipress.io.image import Image, as_image
from qualipress.io.metadata import (
    ORIENTED_FORMATS,
    Carry,
    apply_orientation,
    embed_jpeg,
    embed_webp,
    read_metadata,
    with_source_segments,
)

#: Source formats ``source:<format>`` accepts, with the extension and MIME type of the kept file.
SOURCE_FORMATS: dict[str, tuple[str, str]] = {
    "jpeg": (".jpg", "image/jpeg"),
    "webp": (".webp", "image/webp"),
    "avif": (".avif", "image/avif"),
    "jpegxl": (".jxl", "image/jxl"),
    "heif": (".heic", "image/heic"),
    "jpeg2000": (".jp2", "image/jp2"),
    "png": (".png", "image/png"),
}

#: Lossless transcodes of a JPEG source: name after ``transcode:`` → (extension, MIME, library).
TRANSCODES: dict[str, tuple[str, str, str]] = {
    "jpeg": (".jpg", "image/jpeg", "mozjpeg-lossless-optimization"),
    "jpegxl": (".jxl", "image/jxl", "libjxl (JPEG recompression)"),
}


class SourceBytes(bytes):
    """The source file's bytes, shown by size in reports (encode options end up in them)."""

    def __repr__(self) -> str:
        return f"<source file, {len(self):,} bytes>"

    __str__ = __repr__


def _info(extension: str, mime: str, library: str) -> CodecInfo:
    return CodecInfo(bit_depths=tuple(range(8, 17)), channels=(1, 2, 3, 4), lossy=False, lossless=True,
                     quality=None, extension=extension, mime=mime, library=library,
                     options={"source": "the source file's bytes",
                              "source_metadata": "metadata (Carry) to write into the kept or transcoded file"})


def _source(options: dict[str, Any], name: str) -> bytes:
    src = options.get("source")
    if not isinstance(src, bytes | bytearray) or not src:
        raise UnsupportedError(f"codec {name!r} needs the source file's bytes (encode option 'source')")
    return bytes(src)


def _with_metadata(jpeg: bytes, carry: Carry | None) -> bytes:
    return jpeg if carry is None else embed_jpeg(jpeg, carry)


def _upright(fmt: str, data: bytes) -> Image:

    image = decode_as(fmt, data)
    if fmt in ORIENTED_FORMATS:
        orientation = read_metadata(data, fmt).get("orientation", 1)
        if orientation != 1:
            return as_image(apply_orientation(image.pixels, orientation), bit_depth=image.bit_depth)
    return image


class SourceCodec(Codec):
    """The source file itself (the never-grow candidate). JPEG and WebP sources get the metadata policy applied
    to their own segments / chunks; other formats are copied as they are."""

    def __init__(self, fmt: str) -> None:
        if fmt not in SOURCE_FORMATS:
            raise UnsupportedError(f"source:{fmt}: keeping the source works for {', '.join(SOURCE_FORMATS)}")
        self.fmt = fmt
        self.name = f"source:{fmt}"
        ext, mime = SOURCE_FORMATS[fmt]
        self.info = _info(ext, mime, "copy of the input")

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        src = _source(options, self.name)
        carry = options.get("source_metadata")
        if carry is not None and self.fmt in ("jpeg", "webp"):
            # the metadata policy rewrites the source's own segments / chunks; other formats are kept as they are
            return embed_jpeg(src, carry) if self.fmt == "jpeg" else embed_webp(src, carry)
        return src

    def decode(self, data: bytes) -> Image:
        return _upright(self.fmt, data)


class TranscodeCodec(Codec):
    """A lossless re-coding of a JPEG source: ``transcode:jpeg`` (mozjpeg) or ``transcode:jpegxl``."""

    def __init__(self, target: str) -> None:
        if target not in TRANSCODES:
            raise UnsupportedError(f"transcode:{target}: known lossless JPEG transcodes: {', '.join(TRANSCODES)}")
        self.target = target
        self.name = f"transcode:{target}"
        ext, mime, lib = TRANSCODES[target]
        self.info = _info(ext, mime, lib)

    def version(self) -> str:  # type: ignore[override]
        from importlib.metadata import version

        import imagecodecs

        if self.target == "jpeg":
            return f"mozjpeg-lossless-optimization {version('mozjpeg-lossless-optimization')}"
        return f"{imagecodecs.jpegxl_version()} (imagecodecs {imagecodecs.__version__})"

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        src = _source(options, self.name)
        if src[:3] != b"\xff\xd8\xff":
            raise UnsupportedError(f"{self.name} needs a JPEG source")
        carry = options.get("source_metadata")
        try:
            if self.target == "jpeg":
                import mozjpeg_lossless_optimization as mlo

                # mozjpeg drops the APPn segments: the policy's metadata and the source's other segments (IPTC,
                # Extended XMP) go back in afterwards.
                return _with_metadata(with_source_segments(bytes(mlo.optimize(src)), src), carry)
            import imagecodecs

            jpeg = _with_metadata(src, carry)
            jxl = bytes(imagecodecs.jpegxl_encode_jpeg(jpeg, numthreads=2))
        except ImportError as exc:
            raise UnsupportedError(f"{self.name}: backend unavailable ({exc})") from exc
        except Exception as exc:  # e.g. arithmetic-coded or 12-bit JPEG
            raise UnsupportedError(f"{self.name}: cannot transcode this JPEG ({exc})") from exc
        check_rebuilds(jxl, jpeg)
        return jxl

    def decode(self, data: bytes) -> Image:
        if self.target == "jpeg":
            return _upright("jpeg", data)
        import imagecodecs

        arr = np.asarray(imagecodecs.jpegxl_decode(data))  # libjxl applies the orientation itself
        return as_image(arr, bit_depth=8 if arr.dtype == np.uint8 else 16)


def check_rebuilds(jxl: bytes, jpeg: bytes) -> None:
    """Prove that a JPEG XL transcode gives back ``jpeg`` byte for byte (libjxl's reconstruction,
    ``imagecodecs.jpegxl_decode_jpeg``), as ``transcode:jpegxl`` promises.

    Costs one reconstruction: 5.6-6.8 ms mean for a Kodak JPEG, 4.1-10.8 ms each, over two runs
    (``docs/benchmarks.md`` § QA 17).

    Parameters
    ----------
    jxl : bytes
        The JPEG XL file.
    jpeg : bytes
        The JPEG it was made from (with the metadata written into it before the transcode).

    Raises
    ------
    CodecError
        No reconstruction data, a reconstruction that fails, or one that differs from ``jpeg`` (the first
        differing byte is named).
    """
    import imagecodecs

    try:
        rebuilt = bytes(imagecodecs.jpegxl_decode_jpeg(jxl))
    except Exception as exc:
        raise CodecError(f"transcode:jpegxl: the JPEG cannot be rebuilt from the JPEG XL file ({exc})") from exc
    if rebuilt != jpeg:
        at = next((i for i, (a, b) in enumerate(zip(rebuilt, jpeg, strict=False)) if a != b), min(len(rebuilt),
                                                                                                   len(jpeg)))
        raise CodecError(f"transcode:jpegxl: the JPEG rebuilt from the JPEG XL file differs from the source "
                         f"({len(rebuilt):,} bytes against {len(jpeg):,}, first difference at byte {at:,}); "
                         "not taken")


def make_source(fmt: str) -> Codec:
    """Factory for ``source:<format>``."""
    return SourceCodec(fmt)


def make_transcode(target: str) -> Codec:
    """Factory for ``transcode:<target>``."""
    return TranscodeCodec(target)


def variant_names() -> list[str]:
    """Names ``qualipress codecs`` lists for these families (both prefixes share this module)."""
    return []
