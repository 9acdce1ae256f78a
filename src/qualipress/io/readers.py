"""Read image files into :class:`~qualipress.io.Image`, choosing the backend by content, not by extension."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import CodecUnavailableError, InputError, ModelError, NonFiniteError, UnsupportedError
from qualipress.io import dpx
from qualipress.io.image import MAX_PIXELS, SAMPLE_TYPE, Image, as_image, check_dimensions
from qualipress.io.logcurves import LOG_CURVE_KEY, curve_named_in
from qualipress.io.metadata import (
    CICP_HDR_TRANSFERS,
    ORIENTED_FORMATS,
    apply_orientation,
    png_chunks,
    png_exif_late,
    read_metadata,
)
from qualipress.io.transfer import ALPHA_KEY, PREMULTIPLIED, STRAIGHT

#: Formats whose ICC/EXIF/XMP :func:`read_image` reads (through Pillow).
METADATA_FORMATS = frozenset({"jpeg", "png", "webp", "tiff", "avif", "heif", "jpegxl", "jpeg2000", "gif"})

#: A Kodak Cineon file's first four bytes: big-endian, then little-endian.
CINEON_MAGIC = (b"\x80\x2a\x5f\xd7", b"\xd7\x5f\x2a\x80")
#: Format names by leading bytes; the first match wins.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"II*\x00", 0, "tiff"),
    (b"MM\x00*", 0, "tiff"),
    (b"II+\x00", 0, "tiff"),
    (b"MM\x00+", 0, "tiff"),
    (b"SDPX", 0, "dpx"),
    (b"XPDS", 0, "dpx"),
    *((m, 0, "cineon") for m in CINEON_MAGIC),
    (b"v/1\x01", 0, "exr"),
    (b"RIFF", 0, "webp"),
    (b"\xff\x0a", 0, "jpegxl"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", 0, "jpegxl"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", 0, "jpeg2000"),
    (b"\xff\x4f\xff\x51", 0, "jpeg2000"),
    (b"P5", 0, "pnm"),
    (b"P6", 0, "pnm"),
    (b"GIF87a", 0, "gif"),
    (b"GIF89a", 0, "gif"),
)

#: Extensions each format is normally given (a mismatch is noted in the metadata, not fatal).
EXTENSIONS = {
    "png": {".png"},
    "jpeg": {".jpg", ".jpeg", ".jpe", ".jfif", ".mpo"},
    "tiff": {".tif", ".tiff"},
    "dpx": {".dpx"},
    "cineon": {".cin"},
    "exr": {".exr"},
    "webp": {".webp"},
    "jpegxl": {".jxl"},
    "jpeg2000": {".jp2", ".j2k", ".j2c", ".jpc", ".jhc", ".jph"},
    "jpegls": {".jls"},
    "avif": {".avif"},
    "heif": {".heif", ".heic", ".hif"},
    "pnm": {".ppm", ".pgm", ".pnm"},
    "gif": {".gif"},
    "qlc": {".qlc"},
}

#: Suffixes that :func:`read_image` and input expansion treat as images.
IMAGE_SUFFIXES = frozenset(s for group in EXTENSIONS.values() for s in group)


def why_unreadable(path: str | Path, exc: OSError | None = None) -> str:
    """Why ``path`` cannot be read, for a message: a link to nothing names its target (``ls`` still lists it, so
    "No such file or directory" puzzles), else the system's reason."""
    if os.path.islink(path) and not os.path.exists(path):
        try:
            os.stat(path)
        except OSError as e:  # only ELOOP is a loop or a long chain (realpath reads `x/..` lexically)
            if e.errno == errno.ELOOP:  # realpath stops on the link where a loop closes, or at a chain's end
                if os.path.exists(real := os.path.realpath(path)):
                    return f"chain of symbolic links longer than the system follows (it ends at {real})"
                return f"symbolic link loop (its target {os.readlink(path)} leads back to itself)"
        return f"broken symbolic link (its target {os.readlink(path)} does not exist)"
    return "no such file" if exc is None else exc.strerror or str(exc)


def sniff(head: bytes) -> str | None:
    """Name the format of a file from its first bytes, or None when unknown."""
    if head[:4] == b"\xff\xd8\xff\xf7" or (head[:4] == b"\xff\xd8\xff\xe8" and head[6:12] == b"SPIFF\x00"
                                          and head[26:27] == b"\x06"):
        return "jpegls"  # SOI then SOF55, or a SPIFF header saying JPEG-LS (as CharLS writes): not a JPEG
    for magic, offset, name in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if name == "webp" and head[8:12] != b"WEBP":
                continue
            return name
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
            return "heif"
    if head[:4] == b"QLC1":
        return "qlc"
    return None


def preflight(p: Path) -> str:
    """What :func:`read_image` checks from a file's first bytes, before decoding: it exists, is not empty, is an
    image format qualipress reads (GIF, BMP, ... are named) and not an animation. Returns the format
    (:func:`sniff`); ``compress --dry-run`` says the same reasons.

    Raises
    ------
    InputError, UnsupportedError
    """
    if not p.exists():
        raise InputError(f"{p}: {why_unreadable(p)}")
    if p.is_dir():
        raise InputError(f"{p}: is a directory")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: empty file (0 bytes)")
    with p.open("rb") as fh:
        head = fh.read(32)
    fmt = sniff(head)
    if fmt is None:
        unread = next((name for magic, name in UNREAD_MAGIC if head.startswith(magic)), None)
        if unread == "BMP" and head[6:10] != bytes(4):  # "BM" alone is weak: a BMP's reserved fields are zero
            unread = None
        if unread is not None:
            raise UnsupportedError(f"{p}: {unread} is not read by qualipress; convert it to PNG or TIFF first")
        raise InputError(f"{p}: not a recognised image format (first bytes {head[:8]!r})")
    if fmt in ANIMATED_FORMATS:
        _refuse_animation(p, fmt)
    declared = _declared_size(p, fmt)
    if declared > p.stat().st_size:
        raise InputError(f"{p}: the file is truncated ({fmt.upper()} headers declare {declared:,} bytes, it has "
                         f"{p.stat().st_size:,})")
    return fmt


#: ISO-BMFF top-level box types an AVIF/HEIF file (still or sequence) holds; the walk of :func:`_declared_size`
#: stops at another type that runs past the end (trailing bytes, which libheif and libavif read past), and walks
#: over one that fits (a newer or a vendor's box before the mdat).
_TOP_BOXES = frozenset({b"ftyp", b"meta", b"mdat", b"moov", b"free", b"skip", b"uuid", b"wide", b"pdin", b"moof",
                        b"mfra", b"styp", b"sidx", b"ssix", b"prft", b"emsg", b"meco"})


