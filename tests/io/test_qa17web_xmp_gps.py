"""QA 17 (web): ``--metadata strip-gps`` removes GPS from XMP however the packet writes it. Before, only
double-quoted ``exif:GPS*`` attributes and attribute-less ``<exif:GPS*>`` elements went: a single-quoted attribute
(valid XML, written by some tools), ``<exif:GPSLatitude rdf:parseType="Literal">`` and DJI's
``drone-dji:GpsLatitude`` stayed in the output."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.io.metadata import edit_xmp

HEAD = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        b'xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"')
TAIL = b"</rdf:Description></rdf:RDF></x:xmpmeta>"
TITLE = '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Straße – 東京</rdf:li></rdf:Alt></dc:title>'.encode()
PACKETS = {
    "double-quoted": HEAD + b' exif:GPSLatitude="48,51.49N" exif:GPSLongitude="2,17.67E">' + TITLE + TAIL,
    "single-quoted": HEAD + b" exif:GPSLatitude='48,51.49N' exif:GPSLongitude = '2,17.67E'>" + TITLE + TAIL,
    "element with attribute": HEAD + b">" + TITLE + b'<exif:GPSLatitude rdf:parseType="Literal">48,51.49N'
                              b'</exif:GPSLatitude><exif:GPSLongitude>2,17.67E</exif:GPSLongitude >' + TAIL,
    "empty element": HEAD + b">" + TITLE + b'<exif:GPSAltitude rdf:resource="48,51.49N"/>' + TAIL,
    "dji": HEAD + b' drone-dji:GpsLatitude="48.858200" drone-dji:GpsLongtitude="2.294500" '
                  b'drone-dji:AbsoluteAltitude="+95.20">' + TITLE + TAIL,
}


@pytest.mark.parametrize("kind", PACKETS)
def test_every_way_of_writing_gps_is_removed_and_the_rest_kept(kind: str) -> None:
    out = edit_xmp(PACKETS[kind], drop_gps=True)
    assert b"48" not in out.replace(b"480", b"") and b"GPS" not in out and b"Gps" not in out
    assert TITLE in out and out.startswith(HEAD[:40]) and out.endswith(TAIL)
    assert edit_xmp(PACKETS[kind]) == PACKETS[kind]  # keep: untouched


def test_strip_gps_output_of_a_single_quoted_packet_holds_no_location(tmp_path: Path, capsys) -> None:
    rng = np.random.default_rng(2)
    px = np.clip(rng.normal(128, 40, (64, 96, 3)), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    PILImage.fromarray(px).save(buf, "JPEG", quality=90, xmp=PACKETS["single-quoted"])
    (tmp_path / "a.jpg").write_bytes(buf.getvalue())
    for codec in ("webp",):
        out = tmp_path / f"a.{codec}.out"
        assert main(["compress", str(tmp_path / "a.jpg"), "-o", str(out), "--codec", codec,
                     "--metadata", "strip-gps", "--allow-larger", "--target", "ssim>=0.9"]) == 0
        data = next(p for p in out.iterdir() if p.suffix in (".webp", ".jpg")).read_bytes()
        assert "東京".encode() in data and b"48,51" not in data and b"GPS" not in data
    capsys.readouterr()
