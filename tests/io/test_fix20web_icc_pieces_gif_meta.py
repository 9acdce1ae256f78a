"""fix20 (web): what a source holds that was dropped without a word.

A JPEG whose ICC profile is split over several APP2 segments with one missing (or whose segments disagree on their
count) lost its profile silently: the output was untagged and the report said nothing. The profile cannot be
rebuilt, and viewers show such a file as sRGB, so the output is untagged as before, but the reader now says so
(``icc_dropped``) and compress's report carries it as a warning.

A GIF's XMP packet (``XMP DataXMP`` application extension) and comment extensions were dropped from every output
without a word: they are read now and carried as a JPEG source's are (a JPEG output holds the comments; the other
formats are named as unable to)."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.io import read_image
from qualipress.io.iccmake import matrix_trc_profile
from qualipress.io.metadata import read_metadata

P3 = matrix_trc_profile("Display P3 test", (0.3127, 0.329, 0.68, 0.32, 0.265, 0.69, 0.15, 0.06), 2.2)
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/gif" '
       b'xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" xmpRights:Marked="True"/></rdf:RDF></x:xmpmeta>')
COMMENT = b"Logo by Ada, CC BY 4.0"


def _app2(seq: int, count: int, piece: bytes) -> bytes:
    payload = b"ICC_PROFILE\x00" + bytes([seq, count]) + piece
    return b"\xff\xe2" + struct.pack(">H", len(payload) + 2) + payload


def _jpeg_with_pieces(pieces: list[tuple[int, int, int]]) -> bytes:
    """A JPEG whose APP2 ICC segments are ``(sequence number, count, piece index)`` of :data:`P3` cut in three."""
    buf = io.BytesIO()
    PILImage.fromarray(np.random.default_rng(0).integers(0, 255, (32, 48, 3), dtype=np.uint8)).save(buf, "JPEG")
    data = buf.getvalue()
    third = -(-len(P3) // 3)
    cut = [P3[i * third : (i + 1) * third] for i in range(3)]
    return data[:2] + b"".join(_app2(s, n, cut[k]) for s, n, k in pieces) + data[2:]


def test_a_whole_split_profile_is_read() -> None:
    meta = read_metadata(_jpeg_with_pieces([(1, 3, 0), (2, 3, 1), (3, 3, 2)]), "jpeg")
    assert meta["icc_profile"] == P3 and "icc_dropped" not in meta


@pytest.mark.parametrize(("pieces", "said"), [
    ([(1, 3, 0), (3, 3, 2)], "segments numbered 1, 3 of 3"),
    ([(1, 2, 0), (2, 3, 1)], "disagree on their count (2, 3)"),  # Pillow joined these two into a cut profile
    ([(1, 2, 0), (1, 2, 1)], "segments numbered 1, 1 of 2"),  # and these, in no particular order
])
def test_a_profile_with_a_piece_missing_is_said_dropped(pieces: list[tuple[int, int, int]], said: str) -> None:
    meta = read_metadata(_jpeg_with_pieces(pieces), "jpeg")
    assert "icc_profile" not in meta and "icc_description" not in meta
    assert said in meta["icc_dropped"] and "untagged" in meta["icc_dropped"]


def test_compress_reports_the_dropped_profile(tmp_path: Path) -> None:
    src = tmp_path / "cut.jpg"
    src.write_bytes(_jpeg_with_pieces([(1, 3, 0), (3, 3, 2)]))
    out = tmp_path / "o"
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp"]) == 0
    record = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert any("ICC profile is incomplete" in w for w in record.get("warnings", [])), record.get("warnings")
    with PILImage.open(record["output"]) as im:
        assert not im.info.get("icc_profile")


def _gif(path: Path, *, xmp: bytes | None = XMP, icc: bool = False) -> None:
    """A palette GIF with a comment extension (Pillow writes it), an XMP application extension (its raw packet,
    then the 258-byte magic trailer) and, when ``icc``, an ``ICCRGBG1012`` one, before the image."""
    buf = io.BytesIO()
    PILImage.fromarray(np.arange(24 * 40, dtype=np.uint8).reshape(24, 40) % 7, "P").save(buf, "GIF", comment=COMMENT)
    data = buf.getvalue()
    ext = b""
    if xmp:
        ext += b"\x21\xff\x0bXMP DataXMP" + xmp + b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
    if icc:
        ext += b"\x21\xff\x0bICCRGBG1012" + b"".join(bytes([len(P3[i : i + 255])]) + P3[i : i + 255]
                                                     for i in range(0, len(P3), 255)) + b"\x00"
    at = data.index(b"\x21\xfe")  # Pillow's comment extension, after the colour table
    path.write_bytes(data[:at] + ext + data[at:])


def test_a_gif_xmp_and_comment_are_read(tmp_path: Path) -> None:
    _gif(tmp_path / "a.gif", icc=True)
    with PILImage.open(tmp_path / "a.gif") as im:  # the file is still a GIF Pillow reads
        assert im.size == (40, 24)
    meta = read_image(tmp_path / "a.gif").metadata
    assert meta["xmp"] == XMP and meta["comment"] == (COMMENT,)
    assert "ICCRGBG1012" in meta["icc_dropped"]


def _record(out: Path) -> dict:
    return json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])


def test_a_gif_xmp_and_comment_reach_a_jpeg_and_are_named_lost_elsewhere(tmp_path: Path) -> None:
    _gif(tmp_path / "a.gif")
    assert main(["compress", str(tmp_path / "a.gif"), "-o", str(tmp_path / "j"), "--codec", "jpeg"]) == 0
    record = _record(tmp_path / "j")
    data = Path(record["output"]).read_bytes()
    assert b"xmpRights:Marked" in data and COMMENT in data
    assert main(["compress", str(tmp_path / "a.gif"), "-o", str(tmp_path / "w"), "--codec", "webp"]) == 0
    record = _record(tmp_path / "w")
    assert b"xmpRights:Marked" in Path(record["output"]).read_bytes()
    assert any("cannot carry comment" in d for d in record["decisions"]), record["decisions"]


def test_a_cmyk_profile_left_out_is_reported_too(tmp_path: Path) -> None:
    """The reader already left a CMYK JPEG's profile out (its pixels are converted to RGB without it) and said so in
    ``icc_dropped``, which no report showed: compress's warnings carry it now."""
    cmyk_icc = P3[:16] + b"CMYK" + P3[20:]
    src = tmp_path / "press.jpg"
    PILImage.fromarray(np.full((24, 32, 4), 60, np.uint8), "CMYK").save(src, "JPEG", icc_profile=cmyk_icc)
    out = tmp_path / "o"
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp"]) == 0
    record = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert any("CMYK profile not carried" in w for w in record.get("warnings", [])), record.get("warnings")
