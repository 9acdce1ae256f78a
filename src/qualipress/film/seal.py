"""Seals: what was done to a frame, stored inside the output file where its container allows it.

The seal is an XMP packet (namespace :data:`NS`, prefix ``qp``) holding the profile, target, codec + version,
parameters, achieved metrics, source file name and SHA-256, and the encoding of the stored code values
(``encoding``: Cineon or ACEScct log, or PQ-coded scene-linear light; none of the codecs' colour tags can say
it). Where it goes:

=========== ========================================================================================
container   placement
=========== ========================================================================================
JPEG XL     a bare codestream is wrapped in the ISO BMFF container (``JXL `` + ``ftyp`` + ``xml `` +
            ``jxlc``); an existing container gets an ``xml `` box after ``ftyp``. Pixels untouched.
JPEG 2000   (JP2) a ``uuid`` box with the XMP UUID ``BE7ACFCB-97A9-42E8-9C71-999491E3AFAC`` after ``jp2h``.
AVIF, HEIF  not embedded: adding an item to the ``meta`` box means rewriting ``iinf``/``iloc`` and every data
            offset; the seal goes to a sidecar ``<file>.xmp`` and to the manifest instead.
=========== ========================================================================================

:func:`read_seal` finds the packet again (for ``qualipress verify``).
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any
from xml.sax.saxutils import escape

from qualipress.io.metadata import JP2_XMP_UUID

NS = "https://qualipress.invalid/ns/seal/1.0/"
_JXL_SIG = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
_JXL_FTYP = b"\x00\x00\x00\x14ftypjxl \x00\x00\x00\x00jxl "
#: Seal fields, in order, with the record key they come from.
FIELDS = ("profile", "target", "codec", "codec_version", "setting", "params", "metrics", "source", "source_sha256",
          "qualipress_version", "encoding")


_JSON_FIELDS = ("setting", "params", "metrics")
#: A character an XML 1.0 element's text cannot hold as written: a control character (not even as a character
#: reference), a carriage return (read back as a line feed) or a byte of a file name that is not UTF-8 (the
#: surrogate ``os.fsdecode`` makes of it, which UTF-8 cannot encode).
_NOT_XML_TEXT = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _seal_text(value: Any) -> str:
    """A seal field's text: a string as it is, unless it holds a character of :data:`_NOT_XML_TEXT` or starts
    with ``"``: then as a JSON string (ASCII, every such character escaped), which :func:`parse_packet` reads back
    (rev20e: a source named ``bad\\xff.dpx`` failed at the seal with UnicodeEncodeError, one with a form feed made
    a packet that does not parse, so verify checked nothing, and one with a CR a false "names another source");
    anything else as JSON."""
    if isinstance(value, str) and not value.startswith('"') and not _NOT_XML_TEXT.search(value):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def xmp_packet(seal: dict[str, Any]) -> bytes:
    """An XMP packet with one ``qp:`` property per seal field (values JSON-encoded when not strings, or not
    strings XML holds as written: :func:`_seal_text`)."""
    props = []
    for key in FIELDS:
        if key not in seal or seal[key] is None:
            continue
        props.append(f"   <qp:{key}>{escape(_seal_text(seal[key]))}</qp:{key}>")
    body = "\n".join(props)
    xml = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'  <rdf:Description rdf:about="" xmlns:qp="{NS}">\n{body}\n  </rdf:Description>\n'
        ' </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>'
    )
    return xml.encode("utf-8")


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _boxes(data: bytes) -> list[tuple[int, int, bytes]]:
    """Top-level ISO BMFF boxes ``(offset, size, type)``; raises ValueError on a malformed structure."""
    out, pos = [], 0
    while pos < len(data):
        if pos + 8 > len(data):
            raise ValueError("truncated box header")
        size, kind = struct.unpack_from(">I4s", data, pos)
        if size == 1:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
        elif size == 0:
            size = len(data) - pos
        if size < 8 or pos + size > len(data):
            raise ValueError("box size out of range")
        out.append((pos, size, kind))
        pos += size
    return out


def embed(data: bytes, codec: str, packet: bytes) -> tuple[bytes, str]:
    """Put an XMP packet inside encoded bytes when the container allows it.

    Returns
    -------
    (bytes, str)
        The new bytes (unchanged when not embeddable) and where the seal went: ``"jxl xml box"``,
        ``"jp2 uuid box"`` or ``"sidecar"``.
    """
    if codec.startswith("jpegxl"):
        if data[:2] == b"\xff\x0a":
            return _JXL_SIG + _JXL_FTYP + _box(b"xml ", packet) + _box(b"jxlc", data), "jxl xml box"
        if data[:12] == _JXL_SIG:
            boxes = _boxes(data)
            after = next((o + s for o, s, k in boxes if k == b"ftyp"), None)
            if after is not None:
                return data[:after] + _box(b"xml ", packet) + data[after:], "jxl xml box"
    if codec.startswith("jpeg2000") and data[4:8] == b"jP  ":
        boxes = _boxes(data)
        after = next((o + s for o, s, k in boxes if k == b"jp2h"), None)
        if after is not None:
            return data[:after] + _box(b"uuid", JP2_XMP_UUID + packet) + data[after:], "jp2 uuid box"
    return data, "sidecar"


def read_seal(data: bytes) -> dict[str, Any] | None:
    """The seal fields found in a JXL ``xml `` box or a JP2 XMP ``uuid`` box, or None."""
    try:
        boxes = _boxes(data) if data[4:8] in (b"JXL ", b"jP  ") else []
    except ValueError:
        return None
    for off, size, kind in boxes:
        payload = data[off + 8: off + size]
        if kind == b"uuid" and payload[:16] == JP2_XMP_UUID:
            return parse_packet(payload[16:])
        if kind == b"xml ":
            return parse_packet(payload)
    return None


def parse_packet(packet: bytes) -> dict[str, Any]:
    """Seal fields of an XMP packet written by :func:`xmp_packet` (none from any other packet)."""
    import xml.etree.ElementTree as ET

    text = packet.decode("utf-8", "replace")
    start, end = text.find("<x:xmpmeta"), text.rfind("</x:xmpmeta>")
    if start < 0 or end < 0:
        return {}  # not a packet of ours (an older x:xapmeta, or cut short): no seal fields
    try:
        root = ET.fromstring(text[start:end + len("</x:xmpmeta>")])
    except ET.ParseError:
        return {}
    out: dict[str, Any] = {}
    for el in root.iter():
        if el.tag.startswith("{" + NS + "}"):
            key = el.tag[len(NS) + 2:]
            val = el.text or ""
            if key in _JSON_FIELDS:
                try:
                    out[key] = json.loads(val)
                except ValueError:
                    out[key] = val
            else:  # a string the packet holds JSON-encoded (:func:`_seal_text`)
                try:
                    text = json.loads(val) if val.startswith('"') else val
                except ValueError:  # an older seal's name starting with a quote
                    text = val
                out[key] = text if isinstance(text, str) else val
    return out
