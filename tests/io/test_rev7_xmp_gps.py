"""rev7: ``edit_xmp(drop_gps=True)`` removes GPS attributes from tags only, and never a namespace declaration."""

from __future__ import annotations

import xml.dom.minidom

from qualipress.io.metadata import edit_xmp

_HEAD = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
         b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
         b'xmlns:dc="http://purl.org/dc/elements/1.1/"')
_TAIL = b"</rdf:Description></rdf:RDF></x:xmpmeta>"


def test_text_that_reads_like_a_gps_attribute_is_kept() -> None:
    text = b'<dc:description>set exif:GPSMode = "on" before the flight</dc:description>'
    xmp = _HEAD + b' exif:GPSLatitude="48,51.0N">' + text + _TAIL
    out = edit_xmp(xmp, drop_gps=True)
    assert text in out and b"GPSLatitude" not in out
    xml.dom.minidom.parseString(out)


def test_a_namespace_prefix_starting_gps_stays_declared() -> None:
    xmp = _HEAD + b' xmlns:GPSExt="urn:example:gps" GPSExt:Note="kept" exif:GPSAltitude=\'12\'>' + _TAIL
    out = edit_xmp(xmp, drop_gps=True)
    assert b'xmlns:GPSExt="urn:example:gps"' in out and b"GPSAltitude" not in out
    xml.dom.minidom.parseString(out)  # before: "unbound prefix"


def test_a_gt_inside_an_attribute_value_does_not_end_the_tag() -> None:
    xmp = _HEAD + b' dc:format="a>b" exif:GPSLongitude="2,21.0E"/></rdf:RDF></x:xmpmeta>'
    out = edit_xmp(xmp, drop_gps=True)
    assert b'dc:format="a>b"' in out and b"GPSLongitude" not in out
    xml.dom.minidom.parseString(out)
