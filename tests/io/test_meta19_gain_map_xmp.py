"""Meta 19: under ``--metadata strip`` an Ultra HDR photo whose gain map is described by XMP only (``hdrgm``, as
Android 14's first Ultra HDR files and Adobe's write it; no ISO 21496-1 segment) kept its gain-map image in the kept
source, but without the XMP holding its parameters: dead bytes, and libultrahdr refused the file ("no valid buffer
to parse gainmap metadata"). The gain map's own XMP is rendering data, so it stays, as rev13 keeps the ISO
21496-1 segment; the primary image's XMP still goes (libultrahdr finds the gain map through MPF)."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.io import metadata as md

_GAIN = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
         b'<rdf:Description xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:Version="1.0" '
         b'hdrgm:GainMapMin="0" hdrgm:GainMapMax="2.5" hdrgm:Gamma="1" hdrgm:OffsetSDR="0.015625" '
         b'hdrgm:OffsetHDR="0.015625" hdrgm:HDRCapacityMin="0" hdrgm:HDRCapacityMax="2.5" '
         b'hdrgm:BaseRenditionIsHDR="False"/></rdf:RDF></x:xmpmeta>')
_OTHER = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Jane</dc:creator></x:xmpmeta>'


def with_secondary_xmp(data: bytes, xmp: bytes, *, drop_iso: bool = False) -> bytes:
    """``data`` (a JPEG with one further MPF image) with ``xmp`` added to that image (its ISO 21496-1 segments
    removed with ``drop_iso``, from both images), the MP Entry following."""
    segs, rest = md._jpeg_segments(data)
    index, header = md._mpf_header(segs)
    field, _, offset = md._mpf_entries(segs[index][1])[0]
    second = data[header + offset :]
    s2, r2 = md._jpeg_segments(second)
    kept = [(m, p) for m, p in s2 if not (drop_iso and p.startswith(md._ISO_GAINMAP))]
    second = md._rebuilt_jpeg(second, r2, s2, [*kept, (0xE1, md._XMP_NS + xmp)])
    first = data[: header + offset]
    if drop_iso:
        first = md._rebuilt_jpeg(first, rest, segs, [(m, p) for m, p in segs if not p.startswith(md._ISO_GAINMAP)])
    segs, rest = md._jpeg_segments(first)
    index, header = md._mpf_header(segs)
    payload = bytearray(segs[index][1])
    struct.pack_into((">" if payload[4:6] == b"MM" else "<") + "II", payload, field, len(second), len(first) - header)
    segs[index] = (0xE2, bytes(payload))
    return b"\xff\xd8" + b"".join(md._segment(m, p) for m, p in segs) + first[rest:] + second


def _mpo() -> bytes:
    buf = io.BytesIO()
    base = PILImage.fromarray(np.random.default_rng(3).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    base.save(buf, "MPO", save_all=True, append_images=[PILImage.fromarray(np.full((32, 32, 3), 200, np.uint8))])
    return buf.getvalue()


def test_strip_keeps_the_gain_maps_own_xmp_only() -> None:
    gain = md.scrub_jpeg(with_secondary_xmp(_mpo(), _GAIN), "strip")
    assert gain.count(b"hdrgm:GainMapMax") == 1
    other = md.scrub_jpeg(with_secondary_xmp(_mpo(), _OTHER), "strip")
    assert b"Jane" not in other
    with PILImage.open(io.BytesIO(gain)) as im:
        assert im.n_frames == 2  # the MP Entries still point at the gain map


def test_libultrahdr_still_applies_the_gain_map_after_strip() -> None:
    imagecodecs = pytest.importorskip("imagecodecs")
    if not getattr(getattr(imagecodecs, "ULTRAHDR", None), "available", False):
        pytest.skip("imagecodecs has no libultrahdr")
    y, x = np.mgrid[0:64, 0:96] / 64.0
    hdr = np.stack([x * 2.0, y * 3.0, np.full_like(x, 0.5), np.ones_like(x)], -1).astype(np.float16)
    data = with_secondary_xmp(imagecodecs.ultrahdr_encode(hdr, level=90), _GAIN, drop_iso=True)
    want = np.asarray(imagecodecs.ultrahdr_decode(data), np.float32)
    stripped = md.scrub_jpeg(data, "strip")
    segs, rest = md._jpeg_segments(stripped)  # as embed_jpeg writes it under strip: no primary XMP either
    stripped = md._rebuilt_jpeg(stripped, rest, segs, [(m, p) for m, p in segs if not p.startswith(md._XMP_NS)])
    assert np.array_equal(np.asarray(imagecodecs.ultrahdr_decode(stripped), np.float32), want)


def test_strip_keeps_only_the_gain_map_properties_of_that_xmp() -> None:
    """rev19a: the gain map's XMP stayed whole under strip, with a creator or a city a writer also put there."""
    mixed = _GAIN.replace(b'hdrgm:Version="1.0"', b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
                          b'xmlns:dc="http://purl.org/dc/elements/1.1/" hdrgm:Version="1.0" photoshop:City="Leiden"')
    mixed = mixed.replace(b'"False"/>', b'"False"><dc:creator><rdf:Seq><rdf:li>Jane</rdf:li></rdf:Seq></dc:creator>'
                          b'<photoshop:Credit/></rdf:Description>')
    out = md.scrub_jpeg(with_secondary_xmp(_mpo(), mixed), "strip")
    assert b"Leiden" not in out and b"Jane" not in out and b"photoshop:Credit" not in out
    assert out.count(b'hdrgm:GainMapMax="2.5"') == 1 and out.count(b'hdrgm:BaseRenditionIsHDR="False"') == 1
    kept = md.scrub_jpeg(with_secondary_xmp(_mpo(), mixed), "strip-gps")
    assert b"Leiden" in kept and b"Jane" in kept  # strip-gps removes the location only
    assert md._gain_map_properties(_GAIN) == _GAIN  # a gain map's own XMP: byte for byte


@pytest.mark.parametrize("body", [b"<ex:a><ex:a>in</ex:a>tail</ex:a>",  # a nested namesake
                                  b'<ex:a><ex:a rdf:resource="in"/>tail</ex:a>',  # an empty one (rev19e: kept)
                                  b'<ex:wrap rdf:parseType="Resource"><rdf:Description '  # a nested description
                                  b'xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:GainMapMax="2.5"/>'
                                  b"</ex:wrap>"])
def test_strip_keeps_the_gain_map_xmp_well_formed_with_its_properties(body: bytes) -> None:
    """rev19c: the filter closed a nested namesake at its inner end tag (malformed XML, which libultrahdr refuses),
    and removed an element of another namespace with the gain-map properties of a nested rdf:Description in it."""
    import xml.etree.ElementTree as ET

    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" xmlns:ex="urn:ex" '
           b'hdrgm:Version="1.0" ex:serial="123">' + body + b"</rdf:Description></rdf:RDF></x:xmpmeta>")
    out = md._gain_map_properties(xmp)
    ET.fromstring(out)  # well-formed
    assert b"serial" not in out and b">in<" not in out and b"tail" not in out
    assert b'hdrgm:Version="1.0"' in out and (b"GainMapMax" in out) == (b"GainMapMax" in body)
