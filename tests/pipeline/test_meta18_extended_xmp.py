"""Meta 18: under ``--metadata strip-gps`` a kept JPEG source and its lossless JPEG XL transcode hold the source's
Extended XMP rewritten without its GPS properties (before: the whole packet was dropped, its other properties with
it), under the GUID of the new packet, which the main XMP packet written into the file names."""

from __future__ import annotations

import hashlib
import io
import re
import struct
from pathlib import Path

import imagecodecs
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import read_image
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.search import parse_target
from tests.conftest import photo_like

EXT = b"http://ns.adobe.com/xmp/extension/\x00"
XAP = b"http://ns.adobe.com/xap/1.0/\x00"


def _app(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _source(path: Path) -> bytes:
    extension = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax'
                 b'-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.49N" '
                 b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:source>edit history</dc:source></rdf:Description>'
                 b"</rdf:RDF></x:xmpmeta>")
    guid = hashlib.md5(extension).hexdigest().upper().encode()
    main = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="' + guid
            + b'"/></rdf:RDF></x:xmpmeta>')
    buf = io.BytesIO()
    PILImage.fromarray(photo_like(64, 96)).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    at = 4 + struct.unpack(">H", data[4:6])[0]
    data = (data[:at] + _app(0xE1, XAP + main) + _app(0xE1, EXT + guid + struct.pack(">II", len(extension), 0)
                                                      + extension) + data[at:])
    path.write_bytes(data)
    return guid


def test_kept_and_transcoded_sources_hold_the_packet_without_gps(tmp_path: Path) -> None:
    src = tmp_path / "a.jpg"
    old = _source(src)
    image = read_image(src)
    plan = PhotoHooks(metadata="strip-gps").plan(image, path=src, codec="jpegxl",
                                                 target=parse_target("ssim>=0.9"), previous=None)
    assert any("Extended XMP packet(s) of the source held GPS" in n for n in plan.notes), plan.notes
    files = {name: codecs.get(name).encode(image, lossless=True, **plan.encode_options[name])
             for name in ("source:jpeg", "transcode:jpegxl")}
    files["rebuilt"] = bytes(imagecodecs.jpegxl_decode_jpeg(files.pop("transcode:jpegxl")))
    for name, data in files.items():
        assert b"GPSLatitude" not in data and b"edit history" in data, name
        at = data.index(EXT) + len(EXT)
        guid, packet = data[at : at + 32], data[at + 40 : at + 40 + struct.unpack(">I", data[at + 32 : at + 36])[0]]
        assert guid != old and guid == hashlib.md5(packet).hexdigest().upper().encode(), name
        named = re.search(rb'HasExtendedXMP="([0-9A-F]{32})"', data)
        assert named is not None and named.group(1) == guid, name  # the main packet points to the new packet
