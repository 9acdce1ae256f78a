"""The codec table: the single source of truth for codec names.

The table is plain data (name → ``"module:Class"``), imported lazily, so a codec whose backend is missing costs
nothing until asked for, and capabilities (``jpeg-roi``, ``learned:<arch>``) provide codecs without the core
importing them up front.

Examples
--------
>>> from qualipress import codecs
>>> jpeg = codecs.get("jpeg")
>>> data = jpeg.encode(np.zeros((16, 16, 3), np.uint8), quality=80)   # doctest: +SKIP
>>> jpeg.decode(data).pixels.shape                                        # doctest: +SKIP
(16, 16, 3)
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from qualipress.codecs.base import Codec, CodecInfo, QualityParam
from qualipress.errors import CodecError, CodecUnavailableError, InputError, QualipressError, UnsupportedError
from qualipress.io.image import Image, check_dimensions
from qualipress.io.readers import register_reader
from qualipress.io.transfer import ALPHA_KEY

#: name → "module:Class". Order is the order ``qualipress codecs`` lists them and ``--codec auto`` tries them.
CODECS: dict[str, str] = {
    "jpeg": "qualipress.codecs.builtin:JpegCodec",
    "jpegli": "qualipress.codecs.builtin:JpegliCodec",
    "jpeg2000": "qualipress.codecs.builtin:Jpeg2000Codec",
    "htj2k": "qualipress.codecs.htj2k:Htj2kCodec",
    "jpegxl": "qualipress.codecs.builtin:JpegXlCodec",
    "avif": "qualipress.codecs.builtin:AvifCodec",
    "webp": "qualipress.codecs.builtin:WebpCodec",
    "heif": "qualipress.codecs.builtin:HeifCodec",
    "png": "qualipress.codecs.builtin:PngCodec",
    "tiff": "qualipress.codecs.builtin:TiffCodec",
    "jpegxl-lossless": "qualipress.codecs.builtin:JpegXlLosslessCodec",
    "jpeg2000-reversible": "qualipress.codecs.builtin:Jpeg2000ReversibleCodec",
    "jpegls": "qualipress.codecs.builtin:JpegLsCodec",
    "jpeg-roi": "qualipress.roi.codec:RoiJpegCodec",
}

#: Name prefixes resolved by a factory: ``learned:bmshj2018-hyperprior`` → ``make_codec("bmshj2018-hyperprior")``.
PREFIXES: dict[str, str] = {
    "learned": "qualipress.learned.codec:make_codec",
    "source": "qualipress.codecs.transcode:make_source",
    "transcode": "qualipress.codecs.transcode:make_transcode",
}

#: Other names users type for a codec (``--codec jxl``); :func:`get` and :func:`resolve` accept them.
ALIASES: dict[str, str] = {"jxl": "jpegxl", "jpg": "jpeg", "heic": "heif", "j2k": "jpeg2000", "jp2": "jpeg2000"}

#: Container formats decoded by a capability rather than by a codec object: format → "module:function(data)".
FORMAT_DECODERS: dict[str, str] = {
    "qlc": "qualipress.learned.codec:decode_qlc",
}

#: Formats :func:`qualipress.io.read_image` reads through this module (registered below, at import).
_READ_THROUGH_CODECS = ("webp", "jpegxl", "jpeg2000", "avif", "heif", "jpegls", "qlc")

def _load(target: str) -> object:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


@cache
def get(name: str) -> Codec:
    """The codec registered under ``name``.

    Raises
    ------
    UnsupportedError
        Unknown name (the message lists the known ones).
    CodecUnavailableError
        Backend not installed (the message names the pip extra).
    """
    name = ALIASES.get(name, name)
    prefix, sep, rest = name.partition(":")
    if sep:
        if prefix not in PREFIXES:
            raise UnsupportedError(f"unknown codec {name!r}; known prefixes: {', '.join(PREFIXES)}")
        try:
            factory = _load(PREFIXES[prefix])
        except ImportError as exc:
            # A prefixed family is named after the extra that installs it (``learned:`` → qualipress[learned]).
            raise CodecUnavailableError(
                f"codec {name!r} needs the '{prefix}' extra: pip install 'qualipress[{prefix}]' ({exc})"
            ) from exc
        codec = factory(rest)  # type: ignore[operator]
        assert isinstance(codec, Codec)
        return codec
    if name not in CODECS:
        raise UnsupportedError(_unknown(name))
    try:
        cls = _load(CODECS[name])
    except ImportError as exc:
        raise CodecUnavailableError(
            f"codec {name!r} is not installed: pip install 'qualipress[all]' ({exc})"
        ) from exc
    if not cls.is_available():  # type: ignore[attr-defined]
        raise CodecUnavailableError(
            f"codec {name!r}: backend library unavailable; pip install 'qualipress[{cls.info.extra}]'"  # type: ignore[attr-defined]
        )
    return cls()  # type: ignore[operator, no-any-return]


def _unknown(name: str) -> str:
    close = dict.fromkeys(ALIASES.get(c, c) for c in difflib.get_close_matches(name, [*CODECS, *ALIASES], n=3,
                                                                                 cutoff=0.5))
    hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
    return f"unknown codec {name!r}{hint} (known: {', '.join(CODECS)}; aliases: " \
           f"{', '.join(f'{a}={c}' for a, c in ALIASES.items())})"


def resolve(spec: str) -> list[str]:
    """Check a ``--codec`` value before any work: a name, a comma-separated list or ``auto``, aliases allowed.

    Returns
    -------
    list of str
        Canonical names (``["auto"]`` for ``auto``).

    Raises
    ------
    UnsupportedError
        An unknown name, with the closest known names as suggestions.
    """
    names_ = [n.strip().lower() for n in spec.split(",") if n.strip()]
    if not names_:
        raise UnsupportedError("no codec given")
    out = []
    for n in names_:
        n = ALIASES.get(n, n)
        prefix, sep, _ = n.partition(":")
        if n != "auto" and n not in CODECS and not (sep and prefix in PREFIXES):
            raise UnsupportedError(_unknown(n))
        out.append(n)
    return out


def auto_candidates() -> list[str]:
    """Codecs ``--codec auto`` tries (``CodecInfo.auto``), in table order, whether installed or not."""
    out = []
    for n, spec in CODECS.items():
        try:
            cls = _load(spec)
        except ImportError:
            continue
        if cls.info.auto:  # type: ignore[attr-defined]
            out.append(n)
    return out


def names() -> list[str]:
    """Every registered codec name (prefixed families not expanded)."""
    return list(CODECS)


def prefixed_names() -> list[str]:
    """Names the prefixed families offer (``learned:<arch>``), from each factory module's ``variant_names()``;
    a family whose module does not import (extra not installed) offers none."""
    out: list[str] = []
    for prefix, spec in PREFIXES.items():
        try:
            variants = _load(spec.partition(":")[0] + ":variant_names")
        except (ImportError, AttributeError):
            continue
        out += [f"{prefix}:{v}" for v in variants()]  # type: ignore[operator]
    return out


def available_names() -> list[str]:
    """Registered codecs whose backends import on this machine."""
    out = []
    for n in CODECS:
        try:
            get(n)
        except Exception:
            continue
        out.append(n)
    return out


def decode_as(fmt: str, data: bytes) -> Image:
    """Decode bytes of a known file format (as named by :func:`qualipress.io.sniff`)."""
    if fmt in FORMAT_DECODERS:
        return _load(FORMAT_DECODERS[fmt])(data)  # type: ignore[operator, no-any-return]
    if fmt not in ("jpegxl", "jpeg2000", "avif", "webp", "heif", "png", "tiff", "jpeg", "jpegls"):
        raise UnsupportedError(f"no decoder for {fmt}")
    return get(fmt).decode(data)


def decode_own(codec: Codec, data: bytes) -> Image:
    """``codec.decode(data)``: an encoded file read back by qualipress's own decoder, as every probe and every
    written output is before it counts.

    Raises
    ------
    CodecError
        The decoder failed on bytes the codec wrote (so a race drops that codec, not the input). Errors
        qualipress raises on purpose pass as they are.
    """
    try:
        return codec.decode(data)
    except (QualipressError, MemoryError):  # out of memory is no fault of the file
        raise
    except Exception as exc:
        raise CodecError(f"{codec.name} wrote a file ({len(data):,} bytes) that its decoder cannot read back: "
                         f"{type(exc).__name__}: {exc}") from exc


def decode_like(codec: Codec, data: bytes, reference: Image, *, decoded: Image | None = None) -> Image:
    """Decode ``data`` and describe it like ``reference`` (same bit depth and transfer), ready for metrics.

    Samples that the codec stored scaled up into a deeper container (:meth:`Codec.container_depth`: 10-bit into
    12-bit JPEG, JPEG XL's 16 bits for colour-tagged 10-bit images) are scaled back. ``decoded``: what
    ``codec.decode(data)`` already returned (not decoded again; its pixels may be scaled in place).
    """
    out = decoded if decoded is not None else decode_own(codec, data)
    px = out.pixels
    if reference.is_float:
        raise UnsupportedError("decode_like needs an integer reference; compare perceptual images")
    shift = codec.container_depth(reference) - reference.bit_depth
    if shift > 0:
        # (px + 2^(shift-1)) >> shift = (px >> shift) + bit (shift - 1) of px: the same values in the
        # container's own dtype, in place (no uint32 copies of the frame)
        px = px if px.flags.writeable and px.flags.owndata else px.copy()
        for r0 in range(0, px.shape[0], 64):  # strips: the temporary stays small
            part = px[r0: r0 + 64]
            half = np.right_shift(part, shift - 1)
            half &= 1
            np.right_shift(part, shift, out=part)
            part += half
        np.minimum(px, (1 << reference.bit_depth) - 1, out=px)
    target_dtype = reference.pixels.dtype
    if px.dtype != target_dtype:
        if px.dtype == np.uint16 and target_dtype == np.uint8 and int(px.max(initial=0)) < 256:
            px = px.astype(np.uint8)
        else:
            raise UnsupportedError(f"decoded {px.dtype} does not match reference {target_dtype}")
    if px.shape != reference.pixels.shape:
        if px.ndim == 3 and px.shape[:2] == reference.pixels.shape[:2] and px.shape[2] == 1:
            px = np.repeat(px, reference.n_channels, axis=2)
        elif px.shape[:2] == reference.pixels.shape[:2] and reference.n_channels in (1, 2) and px.shape[2] in (3, 4):
            # A grey source carried as RGB: back to grey (mean of the colour planes), alpha kept.
            grey = np.rint(px[..., :3].astype(np.float32).mean(axis=2, keepdims=True)).astype(px.dtype)
            px = np.concatenate([grey, px[..., 3:]], axis=2) if reference.n_channels == 2 else grey
        else:
            raise UnsupportedError(f"decoded shape {px.shape} differs from the source {reference.pixels.shape}")
    # the decoded alpha means what the reference's does (premultiplied PQ copies of EXRs)
    kind = reference.metadata.get(ALPHA_KEY) if reference.has_alpha else None
    return Image(px, reference.bit_depth, reference.transfer, reference.colorspace,
                 {ALPHA_KEY: kind} if kind else {})


def _file_reader(fmt: str) -> Callable[[Path, int], Image]:
    """A :func:`qualipress.io.read_image` backend for ``fmt``: size check first (when Pillow can), then decode."""

    def read(path: Path, max_pixels: int) -> Image:
        try:
            from PIL import Image as PILImage

            if fmt == "heif":
                import pillow_heif

                pillow_heif.register_heif_opener()
            with PILImage.open(path) as im:
                check_dimensions(im.width, im.height, max_pixels=max_pixels)
        except InputError:
            raise
        except Exception:  # Pillow cannot size this one; the decoder's result is checked instead
            pass
        image = decode_as(fmt, path.read_bytes())
        check_dimensions(image.width, image.height, max_pixels=max_pixels)
        if fmt == "heif":
            left = _heif_left_out(path)
            if left:
                image = Image(image.pixels, image.bit_depth, image.transfer, image.colorspace,
                              {**image.metadata, "not_carried": left}, image.source)
        return image

    return read


def _heif_left_out(path: Path) -> str | None:
    """What a HEIF file holds besides its primary image (further images, depth maps, auxiliary images), which
    qualipress neither compresses nor carries; None when nothing."""
    try:
        import pillow_heif

        heif = pillow_heif.open_heif(str(path))
        others = len(heif) - 1
        depth = sum(len(im.info.get("depth_images") or []) for im in heif)
        aux = sum(len(im.info.get("aux") or {}) for im in heif)
    except Exception:
        return None
    parts = [f"{n} {what}" for n, what in ((others, "further image(s)"), (depth, "depth map(s)"),
                                             (aux, "auxiliary image(s)")) if n]
    return f"HEIF holds {', '.join(parts)} besides the primary image: only the primary is compressed" if parts \
        else None


for _fmt in _READ_THROUGH_CODECS:
    register_reader(_fmt, _file_reader(_fmt))


__all__ = [
    "ALIASES",
    "CODECS",
    "FORMAT_DECODERS",
    "PREFIXES",
    "Codec",
    "CodecInfo",
    "QualityParam",
    "auto_candidates",
    "available_names",
    "decode_as",
    "decode_like",
    "decode_own",
    "get",
    "names",
    "prefixed_names",
    "resolve",
]