def _declared_size(p: Path, fmt: str) -> int:
    """Bytes a WebP's RIFF header or an AVIF/HEIF file's top-level boxes declare (0 where not told), read with
    seeks only: a file cut short fails the dry run as it fails the run."""
    with p.open("rb") as fh:
        if fmt == "webp":
            return 8 + int.from_bytes(fh.read(8)[4:8], "little")
        pos, size = 0, p.stat().st_size
        while fmt in ("avif", "heif") and pos + 8 <= size:
            fh.seek(pos)
            head = fh.read(16)
            box = int.from_bytes(head[:4], "big")
            box = int.from_bytes(head[8:16], "big") if box == 1 else box
            if box < 8:  # 0 (to the end) or malformed: decoding says which
                return 0
            if head[4:8] not in _TOP_BOXES and pos + box > size:  # bytes appended after the last box
                return pos
            pos += box
        return pos


def read_image(path: str | Path, *, max_pixels: int = MAX_PIXELS) -> Image:
    """Read an image file.

    Parameters
    ----------
    max_pixels : int
        Refuse images with more pixels (decompression-bomb guard).

    Raises
    ------
    InputError
        Missing, empty, truncated, corrupt or unrecognised file; zero or enormous dimensions; NaN/Inf.
    UnsupportedError
        A readable file with a pixel format qualipress does not handle (e.g. 32-bit integer samples).
    """
    p = Path(path)
    fmt = preflight(p)
    reader = _READERS.get(fmt)
    if reader is None:
        raise UnsupportedError(f"{p}: no reader is registered for {fmt.upper()} files")
    try:
        with warnings.catch_warnings(), _pillow_limit_off():
            warnings.simplefilter("ignore")
            image = reader(p, max_pixels)
    except (InputError, UnsupportedError) as exc:
        if str(p) in str(exc):
            raise
        named = type(exc)(f"{p}: {exc}")  # every message names its file
        named.__dict__.update(exc.__dict__)  # and keeps what the error carries (NonFiniteError's counts)
        raise named from exc
    except (ModelError, CodecUnavailableError):
        raise  # ModelError: e.g. a .qlc file whose learned-codec weights are missing (not a corrupt file)
    except MemoryError as exc:
        raise InputError(f"{p}: too large to decode in memory") from exc
    except Exception as exc:  # backends raise many unrelated types for bad data
        if type(exc).__name__ == "DecompressionBombError":
            raise InputError(f"{p}: refused as a possible decompression bomb ({exc})") from exc
        said = " ".join(str(exc).split())  # libheif ends its message with a newline
        raise InputError(f"{p}: cannot read {fmt.upper()} data, the file is truncated or corrupt ({said})") from exc
    meta = dict(image.metadata)
    pixels = image.pixels
    if fmt in METADATA_FORMATS:
        with warnings.catch_warnings():  # QA 20 web: Pillow's "Corrupt EXIF data" reached info's output
            warnings.simplefilter("ignore")
            meta.update(read_metadata(p, fmt))
        if "CMYK" in str(meta.get("converted", "")) and "icc_profile" in meta:
            # Pillow's CMYK -> RGB conversion ignores the profile; a CMYK profile on RGB pixels would be wrong.
            meta["icc_dropped"] = "CMYK profile not carried: pixels were converted to RGB without it"
            del meta["icc_profile"]
        if fmt in ORIENTED_FORMATS and meta.get("orientation", 1) != 1:
            # Upright pixels for everything downstream; the tag the file had stays in the metadata.
            pixels = apply_orientation(pixels, meta["orientation"])
    transfer = image.transfer
    if meta.get("cicp") and int(meta["cicp"][1]) in CICP_HDR_TRANSFERS and not image.is_float:
        transfer = CICP_HDR_TRANSFERS[int(meta["cicp"][1])]  # a PQ/HLG AVIF or HEIF, not sRGB
    meta["format"] = fmt
    meta["file_bytes"] = p.stat().st_size
    if p.suffix.lower() not in EXTENSIONS.get(fmt, set()):
        meta["extension_mismatch"] = f"content is {fmt} but the name ends in {p.suffix or '(nothing)'}"
    return Image(
        pixels, image.bit_depth, transfer, image.colorspace, meta, source=p
    )


@contextlib.contextmanager
def _pillow_limit_off() -> Iterator[None]:
    """Pillow's own decompression-bomb limit (89 Mpixel warning, 179 Mpixel error) off while a reader runs.

    Every reader checks the header's dimensions against *our* ``max_pixels`` (:func:`check_dimensions`) before
    decoding, so Pillow's lower limit would only refuse valid images that qualipress accepts.
    """
    from PIL import Image as PILImage

    old = PILImage.MAX_IMAGE_PIXELS
    PILImage.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        PILImage.MAX_IMAGE_PIXELS = old


def header_dimensions(path: str | Path) -> tuple[int, int] | None:
    """Width and height from a file's header, without decoding its pixels, as the image stands upright: what
    ``compress --dry-run`` checks against the pixel limit (:func:`qualipress.io.image.check_dimensions`) that a run
    applies and against the codecs' side limits (sides swapped for an EXIF orientation 5-8, as the run turns the
    pixels).

    Pillow reads the header (HEIF/AVIF through pillow-heif when installed), then OpenImageIO when installed (DPX,
    Cineon, EXR); None when neither can size the file (the run then says why it cannot read it).
    """
    from PIL import ExifTags
    from PIL import Image as PILImage

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    try:
        with _pillow_limit_off(), warnings.catch_warnings(), PILImage.open(path) as im:
            warnings.simplefilter("ignore")
            turned = (im.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8)
                      and not (im.format == "PNG" and png_exif_late(Path(path))))  # read_metadata's rule
            return (int(im.height), int(im.width)) if turned else (int(im.width), int(im.height))
    except Exception:  # not a format Pillow sizes
        pass
    try:
        import OpenImageIO as oiio
    except ImportError:
        return None
    with oiio_name(path) as name:
        inp = oiio.ImageInput.open(name)
        if inp is None:
            oiio.geterror()  # taken, so OpenImageIO does not print it at exit
            return None
        try:
            spec = inp.spec()
            return int(spec.width), int(spec.height)
        finally:
            inp.close()


