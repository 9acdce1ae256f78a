"""rev13: a PNG's ``eXIf`` or XMP ``iTXt`` chunk after its image data is metadata like one before it. Pillow reads
such chunks into ``im.info`` only once the pixels are loaded, so ``read_metadata`` saw neither: the PNG counted as
one without EXIF/XMP, ``source:png`` was offered under ``--metadata strip`` and ``strip-gps``, and the kept file
held the late chunk's GPS (``scrub_png`` touches text chunks only)."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import read_image
from qualipress.io.metadata import carry_for, png_chunk, png_chunks, png_texts, read_metadata, scrub_png
from qualipress.io.readers import header_dimensions
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.search import parse_target

_XMP = (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        b"<rdf:Description xmlns:exif='http://ns.adobe.com/exif/1.0/' exif:GPSLatitude='52,30.0N'/></rdf:RDF>"
        b"</x:xmpmeta>")


def _late_png(path: Path, kind: str) -> None:
    """A PNG worth keeping (few levels, optimised) with an eXIf (orientation 6, GPS) or XMP chunk before IEND."""
    levels = np.random.default_rng(1).integers(0, 4, (48, 48, 1)) * 80
    buf = io.BytesIO()
    PILImage.fromarray(levels.repeat(3, 2).astype(np.uint8)).save(buf, "PNG", optimize=True)
    if kind == "exif":
        exif = PILImage.Exif()
        exif[0x0112] = 6
        exif.get_ifd(0x8825)[2] = (52.0, 30.0, 0.0)
        chunk = png_chunk(b"eXIf", exif.tobytes().removeprefix(b"Exif\x00\x00"))
    else:
        chunk = png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + _XMP)
    chunks = [raw for _, _, raw in png_chunks(buf.getvalue())]
    path.write_bytes(buf.getvalue()[:8] + b"".join(chunks[:-1]) + chunk + chunks[-1])


@pytest.mark.parametrize("kind", ["exif", "xmp"])
@pytest.mark.parametrize("policy", ["strip", "strip-gps"])
def test_late_metadata_is_read_and_not_kept_against_the_policy(tmp_path: Path, kind: str, policy: str) -> None:
    src = tmp_path / "a.png"
    _late_png(src, kind)
    meta = read_metadata(src, "png")
    assert kind in meta and meta["orientation"] == 1  # read, and the late orientation still ignored (QA 18 web)
    image = read_image(src)
    plan = PhotoHooks(metadata=policy).plan(image, path=src, codec="webp", target=parse_target("ssim>=0.9"),
                                            previous=None)
    for name in plan.codecs:
        if name.startswith("source:"):
            data = codecs.get(name).encode(image, lossless=True, **plan.encode_options[name])
            assert b"GPSLatitude" not in data and b"eXIf" not in data


def test_late_exif_is_carried_upright_under_keep(tmp_path: Path) -> None:
    """Re-encodes carry it (it was lost without a word) with orientation 1, as browsers show the PNG."""
    src = tmp_path / "a.png"
    _late_png(src, "exif")
    carry = carry_for(read_metadata(src, "png"), "keep")
    assert carry.exif is not None
    exif = PILImage.Exif()
    exif.load(b"Exif\x00\x00" + carry.exif)
    assert exif.get(0x0112, 1) == 1


@pytest.mark.parametrize(("kind", "zipped"), [("tEXt", False), ("zTXt", True), ("iTXt", False), ("iTXt", True)])
def test_xmp_gps_under_another_keyword_goes_under_strip_gps(kind: str, zipped: bool) -> None:
    """rev13: only the keyword was looked at, so an XMP packet under an ``XMP`` keyword kept its GPS (the JPEG rule,
    :func:`~qualipress.io.metadata.scrub_jpeg`, drops any segment holding an XMP GPS property)."""
    if kind == "tEXt":
        payload = b"XMP\x00" + _XMP
    elif kind == "zTXt":
        payload = b"XMP\x00\x00" + zlib.compress(_XMP)
    else:
        payload = b"XMP\x00" + (b"\x01\x00" if zipped else b"\x00\x00") + b"en\x00\x00" + (
            zlib.compress(_XMP) if zipped else _XMP)
    note = png_chunk(b"tEXt", b"Comment\x00hello")
    buf = io.BytesIO()
    PILImage.fromarray(np.zeros((4, 4, 3), np.uint8)).save(buf, "PNG")
    chunks = [raw for _, _, raw in png_chunks(buf.getvalue())]
    data = buf.getvalue()[:8] + chunks[0] + png_chunk(kind.encode(), payload) + note + b"".join(chunks[1:])
    out = scrub_png(data, "strip-gps")
    assert [k for k, _, _ in png_chunks(out)] == [b"IHDR", b"tEXt", b"IDAT", b"IEND"] and note in out
    assert png_texts(data, "strip-gps") == ["Comment"]


def test_a_second_late_exif_does_not_replace_the_first(tmp_path: Path) -> None:
    """Loading the PNG to see late chunks must not let a second, late eXIf (orientation 6) replace the first one:
    browsers and ``header_dimensions`` read the first, so the reader keeps the pixels as stored."""
    buf = io.BytesIO()
    PILImage.fromarray(np.zeros((5, 7, 3), np.uint8)).save(buf, "PNG")
    first, late = PILImage.Exif(), PILImage.Exif()
    first[0x010F] = "Early"
    late[0x0112] = 6
    chunks = [raw for _, _, raw in png_chunks(buf.getvalue())]
    src = tmp_path / "a.png"
    src.write_bytes(buf.getvalue()[:8] + chunks[0] + png_chunk(b"eXIf", first.tobytes()[6:]) + b"".join(chunks[1:-1])
                    + png_chunk(b"eXIf", late.tobytes()[6:]) + chunks[-1])
    meta = read_metadata(src, "png")
    assert meta["orientation"] == 1 and b"Early" in meta["exif"]
    assert read_image(src).pixels.shape[:2] == (5, 7) and header_dimensions(src) == (7, 5)
