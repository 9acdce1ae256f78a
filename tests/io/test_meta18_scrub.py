"""Meta 18: ``scrub_jpeg`` and ``edit_xmp`` weak points.

- ``strip-gps`` dropped an Extended XMP packet with no GPS but a ``tiff:Orientation`` other than 1 (the GPS test was
  "does ``edit_xmp`` change it", and ``edit_xmp`` also resets the orientation);
- under ``strip`` a comment or a Photoshop APP13 (IPTC) placed after the tables (DQT/DHT) survived: only the
  leading APPn/COM segments were looked at;
- ``strip-gps`` left GPS properties written in a default namespace or with a lower-case local name.
"""

from __future__ import annotations

import hashlib
import io
import struct

import numpy as np
from PIL import Image as PILImage

from qualipress.io.metadata import _mpf_shifted, _xmp_gps_names, edit_xmp, extended_xmp_renames, gps_places, scrub_jpeg

EXT = b"http://ns.adobe.com/xmp/extension/\x00"


def _app(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _jpeg(**extra: object) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(1)
    PILImage.fromarray(rng.integers(0, 255, (32, 48, 3), dtype=np.uint8)).save(buf, "JPEG", quality=85, **extra)
    return buf.getvalue()


def _after_app0(data: bytes, segments: bytes) -> bytes:
    at = 4 + struct.unpack(">H", data[4:6])[0]
    return data[:at] + segments + data[at:]


def _after_tables(data: bytes, segments: bytes) -> bytes:
    """``segments`` inserted just before the frame header (SOF0), i.e. after DQT, among the tables."""
    at = data.index(b"\xff\xc0")
    return data[:at] + segments + data[at:]


def _extension(packet: bytes) -> bytes:
    guid = hashlib.md5(packet).hexdigest().upper().encode()
    return _app(0xE1, EXT + guid + struct.pack(">II", len(packet), 0) + packet)


def _decodes(data: bytes) -> np.ndarray:
    with PILImage.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def test_an_extended_packet_with_an_orientation_and_no_gps_is_kept() -> None:
    packet = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6" '
              b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:source>a long history</dc:source></rdf:Description>'
              b"</rdf:RDF></x:xmpmeta>")
    data = _after_app0(_jpeg(), _extension(packet))
    assert extended_xmp_renames(data) == {}
    assert scrub_jpeg(data, "strip-gps") == data  # before: the packet was dropped


def _main(guid: bytes) -> bytes:
    return _app(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + b'<rdf:Description xmlns:xmpNote="http://ns.adobe.com/'
                b'xmp/note/" xmpNote:HasExtendedXMP="' + guid + b'"/>')


def _packets(data: bytes) -> dict[bytes, bytes]:
    """Extended XMP packets of ``data`` by GUID, checking each piece's total length and offset."""
    found: dict[bytes, bytearray] = {}
    pos = 2
    while data[pos + 1] != 0xDA:
        end = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        p = data[pos + 4 : end]
        if p.startswith(EXT):
            guid, (total, offset) = p[len(EXT) : len(EXT) + 32], struct.unpack(">II", p[len(EXT) + 32 : len(EXT) + 40])
            buf = found.setdefault(guid, bytearray(total))
            assert len(buf) == total and offset + len(p) - len(EXT) - 40 <= total
            buf[offset : offset + len(p) - len(EXT) - 40] = p[len(EXT) + 40 :]
        pos = end
    return {g: bytes(b) for g, b in found.items()}