def jpeg_stream_end(data: bytes) -> int:
    """Offset just past the end-of-image marker of the JPEG stream that starts ``data``.

    Walks the marker structure (segments by their lengths, entropy-coded data up to the next marker), so bytes
    FF D9 inside a comment or an EXIF block are not taken for the end, and data *after* the end (motion photos
    append a video) is allowed.

    Raises
    ------
    InputError
        The stream stops before its end-of-image marker (truncated) or its structure is broken.
    """
    n = len(data)
    if data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        # The file ends as a JPEG does, so a walk that runs off its end met damaged data, not a cut.
        truncated = InputError("JPEG structure broken (a marker inside the image data points past the end of the "
                               "file): the file is corrupt")
    else:
        truncated = InputError("JPEG data ends before its end-of-image marker: the file is truncated")
    if data[:2] != b"\xff\xd8":
        raise InputError("not a JPEG stream (no start-of-image marker)")
    pos = 2
    while True:
        if pos + 1 >= n:
            raise truncated
        if data[pos] != 0xFF:
            raise InputError(f"JPEG structure broken at byte {pos} (expected a marker): the file is corrupt")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        pos += 2
        if marker == 0xD9:
            return pos
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            continue
        if pos + 2 > n:
            raise truncated
        end = pos + int.from_bytes(data[pos:pos + 2], "big")
        if end > n:
            raise truncated
        pos = end
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next marker that is not RSTn/stuffing
            while True:
                ff = data.find(b"\xff", pos)
                if ff < 0 or ff + 1 >= n:
                    raise truncated
                nxt = data[ff + 1]
                if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
                    pos = ff + (1 if nxt == 0xFF else 2)
                    continue
                pos = ff
                break


# -- per-format readers --------------------------------------------------------------------------------------
#: :data:`~qualipress.io.image.SAMPLE_TYPE` of a float source by its sample size in bytes.
_FLOAT_TYPES = {2: "half", 4: "float", 8: "double"}


def _finish(pixels: np.ndarray, bit_depth: int | None, **kw: Any) -> Image:
    arr = np.asarray(pixels)
    if arr.dtype.kind == "f":  # the stored float type, for info/analyse; the pixels are float32 whatever it was
        kw.setdefault("metadata", {}).setdefault(SAMPLE_TYPE, _FLOAT_TYPES.get(arr.dtype.itemsize, "float"))
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3:
        raise UnsupportedError(f"cannot handle pixel array of shape {arr.shape}")
    if arr.dtype in (np.float16, np.float64):
        arr = arr.astype(np.float32)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    if arr.dtype == np.int16:
        raise UnsupportedError("signed 16-bit samples are not supported")
    if arr.dtype not in (np.uint8, np.uint16, np.float32):
        raise UnsupportedError(f"{arr.dtype} samples are not supported (8/16-bit integer or float)")
    if arr.dtype == np.float32 and not np.isfinite(arr).all():
        nan, inf = int(np.isnan(arr).sum()), int(np.isinf(arr).sum())
        raise NonFiniteError(f"float image contains {nan} NaN and {inf} Inf sample(s) (NaN/Inf) of {arr.size}: "
                             "replace them with finite values (e.g. 0, or the neighbours' value, in the "
                             "compositing tool) before a lossy encode; a lossless archive keeps the file as it is",
                             nan=nan, inf=inf, samples=int(arr.size))
    if arr.shape[2] > 4:
        arr = arr[..., :4]
    img = as_image(np.ascontiguousarray(arr), bit_depth=bit_depth)
    meta = kw.pop("metadata", {})
    return Image(img.pixels, img.bit_depth, kw.get("transfer", img.transfer), kw.get("colorspace", "srgb"), meta)


#: Leading bytes of image formats users bring that qualipress does not read, named in the error.
UNREAD_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"BM", "BMP"), (b"8BPS", "PSD"), (b"qoif", "QOI"), (b"\x00\x00\x01\x00", "ICO"))

#: Formats that can hold an animation, checked by :func:`_refuse_animation`.
ANIMATED_FORMATS = frozenset({"png", "webp", "avif", "jpegxl", "gif"})


def _refuse_animation(path: Path, fmt: str) -> None:
    """Refuse an animated file (APNG, animated WebP/AVIF/JPEG XL/GIF): an output would silently keep only its first
    frame. Files Pillow cannot open here are left to their reader."""
    try:
        from PIL import Image as PILImage

        with warnings.catch_warnings(), _pillow_limit_off():
            warnings.simplefilter("ignore")
            with PILImage.open(path) as im:
                frames = int(getattr(im, "n_frames", 1) or 1) if getattr(im, "is_animated", False) else 1
    except Exception:
        return
    if frames > 1:
        raise UnsupportedError(f"{path}: animated {fmt.upper()} ({frames} frames): qualipress compresses still "
                               "images and an output would keep only the first frame; extract the frames first "
                               "(e.g. ffmpeg -i IN frame%04d.png)")


def _pillow_size_check(path: Path, max_pixels: int) -> dict[str, Any]:
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        check_dimensions(im.width, im.height, max_pixels=max_pixels)
        info = {k: v for k, v in im.info.items() if isinstance(v, str | int | float | bytes)}
        return {"pil_mode": im.mode, **{k: v for k, v in info.items() if not isinstance(v, bytes)}}


#: ``Image.metadata["converted"]`` of a palette PNG: the expansion is exact (the file decodes to these pixels).
PALETTE_EXPANDED = "palette expanded to RGB(A)"


def _png_adam7(data: bytes) -> np.ndarray | None:
    """An interlaced 8/16-bit PNG's samples through OpenCV (None when it cannot decode them). Imagecodecs' libpng
    decoder gets them right too, but prints "PNG warning: Interlace handling should be turned on" on stderr
    among the CLI's lines; OpenCV's reader asks libpng for the interlace handling."""
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        return None
    if arr.ndim == 3:  # BGR(A) -> RGB(A); a grey(+alpha) file comes back as BGR(A) copies of its grey
        arr = arr[..., [2, 1, 0, 3][: arr.shape[2]]]
        if data[25] in (0, 4):  # IHDR colour type: grey, grey + alpha
            arr = arr[..., 0] if data[25] == 0 else arr[..., [0, 3]]
    return np.ascontiguousarray(arr)


def _read_png(path: Path, max_pixels: int) -> Image:
    import imagecodecs

    meta = _pillow_size_check(path, max_pixels)
    data = path.read_bytes()
    arr = _png_adam7(data) if meta.get("interlace") and data[24:25] in (b"\x08", b"\x10") else None
    if arr is None:
        arr = imagecodecs.png_decode(data)
    if meta.get("pil_mode") == "P" or (arr.ndim == 2 and meta.get("pil_mode") not in ("L", "I;16", "I", "1")):
        arr = _palette_expanded(path, meta)
    return _finish(*_png_cicp_samples(data, arr, meta), metadata=meta)


