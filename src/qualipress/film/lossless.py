"""Mathematically lossless frame archiving with bit-exact restoration (the RAWcooked idea, per frame).

A source file is split into

* its **pixel ranges**: the bytes holding element 0 of a DPX file or the strips of an uncompressed TIFF, decoded
  to sample values (:mod:`qualipress.film.dpx`, :mod:`tifffile`) and stored with the smallest of JPEG XL lossless,
  JPEG 2000 reversible (5/3 wavelet) and JPEG-LS (``near=0``);
* **the rest**: every other byte (header, padding between and after lines, trailing data), stored zstd-compressed;
* a **residual**: when re-packing the decoded samples does not give back the pixel bytes exactly (non-zero padding
  bits, an unusual writer), the XOR of the two, zstd-compressed. It is all zeros, and so a few bytes, for
  conforming files.

Files whose pixels cannot be modelled (OpenEXR, compressed TIFF, exotic DPX) are stored whole, zstd-compressed
(``model = "opaque"``), so every file can be archived and restored, but only modelled files gain much.

Restoration rebuilds the file and checks its SHA-256 against the one recorded at archive time; archiving itself
rebuilds every frame in memory before writing, so an archive is never written that would not restore.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError, OutputError, QualipressError, UnsupportedError
from qualipress.film import container, dpx

#: Lossless pixel codecs, in the order tried; the smallest exact result wins.
PIXEL_CODECS = ("jpegxl", "jpeg2000", "jpegls")

#: Archive file suffix appended to the source name (``a.0001.dpx`` -> ``a.0001.dpx.qpl``).
SUFFIX = ".qpl"


@dataclass
class FrameModel:
    """A source file split into pixel samples, pixel byte ranges, and the remaining bytes."""

    kind: str  # "dpx", "tiff" or "opaque"
    ranges: list[tuple[int, int]]
    rest: bytes
    pixels: np.ndarray | None
    bit_depth: int
    info: dict[str, Any]
    residual: bytes | None = None  # XOR of actual and re-packed pixel bytes, when not all zero


# -- modelling ------------------------------------------------------------------------------------------------
def _split(data: bytes, ranges: list[tuple[int, int]]) -> tuple[bytes, bytes]:
    """(concatenated pixel ranges, concatenated remaining bytes)."""
    pix, rest, pos = [], [], 0
    for off, n in ranges:
        rest.append(data[pos:off])
        pix.append(data[off:off + n])
        pos = off + n
    rest.append(data[pos:])
    return b"".join(pix), b"".join(rest)


def _join(pixel_bytes: bytes, rest: bytes, ranges: list[tuple[int, int]]) -> bytes:
    out, rpos, ppos, fpos = [], 0, 0, 0
    for off, n in ranges:
        gap = off - fpos
        out.append(rest[rpos:rpos + gap])
        out.append(pixel_bytes[ppos:ppos + n])
        rpos += gap
        ppos += n
        fpos = off + n
    out.append(rest[rpos:])
    return b"".join(out)


def _xor(a: bytes, b: bytes) -> bytes:
    return (np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)).tobytes()


def _model_dpx(data: bytes) -> FrameModel:
    header = dpx.parse_header(data[: dpx.HEADER_SIZE])
    last_error: Exception | None = None
    best: FrameModel | None = None
    for lay in dpx.layouts(header):
        end = lay.offset + lay.length
        if end > len(data):
            last_error = InputError(
                f"DPX pixel data truncated: the header implies {end} bytes, the file has {len(data)}")
            continue
        region = data[lay.offset:end]
        pixels = dpx.unpack(region, lay)
        repacked = dpx.pack(pixels, lay)
        residual = None if repacked == region else _xor(region, repacked)
        info = {"layout": {k: getattr(lay, k) for k in ("width", "height", "channels", "bit_size", "packing",
                                                         "byteorder", "offset", "line_bytes", "eol_padding")}}
        model = FrameModel("dpx", [(lay.offset, lay.length)], b"", pixels, lay.bit_size, info, residual)
        if residual is None:
            best = model
            break
        if best is None:
            best = model
    if best is None:
        assert last_error is not None
        raise last_error
    best.rest = _split(data, best.ranges)[1]
    return best


def _model_tiff(data: bytes) -> FrameModel:
    import io

    import tifffile

    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        page = tif.pages[0]
        if page.compression != 1:
            raise UnsupportedError(f"TIFF compression {page.compression.name} is kept opaque")
        if page.planarconfig != 1 and page.samplesperpixel > 1:
            raise UnsupportedError("planar-separate TIFF is kept opaque")
        if page.sampleformat != 1 or page.bitspersample not in (8, 16):
            raise UnsupportedError("only 8/16-bit unsigned TIFF samples are modelled")
        if page.is_tiled:
            raise UnsupportedError("tiled TIFF is kept opaque")
        offsets = list(page.dataoffsets)
        counts = list(page.databytecounts)
        h, w, c = int(page.imagelength), int(page.imagewidth), int(page.samplesperpixel)
        byteorder = tif.byteorder
        bits = int(page.bitspersample)
    order = sorted(zip(offsets, counts, strict=True))
    if any(o1 + n1 > o2 for (o1, n1), (o2, _) in itertools.pairwise(order)):
        raise UnsupportedError("overlapping TIFF strips are kept opaque")
    if list(zip(offsets, counts, strict=True)) != order:
        raise UnsupportedError("TIFF strips out of file order are kept opaque")
    need = h * w * c * (bits // 8)
    if order and order[-1][0] + order[-1][1] > len(data):
        raise InputError("TIFF strip data truncated")
    pix, rest = _split(data, order)
    if len(pix) < need:
        raise InputError(f"TIFF strips hold {len(pix)} bytes, the image needs {need}")
    dtype = np.dtype(np.uint8) if bits == 8 else np.dtype(byteorder + "u2")
    pixels = np.frombuffer(pix, dtype=dtype, count=h * w * c).reshape(h, w, c).astype(
        np.uint8 if bits == 8 else np.uint16)
    repacked = pixels.astype(dtype).tobytes()
    residual = None
    if len(pix) != len(repacked) or pix != repacked:
        if len(pix) != len(repacked):
            # strips longer than the image (padding): keep the tail in the residual by XOR on the whole range
            repacked = repacked + b"\0" * (len(pix) - len(repacked))
        residual = _xor(pix, repacked) if pix != repacked else None
    info = {"layout": {"width": w, "height": h, "channels": c, "bits": bits, "byteorder": byteorder,
                       "strips": len(order), "pixel_bytes": len(pix)}}
    return FrameModel("tiff", [(int(o), int(n)) for o, n in order], rest, pixels, bits, info, residual)


def model_file(data: bytes) -> FrameModel:
    """Split a file's bytes into a :class:`FrameModel` (opaque when its pixels cannot be modelled).

    Raises
    ------
    InputError
        A DPX/TIFF file whose header promises more pixel data than the file holds (truncated).
    """
    head = data[:4]
    reason = "format not modelled"
    try:
        if head in (b"SDPX", b"XPDS"):
            return _model_dpx(data)
        if head in (b"II*\0", b"MM\0*"):
            return _model_tiff(data)
    except UnsupportedError as exc:
        reason = str(exc)
    return FrameModel("opaque", [], data, None, 0, {"reason": reason})


def _rebuild_pixel_bytes(model: FrameModel, pixels: np.ndarray) -> bytes:
    if model.kind == "dpx":
        lay = dpx.PixelLayout(**model.info["layout"])
        raw = dpx.pack(pixels, lay)
    else:
        lay_t = model.info["layout"]
        dtype = np.dtype(np.uint8) if lay_t["bits"] == 8 else np.dtype(lay_t["byteorder"] + "u2")
        raw = pixels.astype(dtype).tobytes()
        raw += b"\0" * (int(lay_t["pixel_bytes"]) - len(raw))
    if model.residual is not None:
        raw = _xor(raw, model.residual)
    return raw


# -- pixel codecs ---------------------------------------------------------------------------------------------
def _squeeze(px: np.ndarray) -> np.ndarray:
    return px[..., 0] if px.shape[2] == 1 else px


def encode_pixels(pixels: np.ndarray, bit_depth: int, codec: str, *, effort: int = 5) -> bytes:
    """Losslessly encode ``(H, W, C)`` samples with one of :data:`PIXEL_CODECS`.

    Raises
    ------
    UnsupportedError
        The codec cannot carry this image (channel count, bit depth).
    """
    import imagecodecs

    arr = _squeeze(np.ascontiguousarray(pixels))
    try:
        if codec == "jpegxl":
            return bytes(imagecodecs.jpegxl_encode(arr, lossless=True, effort=effort, bitspersample=bit_depth))
        if codec == "jpeg2000":
            return bytes(imagecodecs.jpeg2k_encode(arr, level=0, reversible=True, bitspersample=bit_depth,
                                                   codecformat="j2k"))
        if codec == "jpegls":
            return bytes(imagecodecs.jpegls_encode(arr, level=0))
    except Exception as exc:  # imagecodecs raises one error class per codec
        raise UnsupportedError(f"{codec} cannot store this frame losslessly: {exc}") from exc
    raise UnsupportedError(f"unknown lossless pixel codec {codec!r}; choose from {PIXEL_CODECS}")


def decode_pixels(data: bytes, codec: str, shape: tuple[int, int, int], dtype: str) -> np.ndarray:
    """Decode a pixel section back to an ``(H, W, C)`` array of ``dtype``."""
    import imagecodecs

    fn = {"jpegxl": imagecodecs.jpegxl_decode, "jpeg2000": imagecodecs.jpeg2k_decode,
          "jpegls": imagecodecs.jpegls_decode}.get(codec)
    if fn is None:
        raise InputError(f"unknown pixel codec {codec!r} in archive")
    try:
        arr = np.asarray(fn(data))
    except Exception as exc:
        raise InputError(f"{codec} pixel data does not decode: {exc}") from exc
    if arr.ndim == 2:
        arr = arr[..., None]
    if tuple(arr.shape) != tuple(shape):
        raise InputError(f"decoded pixels have shape {arr.shape}, the archive says {tuple(shape)}")
    return arr.astype(dtype, copy=False)


def codec_versions() -> dict[str, str]:
    """Library versions of the lossless pixel codecs (recorded in every archived frame)."""
    import imagecodecs

    return {"jpegxl": imagecodecs.jpegxl_version(), "jpeg2000": imagecodecs.jpeg2k_version(),
            "jpegls": imagecodecs.jpegls_version(), "zstd": imagecodecs.zstd_version()}


def _zstd(data: bytes) -> bytes:
    import imagecodecs

    return bytes(imagecodecs.zstd_encode(data, level=19))


def _unzstd(data: bytes) -> bytes:
    import imagecodecs

    return bytes(imagecodecs.zstd_decode(data)) if data else b""


# -- archive / restore one frame ------------------------------------------------------------------------------
def archive_bytes(data: bytes, *, name: str = "", codecs: tuple[str, ...] = PIXEL_CODECS,
                  effort: int = 5) -> tuple[bytes, dict[str, Any]]:
    """Archive one file's bytes; return the ``.qpl`` bytes and a record of what was done.

    The result is restored in memory and compared (SHA-256) before it is returned.

    Parameters
    ----------
    data : bytes
        The source file, unchanged.
    name : str
        Source file name, recorded in the header.
    codecs : tuple of str
        Pixel codecs to try (subset of :data:`PIXEL_CODECS`); the smallest exact one is kept.
    effort : int
        JPEG XL effort (1–9; higher is slower and usually smaller).

    Returns
    -------
    (bytes, dict)
        Container bytes and a record: ``model``, ``codec``, ``sizes`` per codec tried, ``pixel_bytes``,
        ``rest_bytes``, ``residual_bytes``, ``seconds``.

    Raises
    ------
    InputError
        Truncated or inconsistent source.
    QualipressError
        No codec produced an exact result (should not happen; the frame is not archived).
    """
    t0 = time.perf_counter()
    src_sha = hashlib.sha256(data).hexdigest()
    model = model_file(data)
    header: dict[str, Any] = {
        "source": {"name": name, "size": len(data), "sha256": src_sha},
        "model": {"kind": model.kind, "ranges": model.ranges, **model.info},
        "libraries": codec_versions(),
    }
    sections: dict[str, bytes] = {}
    sizes: dict[str, int] = {}
    chosen = None
    if model.pixels is not None:
        px = model.pixels
        best: tuple[int, str, bytes] | None = None
        errors = {}
        for codec in codecs:
            try:
                enc = encode_pixels(px, model.bit_depth, codec, effort=effort)
            except UnsupportedError as exc:
                errors[codec] = str(exc)
                continue
            back = decode_pixels(enc, codec, px.shape, str(px.dtype))
            if not np.array_equal(back, px):
                errors[codec] = "decoded pixels differ (not lossless here)"
                continue
            sizes[codec] = len(enc)
            if best is None or len(enc) < best[0]:
                best = (len(enc), codec, enc)
        if best is None:
            raise QualipressError(f"{name}: no lossless pixel codec could store this frame: {errors}")
        chosen = best[1]
        header["pixels"] = {"codec": chosen, "shape": list(px.shape), "dtype": str(px.dtype),
                            "bit_depth": model.bit_depth, "sizes": sizes, "errors": errors}
        container.set_encoding(header, "pixels", chosen)
        sections["pixels"] = best[2]
        if model.residual is not None:
            container.set_encoding(header, "residual", "zstd")
            sections["residual"] = _zstd(model.residual)
    packed_rest = _zstd(model.rest)
    if len(packed_rest) < len(model.rest):
        container.set_encoding(header, "rest", "zstd")
        sections["rest"] = packed_rest
    else:  # already-compressed data (EXR, compressed TIFF): stored as is
        container.set_encoding(header, "rest", "raw")
        sections["rest"] = model.rest
    out = container.Container(header, sections).to_bytes()
    rebuilt = restore_bytes(out)  # proves the archive restores before anything is written
    if hashlib.sha256(rebuilt).hexdigest() != src_sha:
        raise QualipressError(f"{name}: archived frame does not rebuild the original (internal error)")
    record = {
        "model": model.kind,
        "model_note": model.info.get("reason"),
        "codec": chosen,
        "sizes": sizes,
        "pixel_bytes": len(sections.get("pixels", b"")),
        "rest_bytes": len(sections["rest"]),
        "residual_bytes": len(sections.get("residual", b"")),
        "source_bytes": len(data),
        "archive_bytes": len(out),
        "source_sha256": src_sha,
        "seconds": round(time.perf_counter() - t0, 4),
    }
    return out, record


def restore_bytes(data: bytes) -> bytes:
    """Rebuild the original file from ``.qpl`` bytes and check its SHA-256.

    Raises
    ------
    InputError
        Damaged container, undecodable pixels, or a rebuilt file whose hash differs from the recorded one.
    """
    box = container.from_bytes(data)
    head = box.header
    model_h = head["model"]
    rest = box.sections.get("rest", b"")
    if box.encoding("rest") == "zstd":
        rest = _unzstd(rest)
    if model_h["kind"] == "opaque":
        out = rest
    else:
        pix_h = head["pixels"]
        pixels = decode_pixels(box.sections["pixels"], pix_h["codec"], tuple(pix_h["shape"]), pix_h["dtype"])
        residual = _unzstd(box.sections["residual"]) if "residual" in box.sections else None
        info = {k: v for k, v in model_h.items() if k not in ("kind", "ranges")}
        model = FrameModel(model_h["kind"], [tuple(r) for r in model_h["ranges"]], rest, None,
                           int(pix_h["bit_depth"]), info, residual)
        raw = _rebuild_pixel_bytes(model, pixels)
        out = _join(raw, rest, model.ranges)
    want = head["source"]["sha256"]
    if hashlib.sha256(out).hexdigest() != want:
        raise InputError(f"restored bytes of {head['source'].get('name')!r} do not match the recorded SHA-256")
    return out


def archive_name(rel: Path) -> Path:
    """Archive path of a source path (relative to the archive root)."""
    return rel.with_name(rel.name + SUFFIX)


def restore_file(path: str | Path, out_path: str | Path, *, overwrite: bool = False) -> dict[str, Any]:
    """Restore one ``.qpl`` file to ``out_path`` atomically; return ``{"path", "sha256", "bytes"}``.

    Raises
    ------
    InputError, OutputError
    """
    from qualipress.io import atomic_write_bytes

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from exc
    out = restore_bytes(data)
    dst = Path(out_path)
    if dst.exists() and not overwrite:
        raise OutputError(f"{dst}: exists (restore never overwrites; remove it or choose another -o)")
    atomic_write_bytes(dst, out)
    return {"path": str(dst), "sha256": hashlib.sha256(out).hexdigest(), "bytes": len(out)}
