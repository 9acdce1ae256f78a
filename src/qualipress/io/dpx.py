"""SMPTE 268M (DPX) header parsing and the byte layout of the first image element.

OpenImageIO reads DPX pixels well, but a bit-exact archive needs more: where the pixel bytes start and end, how
samples are packed into words, and what lies around them (header, padding, trailing data). This module parses the
fixed 2048-byte header itself and packs / unpacks element 0 for the layouts met in film scans:

* 8-bit samples, one byte each;
* 10-bit "filled" packing, three samples per 32-bit word: method A (``packing=1``, two padding bits at the least
  significant end) and method B (``packing=2``, padding at the most significant end);
* 12-bit filled packing, one sample per 16-bit word (method A: sample in the top 12 bits; method B: bottom 12);
* 16-bit samples, one per 16-bit word;
* 10/12-bit "packed" (``packing=0``): samples follow each other in a least-significant-bit-first stream of
  32-bit words, each line starting on a new word (what OpenImageIO writes for one-channel images).

Each line starts on a 32-bit word boundary and may be followed by ``eol_padding`` bytes. Words use the file's byte
order (``SDPX`` = big endian, ``XPDS`` = little endian). Anything else (packed 10/12-bit, 4:2:2 descriptors, several
elements) is described but left to the archive's generic fallback.
"""

from __future__ import annotations

import dataclasses
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError, UnsupportedError

#: Channels per pixel for the image descriptors qualipress unpacks (SMPTE 268M table 1).
DESCRIPTOR_CHANNELS = {1: 1, 2: 1, 3: 1, 4: 1, 6: 1, 50: 3, 51: 4, 52: 4}

#: Transfer characteristic codes (SMPTE 268M table 5a).
TRANSFER_NAMES = {
    0: "user-defined", 1: "printing density", 2: "linear", 3: "logarithmic", 4: "unspecified video",
    5: "SMPTE 274M", 6: "ITU-R 709-4", 7: "ITU-R 601-5 B/G", 8: "ITU-R 601-5 M", 9: "NTSC composite",
    10: "PAL composite", 11: "Z linear", 12: "Z homogeneous", 13: "ADX", 14: "ITU-R 2020 NCL", 15: "ITU-R 2020 CL",
}

_UNDEF32 = 0xFFFFFFFF
HEADER_SIZE = 2048


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].replace(b"\xff", b"").decode("latin-1").strip()


def _opt_float(v: float) -> float | None:
    return round(float(v), 6) if math.isfinite(v) else None


@dataclass(frozen=True)
class DpxElement:
    """Description of one image element (SMPTE 268M image information header)."""

    descriptor: int
    transfer: int
    colorimetric: int
    bit_size: int
    packing: int
    encoding: int
    data_offset: int
    eol_padding: int
    eoi_padding: int
    data_sign: int
    description: str

    @property
    def channels(self) -> int | None:
        """Samples per pixel, or None for descriptors this module does not unpack."""
        return DESCRIPTOR_CHANNELS.get(self.descriptor)


@dataclass(frozen=True)
class DpxHeader:
    """The fields of a DPX header that matter for cataloguing and for bit-exact restoration."""

    big_endian: bool
    image_offset: int
    version: str
    file_size: int
    width: int
    height: int
    elements: tuple[DpxElement, ...]
    fields: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def byteorder(self) -> str:
        return ">" if self.big_endian else "<"