def _palette_expanded(path: Path, meta: dict[str, Any]) -> np.ndarray:
    """A palette image's pixels as RGB, or RGBA when it has a transparent index (noted in ``meta``)."""
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        arr = np.asarray(im.convert("RGBA" if "transparency" in im.info else "RGB"))
    meta["converted"] = PALETTE_EXPANDED
    return arr


def _read_gif(path: Path, max_pixels: int) -> Image:
    """A still GIF (one frame: :func:`preflight` refuses an animation), expanded as a palette PNG is; the canvas
    its frame does not cover is transparent, as browsers show it (Pillow paints it with a palette colour). QA 20
    web: every GIF was refused."""
    from PIL import Image as PILImage

    meta = _pillow_size_check(path, max_pixels)
    arr = _palette_expanded(path, meta)
    with PILImage.open(path) as im:
        x0, y0, x1, y1 = im.tile[0].extents if im.tile else (0, 0, im.width, im.height)
    if (x0, y0, x1, y1) != (0, 0, arr.shape[1], arr.shape[0]):
        alpha = np.zeros(arr.shape[:2], np.uint8)
        alpha[y0:y1, x0:x1] = arr[y0:y1, x0:x1, 3] if arr.shape[2] == 4 else 255
        arr = np.dstack([arr[..., :3], alpha])
    return _finish(arr, 8, metadata=meta)


def _png_cicp_samples(data: bytes, arr: np.ndarray, meta: dict[str, Any]) -> tuple[np.ndarray, int | None]:
    """A PNG's samples and bit depth as its PQ/HLG ``cICP`` chunk describes them: the chunk goes to ``meta["cicp"]`` (so
    :func:`read_image` reads a PQ/HLG PNG as such), and 16-bit samples that a PQ/HLG ``sBIT`` chunk says hold fewer
    bits (a 10-bit image stored shifted to full range, :func:`qualipress.io.writers.encode_png`) are shifted back to
    their own codes."""
    chunks: dict[bytes, bytes] = {}
    for kind, payload, _ in png_chunks(data):
        if kind in (b"IDAT", b"IEND"):
            break
        chunks.setdefault(kind, payload)
    cicp = chunks.get(b"cICP", b"")
    if len(cicp) != 4 or cicp[1] not in CICP_HDR_TRANSFERS:
        return arr, None  # an SDR PNG is read as before (its outputs unchanged)
    meta["cicp"] = [cicp[0], cicp[1], cicp[2], bool(cicp[3])]
    sbit = set(chunks.get(b"sBIT", b""))
    bits = next(iter(sbit)) if len(sbit) == 1 else 16
    if arr.dtype != np.uint16 or not 8 < bits < 16:
        return arr, None
    if np.any(arr & np.uint16((1 << (16 - bits)) - 1)):
        return arr, None  # not a shifted image after all: kept as stored
    return arr >> np.uint16(16 - bits), bits


def _read_jpeg(path: Path, max_pixels: int) -> Image:
    from PIL import Image as PILImage

    data = path.read_bytes()
    # Decoders fill a cut-off JPEG with grey and carry on; an archive must not.
    end = jpeg_stream_end(data)
    try:
        with PILImage.open(path) as im:
            check_dimensions(im.width, im.height, max_pixels=max_pixels)
            mode = im.mode
            im.load()
            meta: dict[str, Any] = {"pil_mode": mode}
            if mode == "CMYK":
                im = im.convert("RGB")
                meta["converted"] = "CMYK converted to RGB"
            elif mode not in ("L", "RGB"):
                im = im.convert("RGB")
            if end < len(data):
                meta["trailing_bytes"] = len(data) - end  # e.g. a motion photo's video: kept out of the pixels
            if getattr(im, "n_frames", 1) > 1:  # MPF: a phone's depth map, a stereo pair's other view, ...
                meta["mpf_images"] = int(im.n_frames) - 1  # stored after the primary image (trailing bytes)
            return _finish(np.asarray(im), 8, metadata=meta)
    except OSError:
        # 12-bit and lossless JPEG: Pillow cannot open them; libjpeg-turbo via imagecodecs can.
        import imagecodecs

        arr = imagecodecs.jpeg8_decode(data)
        check_dimensions(arr.shape[1], arr.shape[0], max_pixels=max_pixels)
        bits = 12 if arr.dtype == np.uint16 and int(arr.max()) < 4096 else None
        meta = {"jpeg": jpeg_coding(data) or "12-bit or lossless"}
        if end < len(data):  # QA 20 web: a motion photo's video was not named for these (nor ranked apart)
            meta["trailing_bytes"] = len(data) - end
        if arr.ndim == 3 and arr.shape[2] == 4:  # CMYK or YCCK (a JPEG holds no alpha): read as RGBA before
            adobe = re.search(rb"\xff\xee..Adobe", data[: data.find(b"\xff\xda")]) is not None
            arr = _cmyk_as_rgb(arr, (1 << bits) - 1 if bits else np.iinfo(arr.dtype).max, inverted=adobe)
            meta["converted"] = "CMYK converted to RGB"
        return _finish(arr, bits, metadata=meta)


def _cmyk_as_rgb(arr: np.ndarray, peak: float, *, inverted: bool = False) -> np.ndarray:
    """RGB of CMYK samples (``arr``'s 4 channels) as Pillow converts a CMYK JPEG (each colour
    ``(1 - ink) (1 - black)``, no profile); ``inverted`` (a JPEG's Adobe APP14 segment): stored as ``peak - ink``,
    as Photoshop writes them and Pillow reads them. QA 20 web: a CMYK JPEG that Pillow cannot decode
    (arithmetic-coded, 12-bit) was read as RGBA with its inks for colours."""
    ink = arr.astype(np.float64)
    ink = peak - ink if inverted else ink
    rgb = (peak - ink[..., :3]) * (peak - ink[..., 3:]) / peak
    return np.rint(rgb).astype(arr.dtype)


#: Start-of-frame markers by coding process (ITU-T T.81 Table B.1).
_SOF_KIND = {0xC0: "baseline", 0xC1: "extended sequential", 0xC2: "progressive", 0xC3: "lossless",
             0xC9: "arithmetic-coded sequential", 0xCA: "arithmetic-coded progressive",
             0xCB: "arithmetic-coded lossless"}


def jpeg_coding(data: bytes) -> str | None:
    """The coding process and sample precision of a JPEG's first frame (``"arithmetic-coded sequential, 8-bit"``),
    from its start-of-frame marker; None when none is found."""
    pos = 2
    while pos + 9 < len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in _SOF_KIND:
            return f"{_SOF_KIND[marker]}, {data[pos + 4]}-bit"
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return None


