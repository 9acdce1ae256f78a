"""Mathematically lossless frame archiving with bit-exact restoration (the RAWcooked idea, per frame).

A source file is split into

* its **pixel ranges**: the bytes holding element 0 of a DPX file or the strips or tiles (chunky or planar) of an
  uncompressed TIFF, decoded to sample values (:mod:`qualipress.io.dpx`, :mod:`tifffile`) and stored with one
  of JPEG XL lossless, JPEG 2000 reversible (5/3 wavelet), HTJ2K reversible and JPEG-LS (``near=0``), chosen per
  frame (see :func:`archive_bytes`: a probe on a sample of rows, or full encodes with each);
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

from qualipress.errors import InputError, QualipressError, UnsupportedError
from qualipress.film import container
from qualipress.io import dpx
from qualipress.io.readers import CINEON_MAGIC

#: Lossless pixel codecs this module can write and read (ids stored in archives; they never change meaning).
PIXEL_CODECS = ("jpegxl", "jpeg2000", "jpegls", "htj2k")

#: Default candidates of ``archive``: the fast exact coders (JPEG 2000's 5/3 coder is 2-4x slower than JPEG XL at
#: effort 2 for about the same size on grainy 2K frames, so it is only tried when asked for).
FAST_CODECS = ("jpegxl", "jpegls", "htj2k")

#: Default JPEG XL effort of ``archive``. On grainy 2K scans effort 2 was as small as effort 3 or smaller (12 of 12
#: frames) at about half its time, and effort 5-6 saved only ~1-3% more at 10-20x the time (``docs/film.md``);
#: effort 1 (libjxl's fast-lossless path) is faster still but ~3% larger than JPEG-LS.
DEFAULT_EFFORT = 2

#: How the codec is chosen: ``"probe"`` encodes a sample of row strips with each candidate and then the full
#: frame once with the winner; ``"all"`` encodes the full frame with every candidate and keeps the smallest.
SELECT_MODES = ("probe", "all")

#: Rows per probe strip and the share of the frame's rows the probe encodes.
PROBE_STRIP_ROWS = 32
PROBE_FRACTION = 0.125

#: Frames with fewer pixels than this are encoded in full with every candidate (the probe would not be cheaper).
PROBE_MIN_PIXELS = 1 << 19

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
    view = memoryview(data)
    return b"".join(view[off:off + n] for off, n in ranges), _rest_of(data, ranges)


def _rest_of(data: bytes, ranges: list[tuple[int, int]]) -> bytes:
    """The bytes outside ``ranges`` (headers, padding, trailing data), concatenated, without copying the rest."""
    view = memoryview(data)
    rest, pos = [], 0
    for off, n in ranges:
        rest.append(view[pos:off])
        pos = off + n
    rest.append(view[pos:])
    return b"".join(rest)


def _join(pixel_bytes: bytes, rest: bytes, ranges: list[tuple[int, int]]) -> bytes:
    pix, rst = memoryview(pixel_bytes), memoryview(rest)
    out, rpos, ppos, fpos = [], 0, 0, 0
    for off, n in ranges:
        gap = off - fpos
        out.append(rst[rpos:rpos + gap])
        out.append(pix[ppos:ppos + n])
        rpos += gap
        ppos += n
        fpos = off + n
    out.append(rst[rpos:])
    return b"".join(out)


def _xor(a: bytes, b: bytes) -> bytes:
    return (np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)).tobytes()


def _unpack_dpx(region: memoryview, lay: dpx.PixelLayout) -> tuple[np.ndarray, bytes | None]:
    """Samples of element 0 and the residual (XOR of the bytes and their re-packing; None when equal), strip by
    strip so that no full-frame temporary other than the samples themselves is made."""
    pixels: np.ndarray | None = None
    diffs: list[tuple[int, int, bytes]] = []
    for y0, sub in dpx.strips(lay):
        start = y0 * lay.line_stride
        seg = region[start:start + sub.length]
        px = dpx.unpack(seg, sub)
        if pixels is None:
            pixels = np.empty((lay.height, lay.width, lay.channels), px.dtype)
        pixels[y0:y0 + sub.height] = px
        repacked = dpx.pack(px, sub)
        if seg != repacked:
            diffs.append((start, sub.length, _xor(seg, repacked)))
    assert pixels is not None
    if not diffs:
        return pixels, None
    residual = bytearray(lay.length)
    for start, n, x in diffs:
        residual[start:start + n] = x
    return pixels, bytes(residual)


def _model_dpx(data: bytes) -> FrameModel:
    return _model_element(data, dpx.layouts(dpx.parse_header(data[: dpx.HEADER_SIZE])))


def _model_element(data: bytes, candidates: list[dpx.PixelLayout]) -> FrameModel:
    """The first of ``candidates`` whose re-packed samples equal the file's bytes (else the first that fits)."""
    last_error: Exception | None = None
    best: FrameModel | None = None
    for lay in candidates:
        end = lay.offset + lay.length
        if end > len(data):
            last_error = InputError(
                f"DPX pixel data truncated: the header implies {end} bytes, the file has {len(data)}")
            continue
        region = memoryview(data)[lay.offset:end]  # a view: the frame's bytes are not copied
        pixels, residual = _unpack_dpx(region, lay)
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
    best.rest = _rest_of(data, best.ranges)
    return best


