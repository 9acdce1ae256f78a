"""The ``.qpl`` container: one archived frame (pixels losslessly coded + everything else needed to rebuild it).

Layout (all integers little endian)::

    8 bytes   magic  b"QPLFRM01"
    4 bytes   length N of the JSON header
    N bytes   JSON header (UTF-8): {"format", "version", "source", "model", "pixels", "sections": [...]}
    ...       sections, back to back, in the order of ``header["sections"]``

Each section entry is ``{"name", "length", "encoding", "sha256"}`` where ``encoding`` is ``"raw"``, ``"zstd"``
or the name of the lossless image codec (``"jpegxl"``, ``"jpeg2000"``, ``"jpegls"``). The ``pixels`` section is a
plain codestream of that codec, so any JPEG XL / JPEG 2000 / JPEG-LS decoder can view the archived frame without
qualipress. The ids written here never change meaning; a new layout gets a new magic.
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
        raise InputError("qualipress lossless frame truncated inside its header")
    try:
        header = json.loads(data[12:12 + n])
    except ValueError as exc:
        raise InputError(f"qualipress lossless frame header is not valid JSON ({exc})") from exc
    if header.get("format") != FORMAT or int(header.get("version", 0)) > VERSION:
        raise InputError(f"unsupported frame format {header.get('format')} v{header.get('version')}")
    return header


def from_bytes(data: bytes, *, check: bool = True) -> Container:
    """Parse a ``.qpl`` file; with ``check`` every section's SHA-256 is verified.

    Raises
    ------
    InputError
        Bad magic, truncated file, or a section whose hash does not match (altered or damaged).
    """
    header = read_header(data)
    (n,) = struct.unpack_from("<I", data, 8)
    pos = 12 + n
    sections: dict[str, bytes] = {}
    for s in header["sections"]:
        end = pos + int(s["length"])
        if end > len(data):
            raise InputError(f"qualipress lossless frame truncated in section {s['name']!r}")
        chunk = data[pos:end]
        if check and hashlib.sha256(chunk).hexdigest() != s["sha256"]:
            raise InputError(f"section {s['name']!r} is damaged (SHA-256 mismatch)")
        sections[s["name"]] = chunk
        pos = end
    if pos != len(data):
        raise InputError(f"qualipress lossless frame has {len(data) - pos} unexpected trailing bytes")
    return Container(header, sections)