def _read_tiff(path: Path, max_pixels: int) -> Image:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        # The first full-resolution page: NewSubfileType bit 0 marks a reduced-resolution preview.
        index = next((i for i, pg in enumerate(tif.pages) if not int(getattr(pg, "subfiletype", 0) or 0) & 1), 0)
        page = tif.pages[index]
        shape = dict(zip(page.axes, page.shape, strict=False))
        check_dimensions(shape.get("X", 0), shape.get("Y", 0), max_pixels=max_pixels)
        arr = page.asarray()
        axes = page.axes
        if axes.startswith("S") and arr.ndim == 3:  # planar configuration 'separate'
            arr = np.moveaxis(arr, 0, -1)
        bits = int(page.bitspersample)
        meta: dict[str, Any] = {
            "tiff:compression": str(page.compression.name) if page.compression else None,
            "tiff:photometric": str(page.photometric.name) if page.photometric is not None else None,
            "tiff:bitspersample": bits,
        }
        if page.photometric is not None and page.photometric.name == "PALETTE":
            cmap = page.colormap
            arr = np.moveaxis(cmap[:, arr], 0, -1)
            bits = 16
        extra = tuple(page.extrasamples or ())
        arr = _tiff_as_shown(arr, page, len(extra), meta)
        notes = []
        if extra and arr.ndim == 3:
            # ExtraSamples: 1 associated (premultiplied) alpha, 2 unassociated alpha, 0 unspecified data (not alpha)
            n_colour = arr.shape[2] - len(extra)
            alpha = [i for i, e in enumerate(extra) if int(e) in (1, 2)][:1]
            arr = arr[..., list(range(n_colour)) + [n_colour + i for i in alpha]]
            if alpha:
                meta[ALPHA_KEY] = PREMULTIPLIED if int(extra[alpha[0]]) == 1 else STRAIGHT
            if len(extra) > len(alpha):
                notes.append(f"TIFF holds {len(extra) - len(alpha)} extra sample(s) that are not alpha: not carried")
        for tag in ("Software", "DateTime", "Make", "Model", "ImageDescription"):
            t = page.tags.get(tag)
            if t is not None:
                meta[f"tiff:{tag}"] = str(t.value)[:200]
        if len(tif.pages) > 1 and index == 0:  # said in the report, as HEIF's further images are
            notes.append(f"TIFF holds {len(tif.pages) - 1} further page(s) besides the first: "
                         "only the first page is compressed")
        elif index:
            notes.append(f"TIFF holds {len(tif.pages) - 1} further page(s) besides page {index + 1}, the first "
                         f"full-resolution one ({index} reduced-resolution preview(s) before it): only page "
                         f"{index + 1} is compressed")
        if notes:
            meta["not_carried"] = "; ".join(notes)
    if arr.dtype == np.uint16 and bits not in range(9, 17):
        bits = 16
    if arr.dtype == np.uint8:
        bits = 8
    if arr.dtype.kind == "f":
        return _finish(arr, 32, metadata=meta, transfer="linear")
    curve = curve_named_in(meta.get("tiff:ImageDescription"))
    if curve is not None:  # a log scan that says so (TIFF has no transfer field): read as DPX log frames are
        meta[LOG_CURVE_KEY] = curve
        img = _finish(arr, bits if arr.dtype == np.uint16 else None, metadata=meta)
        return Image(img.pixels, img.bit_depth, "log", "unknown", meta)
    return _finish(arr, bits if arr.dtype == np.uint16 else None, metadata=meta)


def _tiff_as_shown(arr: np.ndarray, page: Any, n_extra: int, meta: dict[str, Any]) -> np.ndarray:
    """The picture a viewer shows for TIFF photometrics stored otherwise: CMYK separations converted to RGB as
    Pillow converts CMYK JPEGs (each colour ``(1 - ink) (1 - black)``, no profile), min-is-white grey inverted.

    Raises
    ------
    UnsupportedError
        Separations that are not CMYK, or float ones.
    """
    photometric = page.photometric.name if page.photometric is not None else None
    if photometric == "MINISWHITE":
        if arr.dtype == np.bool_:
            return ~arr
        if arr.dtype.kind != "u":
            raise UnsupportedError(f"min-is-white {arr.dtype} TIFF samples are not supported")
        out = arr.copy()
        peak = min(np.iinfo(arr.dtype).max, (1 << int(page.bitspersample)) - 1)  # 12-bit samples peak at 4095
        if out.ndim == 3:
            out[..., 0] = peak - out[..., 0]
        else:
            out = peak - out
        return out
    if photometric != "SEPARATED":
        return arr
    inks = (arr.shape[-1] if arr.ndim == 3 else 1) - n_extra
    inkset = page.tags.get("InkSet")
    if inks != 4 or (inkset is not None and int(inkset.value) != 1) or arr.dtype.kind != "u":
        raise UnsupportedError(f"TIFF with {inks} {arr.dtype} ink separations (not 8/16-bit CMYK): convert it to RGB "
                               "first")
    peak = float(min(np.iinfo(arr.dtype).max, (1 << int(page.bitspersample)) - 1))
    meta["converted"] = "CMYK converted to RGB"
    return np.concatenate([_cmyk_as_rgb(arr[..., :4], peak), arr[..., 4:]], axis=-1)


#: DPX header fields copied into Image.metadata (OpenImageIO attribute names).
DPX_FIELDS = (
    "dpx:Transfer", "dpx:Colorimetric", "dpx:Packing", "dpx:ImageDescriptor", "dpx:FrameRate",
    "dpx:TimeCode", "smpte:TimeCode", "dpx:SourceDateTime", "DateTime", "dpx:InputDevice",
    "dpx:InputDeviceSerialNumber", "Software", "dpx:Format", "dpx:Creator", "dpx:Copyright",
    "dpx:EndOfImagePadding", "dpx:DataOffset", "oiio:BitsPerSample", "dpx:HighData", "dpx:LowData",
)


def _oiio_open_error(message: str) -> str:
    """OpenImageIO's reason for not opening a file; its own image-size limit (checked before ours, from the
    header) said in qualipress' terms, without advice to raise an attribute no command-line user can reach."""
    if "limits:imagesize_MB" not in message:
        return message or "cannot open"
    claim = re.search(r"(\d+)x(\d+)", message)
    size = f"header claims {claim.group(1)}x{claim.group(2)} pixels, " if claim else ""
    return f"refused as a possible decompression bomb: {size}more than OpenImageIO reads on this machine"