def parse_header(head: bytes) -> DpxHeader:
    """Parse the generic + industry DPX header.

    One function on purpose: it is a flat table of byte offsets read in the order of SMPTE 268M, and split into
    helpers the offsets of one header would be spread over several places.

    Parameters
    ----------
    head : bytes
        At least the first 2048 bytes of the file (fewer are accepted when the image data offset is smaller).

    Returns
    -------
    DpxHeader
        The image source fields (offsets 1408-1663) are read only when the generic header length (offset 24)
        and the image data offset leave room for them; the film and television fields (1664-2047) only when the
        industry header length (offset 28) is at least 384 bytes (or undefined) and the image data starts at or
        after byte 2048. Writers such as ffmpeg put the pixels right after a 1664-byte generic header and say
        "industry header length 0": reading those fields would take pixels for a frame rate and a slate.
        Every such decision is listed in ``warnings``.

    Raises
    ------
    InputError
        Not a DPX file, or a header too short / inconsistent to describe an image.
    """
    if len(head) < 8 or head[:4] not in (b"SDPX", b"XPDS"):
        raise InputError("not a DPX file (magic number is neither SDPX nor XPDS)")
    bo = ">" if head[:4] == b"SDPX" else "<"
    if len(head) < 1408:
        raise InputError(f"DPX header truncated: {len(head)} bytes, the image information header needs 1408")

    def u32(off: int) -> int:
        return struct.unpack_from(bo + "I", head, off)[0]

    def u16(off: int) -> int:
        return struct.unpack_from(bo + "H", head, off)[0]

    def f32(off: int) -> float:
        return struct.unpack_from(bo + "f", head, off)[0]

    n_el = u16(770)
    if not 1 <= n_el <= 8:
        raise InputError(f"DPX header gives {n_el} image elements (1..8 allowed)")
    elements = []
    for i in range(n_el):
        b = 780 + 72 * i
        elements.append(DpxElement(
            data_sign=u32(b), descriptor=head[b + 20], transfer=head[b + 21], colorimetric=head[b + 22],
            bit_size=head[b + 23], packing=u16(b + 24), encoding=u16(b + 26), data_offset=u32(b + 28),
            eol_padding=0 if u32(b + 32) == _UNDEF32 else u32(b + 32),
            eoi_padding=0 if u32(b + 36) == _UNDEF32 else u32(b + 36),
            description=_text(head[b + 40:b + 72]),
        ))
    image_offset = u32(4)
    gen_len, ind_len = u32(24), u32(28)
    warnings: list[str] = []
    source_ok = len(head) >= 1664 and image_offset >= 1664 and (gen_len == _UNDEF32 or gen_len >= 1664)
    industry_ok = (len(head) >= HEADER_SIZE and image_offset >= HEADER_SIZE
                   and (ind_len == _UNDEF32 or ind_len >= HEADER_SIZE - 1664))
    if not source_ok and len(head) >= 1664:
        warnings.append(f"generic header length {gen_len} / image data offset {image_offset}: the image source "
                        "fields (offsets 1408-1663) are not there and were not read")
    el_offset = elements[0].data_offset if elements else 0
    if pixel_offset(image_offset, el_offset) != image_offset:
        warnings.append(f"image data offset {image_offset} in the file header differs from element 0's data offset "
                        f"{el_offset}: the pixels are read at element 0's")
    if ind_len == 0:
        warnings.append("industry header length is 0 (as ffmpeg writes): no film/TV header fields read")
    elif not industry_ok and len(head) >= 1664:
        warnings.append(f"industry header length {ind_len} / image data offset {image_offset}: the film/TV "
                        "header fields (offsets 1664-2047) are not all there and were not read")
    fields: dict[str, Any] = {
        "dpx:version": _text(head[8:16]),
        "dpx:file_name": _text(head[36:136]),
        "dpx:creation_time": _text(head[136:160]),
        "dpx:creator": _text(head[160:260]),
        "dpx:project": _text(head[260:460]),
        "dpx:copyright": _text(head[460:660]),
        "dpx:orientation": u16(768),
        "dpx:user_data": f"{u32(32)} bytes" if u32(32) not in (0, _UNDEF32) else None,
    }
    if source_ok:
        fields.update({
            "dpx:source_file_name": _text(head[1432:1532]),
            "dpx:source_time": _text(head[1532:1556]),
            "dpx:input_device": _text(head[1556:1588]),
            "dpx:input_serial": _text(head[1588:1620]),
        })
    if industry_ok:
        fields.update({
            "dpx:film_format": _text(head[1680:1712]),
            "dpx:film_frame_rate": _opt_float(f32(1724)),
            "dpx:frame_id": _text(head[1732:1764]),
            "dpx:slate": _text(head[1764:1864]),
            "dpx:timecode": _timecode(u32(1920)),
            "dpx:tv_frame_rate": _opt_float(f32(1940)),
        })
    fields = {k: v for k, v in fields.items() if v not in ("", None)}
    return DpxHeader(
        big_endian=bo == ">", image_offset=image_offset, version=_text(head[8:16]), file_size=u32(16),
        width=u32(772), height=u32(776), elements=tuple(elements), fields=fields, warnings=tuple(warnings),
    )


