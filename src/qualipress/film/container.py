"""The ``.qpl`` container: one archived frame (pixels losslessly coded + everything else needed to rebuild it).

Layout (all integers little endian)::

    8 bytes   magic  b"QPLFRM01"
    4 bytes   length N of the JSON header
    N bytes   JSON header (UTF-8): {"format", "version", "source", "model", "pixels", "sections": [...]}
    ...       sections, back to back, in the order of ``header["sections"]``

The header carries ``header_sha256``, the SHA-256 of its own canonical JSON without that key (sorted keys, no
spaces: exactly the bytes written), so damage to the header is named as such; files written before it existed
have no such key and are read as before. Each section entry is ``{"name", "length", "encoding", "sha256"}``
where ``encoding`` is ``"raw"``, ``"zstd"`` or the name of the lossless image codec (``"jpegxl"``,
``"jpeg2000"``, ``"jpegls"``, ``"htj2k"``). The ``pixels`` section is a plain codestream of that codec, so any
JPEG XL / JPEG 2000 / HTJ2K / JPEG-LS decoder can view the archived frame without qualipress. The ids
written here never change meaning; a new layout gets a new magic.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from qualipress.errors import InputError

MAGIC = b"QPLFRM01"
FORMAT = "qualipress-lossless-frame"
VERSION = 1
HEADER_HASH = "header_sha256"


class DamagedError(InputError):
    """An archived frame whose bytes are not what was written: a section (or the header) fails its hash."""


def _header_digest(head: dict[str, Any]) -> str:
    body = {k: v for k, v in head.items() if k != HEADER_HASH}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class Container:
    """An archived frame in memory: the JSON header and its named sections."""

    header: dict[str, Any]
    sections: dict[str, bytes] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """Serialise (section table is rebuilt from :attr:`sections`, keeping the encodings in the header)."""
        enc = {s["name"]: s.get("encoding", "raw") for s in self.header.get("sections", [])}
        table = [
            {"name": name, "length": len(data), "encoding": enc.get(name, "raw"),
             "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in self.sections.items()
        ]
        head = dict(self.header, format=FORMAT, version=VERSION, sections=table)
        head.pop(HEADER_HASH, None)
        head[HEADER_HASH] = _header_digest(head)
        raw = json.dumps(head, sort_keys=True, separators=(",", ":")).encode()
        return MAGIC + struct.pack("<I", len(raw)) + raw + b"".join(self.sections.values())

    def encoding(self, name: str) -> str:
        for s in self.header.get("sections", []):
            if s["name"] == name:
                return str(s.get("encoding", "raw"))
        raise KeyError(name)


def set_encoding(header: dict[str, Any], name: str, encoding: str) -> None:
    """Record the encoding of section ``name`` in a header being built."""
    table = header.setdefault("sections", [])
    table[:] = [s for s in table if s["name"] != name] + [{"name": name, "encoding": encoding}]


def read_header(data: bytes) -> dict[str, Any]:
    """Parse only the JSON header of a ``.qpl`` file (cheap: for catalogues and verification)."""
    if len(data) < 12 or data[:8] != MAGIC:
        raise InputError("not a qualipress lossless frame (bad magic)")
    (n,) = struct.unpack_from("<I", data, 8)
    if 12 + n > len(data):
        raise DamagedError("damaged: truncated inside the header (the header length field points past the end)")
    try:
        header = json.loads(data[12:12 + n])
    except ValueError as exc:
        raise DamagedError(f"damaged: section 'header' is not valid JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise DamagedError("damaged: section 'header' is not a JSON object")
    if HEADER_HASH in header and _header_digest(header) != header[HEADER_HASH]:
        raise DamagedError("damaged: section 'header' fails its SHA-256")
    if header.get("format") != FORMAT:
        raise InputError(f"unsupported frame format {header.get('format')!r} (expected {FORMAT!r})")
    try:
        version = int(header.get("version", 0))
    except (TypeError, ValueError):
        raise DamagedError(f"damaged: section 'header' has version {header.get('version')!r}") from None
    if version > VERSION:
        raise InputError(f"frame format version {version} is newer than this qualipress reads ({VERSION})")
    if not isinstance(header.get("sections"), list):
        raise DamagedError("damaged: section 'header' has no section table")
    return header


def from_bytes(data: bytes, *, check: bool = True) -> Container:
    """Parse a ``.qpl`` file; with ``check`` every section's SHA-256 is verified.

    Raises
    ------
    DamagedError
        Truncated file, or the header or a section fails its hash (the message names it).
    InputError
        Not a ``.qpl`` file, or a format this version does not read.
    """
    header = read_header(data)
    (n,) = struct.unpack_from("<I", data, 8)
    pos = 12 + n
    view = memoryview(data)
    sections: dict[str, bytes] = {}
    for s in header["sections"]:
        end = pos + int(s["length"])
        if end > len(data):
            raise DamagedError(f"damaged: truncated in section {s['name']!r} ({len(data)} bytes, "
                               f"the header lists {pos + sum(int(x['length']) for x in header['sections'])})")
        chunk = view[pos:end]  # a view into ``data``: sections are not copied
        if check and hashlib.sha256(chunk).hexdigest() != s["sha256"]:
            raise DamagedError(f"damaged: section {s['name']!r} fails its SHA-256")
        sections[s["name"]] = chunk
        pos = end
    if pos != len(data):
        raise DamagedError(f"damaged: {len(data) - pos} unexpected bytes after the last section")
    return Container(header, sections)
