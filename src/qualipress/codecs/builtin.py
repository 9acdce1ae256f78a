"""Codecs backed by imagecodecs, pyjpegli and pillow-heif.

Every lossy encoder here is called with an explicit lossy setting: imagecodecs' WebP and JPEG XL encoders are
lossless unless told otherwise (see ``shared/notes/packages.md``), so a forgotten argument would silently
produce huge files.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from typing import Any

import numpy as np

from qualipress.codecs import avifq, jxlcolour, jxlicc
from qualipress.codecs.base import Codec, CodecInfo, OptionSpec, QualityParam, grey_as_rgb, shifted_into
from qualipress.codecs.hdrtag import hdr_cicp
from qualipress.codecs.jpegq import encode_fractional
from qualipress.errors import CodecError, UnsupportedError, backend_available
from qualipress.io.iccmake import rgb_from_grey
from qualipress.io.image import Image, as_image
from qualipress.io.metadata import Carry, embed_fields, jp2_stored
from qualipress.io.writers import encode_png, encode_tiff, png_cicp_depth


def _int_grid(low: int, high: int) -> tuple[float, ...]:
    return tuple(float(q) for q in range(low, high + 1))


def _plane(image: Image) -> np.ndarray:
    """Pixels as imagecodecs expects them: 2-D for one channel."""
    return image.pixels[..., 0] if image.n_channels == 1 else image.pixels


def _decoded(arr: np.ndarray, bit_depth: int | None = None) -> Image:
    arr = np.asarray(arr)
    if bit_depth is None:
        bit_depth = 8 if arr.dtype == np.uint8 else 16
    return as_image(arr, bit_depth=bit_depth)


def _bits_of(arr: np.ndarray) -> int:
    """Smallest standard depth (8, 10, 12, 16) holding every sample of a decoded array."""
    if arr.dtype == np.uint8:
        return 8
    top = int(arr.max()) if arr.size else 0
    for bits in (10, 12, 14, 16):
        if top < (1 << bits):
            return bits
    return 16


#: Default rate-distortion sweep of the 1–100 quality scales (JPEG, jpegli, WebP): 10, 20, …, 90, 95.
JPEG_SWEEP = (*(float(v) for v in range(10, 91, 10)), 95.0)


class _ImagecodecsMixin:
    module_attr: str = ""

    @classmethod
    def is_available(cls) -> bool:
        return backend_available("imagecodecs", lambda m: getattr(getattr(m, cls.module_attr.upper(), None),
                                                                   "available", False))

    @classmethod
    def version(cls) -> str:
        import imagecodecs

        fn = getattr(imagecodecs, f"{cls.module_attr}_version", None)
        lib = fn() if fn else ""
        return f"{lib} (imagecodecs {imagecodecs.__version__})".strip()

    def decode(self, data: bytes) -> Image:
        """``imagecodecs.<module_attr>_decode``; the bit depth is the smallest standard one holding every sample."""
        import imagecodecs

        arr = getattr(imagecodecs, f"{self.module_attr}_decode")(data)
        return _decoded(arr, _bits_of(arr))


def jpeg_subsampling(quality: float, subsampling: str = "auto") -> str:
    """The chroma subsampling the ``jpeg`` codec writes: ``subsampling`` itself, or for ``"auto"`` 4:2:0 below
    quality 90 and 4:4:4 from 90 up."""
    if subsampling != "auto":
        return subsampling
    return "444" if quality >= 90 else "420"


class JpegCodec(_ImagecodecsMixin, Codec):
    """Baseline JPEG by libjpeg-turbo: 8-bit, and 12-bit for deeper sources; 4:2:0 chroma, optimised Huffman.

    Options: ``subsampling`` ("444", "422", "420" or "auto"; default "auto" = 4:2:0 below quality 90 and 4:4:4
    from 90 up, as jpegli, mozjpeg and most photo tools do, so high-fidelity targets are reachable), ``optimize``
    (default True). A non-integer quality (8-bit) scales the IJG tables between the two integer qualities
    (:mod:`qualipress.codecs.jpegq`), so a byte budget can be filled more closely than the integer grid allows.
    """

    name = "jpeg"
    module_attr = "jpeg8"
    info = CodecInfo(
        bit_depths=(8, 12), channels=(1, 3), lossy=True, lossless=False,
        quality=QualityParam("quality", 1, 100, True, _int_grid(1, 100), 85, continuous=True),
        extension=".jpg", mime="image/jpeg", library="libjpeg-turbo", lossless_fallback="png",
        auto=True, scales_to_container=True, sweep=JPEG_SWEEP,
        options={"subsampling": OptionSpec("'444', '422', '420' or 'auto' (4:4:4 from quality 90 up)",
                                           choices=("444", "422", "420", "auto")),
                 "optimize": OptionSpec("optimised Huffman tables (default true)", choices=(True, False))},
        notes="12-bit JPEG opens in libjpeg-turbo/imagecodecs but not in Pillow or browsers",
        # libjpeg's JPEG_MAX_DIMENSION: the JPEG header holds 65,535, but Pillow's encoder (fractional qualities,
        # a byte budget) refuses a side over 65,500 as jpegli does ("broken data stream", "too big")
        max_side=65500,
    )

    def prepare(self, image: Image) -> Image:
        image = super().prepare(image)  # 10-bit data goes into the 12-bit container, using its full range
        return shifted_into(image, 12) if image.bit_depth in (9, 10, 11) else image

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        import imagecodecs

        sub = jpeg_subsampling(quality or 85, str(options.get("subsampling", "auto")))
        if quality is not None and quality != round(quality) and image.bit_depth <= 8:
            # between integer qualities: continuously scaled IJG tables (a byte budget refines here)
            return encode_fractional(_plane(image), quality, sub if image.n_channels == 3 else None,
                                     bool(options.get("optimize", True)))
        return bytes(imagecodecs.jpeg8_encode(
            _plane(image), level=int(round(quality or 85)), optimize=bool(options.get("optimize", True)),
            subsampling=sub if image.n_channels == 3 else None,
            bitspersample=12 if image.bit_depth > 8 else 8,
        ))

    def decode(self, data: bytes) -> Image:
        import imagecodecs

        arr = imagecodecs.jpeg8_decode(data)
        return _decoded(arr, 12 if arr.dtype == np.uint16 else 8)


class JpegliCodec(Codec):
    """jpegli (libjxl's JPEG encoder) through pyjpegli: 8-bit RGB, standard JPEG output."""

    name = "jpegli"
    info = CodecInfo(
        bit_depths=(8,), channels=(3,), lossy=True, lossless=False,
        quality=QualityParam("quality", 1, 100, True, _int_grid(1, 100), 85),
        extension=".jpg", mime="image/jpeg", library="jpegli (pyjpegli)", lossless_fallback="png",
        auto=True, extra="jpegli", sweep=JPEG_SWEEP, max_side=65500,  # jpegli: "Input image too big" above
    )
    backend_module = "pyjpegli"

    @classmethod
    def version(cls) -> str:
        from importlib.metadata import version

        return f"pyjpegli {version('pyjpegli')}"

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        import pyjpegli

        px = np.ascontiguousarray(image.pixels)
        return bytes(pyjpegli.encode(px.tobytes(), image.width, image.height, int(round(quality or 85))))

    def decode(self, data: bytes) -> Image:
        return JpegCodec().decode(data)


class Jpeg2000Codec(_ImagecodecsMixin, Codec):
    """JPEG 2000 (OpenJPEG), 8–16 bit. Quality is OpenJPEG's target PSNR in dB (its ``level``);
    ``lossless=True`` uses the reversible 5/3 wavelet."""

    name = "jpeg2000"
    module_attr = "jpeg2k"
    info = CodecInfo(
        bit_depths=tuple(range(8, 17)), channels=(1, 3, 4), lossy=True, lossless=True,
        quality=QualityParam("psnr", 20, 90, True, tuple(float(v) for v in np.arange(20.0, 80.01, 0.5)), 45,
                             continuous=True),
        extension=".jp2", mime="image/jp2", library="OpenJPEG",
        auto=True, sweep=tuple(float(v) for v in range(26, 45, 2)),
    )

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        import imagecodecs

        kw: dict[str, Any] = {"bitspersample": image.bit_depth, "codecformat": "jp2", "numthreads": 2}
        return bytes(imagecodecs.jpeg2k_encode(_plane(image), level=0 if lossless else float(quality or 45),
                                               reversible=lossless, **kw))

    def decode(self, data: bytes) -> Image:
        """The stored samples: imagecodecs would convert a file with an ICC profile to sRGB
        (:func:`qualipress.io.metadata.jp2_stored`); the profile is the metadata's, as for every format."""
        return super().decode(jp2_stored(data))


class Jpeg2000ReversibleCodec(Jpeg2000Codec):
    """JPEG 2000 reversible (mathematically lossless)."""

    name = "jpeg2000-reversible"
    info = CodecInfo(
        bit_depths=tuple(range(8, 17)), channels=(1, 3, 4), lossy=False, lossless=True, quality=None,
        extension=".jp2", mime="image/jp2", library="OpenJPEG",
    )


def _jxl_grid() -> tuple[float, ...]:
    # Butteraugli distances from 15 (poor) down to 0.05 (near lossless), log-spaced: ~6% per step.
    d = np.exp(np.linspace(np.log(15.0), np.log(0.05), 96))
    return tuple(float(round(v, 4)) for v in d)


#: libjxl's encoder threads per JPEG XL encode through imagecodecs unless the ``threads`` option says otherwise.
JXL_THREADS = 2


class JpegXlCodec(_ImagecodecsMixin, Codec):
    """JPEG XL (libjxl), 8–16 bit, alpha. Quality is the butteraugli ``distance`` (lower is better; 1.0 ≈ visually
    lossless). Options: ``effort`` (1–9, default 7), ``threads`` (libjxl's threads for images written through
    imagecodecs, default :data:`JXL_THREADS`; 1 encodes in the calling thread: the same bytes, and a worker
    compressing a shot of 2K film frames peaks lower, see ``docs/film.md``).

    8-bit images go through imagecodecs (tagged sRGB), or through jxlpy when they carry a non-sRGB ICC profile
    (:mod:`qualipress.codecs.jxlicc`); deeper sRGB / BT.709 ones through OpenImageIO's writer,
    tagged with their real transfer function (:mod:`qualipress.codecs.jxlcolour`: imagecodecs tags every deeper
    image linear light, which stays so for PQ and log images)."""

    name = "jpegxl"
    module_attr = "jpegxl"
    info = CodecInfo(
        bit_depths=tuple(range(8, 17)), channels=(1, 2, 3, 4), lossy=True, lossless=True,
        quality=QualityParam("distance", 0.01, 25.0, False, _jxl_grid(), 1.0, continuous=True),
        extension=".jxl", mime="image/jxl", library="libjxl",
        auto=True, sweep=(10.0, 7.0, 5.0, 3.5, 2.5, 1.8, 1.2, 0.8, 0.5),
        options={"effort": OptionSpec("libjxl effort 1-10 (default 7)", low=1, high=10),
                 "threads": OptionSpec(f"libjxl encoder threads 1-64 (default {JXL_THREADS}; 1 = in the calling "
                                       "thread, less memory, same bytes)", low=1, high=64)},
    )

    def _encoder_for(self, image: Image, carry: Carry | None) -> tuple[Callable[..., bytes], Carry | None]:
        """A non-sRGB ICC profile in ``carry`` is written by jxlpy when it can be (8-bit,
        :mod:`qualipress.codecs.jxlicc`); EXIF/XMP then go in boxes as usual."""
        if carry is None or not carry.icc or not jxlicc.writes(carry, image.bit_depth):
            return self._encode, carry
        icc = carry.icc
        rest = dataclasses.replace(carry, icc=None)

        def encode_icc(img: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
            px, profile = _plane(img), icc
            if not lossless and img.n_channels in (1, 2) and (rgb := rgb_from_grey(icc)) is not None:
                # libjxl decodes a lossy grey file with a non-sRGB grey profile in linear light, not in the
                # profile's curve: it is written as RGB with the equivalent RGB profile instead, which
                # decodes in that curve (decode_like folds it back to grey)
                px, profile = grey_as_rgb(img.pixels), rgb
            return jxlicc.encode(px, profile, distance=quality, lossless=lossless,
                                 effort=int(options.get("effort", 7)))

        return encode_icc, rest if rest.fields() else None

    def container_depth(self, reference: Image) -> int:
        """16 for an image written through OpenImageIO with its colour tag, else the image's own depth
        (:func:`qualipress.codecs.jxlcolour.decoded_depth`)."""
        return jxlcolour.decoded_depth(reference)

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        import imagecodecs

        effort = int(options.get("effort", 7))
        if jxlcolour.tagged(image):
            return jxlcolour.encode_tagged(image, distance=None if lossless else float(quality or 1.0),
                                           effort=effort)
        kw: dict[str, Any] = {"bitspersample": image.bit_depth, "effort": effort,
                              "numthreads": int(options.get("threads", JXL_THREADS))}
        if lossless:
            return bytes(imagecodecs.jpegxl_encode(_plane(image), lossless=True, **kw))
        return bytes(imagecodecs.jpegxl_encode(_plane(image), lossless=False, distance=float(quality or 1.0), **kw))


class JpegXlLosslessCodec(JpegXlCodec):
    """JPEG XL lossless (modular)."""

    name = "jpegxl-lossless"
    info = CodecInfo(
        bit_depths=tuple(range(8, 17)), channels=(1, 2, 3, 4), lossy=False, lossless=True, quality=None,
        extension=".jxl", mime="image/jxl", library="libjxl",
        options={"effort": OptionSpec("libjxl effort 1-10 (default 7)", low=1, high=10)},
    )


class AvifCodec(_ImagecodecsMixin, Codec):
    """AVIF (libavif + AOM), 8/10/12-bit. Quality 0–100 (libavif's quality; 100 = lossless).
    Options: ``speed`` (0–10, default 6). A non-integer quality (8-bit, Pillow with AVIF) lowers AOM's delta-q
    strength at the next integer quality (:mod:`qualipress.codecs.avifq`), so a byte budget can be filled between
    two quantizer steps; deeper images round it. A PQ/HLG image is written with its CICP colour box
    (:func:`qualipress.codecs.hdrtag.hdr_cicp`; its fractional qualities round too: Pillow's encoder is not told it)."""

    name = "avif"
    module_attr = "avif"
    info = CodecInfo(
        bit_depths=(8, 10, 12), channels=(1, 3, 4), lossy=True, lossless=True,
        quality=QualityParam("quality", 0, 99, True, _int_grid(1, 99), 70, continuous=True),
        extension=".avif", mime="image/avif", library="libavif/aom",
        auto=True, scales_to_container=True, sweep=tuple(float(v) for v in range(20, 91, 10)),
        options={"speed": OptionSpec("AOM speed 0-10 (default 6)", low=0, high=10)},
        max_side=32768,  # libavif's decoder refuses larger items (imageDimensionLimit); AV1 itself stops at 65,536
    )

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        import imagecodecs

        depth = self.storage_depth(image.bit_depth) or image.bit_depth
        px = _plane(image)
        if px.ndim == 2:
            # imagecodecs writes a 2-D array losslessly whatever the level: grey goes in as RGB (decode_like folds
            # it back), so the quality setting is honoured.
            px = np.repeat(px[..., None], 3, axis=2)
        if depth != image.bit_depth:
            px = px << (depth - image.bit_depth)
        cicp = hdr_cicp(image)
        if (not lossless and quality is not None and quality != round(quality) and depth == 8
                and px.shape[2] == 3 and cicp is None and avifq.available()):
            # between integer qualities: AOM's delta-q strength (a byte budget refines here). Not with alpha:
            # Pillow's encoder codes the alpha plane lossily where imagecodecs' keeps it whole
            return avifq.encode_fractional(px, float(quality), int(options.get("speed", 6)))
        level = 100 if lossless else int(round(quality or 70))
        # a PQ/HLG image says so in its nclx box (imagecodecs' default, 2/2/6, is shown as SDR)
        tags = {} if cicp is None else dict(zip(("primaries", "transfer", "matrix"), cicp, strict=True))
        if tags and lossless:  # lossless is RGB coded as is (identity, 0): BT.601 YCbCr loses 1 code
            tags["matrix"] = 0
        return bytes(imagecodecs.avif_encode(px, level=level, speed=int(options.get("speed", 6)),
                                             bitspersample=depth, numthreads=2, **tags))


class WebpCodec(_ImagecodecsMixin, Codec):
    """WebP (libwebp), 8-bit with alpha. Quality 0–100 (always with ``lossless=False`` for lossy)."""

    name = "webp"
    module_attr = "webp"
    info = CodecInfo(
        bit_depths=(8,), channels=(3, 4), lossy=True, lossless=True,
        quality=QualityParam("quality", 0, 100, True, _int_grid(1, 100), 80, continuous=True),
        extension=".webp", mime="image/webp", library="libwebp",
        auto=True, sweep=JPEG_SWEEP,
        options={"method": OptionSpec("libwebp method 0-6 (default 4)", low=0, high=6)},
        # libwebp's 14-bit fields hold 16,383, but imagecodecs' webp_encode refuses that side too (its check is
        # strict)
        max_side=16382,
    )

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        import imagecodecs

        return bytes(imagecodecs.webp_encode(image.pixels, level=100 if lossless else float(quality or 80),
                                             lossless=lossless, method=int(options.get("method", 4))))

    def decode(self, data: bytes) -> Image:
        import imagecodecs

        return _decoded(imagecodecs.webp_decode(data))


#: x265's presets, fastest first (libheif's x265 plugin encodes at ``slow`` unless told otherwise).
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo")


class HeifCodec(Codec):
    """HEIF/HEVC (x265 via pillow-heif), 8/10/12-bit. Quality 0–100. A PQ/HLG image is written with its CICP
    colour box (:func:`qualipress.codecs.hdrtag.hdr_cicp`)."""

    name = "heif"
    info = CodecInfo(
        bit_depths=(8, 10, 12), channels=(3, 4), lossy=True, lossless=False,
        quality=QualityParam("quality", 0, 100, True, _int_grid(1, 100), 75),
        extension=".heic", mime="image/heic", library="libheif/x265 (pillow-heif)", lossless_fallback="png",
        auto=True, extra="heif", sweep=tuple(float(v) for v in range(10, 91, 10)),
        options={"chroma": OptionSpec("420, 422 or 444 (default 420)", choices=(420, 422, 444)),
                 "preset": OptionSpec("x265 preset (default slow, libheif's); faster ones write other files",
                                      choices=PRESETS)},
    )
    backend_module = "pillow_heif"
    writes_metadata = True

    @classmethod
    def version(cls) -> str:
        import pillow_heif

        return f"libheif {pillow_heif.libheif_version()} (pillow-heif {pillow_heif.__version__})"

    @classmethod
    def bitstream_version(cls) -> str:
        """:meth:`version` plus the HEVC encoder libheif uses (the x265 build decides the bytes)."""
        import pillow_heif

        info = pillow_heif.libheif_info()
        encoder = info.get("HEIF", "") if isinstance(info, dict) else ""
        return f"{cls.version()}; {encoder or 'unknown HEVC encoder'}"

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        import pillow_heif

        depth = self.storage_depth(image.bit_depth) or 8
        alpha = image.has_alpha
        if depth == 8:
            mode = "RGBA" if alpha else "RGB"
            data = np.ascontiguousarray(image.pixels).tobytes()
        else:
            mode = "RGBA;16" if alpha else "RGB;16"
            data = np.ascontiguousarray(image.pixels.astype(np.uint16) << (16 - image.bit_depth)).tobytes()
        pillow_heif.options.SAVE_HDR_TO_12_BIT = depth == 12
        try:
            heif = pillow_heif.from_bytes(mode=mode, size=(image.width, image.height), data=data)
            buf = io.BytesIO()
            carry = options.get("metadata")
            extra: dict[str, Any] = {}
            if carry is not None:
                extra = embed_fields(carry, channels=image.n_channels, extension=self.info.extension)
            if (preset := options.get("preset")) is not None:
                extra["enc_params"] = {"preset": str(preset).lower()}
            if (cicp := hdr_cicp(image)) is not None:  # libheif writes these as the nclx box
                extra.update(color_primaries=cicp[0], transfer_characteristics=cicp[1], matrix_coefficients=cicp[2],
                             full_range_flag=1)
            heif.save(buf, quality=int(round(quality if quality is not None else 75)),
                      chroma=int(options.get("chroma", 420)), **extra)
        except RuntimeError as exc:  # x265 refuses some shapes (5000x16, 8193x3 strips)
            raise UnsupportedError(f"heif: x265 cannot encode a {image.width}x{image.height} image ({exc}); "
                                   "choose another codec") from exc
        finally:
            pillow_heif.options.SAVE_HDR_TO_12_BIT = False
        return buf.getvalue()

    def decode(self, data: bytes) -> Image:
        import pillow_heif

        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=False)
        depth = int(heif.info.get("bit_depth", 8))
        arr = np.asarray(heif[0])
        if arr.dtype == np.uint16 and depth < 16:
            arr = (arr >> (16 - depth)).astype(np.uint16)
        return _decoded(arr, depth if arr.dtype == np.uint16 else 8)


class PngCodec(_ImagecodecsMixin, Codec):
    """PNG (lossless), 8/16-bit; deeper-than-8 integer sources are stored unscaled in 16-bit samples, except PQ/HLG
    ones: a ``cICP`` chunk, and so full 16-bit range (:func:`qualipress.io.writers.encode_png`)."""

    name = "png"
    module_attr = "png"
    info = CodecInfo(
        bit_depths=(8, 16), channels=(1, 2, 3, 4), lossy=False, lossless=True, quality=None,
        extension=".png", mime="image/png", library="libpng",
    )

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        cicp = hdr_cicp(image)  # a PQ/HLG image: a cICP chunk, samples at full 16-bit range
        return encode_png(image, cicp=None if cicp is None else cicp[:2])

    def container_depth(self, reference: Image) -> int:
        """16 for a 9–15-bit PQ/HLG image (stored shifted up beside its ``cICP`` chunk), else the image's depth."""
        if hdr_cicp(reference) is not None:
            return png_cicp_depth(reference.bit_depth)
        return reference.bit_depth


class TiffCodec(Codec):
    """TIFF with deflate + predictor (lossless), 8/16-bit; keeps the ICC profile, EXIF and XMP."""

    name = "tiff"
    info = CodecInfo(
        bit_depths=(8, 16), channels=(1, 2, 3, 4), lossy=False, lossless=True, quality=None,
        extension=".tif", mime="image/tiff", library="tifffile/zlib",
    )
    writes_metadata = True

    @classmethod
    def version(cls) -> str:
        import tifffile

        return f"tifffile {tifffile.__version__}"

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        return encode_tiff(image, carry=options.get("metadata"))

    def decode(self, data: bytes) -> Image:
        import tifffile

        arr = tifffile.imread(io.BytesIO(data))
        return _decoded(arr, _bits_of(arr))


def jpegls_encode_exact(plane: np.ndarray) -> bytes:
    """Losslessly encode a 2-D or ``(H, W, 3)`` array as JPEG-LS (``near=0``).

    CharLS sizes its own output buffer for data that shrinks, so noise-like images failed with "destination
    buffer is too small"; the buffer given here leaves room for the file to grow. Shared by
    :class:`JpegLsCodec` and the film archiver.

    Parameters
    ----------
    plane : numpy.ndarray
        Unsigned integer samples, 2-D for one channel.

    Returns
    -------
    bytes
        The JPEG-LS codestream.
    """
    import imagecodecs

    return bytes(imagecodecs.jpegls_encode(plane, level=0, out=2 * plane.nbytes + 4096))


class JpegLsCodec(_ImagecodecsMixin, Codec):
    """JPEG-LS (CharLS), lossless, 2–16 bit."""

    name = "jpegls"
    module_attr = "jpegls"
    info = CodecInfo(
        bit_depths=tuple(range(8, 17)), channels=(1, 3), lossy=False, lossless=True, quality=None,
        extension=".jls", mime="image/jls", library="CharLS",
    )

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        try:
            return jpegls_encode_exact(_plane(image))
        except Exception as exc:
            raise CodecError(f"jpegls: {exc}") from exc

