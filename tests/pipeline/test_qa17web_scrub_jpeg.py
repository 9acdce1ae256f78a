"""QA 17 (web): a kept JPEG source (``source:jpeg``) and its lossless transcodes obey ``--metadata`` in every
segment. Before, only the EXIF, XMP and ICC segments were rewritten: GPS held in Adobe Extended XMP stayed under
``strip-gps`` and ``strip``, and a Photoshop APP13 (IPTC by-line, city) and comments stayed under ``strip``, in the
kept file and in the JPEG rebuilt from ``transcode:jpegxl``."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path

import imagecodecs
import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import read_image
from qualipress.io.metadata import scrub_jpeg
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.search import parse_target
from tests.conftest import photo_like

EXT = b"http://ns.adobe.com/xmp/extension/\x00"


def _app(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _tagged_jpeg(path: Path) -> None:
    extension = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax'
                 b'-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.49N"/>'
                 b"</rdf:RDF></x:xmpmeta>")
    guid = hashlib.md5(extension).hexdigest().upper().encode()
    main = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="' + guid
            + b'"/></rdf:RDF></x:xmpmeta>')
    iim = bytes([0x1C, 2, 90]) + struct.pack(">H", 5) + b"Paris"
    segments = (_app(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + main)
                + _app(0xE1, EXT + guid + struct.pack(">II", len(extension), 0) + extension)
                + _app(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + b"\x00")
                + _app(0xFE, b"shot at 48.8582N 2.2945E"))
    buf = io.BytesIO()
    PILImage.fromarray(photo_like(64, 96)).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    at = 4 + struct.unpack(">H", data[4:6])[0]  # after JFIF APP0
    path.write_bytes(data[:at] + segments + data[at:])


@pytest.mark.parametrize(("policy", "gone", "kept"), [
    ("strip-gps", [b"GPSLatitude"], [b"Paris", b"48.8582N"]),
    ("strip", [b"GPSLatitude", b"Paris", b"48.8582N", EXT], []),
    ("keep", [], [b"GPSLatitude", b"Paris", b"48.8582N"]),
])
def test_kept_and_transcoded_sources_obey_the_policy(tmp_path: Path, policy: str, gone: list[bytes],
                                                     kept: list[bytes]) -> None:
    src = tmp_path / "a.jpg"
    _tagged_jpeg(src)
    plan = PhotoHooks(metadata=policy).plan(read_image(src), path=src, codec="jpegxl",
                                            target=parse_target("ssim>=0.9"), previous=None)
    assert {"source:jpeg", "transcode:jpegxl"} <= set(plan.codecs)
    opts = plan.encode_options["source:jpeg"]
    image = read_image(src)
    files = {name: codecs.get(name).encode(image, lossless=True, **plan.encode_options[name])
             for name in ("source:jpeg", "transcode:jpegxl")}
    files["rebuilt"] = bytes(imagecodecs.jpegxl_decode_jpeg(files.pop("transcode:jpegxl")))
    for name, data in files.items():
        assert not [g for g in gone if g in data], (name, policy)
        assert all(k in data for k in kept), (name, policy)
    assert opts["source"].endswith(src.read_bytes()[-200:])  # the coded image itself is untouched


def test_scrub_leaves_a_jpeg_without_such_segments_as_it_is(tmp_path: Path) -> None:
    buf = io.BytesIO()
    PILImage.fromarray(photo_like(32, 48)).save(buf, "JPEG", quality=80)
    for policy in ("keep", "strip", "strip-gps"):
        assert scrub_jpeg(buf.getvalue(), policy) == buf.getvalue()
