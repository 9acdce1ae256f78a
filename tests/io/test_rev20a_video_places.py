"""Review of QA 20 web: two forms of a motion photo's video location survived ``--metadata strip-gps`` (and ``info``
said nothing of them): Apple's location key values when the ``meta`` atom holds other atoms between its ``keys``
and ``ilst`` (a ``free`` atom) or the ``ilst`` first, and an XMP packet without the optional ``x:xmpmeta``
wrapper (a bare ``rdf:RDF``) or under an ``x:xapmeta`` one."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.io.metadata import _boxes, scrub_jpeg, video_has_place

PLACE = b"+40.6782-073.9442+010.000/ Brooklyn"
RDF_NS = b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
EXIF_NS = b'xmlns:exif="http://ns.adobe.com/exif/1.0/"'
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _jpeg() -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def _meta(order: list[str]) -> bytes:
    names = [b"com.apple.quicktime.make", b"com.apple.quicktime.location.name"]
    parts = {
        "keys": _box(b"keys", bytes(4) + struct.pack(">I", 2)
                     + b"".join(struct.pack(">I", 8 + len(n)) + b"mdta" + n for n in names)),
        "ilst": _box(b"ilst", b"".join(_box(struct.pack(">I", i), _box(b"data", struct.pack(">II", 1, 0) + v))
                                       for i, v in enumerate([b"Apple", PLACE], 1))),
        "free": _box(b"free", bytes(8)),
    }
    return _box(b"meta", _box(b"hdlr", bytes(8) + b"mdta" + bytes(13)) + b"".join(parts[k] for k in order))


def _video(moov: bytes = b"", top: bytes = b"") -> bytes:
    return (_box(b"ftyp", b"qt  \x00\x00\x02\x00qt  ") + _box(b"moov", _box(b"mvhd", bytes(100)) + moov) + top
            + _box(b"mdat", bytes(32)))


@pytest.mark.parametrize("order", [["keys", "free", "ilst"], ["ilst", "keys"]])
def test_location_keys_blanked_whatever_the_atoms_order(order: list[str]) -> None:
    video = _video(_meta(order))
    data = _jpeg() + video
    out = scrub_jpeg(data, "strip-gps")
    assert len(out) == len(data) and PLACE not in out and b"Brooklyn" not in out
    new = out[-len(video) :]
    assert [b[:2] for b in _boxes(new)] == [b[:2] for b in _boxes(video)]
    assert b"Apple" in new  # the make's value is not a place
    assert video_has_place(data) and not video_has_place(out)


@pytest.mark.parametrize("packet", [
    b"<rdf:RDF " + RDF_NS + b"><rdf:Description " + EXIF_NS + b' exif:GPSLatitude="40,40.7N"/></rdf:RDF>',
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><rdf:RDF ' + RDF_NS + b"><rdf:Description><exif:GPSLatitude "
    + EXIF_NS + b">40,40.7N</exif:GPSLatitude></rdf:Description></rdf:RDF><?xpacket end=\"w\"?>",
    b'<x:xapmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ' + RDF_NS + b"><rdf:Description " + EXIF_NS
    + b' exif:GPSLatitude="40,40.7N"/></rdf:RDF></x:xapmeta>',
])
@pytest.mark.parametrize("where", ["XMP_", "uuid"])
def test_xmp_gps_blanked_without_the_xmpmeta_wrapper(packet: bytes, where: str) -> None:
    video = (_video(_box(b"udta", _box(b"XMP_", packet))) if where == "XMP_"
             else _video(top=_box(b"uuid", XMP_UUID + packet)))
    data = _jpeg() + video
    out = scrub_jpeg(data, "strip-gps")
    assert len(out) == len(data) and b"40,40.7N" not in out and b"GPSLatitude" not in out
    assert b"rdf:Description" in out  # the packet itself stays
    assert video_has_place(data) and not video_has_place(out)