@contextlib.contextmanager
def oiio_name(path: str | Path) -> Iterator[str]:
    """A name OpenImageIO opens ``path`` by, valid while the block runs: ``path`` itself, or, for a name that is
    not UTF-8 (OpenImageIO's Python binding takes only a str that encodes to UTF-8: TypeError, so such a frame was
    reported unreadable, rev20e), a link to it of a UTF-8 name with its suffix in a temporary folder."""
    name = str(path)
    try:
        name.encode()
    except UnicodeEncodeError:
        pass
    else:
        yield name
        return
    with tempfile.TemporaryDirectory(prefix="qualipress-name-") as tmp:
        link = os.path.join(tmp, "file" + Path(name).suffix.encode("ascii", "ignore").decode())
        os.symlink(os.path.abspath(name), link)
        yield link


def _read_oiio(path: Path, max_pixels: int, fmt: str) -> tuple[np.ndarray, dict[str, Any], int]:
    import OpenImageIO as oiio

    with oiio_name(path) as name:
        inp = oiio.ImageInput.open(name)
        if inp is None:
            raise InputError(f"{path}: {_oiio_open_error(oiio.geterror())}")
        try:
            spec = inp.spec()
            check_dimensions(spec.width, spec.height, max_pixels=max_pixels)
            meta: dict[str, Any] = {"channel_names": list(spec.channelnames)}
            for attr in spec.extra_attribs:
                if attr.name in DPX_FIELDS or attr.name.startswith(("dpx:", "smpte:", "openexr:", "exr:",
                                                                    "cineon:")) or \
                        attr.name in ("compression", "chromaticities", "FramesPerSecond", "DateTime", "Software"):
                    value = attr.value
                    if isinstance(value, np.ndarray) and (value.size > 16 or attr.name == "dpx:UserData"):
                        # a DPX user-data section (any size) or another long array: its size, not its values
                        value = f"{value.size} bytes" if value.dtype == np.uint8 else f"{value.size} values"
                    meta[attr.name] = value if isinstance(value, str | int | float) else str(value)
            bits = spec.get_int_attribute("oiio:BitsPerSample", 0)
            data_window = (spec.x, spec.y, spec.width, spec.height)
            if data_window != (spec.full_x, spec.full_y, spec.full_width, spec.full_height):
                meta["data_window"] = list(data_window)
                meta["display_window"] = [spec.full_x, spec.full_y, spec.full_width, spec.full_height]
            arr = inp.read_image(0, 0, 0, spec.nchannels, oiio.UNKNOWN)
            if arr is None:
                raise InputError(f"{path}: {inp.geterror() or 'pixel data unreadable'}")
            if fmt == "exr" and inp.seek_subimage(1, 0):  # a multi-part file: only part 0 is read; name the others
                parts = [(spec.get_string_attribute("name"), list(spec.channelnames))]
                while inp.seek_subimage(len(parts), 0):
                    more = inp.spec()
                    parts.append((more.get_string_attribute("name"), list(more.channelnames)))
                meta["exr_parts"] = parts
        finally:
            inp.close()
    if arr.ndim == 2:
        arr = arr[..., None]
    expected = spec.width * spec.height * spec.nchannels
    if arr.size != expected:
        raise InputError(f"{path}: header says {spec.width}x{spec.height}x{spec.nchannels}, data disagrees")
    return arr, meta, bits


def _dpx_head(path: Path) -> tuple[bytes, dpx.DpxHeader | None]:
    """A DPX's first :data:`dpx.HEADER_SIZE` bytes and their parse (None: not a layout :mod:`dpx` knows)."""
    with path.open("rb") as fh:
        head = fh.read(dpx.HEADER_SIZE)
    try:
        return head, dpx.parse_header(head)
    except InputError:
        return head, None


def _read_dpx_lean(path: Path, max_pixels: int, parsed: tuple[bytes, dpx.DpxHeader | None] | None = None,
                   ) -> tuple[np.ndarray, dict[str, Any], int] | None:
    """Samples, metadata and bit depth of a plain DPX file read without OpenImageIO (:func:`dpx.lean_fields`
    says which files are plain), or None for the others.

    The samples are unpacked strip by strip straight from the file, so reading costs the frame itself and a
    strip, and a worker that reads only such files never loads OpenImageIO (~30 MB of resident memory). The
    metadata are the :data:`DPX_FIELDS` OpenImageIO would report, with the same names and values
    (``tests/io/test_dpx_lean.py`` compares both paths). ``parsed`` is :func:`_dpx_head` of ``path`` when the
    caller has it already.
    """
    head, header = parsed if parsed is not None else _dpx_head(path)
    if header is None:  # not a layout the lean path knows: OpenImageIO decides, as before it existed
        return None
    el = header.elements[0]
    # 1 is RLE (OpenImageIO fails; it reads any other encoding code as uncompressed, so a writer's garbage there
    # is not refused); a data sign other than 0 or undefined is signed (OpenImageIO says int16)
    if el.encoding == 1 or el.data_sign not in (0, 0xFFFFFFFF):
        what = "run-length encoded data" if el.encoding == 1 else f"signed {el.bit_size}-bit samples"
        raise UnsupportedError(f"{path}: DPX element 0 holds {what}, which qualipress does not read (write the "
                               "scan uncompressed, with unsigned samples)")
    fields = dpx.lean_fields(head, header)
    if fields is None:
        return None
    check_dimensions(header.width, header.height, max_pixels=max_pixels)
    lay = dpx.layout(header)
    return dpx.read_element(path, lay), fields, lay.bit_size


#: ``Image.transfer`` of an integer DPX by its header's transfer characteristic (OpenImageIO's ``dpx:Transfer``
#: names); any other is ``unknown``.
DPX_TRANSFERS = {
    "Printing density": "log", "Logarithmic": "log", "Linear": "linear",
    "ITU-R 709-4": "bt709", "SMPTE 274M": "bt709", "User defined": "unknown",
}


#: ``Image.transfer`` of formats whose encoding the format itself fixes: a Cineon scan is printing-density log.
FORMAT_TRANSFERS = {"cineon": "log"}


