"""The ``.qlc`` file format: a learned codec's entropy-coded strings behind a fixed header.

Layout (little-endian), version 1::

    offset size  field
    0      4     magic b"QLC1" (fixed forever; the format version is the next byte)
    4      1     format version (1)
    5      1     model id (stable id from qualipress.learned._compressai.ARCHITECTURES)
    6      1     flags (bit 0: variable-rate weights, step scaling used)
    7      1     bit depth of the coded samples (8)
    8      1     channels of the source image (1 grey or 3 RGB; grey is coded as RGB)
    9      1     reserved (0)
    10     2     header length in bytes (56)
    12     4     quality (float32)
    16     4     quantisation step (float32)
    20     4     width (uint32)
    24     4     height (uint32)
    28     8     weights fingerprint (first 8 bytes of the SHA-256 of the weights file)
    36     2     latent height (uint16)  -- the ``shape`` CompressAI's decompress needs
    38     2     latent width (uint16)
    40     4     payload length (uint32)
    44     4     CRC-32 of the payload
    48     4     reserved (0)
    52     4     CRC-32 of bytes 0..51
    56     ...   payload: uint8 group count; per group: uint8 string count; per string: uint32 length + bytes

Everything :func:`unpack` needs to detect a truncated, corrupt or foreign file is in the header; the decoder
needs only the header, the payload and the weights with the recorded fingerprint.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from qualipress.errors import InputError, UnsupportedError

MAGIC = b"QLC1"
VERSION = 1
_FIXED = struct.Struct("<4sBBBBBBHffII8sHHIII")
HEADER_LEN = _FIXED.size + 4
FLAG_STEP = 1


@dataclass(frozen=True)
class QlcHeader:
    """Decoded ``.qlc`` header fields (see the module docstring)."""

    model_id: int
    quality: float
    step: float
    width: int
    height: int
    fingerprint: bytes
    latent_shape: tuple[int, int]
    channels: int = 3
    bit_depth: int = 8
    flags: int = 0
    version: int = VERSION


def is_qlc(data: bytes) -> bool:
    """True when ``data`` starts with the ``.qlc`` magic."""
    return bytes(data[:4]) == MAGIC


def pack(header: QlcHeader, strings: list[list[bytes]]) -> bytes:
    """Serialise a header and the entropy-coded string groups."""
    parts = [struct.pack("<B", len(strings))]
    for group in strings:
        parts.append(struct.pack("<B", len(group)))
        for s in group:
            parts.append(struct.pack("<I", len(s)))
            parts.append(bytes(s))
    payload = b"".join(parts)
    fixed = _FIXED.pack(
        MAGIC,
        header.version,
        header.model_id,
        header.flags,
        header.bit_depth,
        header.channels,
        0,
        HEADER_LEN,
        header.quality,
        header.step,
        header.width,
        header.height,
        header.fingerprint,
        header.latent_shape[0],
        header.latent_shape[1],
        len(payload),
        zlib.crc32(payload),
        0,
    )
    return fixed + struct.pack("<I", zlib.crc32(fixed)) + payload


def unpack_header(data: bytes) -> QlcHeader:
    """Read and check the header.

    Raises
    ------
    InputError
        Not a ``.qlc`` file, truncated, a corrupt header or payload, or bytes after the payload (the format has no
        place for trailing data, unlike JPEG's motion-photo tails: they mean damage the CRCs cannot see).
    UnsupportedError
        A newer format version.
    """
    if not is_qlc(data):
        raise InputError("not a .qlc file (magic bytes missing)")
    if len(data) < HEADER_LEN:
        raise InputError(f".qlc file is truncated: {len(data)} bytes, the header alone is {HEADER_LEN}")
    fixed = data[: _FIXED.size]
    (crc,) = struct.unpack_from("<I", data, _FIXED.size)
    f = _FIXED.unpack(fixed)
    version = f[1]
    if version > VERSION:
        raise UnsupportedError(
            f".qlc format version {version} is newer than this qualipress reads ({VERSION}); upgrade qualipress"
        )
    if zlib.crc32(fixed) != crc:
        raise InputError(".qlc header is corrupt (CRC mismatch)")
    if version < 1 or f[7] != HEADER_LEN:
        raise InputError(f".qlc header is invalid (version {version}, header length {f[7]})")
    h = QlcHeader(
        model_id=f[2],
        flags=f[3],
        bit_depth=f[4],
        channels=f[5],
        quality=float(f[8]),
        step=float(f[9]),
        width=f[10],
        height=f[11],
        fingerprint=f[12],
        latent_shape=(f[13], f[14]),
        version=version,
    )
    if h.width < 1 or h.height < 1 or h.channels not in (1, 3) or h.bit_depth != 8:
        raise InputError(f".qlc header is invalid ({h.width}x{h.height}, {h.channels} channels, {h.bit_depth}-bit)")
    if len(data) - HEADER_LEN < f[15]:
        raise InputError(
            f".qlc file is truncated: payload has {len(data) - HEADER_LEN} of {f[15]} bytes"
        )
    if zlib.crc32(data[HEADER_LEN : HEADER_LEN + f[15]]) != f[16]:
        raise InputError(".qlc payload is corrupt (CRC mismatch)")
    if len(data) - HEADER_LEN > f[15]:  # the one damage the CRCs do not see: refused like a truncation
        raise InputError(f".qlc file has {len(data) - HEADER_LEN - f[15]:,} byte(s) after its payload of {f[15]:,} "
                         "(appended to, or a longer file overwritten in place): a .qlc ends at its payload")
    return h


def unpack(data: bytes) -> tuple[QlcHeader, list[list[bytes]]]:
    """Parse a whole ``.qlc`` file into its header and string groups.

    Raises
    ------
    InputError
        Not a ``.qlc`` file, truncated, corrupt, trailing bytes (:func:`unpack_header`).
    UnsupportedError
        A newer format version.
    """
    h = unpack_header(data)
    (n_payload,) = struct.unpack_from("<I", data, 40)
    payload = memoryview(data)[HEADER_LEN : HEADER_LEN + n_payload]
    pos = 0

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > len(payload):
            raise InputError(".qlc payload is malformed (string runs past the end)")
        out = bytes(payload[pos : pos + n])
        pos += n
        return out

    groups: list[list[bytes]] = []
    for _ in range(take(1)[0]):
        group = []
        for _ in range(take(1)[0]):
            (n,) = struct.unpack("<I", take(4))
            group.append(take(n))
        groups.append(group)
    if pos != len(payload):
        raise InputError(f".qlc payload is malformed ({len(payload) - pos:,} byte(s) after its last string)")
    return h, groups
