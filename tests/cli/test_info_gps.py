"""``info`` says whether a file holds a location, so a user can check ``--metadata strip-gps`` with qualipress
itself (UX 17: info listed 'exif: 152 bytes' whether or not a GPS block was in it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from qualipress.cli import main
from tests.conftest import photo_like

XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.5N"/>'
       b"</rdf:RDF></x:xmpmeta>")


def _info(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["info", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["metadata"]


def test_info_names_gps_until_strip_gps_removes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "p.jpg"
    exif = Image.Exif()
    exif[0x010F] = "Cam"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 30.0)}
    Image.fromarray(photo_like(48, 64)).save(src, quality=90, exif=exif.tobytes(), xmp=XMP)
    assert _info(src, capsys)["gps"] == "exif, xmp"
    out = tmp_path / "p.webp"
    assert main(["compress", str(src), "-o", str(out), "--metadata", "strip-gps", "--no-film"]) == 0
    capsys.readouterr()
    meta = _info(out, capsys)
    assert "gps" not in meta and "exif" in meta, meta  # the EXIF stays, its location does not


@pytest.mark.parametrize("gps", [{}, {0: b"\x02\x02\x00\x00"}], ids=["empty", "version-only"])
def test_info_names_no_location_for_an_empty_gps_block(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       gps: dict) -> None:
    """A GPS IFD that is empty or holds only GPSVersionID (cameras with location off write one) is no location;
    info said 'gps: exif' for it (rev9). So is XMP's exif:GPSVersionID alone; a GPS element is one."""
    src = tmp_path / "p.jpg"
    exif = Image.Exif()
    exif[0x010F] = "Cam"
    exif[0x8825] = gps
    version_only = XMP.replace(b'exif:GPSLatitude="48,51.5N"', b'exif:GPSVersionID="2.2.0.0"')
    Image.fromarray(photo_like(48, 64)).save(src, quality=90, exif=exif.tobytes(), xmp=version_only)
    assert "gps" not in _info(src, capsys)
    element = XMP.replace(b' exif:GPSLatitude="48,51.5N"/>',
                          b"><exif:GPSLongitude>2,21.0E</exif:GPSLongitude></rdf:Description>")
    Image.fromarray(photo_like(48, 64)).save(src, quality=90, xmp=element)
    assert _info(src, capsys)["gps"] == "xmp"
