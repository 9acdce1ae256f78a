"""Lossless writers for working files (PNG, TIFF, DPX, EXR); every write is atomic."""

from __future__ import annotations

import io as _io
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import OutputError, UnsupportedError
from qualipress.io.files import atomic_path, atomic_write_bytes
from qualipress.io.image import Image
from qualipress.io.metadata import Carry, carry_for, embed, icc_for_samples, png_chunk, tiff_with_exif
from qualipress.io.readers import oiio_name
from qualipress.io.transfer import pq_decode


def encode_png(image: Image, *, cicp: tuple[int, int] | None = None) -> bytes:
    """Lossless PNG bytes (8 or 16 bit; deeper-than-8 integers are stored in 16-bit containers unscaled).

    Parameters
    ----------
    cicp : tuple of int, optional
        CICP (colour primaries, transfer characteristics) written as a ``cICP`` chunk (PNG third edition; a PQ or
        HLG image). The chunk describes full-range samples, so a 9–15-bit image is then stored shifted up
        to 16 bits (:func:`png_cicp_depth`).
    """
    import imagecodecs

    if image.is_float:
        raise UnsupportedError("PNG cannot store float pixels; use TIFF or EXR")
    px = image.pixels
    shifted = cicp is not None and png_cicp_depth(image.bit_depth) != image.bit_depth
    if shifted:
        px = px << np.uint16(16 - image.bit_depth)
    data = bytes(imagecodecs.png_encode(np.squeeze(px, axis=-1) if image.n_channels == 1 else px, level=6))
    if cicp is None:
        return data
    # sBIT: the samples' own depth, so a reader (qualipress's too) gets the original codes back
    return png_with_cicp(data, cicp, sbit=(image.bit_depth,) * image.n_channels if shifted else None)


def png_cicp_depth(bit_depth: int) -> int:
    """Bits per sample of a PNG written with a ``cICP`` chunk for a ``bit_depth``-bit image: 8, else 16."""
    return 8 if bit_depth <= 8 else 16


