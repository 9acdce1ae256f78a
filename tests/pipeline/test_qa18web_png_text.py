"""QA 18 (web): a PNG source kept as it is (``source:png``) obeys ``--metadata`` in its text chunks. Before, a
kept PNG held its ``tEXt``/``zTXt``/``iTXt`` comments, author and ImageMagick's ``exif:GPSLatitude`` text under
``--metadata strip`` and ``strip-gps`` (README: strip removes EXIF, XMP, IPTC and comments)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import PngImagePlugin

from qualipress import codecs
from qualipress.io import read_image
from qualipress.io.metadata import png_texts, scrub_png
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.search import parse_target


def _texted_png(path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "shot at home, 52.5N 4.9E")
    info.add_text("Author", "Jane Doe")
    info.add_text("exif:GPSLatitude", "52/1, 30/1, 0/1", zip=True)
    levels = np.random.default_rng(1).integers(0, 4, (48, 48, 1)) * 80
    PILImage.fromarray(levels.repeat(3, 2).astype(np.uint8)).save(path, pnginfo=info, optimize=True)


@pytest.mark.parametrize(("policy", "gone", "kept"), [
    ("strip", [b"Comment", b"Jane Doe", b"exif:GPSLatitude"], []),
    ("strip-gps", [b"exif:GPSLatitude"], [b"Comment", b"Jane Doe"]),
    ("keep", [], [b"Comment", b"Jane Doe", b"exif:GPSLatitude"]),
])
def test_kept_png_obeys_the_policy(tmp_path: Path, policy: str, gone: list[bytes], kept: list[bytes]) -> None:
    src = tmp_path / "a.png"
    _texted_png(src)
    image = read_image(src)
    plan = PhotoHooks(metadata=policy).plan(image, path=src, codec="png", target=parse_target("ssim>=0.9"),
                                            previous=None)
    assert "source:png" in plan.codecs
    data = codecs.get("source:png").encode(image, lossless=True, **plan.encode_options["source:png"])
    assert not [g for g in gone if g in data]
    assert all(k in data for k in kept)
    with PILImage.open(src) as a, PILImage.open(io.BytesIO(data)) as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))  # the pixels are the source's


def test_scrub_png_keeps_the_xmp_packet_and_a_png_without_text(tmp_path: Path) -> None:
    src = tmp_path / "a.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    PILImage.fromarray(np.zeros((4, 4, 3), np.uint8)).save(src, pnginfo=info)
    data = src.read_bytes()
    for policy in ("keep", "strip", "strip-gps"):
        assert scrub_png(data, policy) == data  # the XMP packet is the kept-source rule's and embed_png's


@pytest.mark.parametrize(("policy", "named"), [
    ("keep", "Comment, Author, exif:GPSLatitude"), ("strip-gps", "Comment, Author"), ("strip", None)])
def test_text_chunks_no_output_carries_are_named(tmp_path: Path, policy: str, named: str | None) -> None:
    """Every re-encode loses them: the decisions say so (they were lost without a word, metadata 'carried')."""
    src = tmp_path / "a.png"
    _texted_png(src)
    plan = PhotoHooks(metadata=policy).plan(read_image(src), path=src, codec="webp",
                                            target=parse_target("ssim>=0.9"), previous=None)
    notes = [n for n in plan.notes if "text chunks" in n]
    assert notes == ([] if named is None else [f"metadata: the source PNG's text chunks ({named}) are kept only "
                                                "if the output is source:png; no other output carries them"])
    assert png_texts(b"\xff\xd8\xff", "keep") == []