def _read_dpx(path: Path, max_pixels: int) -> Image:
    _check_dpx_size(path)  # before decoding: a truncated file otherwise fails with the backend's scanline error
    parsed = _dpx_head(path)  # the header read and parsed once, for every question asked of it below
    header = parsed[1]
    lean = _read_dpx_lean(path, max_pixels, parsed)
    if lean is not None:
        arr, meta, bits = lean  # raw code values at their own depth
    else:
        arr, meta, bits = _read_oiio(path, max_pixels, "dpx")
        # an undefined data sign (all ones), which OpenImageIO reads as signed like any sign but 0, is unsigned to
        # qualipress as on the lean path: OpenImageIO's int16 / int8 hold the codes' bits
        if arr.dtype.kind == "i" and header is not None and header.elements[0].data_sign == 0xFFFFFFFF:
            arr = arr.view(arr.dtype.str.replace("i", "u"))
        if (stored := _dpx_column_wise(path, header, arr.shape)) is not None:
            arr, bits = stored
        elif arr.dtype == np.uint16 and 8 < bits < 16:
            # OpenImageIO widens 10/12-bit samples to 16 bits by bit replication; shifting back is exact (in
            # place when the array is ours: no second copy of the frame)
            arr = np.right_shift(arr, 16 - bits, out=arr) if arr.flags.writeable and arr.flags.owndata \
                else arr >> (16 - bits)
        elif arr.dtype == np.uint8:
            bits = 8
        elif arr.dtype == np.uint16:
            bits = 16
    transfer = DPX_TRANSFERS.get(str(meta.get("dpx:Transfer", "")), "unknown")
    if note := _dpx_note(header):
        meta["not_carried"] = note
    if arr.dtype.kind == "f":
        return _finish(arr, 32, metadata=meta, transfer="linear")
    img = _finish(arr, bits if arr.dtype == np.uint16 else None, metadata=meta)
    return Image(img.pixels, img.bit_depth, transfer, "unknown" if transfer == "log" else "srgb", meta)


def _dpx_column_wise(path: Path, header: dpx.DpxHeader | None,
                     shape: tuple[int, ...]) -> tuple[np.ndarray, int] | None:
    """Samples and bit depth of a DPX with a column-wise orientation (codes 4-7) read again in the stored geometry,
    or None for other files. Libdpx (OpenImageIO) swaps such a file's width and height and reads
    its lines at the other length, a scrambled picture, while the lean path of the same frame keeps stored order.
    """
    if header is None:
        return None
    if (header.fields.get("dpx:orientation") not in range(4, 8) or header.width == header.height
            or tuple(shape[:2]) != (header.width, header.height)):
        return None
    try:
        (lay,) = dpx.layouts(header)
    except (UnsupportedError, ValueError):
        raise UnsupportedError(f"{path}: DPX orientation code {header.fields['dpx:orientation']} (column-wise): "
                               "OpenImageIO reads it with width and height swapped, and qualipress does not "
                               "unpack its layout itself") from None
    return dpx.read_element(path, lay), lay.bit_size


def _read_cineon(path: Path, max_pixels: int) -> Image:
    """A Kodak Cineon scan: printing-density log (the format's only encoding, so read with the Cineon curve),
    decoded by OpenImageIO, whose 16-bit samples are the 10-bit codes bit-replicated: shifted back exactly."""
    arr, meta, bits = _read_oiio(path, max_pixels, "cineon")
    if arr.dtype != np.uint16 or not 8 < bits < 16:
        raise UnsupportedError(f"{path}: {bits}-bit Cineon samples are not supported (10-bit and 12-bit are)")
    arr = np.right_shift(arr, 16 - bits)
    with path.open("rb") as fh:
        head = fh.read(1024)
    if len(head) == 1024 and 1 <= (code := head[192]) <= 7:  # said for DPX, not for Cineon
        meta["not_carried"] = (f"Cineon orientation code {code} (not left to right, top to bottom) is not applied: "
                               "outputs keep the stored pixel order")
    # OpenImageIO swaps a column-wise scan's width and height (codes 4-7, as for DPX) and skips no end-of-line
    # padding: such a scan is unpacked here in its stored layout, or refused
    pad = len(head) == 1024 and head[684:688] not in (bytes(4), b"\xff" * 4)
    if pad or (len(head) == 1024 and 4 <= head[192] <= 7 and arr.shape[0] != arr.shape[1]):
        try:
            arr = dpx.read_element(path, dpx.cineon_layout(head))
        except UnsupportedError:
            raise UnsupportedError(f"{path}: Cineon orientation code {head[192]} / end-of-line padding: OpenImageIO "
                                   "reads such a layout wrongly, and qualipress does not unpack it itself") from None
    meta[LOG_CURVE_KEY] = "cineon"
    img = _finish(arr, bits, metadata=meta)
    return Image(img.pixels, img.bit_depth, FORMAT_TRANSFERS["cineon"], "unknown", meta)


def _dpx_note(header: dpx.DpxHeader | None) -> str | None:
    """What to say about a DPX's header that its outputs do not carry: more than one image element (stereo eyes,
    a separate alpha or depth: only element 0 is read) or an orientation other than left to right, top to bottom
    (not applied, as OpenImageIO and FFmpeg leave it: the pixels stay in stored order). None for an unparsed
    header."""
    if header is None:
        return None
    elements, notes = header.elements, []

    def name(k: int) -> str:
        return f"{elements[k].description!r}" if elements[k].description else f"element {k}"

    if len(elements) > 1:
        notes.append(f"DPX holds {len(elements)} image elements: only element 0 ({name(0)}) is compressed, not "
                     + ", ".join(name(k) for k in range(1, len(elements))))
    if header.fields.get("dpx:orientation") not in (None, 0, 0xFFFF):
        notes.append(f"DPX orientation code {header.fields['dpx:orientation']} (not left to right, top to bottom) "
                     "is not applied: outputs keep the stored pixel order")
    return "; ".join(notes) or None


def _check_dpx_size(path: Path) -> None:
    """Refuse DPX files shorter than their header's image data claims (truncated or lying headers)."""
    with path.open("rb") as fh:
        head = fh.read(812)
    big = head[:4] == b"SDPX"
    element = int.from_bytes(head[808:812], "big" if big else "little") if len(head) >= 812 else 0
    offset = dpx.pixel_offset(int.from_bytes(head[4:8], "big" if big else "little"), element)
    file_size = int.from_bytes(head[16:20], "big" if big else "little")
    actual = path.stat().st_size
    if file_size and actual < file_size:
        raise InputError(f"{path}: DPX header says {file_size} bytes but the file has {actual} (truncated)")
    if offset > actual:
        raise InputError(f"{path}: DPX image data offset {offset} lies beyond the end of the file ({actual} bytes)")