def pixel_offset(image_offset: int, element_offset: int) -> int:
    """Where element 0's pixels start: its own data offset, or the file header's image offset when the element's
    is 0 or undefined (as OpenImageIO reads it; a file header's offset can be garbage while the element's is
    right)."""
    return element_offset if element_offset not in (0, _UNDEF32) else image_offset


def _timecode(v: int) -> str | None:
    """SMPTE timecode from the BCD-coded 32-bit field (``None`` when undefined)."""
    if v in (_UNDEF32, 0):
        return None
    digits = f"{v:08x}"
    if not digits.isdigit():
        return None
    return f"{digits[0:2]}:{digits[2:4]}:{digits[4:6]}:{digits[6:8]}"


# -- element 0 byte layout ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PixelLayout:
    """Where the samples of one element are and how they are coded.

    ``offset``/``length`` delimit the pixel bytes in the file (line padding included); ``line_bytes`` is the
    size of one line without its end-of-line padding.
    """

    width: int
    height: int
    channels: int
    bit_size: int
    packing: int
    byteorder: str
    offset: int
    line_bytes: int
    eol_padding: int

    @property
    def line_stride(self) -> int:
        return self.line_bytes + self.eol_padding

    @property
    def length(self) -> int:
        return self.line_stride * self.height


def layout(header: DpxHeader, *, word_aligned: bool = True) -> PixelLayout:
    """Byte layout of element 0, for the layouts listed in the module docstring.

    Parameters
    ----------
    word_aligned : bool
        Lines start on 32-bit word boundaries (the standard). Some writers (OpenImageIO for 8-bit and 16-bit
        samples) do not pad lines; :func:`layouts` lists both variants.

    Raises
    ------
    UnsupportedError
        Element 0 uses a descriptor, bit size, packing or encoding this module does not model (the caller may
        still archive the file with a generic fallback).
    """
    el = header.elements[0]
    ch = el.channels
    if ch is None:
        raise UnsupportedError(f"DPX descriptor {el.descriptor} is not unpacked by qualipress")
    if el.encoding == 1:  # any other code is read as uncompressed, as OpenImageIO does
        raise UnsupportedError("run-length encoded DPX is not modelled")
    if header.width <= 0 or header.height <= 0:
        raise InputError(f"DPX header gives a {header.width}x{header.height} image")
    samples = header.width * ch
    if el.bit_size == 8:
        line = samples
    elif el.bit_size == 10 and el.packing in (1, 2):
        line = -(-samples // 3) * 4
    elif el.bit_size in (12, 16) and (el.bit_size == 16 or el.packing in (1, 2)):
        line = samples * 2
    elif el.bit_size in (10, 12) and el.packing == 0:
        line = -(-(samples * el.bit_size) // 32) * 4
    else:
        raise UnsupportedError(f"DPX {el.bit_size}-bit packing {el.packing} is not modelled")
    if word_aligned:
        line = -(-line // 4) * 4
    offset = pixel_offset(header.image_offset, el.data_offset)
    return PixelLayout(header.width, header.height, ch, el.bit_size, el.packing, header.byteorder, offset, line,
                       el.eol_padding)


def layouts(header: DpxHeader) -> list[PixelLayout]:
    """The candidate layouts of element 0: word-aligned lines first, then unpadded lines when different."""
    first = layout(header)
    second = layout(header, word_aligned=False)
    return [first] if second == first else [first, second]


def unpack(region: bytes | memoryview, lay: PixelLayout) -> np.ndarray:
    """Decode the pixel bytes of element 0 into an ``(H, W, C)`` uint8/uint16 array of raw code values."""
    if len(region) < lay.length:
        raise InputError(f"DPX pixel data truncated: {len(region)} bytes, the header implies {lay.length}")
    buf = np.frombuffer(region, dtype=np.uint8, count=lay.length).reshape(lay.height, lay.line_stride)
    lines = buf[:, : lay.line_bytes]
    if lay.bit_size in (12, 16) and lay.line_bytes % 2:
        raise InputError("odd line length for 16-bit words")
    n = lay.width * lay.channels
    if lay.bit_size == 8:
        out = np.ascontiguousarray(lines[:, :n])
    elif lay.packing == 0 and lay.bit_size in (10, 12):
        out = _unpack_bitstream(lines, lay, n)
    elif lay.bit_size == 10:
        words = np.ascontiguousarray(lines).view(lay.byteorder + "u4").astype(np.uint32)
        shifts = (22, 12, 2) if lay.packing == 1 else (20, 10, 0)
        s = np.stack([(words >> sh) & 0x3FF for sh in shifts], axis=-1).reshape(lay.height, -1)
        out = s[:, :n].astype(np.uint16)
    else:  # 12 and 16 bit in 16-bit words
        words = np.ascontiguousarray(lines).view(lay.byteorder + "u2").astype(np.uint16)[:, :n]
        if lay.bit_size == 12:
            words = words >> 4 if lay.packing == 1 else words & 0x0FFF
        out = words.astype(np.uint16)
    return out.reshape(lay.height, lay.width, lay.channels)


#: Rows unpacked / packed at a time: the bit twiddling of 10-bit DPX words makes several full-size integer
#: temporaries, so whole-frame calls would cost a few times the frame in memory.
STRIP_ROWS = 128


def strips(lay: PixelLayout, rows: int = STRIP_ROWS) -> list[tuple[int, PixelLayout]]:
    """``(first row, layout of the strip)`` covering the element in ``rows``-row strips."""
    return [(y0, dataclasses.replace(lay, height=min(rows, lay.height - y0))) for y0 in range(0, lay.height, rows)]


def read_element(path: str | Path, lay: PixelLayout) -> np.ndarray:
    """The samples of element 0 read from the file strip by strip: the only full-frame array made is the result.

    Parameters
    ----------
    lay : PixelLayout
        From :func:`layout` of the file's own header.

    Returns
    -------
    numpy.ndarray
        ``(H, W, C)`` raw code values (uint8 for 8-bit samples, else uint16).

    Raises
    ------
    InputError
        The file ends inside the pixel data.
    """
    out = np.empty((lay.height, lay.width, lay.channels), np.uint8 if lay.bit_size == 8 else np.uint16)
    with open(path, "rb") as fh:
        fh.seek(lay.offset)
        buf = bytearray(min(STRIP_ROWS, lay.height) * lay.line_stride)
        for y0, sub in strips(lay):
            view = memoryview(buf)[: sub.length]
            got = fh.readinto(view)
            if got != sub.length:
                raise InputError(f"DPX pixel data truncated: the header implies {lay.offset + lay.length} bytes, "
                                 f"the file ends in row {y0 + got // lay.line_stride}")
            out[y0:y0 + sub.height] = unpack(view, sub)
    return out


def pack(pixels: np.ndarray, lay: PixelLayout) -> bytes:
    """Inverse of :func:`unpack`: padding bits and padding bytes are written as zero."""
    h, w, c = lay.height, lay.width, lay.channels
    if pixels.shape != (h, w, c):
        raise UnsupportedError(f"pixels {pixels.shape} do not match the DPX layout {(h, w, c)}")
    flat = pixels.reshape(h, w * c)
    n = w * c
    if lay.bit_size == 8:
        line = np.zeros((h, lay.line_bytes), np.uint8)
        line[:, :n] = flat
    elif lay.packing == 0 and lay.bit_size in (10, 12):
        line = _pack_bitstream(flat, lay)
    elif lay.bit_size == 10:
        nw = lay.line_bytes // 4
        s = np.zeros((h, nw * 3), np.uint32)
        s[:, :n] = flat
        s = s.reshape(h, nw, 3)
        shifts = (22, 12, 2) if lay.packing == 1 else (20, 10, 0)
        words = (s[..., 0] << shifts[0]) | (s[..., 1] << shifts[1]) | (s[..., 2] << shifts[2])
        line = words.astype(lay.byteorder + "u4").view(np.uint8).reshape(h, lay.line_bytes)
    else:
        nw = lay.line_bytes // 2
        s = np.zeros((h, nw), np.uint16)  # line_bytes is even for 12/16-bit layouts
        v = flat.astype(np.uint16)
        if lay.bit_size == 12 and lay.packing == 1:
            v = v << 4
        s[:, :n] = v
        line = s.astype(lay.byteorder + "u2").view(np.uint8).reshape(h, lay.line_bytes)
    if lay.eol_padding:
        line = np.concatenate([line, np.zeros((h, lay.eol_padding), np.uint8)], axis=1)
    return np.ascontiguousarray(line).tobytes()


def _bit_weights(bits: int) -> np.ndarray:
    return (1 << np.arange(bits, dtype=np.uint32)).astype(np.uint32)


def _unpack_bitstream(lines: np.ndarray, lay: PixelLayout, n: int) -> np.ndarray:
    words = np.ascontiguousarray(lines).view(lay.byteorder + "u4").astype("<u4")
    bits = np.unpackbits(words.view(np.uint8), axis=1, bitorder="little")[:, : n * lay.bit_size]
    vals = bits.reshape(lay.height, n, lay.bit_size).astype(np.uint32) @ _bit_weights(lay.bit_size)
    return vals.astype(np.uint16)


def _pack_bitstream(flat: np.ndarray, lay: PixelLayout) -> np.ndarray:
    h, n = flat.shape
    v = flat.astype(np.uint32)[..., None] >> np.arange(lay.bit_size, dtype=np.uint32)
    bits = np.zeros((h, lay.line_bytes * 8), np.uint8)
    bits[:, : n * lay.bit_size] = (v & 1).reshape(h, -1)
    words = np.packbits(bits, axis=1, bitorder="little").view("<u4")
    return words.astype(lay.byteorder + "u4").view(np.uint8).reshape(h, lay.line_bytes)


def cineon_layout(head: bytes) -> PixelLayout:
    """Where a Kodak Cineon file's samples are, as a DPX element: the usual 10-bit RGB, pixel-interleaved, three
    samples to a 32-bit word, left justified (Cineon packing 5, DPX method A) or right justified (6, method B),
    channels unpadded, lines followed by the header's end-of-line padding (offset 684).

    Raises
    ------
    UnsupportedError
        Any other Cineon layout (the archive then keeps the file opaque).
    """
    e = ">" if head[:4] == b"\x80\x2a\x5f\xd7" else "<"
    if len(head) < 1024:
        raise InputError(f"Cineon header cut short ({len(head)} bytes)")
    offset, = struct.unpack_from(e + "I", head, 4)
    channels = head[193]
    width, height = struct.unpack_from(e + "II", head, 200)
    bits = {head[198 + 28 * k] for k in range(min(channels, 8))}
    line_pad, channel_pad = (0 if v == _UNDEF32 else v for v in struct.unpack_from(e + "II", head, 684))
    if channels != 3 or bits != {10} or head[680] != 0 or head[681] not in (5, 6) or channel_pad:
        raise UnsupportedError(f"Cineon layout ({channels} channel(s), {sorted(bits)}-bit, interleave {head[680]}, "
                               f"packing {head[681]}) is not modelled")
    if width <= 0 or height <= 0:
        raise InputError(f"Cineon header gives a {width}x{height} image")
    return PixelLayout(width, height, 3, 10, head[681] - 4, e, offset, width * 4, line_pad)


# -- the lean read path ----------------------------------------------------------------------------------------
#: Characteristic names (transfer, colorimetric) as OpenImageIO reports them, so both read paths agree.
CHARACTERISTIC_NAMES = {
    0: "User defined", 1: "Printing density", 2: "Linear", 3: "Logarithmic", 4: "Unspecified video",
    5: "SMPTE 274M", 6: "ITU-R 709-4", 7: "ITU-R 601-5 system B or G", 8: "ITU-R 601-5 system M",
    9: "NTSC composite video", 10: "PAL composite video", 11: "Z depth linear", 12: "Z depth homogeneous", 13: "ADX",
}

#: Descriptors the lean reader takes: (OpenImageIO's descriptor name, channel names).
LEAN_DESCRIPTORS = {6: ("Luma", ["Y"]), 50: ("RGB", ["R", "G", "B"]), 51: ("RGBA", ["R", "G", "B", "A"])}

_PACKING_NAMES = {0: "Packed", 1: "Filled, method A", 2: "Filled, method B"}


def _cstr(raw: bytes) -> str | None:
    """A NUL-terminated ASCII field, or None when it is not one (no NUL inside the field, or non-ASCII bytes)."""
    end = raw.find(b"\0")
    if end < 0 or any(b >= 0x80 or (b < 0x20 and b != 0x09) for b in raw[:end]):
        return None
    return raw[:end].decode("ascii")


def _date(raw: bytes) -> str | None:
    """A 24-byte date field as OpenImageIO reports it: ``YYYY:MM:DD HH:MM:SS`` (the 11th character made a space,
    cut after the 19th)."""
    if _cstr(raw) is None:
        return None
    b = bytearray(raw[:23] + b"\0")
    b[10], b[19] = 0x20, 0
    return b.split(b"\0", 1)[0].decode("ascii")


def _tv60(tc: int) -> str:
    """``HH:MM:SS:FF`` (``;`` before the frames when the drop-frame bit is set) of a 32-bit SMPTE timecode."""
    def bcd(v: int) -> int:
        return (v & 0x0F) + 10 * ((v >> 4) & 0x0F)

    hh, mm, ss, ff = bcd((tc >> 24) & 0x3F), bcd((tc >> 16) & 0x7F), bcd((tc >> 8) & 0x7F), bcd(tc & 0x3F)
    return f"{hh:02d}:{mm:02d}:{ss:02d}{';' if tc & 0x40 else ':'}{ff:02d}"


#: Header fields reported when defined, by OpenImageIO's name: unsigned 32-bit (undefined = all ones) and
#: float (undefined = NaN) fields, then NUL-terminated text fields (unset = first byte NUL or 0xFF).
_U32_FIELDS = {"dpx:DittoKey": 20, "dpx:EncryptKey": 660, "dpx:LowData": 784, "dpx:HighData": 792,
               "dpx:EndOfLinePadding": 812, "dpx:EndOfImagePadding": 816, "dpx:FramePosition": 1712,
               "dpx:SequenceLength": 1716, "dpx:HeldCount": 1720, "dpx:UserBits": 1924}
_F32_FIELDS = {"dpx:LowQuantity": 788, "dpx:HighQuantity": 796, "dpx:XScannedSize": 1636, "dpx:YScannedSize": 1640,
               "dpx:FrameRate": 1724, "dpx:ShutterAngle": 1728, "dpx:HorizontalSampleRate": 1932,
               "dpx:VerticalSampleRate": 1936, "dpx:TemporalFrameRate": 1940, "dpx:TimeOffset": 1944,
               "dpx:BlackLevel": 1952, "dpx:BlackGain": 1956, "dpx:BreakPoint": 1960, "dpx:WhiteLevel": 1964,
               "dpx:IntegrationTimes": 1968}
_TEXT_FIELDS = {"Software": (160, 100), "dpx:Version": (8, 8), "dpx:Format": (1680, 32), "dpx:FrameId": (1732, 32),
                "dpx:SlateInfo": (1764, 100), "dpx:SourceImageFileName": (1432, 100),
                "dpx:InputDevice": (1556, 32), "dpx:InputDeviceSerialNumber": (1588, 32)}


def _plain(header: DpxHeader, head: bytes) -> bool:
    """Whether the lean read path takes this file (see :func:`lean_fields`)."""
    el = header.elements[0]
    if (len(header.elements) != 1 or header.image_offset < HEADER_SIZE or len(head) < HEADER_SIZE
            or el.data_sign not in (0, _UNDEF32)  # undefined: unsigned (OpenImageIO would read it as int16)
            or el.encoding not in (0, 0xFFFF) or el.descriptor not in LEAN_DESCRIPTORS
            or el.transfer not in CHARACTERISTIC_NAMES or el.colorimetric not in CHARACTERISTIC_NAMES
            or el.packing not in _PACKING_NAMES or any(head[1664:1680])  # key code / edge code fields
            or (el.descriptor == 6 and el.bit_size == 10)  # OpenImageIO orders a word's three luma samples
            # the other way round from RGB words: its reading of these files is kept as it is
            or head[1930] not in (0, 0xFF)  # video signal other than undefined
            or struct.unpack_from(header.byteorder + "I", head, 32)[0] not in (0, _UNDEF32)):  # user data
        return False
    try:
        return len(layouts(header)) == 1
    except UnsupportedError:
        return False


def lean_fields(head: bytes, header: DpxHeader) -> dict[str, Any] | None:
    """The header fields :func:`qualipress.io.read_image` keeps for a DPX file, named and valued as OpenImageIO
    reports them, or None when the file is not one the lean read path takes.

    The lean path takes a file with one element, a full 2048-byte header (the pixels start after the film and
    television headers), unsigned samples (data sign 0 or undefined) without run-length encoding, an RGB, RGBA or
    luma descriptor, a
    layout :func:`layouts` finds unambiguous (and not 10-bit luma), known transfer and colorimetric codes, no key
    code, edge code, video signal or user data, and well-formed text fields; anything else is left to
    OpenImageIO.

    Returns
    -------
    dict or None
        ``channel_names``, ``oiio:BitsPerSample``, ``dpx:Transfer``, ``dpx:Colorimetric``,
        ``dpx:ImageDescriptor``, ``dpx:Packing``, the defined numeric fields of :data:`_U32_FIELDS` and
        :data:`_F32_FIELDS`, the set text fields of :data:`_TEXT_FIELDS`, ``smpte:TimeCode`` and ``dpx:TimeCode``
        (when defined), ``dpx:Signal`` (when not 255), ``dpx:Interlace`` / ``dpx:FieldNumber`` (when not 255),
        ``DateTime`` and ``dpx:SourceDateTime`` (when set).
    """
    if not _plain(header, head):
        return None
    el = header.elements[0]
    bo = header.byteorder

    def u32(off: int) -> int:
        return struct.unpack_from(bo + "I", head, off)[0]

    name, channels = LEAN_DESCRIPTORS[el.descriptor]
    out: dict[str, Any] = {
        "channel_names": channels, "oiio:BitsPerSample": el.bit_size,
        "dpx:Transfer": CHARACTERISTIC_NAMES[el.transfer], "dpx:Colorimetric": CHARACTERISTIC_NAMES[el.colorimetric],
        "dpx:ImageDescriptor": name, "dpx:Packing": _PACKING_NAMES[el.packing],
    }
    out.update({k: u32(off) for k, off in _U32_FIELDS.items() if u32(off) != _UNDEF32})
    for key, off in _F32_FIELDS.items():
        value = struct.unpack_from(bo + "f", head, off)[0]
        if not math.isnan(value):
            out[key] = float(value)
    if u32(1920) != _UNDEF32:
        out["smpte:TimeCode"] = str((u32(1920), u32(1924)))
        out["dpx:TimeCode"] = _tv60(u32(1920))
    out.update({k: head[off] for k, off in (("dpx:Interlace", 1928), ("dpx:FieldNumber", 1929)) if head[off] != 0xFF})
    if head[1930] == 0:
        out["dpx:Signal"] = "Undefined"
    for key, (off, size) in _TEXT_FIELDS.items():
        raw = head[off:off + size]
        if raw[0] in (0, 0xFF):
            continue
        value = _cstr(raw)
        if value is None:
            return None
        out[key] = value
    for key, off in (("DateTime", 136), ("dpx:SourceDateTime", 1532)):
        if head[off] != 0:
            value = _date(head[off:off + 24])
            if value is None:
                return None
            out[key] = value
    return out


# -- writing --------------------------------------------------------------------------------------------------
def _bcd_timecode(frame: int, fps: int) -> int:
    ff = frame % fps
    secs = frame // fps
    hh, mm, ss = (secs // 3600) % 24, (secs // 60) % 60, secs % 60
    return int(f"{hh:02d}{mm:02d}{ss:02d}{ff:02d}", 16)


def encode_dpx(pixels: np.ndarray, *, bit_size: int = 10, transfer: int = 3, colorimetric: int = 0,
               file_name: str = "", creation_time: str = "", creator: str = "qualipress", project: str = "",
               description: str = "", frame_rate: float | None = None, frame: int | None = None,
               input_device: str = "") -> bytes:
    """A complete big-endian DPX file (one element, filled method A for 10-bit), fully deterministic.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``(H, W, 1|3|4)`` integer code values below ``2**bit_size``.
    bit_size : int
        8, 10, 12 or 16.
    transfer, colorimetric : int
        SMPTE 268M codes (3 = logarithmic).
    frame_rate, frame : optional
        Written to the film and television headers, with the SMPTE timecode of ``frame`` at ``frame_rate``.
    """
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3, 4):
        raise UnsupportedError(f"DPX writer takes (H, W, 1|3|4) pixels, got {pixels.shape}")
    if bit_size not in (8, 10, 12, 16):
        raise UnsupportedError(f"DPX bit size {bit_size} not written")
    if int(pixels.max(initial=0)) >= 1 << bit_size:
        raise UnsupportedError(f"pixel values exceed {bit_size} bits")
    h, w, c = pixels.shape
    descriptor = {1: 6, 3: 50, 4: 51}[c]
    packing = 1 if bit_size in (10, 12) else 0
    head = bytearray(HEADER_SIZE)  # text fields undefined = NUL; undefined numbers set to all ones below
    for a, b in ((660, 664), (1408, 1432), (1620, 1644), (1712, 1732), (1920, 1976)):
        head[a:b] = b"\xff" * (b - a)

    def put(fmt: str, off: int, *vals: Any) -> None:
        struct.pack_into(">" + fmt, head, off, *vals)

    def text(off: int, size: int, value: str) -> None:
        raw = value.encode("latin-1", "replace")[: size - 1]
        head[off:off + size] = raw + b"\0" * (size - len(raw))

    # 10-bit lines end on word boundaries by construction; 8/12/16-bit lines are written unpadded, as
    # OpenImageIO (and most readers) expect.
    lay = layout(DpxHeader(True, HEADER_SIZE, "V2.0", 0, w, h, (DpxElement(
        descriptor, transfer, colorimetric, bit_size, packing, 0, HEADER_SIZE, 0, 0, 0, ""),)),
        word_aligned=bit_size == 10)
    data = pack(pixels, lay)
    put("I", 0, 0x53445058)
    put("I", 4, HEADER_SIZE)
    text(8, 8, "V2.0")
    put("I", 16, HEADER_SIZE + len(data))
    put("III", 20, 1, 1664, 384)
    put("I", 32, 0)
    text(36, 100, file_name)
    text(136, 24, creation_time)
    text(160, 100, creator)
    text(260, 200, project)
    text(460, 200, "")
    put("HHII", 768, 0, 1, w, h)
    peak = (1 << bit_size) - 1
    put("IIfIf", 780, 0, 0, 0.0, peak, 2.047 if transfer in (1, 3) else 1.0)
    head[800:804] = bytes((descriptor, transfer, colorimetric, bit_size))
    put("HHIII", 804, packing, 0, HEADER_SIZE, 0, 0)
    text(820, 32, description)
    text(1556, 32, input_device)
    if frame_rate is not None:
        put("f", 1724, float(frame_rate))
        put("f", 1940, float(frame_rate))
    if frame is not None:
        put("I", 1712, frame)
        if frame_rate:
            put("I", 1920, _bcd_timecode(frame, round(frame_rate)))
            put("I", 1924, 0)
    return bytes(head) + data