def test_an_extended_packet_with_gps_is_rewritten_without_it() -> None:
    history = b"<dc:source>" + b"an edit history, " * 5000 + b"</dc:source>"  # 85 kB: two segments
    packet = (b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.49N">'
              + history + b"<exif:GPSLongitude>2,17.67E</exif:GPSLongitude></rdf:Description>")
    old = hashlib.md5(packet).hexdigest().upper().encode()
    pieces = [packet[:60000], packet[60000:]]
    ext = b"".join(_app(0xE1, EXT + old + struct.pack(">II", len(packet), 60000 * i) + piece)
                   for i, piece in enumerate(pieces))
    data = _after_app0(_jpeg(), _main(old) + ext)
    assert set(_packets(data)) == {old}
    renames = extended_xmp_renames(data)
    out = scrub_jpeg(data, "strip-gps")
    assert b"48,51.49N" not in out and b"2,17.67E" not in out
    (new, kept), = _packets(out).items()  # before: the packet was dropped whole, its history with it
    assert renames == {old: new} and new == hashlib.md5(kept).hexdigest().upper().encode()
    assert history in kept and b"exif:GPS" not in kept
    assert b'HasExtendedXMP="' + new + b'"' in out and old not in out
    assert np.array_equal(_decodes(out), _decodes(data))


def test_strip_removes_comments_and_iptc_placed_after_the_tables() -> None:
    iim = bytes([0x1C, 2, 90]) + struct.pack(">H", 5) + b"Paris"
    late = (_app(0xFE, b"shot at 48.8582N 2.2945E")
            + _app(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + b"\x00"))
    data = _after_tables(_jpeg(), late)
    assert data.index(b"Paris") > data.index(b"\xff\xdb")  # really after a DQT
    out = scrub_jpeg(data, "strip")
    assert b"Paris" not in out and b"48.8582N" not in out  # before: both survived
    assert np.array_equal(_decodes(out), _decodes(data))
    assert scrub_jpeg(data, "keep") == data


def test_a_late_segment_moved_up_keeps_the_mpf_images() -> None:
    first = PILImage.fromarray(np.full((64, 64, 3), 200, np.uint8))
    second = PILImage.fromarray(np.full((32, 32, 3), 50, np.uint8))
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second])
    late = _app(0xFE, b"late comment " * 30)
    data = _after_tables(buf.getvalue(), late)
    at = data.index(b"MPF\x00")
    size = struct.unpack(">H", data[at - 2 : at])[0] - 2
    mpf = _mpf_shifted(data[at : at + size], len(late), len(late))  # the images now lie len(late) further on
    data = data[:at] + mpf + data[at + size :]
    with PILImage.open(io.BytesIO(data)) as im:
        im.seek(1)
        assert float(np.asarray(im).mean()) == 50.0
    out = scrub_jpeg(data, "strip")
    assert b"late comment" not in out[: out.index(b"\xff\xda")]
    with PILImage.open(io.BytesIO(out)) as im:
        im.seek(1)
        assert float(np.asarray(im).mean()) == 50.0


DEFAULT_NS = (b'<rdf:Description rdf:about=""><GPSLatitude xmlns="http://ns.adobe.com/exif/1.0/">48,51.49N'
              b"</GPSLatitude><dc:title>x</dc:title></rdf:Description>")
LOWER = b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:gpslatitude="48,51.49N" dc:x="1"/>'
LOWER_ELEM = b"<rdf:Description><exif:gpsLongitude>2,17.67E</exif:gpsLongitude></rdf:Description>"


def test_gps_in_a_default_namespace_or_lower_case_is_removed() -> None:
    for xmp in (DEFAULT_NS, LOWER, LOWER_ELEM):
        assert _xmp_gps_names(xmp), xmp
        assert gps_places({"xmp": xmp}) == ["xmp"]
        out = edit_xmp(xmp, drop_gps=True)
        assert b"48,51.49N" not in out and b"2,17.67E" not in out, out
        assert b"rdf:Description" in out
    assert b"<dc:title>x</dc:title>" in edit_xmp(DEFAULT_NS, drop_gps=True)
    assert b'dc:x="1"' in edit_xmp(LOWER, drop_gps=True)


def test_namespace_declarations_and_text_stay() -> None:
    xmp = (b'<rdf:Description xmlns:gps="http://example.com/gps/" xmlns="http://ns.adobe.com/exif/1.0/">'
           b"<dc:description>gpsmode = 'on'</dc:description></rdf:Description>")
    assert edit_xmp(xmp, drop_gps=True) == xmp
    assert _xmp_gps_names(xmp) == []
