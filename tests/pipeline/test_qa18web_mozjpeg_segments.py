"""QA 18 (web): ``transcode:jpeg`` (mozjpeg's lossless optimisation, often the chosen output for ``--codec jpeg``
on a camera or press JPEG) keeps the source's segments that the metadata policy keeps. mozjpeg writes none of the
source's APPn segments and only EXIF, XMP, ICC and comments were put back: a Photoshop APP13 (IPTC by-line,
copyright) and Extended XMP were lost under ``--metadata keep`` with the report saying nothing."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import read_image
from qualipress.io.metadata import _jpeg_segments
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.search import parse_target
from tests.pipeline.test_qa17web_scrub_jpeg import EXT, _tagged_jpeg


@pytest.mark.parametrize(("policy", "gone", "kept"), [
    ("keep", [], [b"GPSLatitude", b"Paris", b"48.8582N"]),
    ("strip-gps", [b"GPSLatitude"], [b"Paris", b"48.8582N"]),
    ("strip", [b"GPSLatitude", b"Paris", b"48.8582N", EXT], []),
])
def test_mozjpeg_transcode_keeps_what_the_policy_keeps(tmp_path: Path, policy: str, gone: list[bytes],
                                                       kept: list[bytes]) -> None:
    src = tmp_path / "a.jpg"
    _tagged_jpeg(src)
    image = read_image(src)
    plan = PhotoHooks(metadata=policy).plan(image, path=src, codec="jpeg", target=parse_target("ssim>=0.9"),
                                            previous=None)
    data = codecs.get("transcode:jpeg").encode(image, lossless=True, **plan.encode_options["transcode:jpeg"])
    assert not [g for g in gone if g in data]
    assert all(k in data for k in kept)
    markers = [m for m, _ in _jpeg_segments(data)[0]]
    assert markers.count(0xE0) <= 1 and markers.count(0xEE) <= 1  # the coder's own JFIF / Adobe, once
    with PILImage.open(src) as a, PILImage.open(io.BytesIO(data)) as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))  # still the same coded image


# strip-gps keeps the Extended XMP packet rewritten without its GPS (meta 18), so it is named too
@pytest.mark.parametrize(("policy", "named"), [("keep", "Extended XMP, IPTC"), ("strip-gps", "Extended XMP, IPTC"),
                                               ("strip", None)])
def test_segments_no_re_encode_carries_are_named(tmp_path: Path, policy: str, named: str | None) -> None:
    """A re-encode (here WebP) loses them: the decisions say so (the report said only 'carried: exif, xmp')."""
    src = tmp_path / "a.jpg"
    _tagged_jpeg(src)
    plan = PhotoHooks(metadata=policy).plan(read_image(src), path=src, codec="webp",
                                            target=parse_target("ssim>=0.9"), previous=None)
    notes = [n for n in plan.notes if "segments are kept" in n]
    assert notes == ([] if named is None else [
        f"metadata: the source JPEG's {named} segments are kept only if the output is source:jpeg, "
        "transcode:jpeg or transcode:jpegxl; no re-encode carries them"])


@pytest.mark.parametrize(("policy", "there"), [("keep", True), ("strip-gps", False), ("strip", False)])
def test_other_app_segments_obey_strip(tmp_path: Path, policy: str, there: bool) -> None:
    """An XMP packet under a non-standard ``XMP\\0`` APP1 signature (seen in COCO val2017 000000074646.jpg) is
    neither EXIF nor XMP to the reader: ``strip`` and ``strip-gps`` left it, GPS and all, in the kept file."""
    src = tmp_path / "a.jpg"
    buf = io.BytesIO()
    PILImage.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(buf, "JPEG", quality=90)
    odd = (b"XMP\x00://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description "
           b"xmlns:exif='http://ns.adobe.com/exif/1.0/' exif:GPSLatitude='48,51.49N'/></rdf:RDF></x:xmpmeta>")
    data = buf.getvalue()
    at = 4 + int.from_bytes(data[4:6], "big")  # after JFIF APP0
    src.write_bytes(data[:at] + b"\xff\xe1" + (len(odd) + 2).to_bytes(2, "big") + odd + data[at:])
    image = read_image(src)
    plan = PhotoHooks(metadata=policy).plan(image, path=src, codec="jpeg", target=parse_target("ssim>=0.9"),
                                            previous=None)
    for name in ("source:jpeg", "transcode:jpeg"):
        out = codecs.get(name).encode(image, lossless=True, **plan.encode_options[name])
        assert (b"GPSLatitude" in out) is there, name