def png_with_cicp(data: bytes, cicp: tuple[int, int], *, sbit: tuple[int, ...] | None = None) -> bytes:
    """PNG ``data`` with a ``cICP`` chunk (primaries, transfer, matrix 0 = RGB, full range) right after IHDR, where
    the specification wants it (before PLTE and IDAT), and an ``sBIT`` chunk (significant bits per channel) after it
    when ``sbit`` is given."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise UnsupportedError("not a PNG stream")
    end = 8 + 12 + int.from_bytes(data[8:12], "big")
    chunks = [(b"cICP", bytes((int(cicp[0]), int(cicp[1]), 0, 1)))]
    if sbit is not None:
        chunks.append((b"sBIT", bytes(int(b) for b in sbit)))
    added = b"".join(png_chunk(k, p) for k, p in chunks)
    return data[:end] + added + data[end:]


def encode_tiff(image: Image, *, compression: str = "zlib", carry: Carry | None = None) -> bytes:
    """Lossless TIFF bytes (8/16-bit integer or 32-bit float), deflate + predictor, with ``carry``'s metadata: the
    ICC profile (tag 34675; a grey one on RGB pixels as its RGB equivalent, left out when it cannot be the
    pixels' (an RGB profile on grey, CMYK): :func:`qualipress.io.metadata.icc_for_samples`); XMP
    (tag 700); EXIF (:func:`qualipress.io.metadata.tiff_with_exif`). No orientation tag is written: the pixels are
    stored upright (orientation 1)."""
    import tifffile

    icc, xmp, exif = (carry.icc, carry.xmp, carry.exif) if carry is not None else (None, None, None)
    buf = _io.BytesIO()
    px = image.pixels
    photometric = "rgb" if image.n_channels >= 3 else "minisblack"
    extra = ("unassalpha",) if image.has_alpha else None
    icc = icc_for_samples(icc, image.n_channels) if icc else None
    tifffile.imwrite(buf, px if image.n_channels > 1 else px[..., 0], photometric=photometric,
                     compression=compression, predictor=True, extrasamples=extra,
                     metadata=None, software="qualipress", iccprofile=icc or None,
                     extratags=[(700, 1, len(xmp), xmp, True)] if xmp else None)
    return tiff_with_exif(buf.getvalue(), exif)


def write_image(path: str | Path, image: Image, *, overwrite: bool = True, **options: Any) -> Path:
    """Write an image losslessly, atomically; the format follows the suffix. A PNG keeps the image's ICC
    profile, EXIF and XMP (:func:`qualipress.io.metadata.carry_for`, orientation 1), and so does a TIFF.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.png``, ``.tif``/``.tiff``, ``.dpx`` or ``.exr``.
    **options
        DPX: ``transfer`` (DPX transfer name), ``bits`` (10/12/16). EXR: ``half`` (default True).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".png":
        # a decoded or preprocessed image keeps its ICC profile, EXIF and XMP; the pixels are upright, so the
        # orientation written is 1
        data = embed(encode_png(image), ".png", carry_for(image.metadata), channels=image.n_channels)
        return atomic_write_bytes(p, data, overwrite=overwrite)
    if suffix in (".tif", ".tiff"):
        # as for PNG: what the colours mean travels with them
        return atomic_write_bytes(p, encode_tiff(image, carry=carry_for(image.metadata)), overwrite=overwrite)
    if suffix in (".dpx", ".exr"):
        return _write_oiio(p, image, overwrite=overwrite, **options)
    raise UnsupportedError(f"{p}: images are written losslessly as .png, .tif, .dpx or .exr, not "
                           f"{suffix or 'without a suffix'}")


def _write_oiio(path: Path, image: Image, *, overwrite: bool, **options: Any) -> Path:
    import OpenImageIO as oiio

    if not overwrite and path.exists():
        raise OutputError(f"{path}: exists (use --overwrite to replace it)")
    names = {1: ("Y",), 2: ("Y", "A"), 3: ("R", "G", "B"), 4: ("R", "G", "B", "A")}[image.n_channels]
    px = image.pixels
    if path.suffix.lower() == ".exr":
        fmt = oiio.HALF if options.get("half", True) else oiio.FLOAT
        data = px.astype(np.float32)
        if not image.is_float:  # raw integer codes in half floats overflowed to Inf above 65504
            data, fmt = _exr_light(path, image), oiio.FLOAT
        spec = oiio.ImageSpec(image.width, image.height, image.n_channels, fmt)
        spec.attribute("compression", options.get("compression", "zip"))
    else:
        if image.is_float:
            raise UnsupportedError("DPX needs integer pixels")
        bits = int(options.get("bits", image.bit_depth))
        spec = oiio.ImageSpec(image.width, image.height, image.n_channels, oiio.UINT16 if bits > 8 else oiio.UINT8)
        spec.attribute("oiio:BitsPerSample", bits)
        if "transfer" in options:
            spec.attribute("dpx:Transfer", str(options["transfer"]))
        if "colorimetric" in options:
            spec.attribute("dpx:Colorimetric", str(options["colorimetric"]))
        for key in ("dpx:FrameRate", "smpte:TimeCode"):
            if key in options:
                spec.attribute(key, options[key])
        data = px
        if bits > 8 and bits < 16:
            # OpenImageIO expects full-range 16-bit data; widen by bit replication (exactly undone on read).
            v = px.astype(np.uint32)
            data = ((v << (16 - bits)) | (v >> (2 * bits - 16))).astype(np.uint16)
    spec.channelnames = names
    with atomic_path(path, overwrite=True) as tmp, oiio_name(tmp) as name:
        out = oiio.ImageOutput.create(name)
        if out is None or not out.open(name, spec):
            raise OutputError(f"{path}: {oiio.geterror() or 'cannot open for writing'}")
        ok = out.write_image(np.ascontiguousarray(data))
        out.close()
        if not ok:
            raise OutputError(f"{path}: {out.geterror() or 'write failed'}")
    return path


def _exr_light(path: Path, image: Image) -> np.ndarray:
    """Linear light (float32) for an integer image going into an EXR: PQ codes are decoded, linear codes scaled
    to [0, 1]; other encodings (sRGB, log) would need a colour conversion that is not guessed here.

    Raises
    ------
    UnsupportedError
        An integer image whose transfer is neither ``pq`` nor ``linear``.
    """

    if image.transfer not in ("pq", "linear"):
        raise UnsupportedError(f"{path}: EXR holds linear light and this {image.bit_depth}-bit image is "
                               f"{image.transfer}-coded; write .png, .tif or .dpx instead")
    code = image.pixels.astype(np.float32) / np.float32(image.max_value)
    if image.transfer == "pq":
        n = image.n_channels - (1 if image.has_alpha else 0)
        code[..., :n] = pq_decode(code[..., :n])
    return code