def _tiff_grid(lay: dict[str, Any]) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, int]]:
    """How a TIFF's pixel segments, in file order, hold the image: the shape of those samples, the axes that
    turn it into ``(rows, columns, samples)`` of the image padded to whole tiles, and that padded size.

    Strips are one tile as wide and tall as the image (the last strip holds only the rows left); tiles are
    padded to whole tiles at the right and bottom edges; planar-separate files hold one plane after another
    (each in strips or tiles), chunky ones the samples of a pixel together."""
    h, w, c = int(lay["height"]), int(lay["width"]), int(lay["channels"])
    th, tw = lay.get("tile") or (h, w)
    ny, nx = -(-h // th), -(-w // tw)
    if lay.get("planar"):
        return (c, ny, nx, th, tw), (1, 3, 2, 4, 0), (ny * th, nx * tw)
    return (ny, nx, th, tw, c), (0, 2, 1, 3, 4), (ny * th, nx * tw)


def _tiff_image(samples: np.ndarray, lay: dict[str, Any]) -> np.ndarray:
    """The ``(H, W, C)`` image of a TIFF's pixel samples in file order (:func:`_tiff_grid`)."""
    shape, axes, (hp, wp) = _tiff_grid(lay)
    grid = samples[:int(np.prod(shape))].reshape(shape).transpose(axes).reshape(hp, wp, -1)
    return grid[:int(lay["height"]), :int(lay["width"])]


def _tiff_samples(pixels: np.ndarray, lay: dict[str, Any]) -> np.ndarray:
    """The inverse of :func:`_tiff_image`: the samples in file order, tile padding as zeros."""
    shape, axes, (hp, wp) = _tiff_grid(lay)
    grid = pixels
    if (hp, wp) != pixels.shape[:2]:  # tiles past the edge: no full-frame copy for strips
        grid = np.zeros((hp, wp, pixels.shape[2]), pixels.dtype)
        grid[:pixels.shape[0], :pixels.shape[1]] = pixels
    five = [shape[a] for a in axes]  # the transposed shape, then back to the file's axes
    return grid.reshape(five).transpose(np.argsort(axes)).ravel()


def _model_tiff(data: bytes) -> FrameModel:
    import io

    import tifffile

    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        page = tif.pages[0]
        if page.compression != 1:
            raise UnsupportedError(f"TIFF compression {page.compression.name} is kept opaque")
        if page.sampleformat != 1 or page.bitspersample not in (8, 16):
            raise UnsupportedError("only 8/16-bit unsigned TIFF samples are modelled")
        if page.imagedepth > 1 or (page.is_tiled and page.tiledepth > 1):
            raise UnsupportedError("volumetric TIFF is kept opaque")
        offsets = list(page.dataoffsets)
        counts = list(page.databytecounts)
        h, w, c = int(page.imagelength), int(page.imagewidth), int(page.samplesperpixel)
        byteorder = tif.byteorder
        bits = int(page.bitspersample)
        layout: dict[str, Any] = {"width": w, "height": h, "channels": c, "bits": bits, "byteorder": byteorder}
        if page.is_tiled:  # fix20film: tiled and planar-separate files were kept opaque (~12 % larger archives)
            layout["tile"] = [int(page.tilelength), int(page.tilewidth)]
        if page.planarconfig != 1 and c > 1:
            layout["planar"] = True
    if 0 in counts:  # a sparse file (GDAL's SPARSE_OK: empty tiles with no bytes) is valid, not "truncated" (rev20c)
        raise UnsupportedError("sparse TIFF (a tile or strip with no bytes) is kept opaque")
    order = sorted(zip(offsets, counts, strict=True))
    if any(o1 + n1 > o2 for (o1, n1), (o2, _) in itertools.pairwise(order)):
        raise UnsupportedError("overlapping TIFF strips are kept opaque")
    if list(zip(offsets, counts, strict=True)) != order:
        raise UnsupportedError("TIFF strips out of file order are kept opaque")
    shape = _tiff_grid(layout)[0]
    count = int(np.prod(shape))
    need = count * (bits // 8)
    if order and order[-1][0] + order[-1][1] > len(data):
        raise InputError("TIFF strip data truncated")
    pix, rest = _split(data, order)
    if len(pix) < need:
        raise InputError(f"TIFF strips hold {len(pix)} bytes, the image needs {need}")
    dtype = np.dtype(np.uint8) if bits == 8 else np.dtype(byteorder + "u2")
    samples = np.frombuffer(pix, dtype=dtype, count=count).astype(np.uint8 if bits == 8 else np.uint16)
    pixels = np.ascontiguousarray(_tiff_image(samples, layout))
    repacked = _tiff_samples(pixels, layout).astype(dtype).tobytes()
    residual = None
    if len(pix) != len(repacked) or pix != repacked:
        if len(pix) != len(repacked):
            # strips longer than the image (padding): keep the tail in the residual by XOR on the whole range
            repacked = repacked + b"\0" * (len(pix) - len(repacked))
        residual = _xor(pix, repacked) if pix != repacked else None
    info = {"layout": {**layout, "strips": len(order), "pixel_bytes": len(pix)}}
    return FrameModel("tiff", [(int(o), int(n)) for o, n in order], rest, pixels, bits, info, residual)


#: File signatures by extension: a frame whose content does not start with its extension's signature is damaged.
_TIFF_SIGNATURES = (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".dpx": (b"SDPX", b"XPDS"),
    ".tif": _TIFF_SIGNATURES,
    ".tiff": _TIFF_SIGNATURES,
    ".exr": (b"v/1\x01",),
    ".cin": CINEON_MAGIC,
}


def model_file(data: bytes, *, name: str = "") -> FrameModel:
    """Split a file's bytes into a :class:`FrameModel` (opaque when its pixels cannot be modelled).

    A file that cannot be modelled because it is damaged (a DPX/TIFF whose pixel data is cut short or whose
    structure does not parse, or content that does not match the extension of ``name``) is not refused: it is
    kept opaque, byte for byte, and ``info["damaged"]`` says what is wrong, so an archive holds every file.
    """
    head = data[:4]
    reason = "format not modelled"
    damaged: str | None = None
    ext = Path(name).suffix.lower()
    if ext in SIGNATURES and not data:
        damaged = "empty file (0 bytes)"  # QA: was 'content is not a DPX file (starts with b'')'
    elif ext in SIGNATURES and not any(data.startswith(sig) for sig in SIGNATURES[ext]):
        damaged = f"content is not a {ext[1:].upper()} file (starts with {data[:8]!r})"
    try:
        if head in (b"SDPX", b"XPDS"):
            return _model_dpx(data)
        if head in SIGNATURES[".cin"]:
            return _model_element(data, [dpx.cineon_layout(data)])
        if head in (b"II*\0", b"MM\0*"):
            return _model_tiff(data)
    except UnsupportedError as exc:
        reason = str(exc)
    except InputError as exc:
        damaged = str(exc)
    except Exception as exc:  # a broken header makes the TIFF/DPX parsers fail in their own ways
        damaged = f"structure does not parse ({type(exc).__name__}: {exc})"
    info: dict[str, Any] = {"reason": f"damaged: {damaged}" if damaged else reason}
    if damaged:
        info["damaged"] = damaged
    return FrameModel("opaque", [], data, None, 0, info)


def _rebuild_pixel_bytes(model: FrameModel, pixels: np.ndarray) -> bytes:
    if model.kind == "dpx":
        lay = dpx.PixelLayout(**model.info["layout"])
        raw = b"".join(dpx.pack(pixels[y0:y0 + sub.height], sub) for y0, sub in dpx.strips(lay))
    else:
        lay_t = model.info["layout"]
        dtype = np.dtype(np.uint8) if lay_t["bits"] == 8 else np.dtype(lay_t["byteorder"] + "u2")
        raw = _tiff_samples(pixels.reshape(pixels.shape[0], pixels.shape[1], -1), lay_t).astype(dtype).tobytes()
        raw += b"\0" * (int(lay_t["pixel_bytes"]) - len(raw))
    if model.residual is not None:
        raw = _xor(raw, model.residual)
    return raw


# -- pixel codecs ---------------------------------------------------------------------------------------------
def _squeeze(px: np.ndarray) -> np.ndarray:
    return px[..., 0] if px.shape[2] == 1 else px


def encode_pixels(pixels: np.ndarray, bit_depth: int, codec: str, *, effort: int = 5, threads: int = 1) -> bytes:
    """Losslessly encode ``(H, W, C)`` samples with one of :data:`PIXEL_CODECS`.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``(H, W, C)`` unsigned integer samples.
    bit_depth : int
        Significant bits per sample.
    codec : str
        One of :data:`PIXEL_CODECS`.
    effort : int
        JPEG XL effort (1 = fast lossless).
    threads : int
        Threads inside the coder where the library offers them (JPEG XL, JPEG 2000).

    Raises
    ------
    UnsupportedError
        The codec cannot carry this image (channel count, bit depth).
    """
    import imagecodecs

    arr = _squeeze(np.ascontiguousarray(pixels))
    try:
        if codec == "jpegxl":
            return bytes(imagecodecs.jpegxl_encode(arr, lossless=True, effort=effort, bitspersample=bit_depth,
                                                   numthreads=max(1, threads)))
        if codec == "jpeg2000":
            return bytes(imagecodecs.jpeg2k_encode(arr, level=0, reversible=True, bitspersample=bit_depth,
                                                   codecformat="j2k", numthreads=max(1, threads)))
        if codec == "jpegls":
            from qualipress.codecs.builtin import jpegls_encode_exact

            return jpegls_encode_exact(arr)
        if codec == "htj2k":
            return bytes(imagecodecs.htj2k_encode(arr, level=0, reversible=True))
    except Exception as exc:  # imagecodecs raises one error class per codec
        raise UnsupportedError(f"{codec} cannot store this frame losslessly: {exc}") from exc
    raise UnsupportedError(f"unknown lossless pixel codec {codec!r}; choose from {PIXEL_CODECS}")


def decode_pixels(data: bytes, codec: str, shape: tuple[int, int, int], dtype: str, *,
                  threads: int = 1) -> np.ndarray:
    """Decode a pixel section back to an ``(H, W, C)`` array of ``dtype`` (``threads`` where the codec has them)."""
    import imagecodecs

    fns = {"jpegxl": lambda b: imagecodecs.jpegxl_decode(b, numthreads=max(1, threads)),
           "jpeg2000": lambda b: imagecodecs.jpeg2k_decode(b, numthreads=max(1, threads)),
           "jpegls": imagecodecs.jpegls_decode, "htj2k": imagecodecs.htj2k_decode}
    fn = fns.get(codec)
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
            "jpegls": imagecodecs.jpegls_version(), "htj2k": imagecodecs.htj2k_version(),
            "zstd": imagecodecs.zstd_version()}


def _zstd(data: bytes) -> bytes:
    import imagecodecs

    return bytes(imagecodecs.zstd_encode(data, level=19))


def _unzstd(data: bytes) -> bytes:
    import imagecodecs

    return bytes(imagecodecs.zstd_decode(data)) if data else b""


# -- archive / restore one frame ------------------------------------------------------------------------------
def probe_rows(height: int, *, strip: int = PROBE_STRIP_ROWS, fraction: float = PROBE_FRACTION) -> list[slice]:
    """Row strips, evenly spread over the frame, that together hold about ``fraction`` of its rows."""
    n = max(1, round(height * fraction / strip))
    if n * strip >= height:
        return [slice(0, height)]
    step = height / n
    return [slice(int(i * step + (step - strip) / 2), int(i * step + (step - strip) / 2) + strip) for i in range(n)]


def rank_codecs(pixels: np.ndarray, bit_depth: int, codecs: tuple[str, ...], *, effort: int = DEFAULT_EFFORT,
                threads: int = 1) -> tuple[list[str], dict[str, int], dict[str, str]]:
    """Order candidate codecs by the size each gives on a sample of row strips (smallest first).

    Costs about :data:`PROBE_FRACTION` of one full encode per candidate.

    Returns
    -------
    (list of str, dict, dict)
        Codecs ranked by probe size, the probe sizes, and the codecs that cannot store this frame (with why).
    """
    sample = np.ascontiguousarray(np.concatenate([pixels[s] for s in probe_rows(pixels.shape[0])], axis=0))
    sizes: dict[str, int] = {}
    errors: dict[str, str] = {}
    for codec in codecs:
        try:
            sizes[codec] = len(encode_pixels(sample, bit_depth, codec, effort=effort, threads=threads))
        except UnsupportedError as exc:
            errors[codec] = str(exc)
    return sorted(sizes, key=lambda c: (sizes[c], codecs.index(c))), sizes, errors


def archive_bytes(data: bytes, *, name: str = "", codecs: tuple[str, ...] = FAST_CODECS,
                  effort: int = DEFAULT_EFFORT, select: str = "probe",
                  threads: int = 1) -> tuple[bytes, dict[str, Any]]:
    """Archive one file's bytes; return the ``.qpl`` bytes and a record of what was done.

    The result is restored in memory and compared (SHA-256) before it is returned; that restore is also the
    proof that the chosen pixel codec was exact (a codec that is not falls back to the next candidate).

    Parameters
    ----------
    data : bytes
        The source file, unchanged.
    name : str
        Source file name, recorded in the header.
    codecs : tuple of str
        Candidate pixel codecs (subset of :data:`PIXEL_CODECS`).
    effort : int
        JPEG XL effort (1–9; 1 is the fast-lossless path, higher is slower and usually smaller).
    select : str
        ``"probe"``: rank the candidates on a sample of row strips (:func:`rank_codecs`) and encode the full
        frame once; ``"all"``: encode the full frame with each and keep the smallest. Frames under
        :data:`PROBE_MIN_PIXELS` pixels always use ``"all"``.
    threads : int
        Threads inside the coders that offer them.

    Returns
    -------
    (bytes, dict)
        Container bytes and a record: ``model``, ``codec``, ``select``, ``sizes`` (full encodes),
        ``probe_sizes``, ``encodes`` (full-frame encodes), ``pixel_bytes``, ``rest_bytes``, ``residual_bytes``,
        ``seconds``.

    Raises
    ------
    UnsupportedError
        Unknown codec or selection mode.
    QualipressError
        No codec produced an exact result (should not happen; the frame is not archived).
    """
    if select not in SELECT_MODES:
        raise UnsupportedError(f"unknown codec selection {select!r}; choose from {SELECT_MODES}")
    unknown = [c for c in codecs if c not in PIXEL_CODECS]
    if unknown or not codecs:
        raise UnsupportedError(f"unknown lossless pixel codec(s) {unknown or codecs}; choose from {PIXEL_CODECS}")
    t0 = time.perf_counter()
    model = model_file(data, name=name)
    box = _Sections(data, name, model, threads)
    sizes: dict[str, int] = {}
    probe_sizes: dict[str, int] = {}
    chosen = None
    encodes = 0
    mode = select
    if model.pixels is not None:
        try:
            out, chosen, mode, sizes, probe_sizes, encodes = _archive_pixels(box, model, codecs, effort, select,
                                                                              threads)
        except QualipressError as exc:  # no codec was proven exact: the file is kept whole, not failed
            model = FrameModel("opaque", [], data, None, 0, {"reason": f"kept opaque: {exc}"})
            box = _Sections(data, name, model, threads)
    if model.pixels is None:
        out = box.build(None, None, None)
        if not box.proven(out):
            raise QualipressError(f"{name}: archived frame does not rebuild the original (internal error)")
    written = box.written
    record = {
        "model": model.kind,
        "model_note": model.info.get("reason"),
        "damaged": model.info.get("damaged"),
        "codec": chosen,
        "select": mode if chosen else None,
        "effort": effort if chosen == "jpegxl" else None,
        "sizes": sizes,
        "probe_sizes": probe_sizes,
        "encodes": encodes,
        "pixel_bytes": written.get("pixels", 0),
        "rest_bytes": written["rest"],
        "residual_bytes": written.get("residual", 0),
        "source_bytes": len(data),
        "archive_bytes": len(out),
        "source_sha256": box.src_sha,
        "seconds": round(time.perf_counter() - t0, 4),
    }
    return out, record


class _Sections:
    """The header and the non-pixel sections of one archive; builds containers and proves them.

    ``written`` holds the section sizes of the last container built.
    """

    def __init__(self, data: bytes, name: str, model: Any, threads: int) -> None:
        self.src_sha = hashlib.sha256(data).hexdigest()
        self.threads = threads
        self.header: dict[str, Any] = {
            "source": {"name": name, "size": len(data), "sha256": self.src_sha},
            "model": {"kind": model.kind, "ranges": model.ranges, **model.info},
            "libraries": codec_versions(),
        }
        self.rest_section = _zstd(model.rest)
        self.rest_encoding = "zstd"
        if len(self.rest_section) >= len(model.rest):  # already-compressed data (EXR, compressed TIFF): stored as is
            self.rest_section, self.rest_encoding = model.rest, "raw"
        self.residual_section = _zstd(model.residual) if model.residual is not None else None
        self.written: dict[str, int] = {}

    def build(self, pixel_codec: str | None, pixel_data: bytes | None, pix_header: dict[str, Any] | None) -> bytes:
        """Container bytes with these pixels (none: the rest section only)."""
        head = dict(self.header, sections=[])
        sections: dict[str, bytes] = {}
        if pixel_codec is not None and pixel_data is not None:
            head["pixels"] = pix_header
            container.set_encoding(head, "pixels", pixel_codec)
            sections["pixels"] = pixel_data
            if self.residual_section is not None:
                container.set_encoding(head, "residual", "zstd")
                sections["residual"] = self.residual_section
        container.set_encoding(head, "rest", self.rest_encoding)
        sections["rest"] = self.rest_section
        self.written.clear()
        self.written.update({k: len(v) for k, v in sections.items()})
        return container.Container(head, sections).to_bytes()

    def proven(self, out: bytes) -> bool:
        """Whether ``out`` restores the source exactly."""
        try:
            return hashlib.sha256(restore_bytes(out, threads=self.threads)).hexdigest() == self.src_sha
        except InputError:
            return False


def _archive_pixels(
    box: _Sections, model: Any, codecs: tuple[str, ...], effort: int, select: str, threads: int
) -> tuple[bytes, str, str, dict[str, int], dict[str, int], int]:
    """Encode the pixels with the chosen codec; return container, codec, mode, sizes, probe sizes, encodes."""
    px = model.pixels
    sizes: dict[str, int] = {}
    probe_sizes: dict[str, int] = {}
    errors: dict[str, str] = {}
    chosen = None
    encodes = 0
    mode = select
    if len(codecs) == 1 or px.shape[0] * px.shape[1] < PROBE_MIN_PIXELS:
        mode = "all"
    if mode == "probe":
        order, probe_sizes, errors = rank_codecs(px, model.bit_depth, codecs, effort=effort, threads=threads)
    else:
        order = list(codecs)
    candidates: list[tuple[int, str, bytes]] = []
    for codec in order:
        try:
            enc = encode_pixels(px, model.bit_depth, codec, effort=effort, threads=threads)
        except UnsupportedError as exc:
            errors[codec] = str(exc)
            continue
        encodes += 1
        sizes[codec] = len(enc)
        candidates.append((len(enc), codec, enc))
        if mode == "probe":
            # the probe's winner is encoded once; the next candidate is only tried when it is not exact
            winner = candidates.pop()
            pix_h = {"codec": codec, "shape": list(px.shape), "dtype": str(px.dtype),
                     "bit_depth": model.bit_depth, "sizes": sizes, "errors": errors}
            out = box.build(codec, winner[2], pix_h)
            if box.proven(out):
                chosen = codec
                break
            errors[codec] = "decoded pixels differ (not lossless here)"
    if mode == "all":
        for _, codec, enc in sorted(candidates, key=lambda c: (c[0], codecs.index(c[1]))):
            pix_h = {"codec": codec, "shape": list(px.shape), "dtype": str(px.dtype),
                     "bit_depth": model.bit_depth, "sizes": sizes, "errors": errors}
            out = box.build(codec, enc, pix_h)
            if box.proven(out):
                chosen = codec
                break
            errors[codec] = "decoded pixels differ (not lossless here)"
    if chosen is None:
        raise QualipressError(f"{box.header['source']['name']}: no lossless pixel codec could store this frame: "
                              f"{errors}")
    return out, chosen, mode, sizes, probe_sizes, encodes


def restore_bytes(data: bytes, *, threads: int = 1) -> bytes:
    """Rebuild the original file from ``.qpl`` bytes and check its SHA-256 (``threads`` inside the decoder).

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
        out = bytes(rest)
    else:
        pix_h = head["pixels"]
        pixels = decode_pixels(box.sections["pixels"], pix_h["codec"], tuple(pix_h["shape"]), pix_h["dtype"],
                               threads=threads)
        residual = _unzstd(box.sections["residual"]) if "residual" in box.sections else None
        info = {k: v for k, v in model_h.items() if k not in ("kind", "ranges")}
        model = FrameModel(model_h["kind"], [tuple(r) for r in model_h["ranges"]], rest, None,
                           int(pix_h["bit_depth"]), info, residual)
        raw = _rebuild_pixel_bytes(model, pixels)
        out = _join(raw, rest, model.ranges)
    want = head["source"]["sha256"]
    if hashlib.sha256(out).hexdigest() != want:
        raise container.DamagedError(f"damaged: the rebuilt {head['source'].get('name')!r} does not match the "
                                     "SHA-256 recorded at archive time")
    return out


def archive_name(rel: Path) -> Path:
    """Archive path of a source path (relative to the archive root)."""
    return rel.with_name(rel.name + SUFFIX)