def _read_exr(path: Path, max_pixels: int) -> Image:
    try:
        arr, meta, _ = _read_oiio(path, max_pixels, "exr")
    except InputError as exc:
        if "Subsampled" not in str(exc) and "sampling" not in str(exc):
            raise
        arr, meta = _read_exr_luminance_chroma(path, max_pixels)
    names = list(meta.get("channel_names", []))
    if names and len(names) == arr.shape[2]:
        order = _exr_colour_channels(names)
        if order is not None:
            dropped = [names[i] for i in range(len(names)) if i not in order]
            if dropped:
                kept = names[order[0]].rpartition(".")[0]
                bare = [names[i] for i in order]
                what = (f"the {kept!r} layer is" if kept
                        else f"{', '.join(bare)} {'is' if len(bare) == 1 else 'are'}")
                meta["not_carried"] = (f"EXR holds {len(dropped)} further channel(s) ({', '.join(dropped[:8])}"
                                       f"{', ...' if len(dropped) > 8 else ''}): only {what} compressed")
            arr = arr[..., order]
    if note := _exr_primaries_note(meta.get("chromaticities")):
        meta["not_carried"] = f"{meta['not_carried']}; {note}" if meta.get("not_carried") else note
    if parts := meta.pop("exr_parts", None):
        left = ", ".join(f"{name or k!r} ({', '.join(chans[:8])})" if name else f"part {k} ({', '.join(chans[:8])})"
                         for k, (name, chans) in enumerate(parts) if k)
        first = f"part {parts[0][0]!r}" if parts[0][0] else "the first part"
        note = f"EXR holds {len(parts)} parts: only {first} is compressed, not {left}"
        meta["not_carried"] = f"{meta['not_carried']}; {note}" if meta.get("not_carried") else note
    if "data_window" in meta:
        (x, y, w, h), (fx, fy, fw, fh) = meta["data_window"], meta["display_window"]
        note = (f"EXR data window {w}x{h} at ({x}, {y}) differs from its display window {fw}x{fh} at ({fx}, {fy}): "
                "the output holds the data window's pixels only, without their position")
        meta["not_carried"] = f"{meta['not_carried']}; {note}" if meta.get("not_carried") else note
    meta["exr:alpha_dropped"] = False
    if arr.shape[2] in (2, 4):
        meta[ALPHA_KEY] = PREMULTIPLIED  # OpenEXR stores colour premultiplied by alpha
    if arr.dtype.kind == "f":
        meta.setdefault(SAMPLE_TYPE, _FLOAT_TYPES.get(arr.dtype.itemsize, "float"))
    return _finish(arr.astype(np.float32), 32, metadata=meta, transfer="linear")


#: Rec.709 / sRGB primaries and D65 white (x, y of red, green, blue, white): what an EXR is read as.
_REC709_CHROMATICITIES = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)


def _exr_primaries_note(chromaticities: str | None) -> str | None:
    """What to say when an EXR's ``chromaticities`` (as OpenImageIO prints them) are not Rec.709's: an EXR is read
    as Rec.709 light (colorspace "srgb"), so other primaries (ACES AP0 / AP1, P3) are not carried."""
    values = [float(v) for v in re.findall(r"-?\d+(?:\.\d*)?(?:e-?\d+)?", chromaticities or "")]
    if len(values) != 8 or max(abs(a - b) for a, b in zip(values, _REC709_CHROMATICITIES, strict=True)) <= 1e-3:
        return None
    xy = ", ".join(f"{name} ({values[2 * k]:.4f}, {values[2 * k + 1]:.4f})"
                   for k, name in enumerate(("red", "green", "blue", "white")))
    return (f"EXR chromaticities {xy} are not Rec.709's: not carried (an output names Rec.709 primaries and D65 "
            "white, or no primaries)")


def _exr_colour_channels(names: list[str]) -> list[int] | None:
    """Indices of the R, G, B (and A) channels to read from an EXR's channel ``names``: the bare ones, else the
    first layer (``layer.R`` ...) that has all three; failing those a luminance ``Y`` (and A) the same way; None when
    there is no such set (data channels only)."""
    upper = [n.upper() for n in names]
    layers = ["", *dict.fromkeys(n.rpartition(".")[0] for n in upper if "." in n)]
    for colour in ("RGB", "Y"):
        for layer in layers:
            prefix = layer + "." if layer else ""
            if all(prefix + c in upper for c in colour):
                return [upper.index(prefix + c) for c in colour] + ([upper.index(prefix + "A")]
                                                                    if prefix + "A" in upper else [])
    return None


def _read_exr_luminance_chroma(path: Path, max_pixels: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Y/RY/BY EXR (chroma subsampled 2x2) to RGB with Rec.709 luminance weights, as OpenEXR's RgbaYca does."""
    import OpenEXR

    with OpenEXR.File(str(path), separate_channels=True) as f:
        stored = {k: np.asarray(v.pixels) for k, v in f.channels().items()}
    ch = {k: v.astype(np.float32, copy=False) for k, v in stored.items()}
    if not {"Y", "RY", "BY"} <= set(ch):
        raise InputError(f"{path}: EXR channels {sorted(ch)} are not RGB nor Y/RY/BY")
    y = ch["Y"]
    check_dimensions(y.shape[1], y.shape[0], max_pixels=max_pixels)

    def up(c: np.ndarray) -> np.ndarray:
        big = np.repeat(np.repeat(c, 2, axis=0), 2, axis=1)
        return big[: y.shape[0], : y.shape[1]]

    r = (up(ch["RY"]) + 1.0) * y
    b = (up(ch["BY"]) + 1.0) * y
    g = (y - 0.2126 * r - 0.0722 * b) / 0.7152
    meta = {"channel_names": ["R", "G", "B"], "exr:layout": "luminance-chroma"}
    if stored["Y"].dtype.kind == "f":  # the stored type, before the float32 conversion (half floats say 16-bit)
        meta[SAMPLE_TYPE] = _FLOAT_TYPES.get(stored["Y"].dtype.itemsize, "float")
    return np.stack([r, g, b], axis=-1), meta


def _read_pnm(path: Path, max_pixels: int) -> Image:
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        check_dimensions(im.width, im.height, max_pixels=max_pixels)
        arr = np.asarray(im)
    if arr.dtype.kind == "i" or arr.dtype == np.uint16:
        arr = arr.astype(np.uint16)
    return _finish(arr, None, metadata={})


_READERS: dict[str, Callable[[Path, int], Image]] = {
    "png": _read_png,
    "jpeg": _read_jpeg,
    "tiff": _read_tiff,
    "dpx": _read_dpx,
    "cineon": _read_cineon,
    "exr": _read_exr,
    "pnm": _read_pnm,
    "gif": _read_gif,
}


def register_reader(fmt: str, reader: Callable[[Path, int], Image]) -> None:
    """Let a higher layer read a format this module cannot decode itself.

    :mod:`qualipress.codecs` registers the formats it decodes (WebP, JPEG XL, JPEG 2000, AVIF, HEIF, ``.qlc``)
    when it is imported, which :mod:`qualipress` does on start-up; ``io`` never imports ``codecs``.

    Parameters
    ----------
    fmt : str
        A format name as returned by :func:`sniff`.
    reader : callable
        ``reader(path, max_pixels) -> Image``; raises :class:`~qualipress.errors.InputError` for bad data.
    """
    _READERS[fmt] = reader
