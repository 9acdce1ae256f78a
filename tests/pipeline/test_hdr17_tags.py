"""hdr17: outputs of a PQ or HLG image say so. Before, a BT.2020 PQ AVIF compressed with ``--codec avif`` (or
``auto``) came out with imagecodecs' default colour box (2, 2, 6: unspecified, shown as SDR with wrong tones), its
HEIF output tagged sRGB (1, 13, 6), its JPEG XL PQ with BT.709 primaries, its PNG untagged; JPEG, JPEG 2000 and TIFF
outputs dropped the tag without a word."""

from __future__ import annotations

import json
from pathlib import Path

import imagecodecs
import numpy as np
import pytest

from qualipress.cli import main
from qualipress.codecs import get
from qualipress.io.image import Image
from qualipress.io.metadata import heif_cicp
from tests.conftest import photo_like


def _hdr_avif(path: Path, transfer: int, primaries: int = 9) -> None:
    px = (photo_like(48, 64).astype(np.uint16) * 1023 // 255).astype(np.uint16)
    path.write_bytes(imagecodecs.avif_encode(px, level=90, speed=8, bitspersample=10, primaries=primaries,
                                             transfer=transfer, matrix=9 if primaries == 9 else 1))


def _compress(tmp_path: Path, src: Path, codec: str, capsys, target: str = "psnr>=30") -> dict:
    out = tmp_path / f"out_{codec}"
    args = ["compress", str(src), "-o", str(out), "--codec", codec, "--allow-larger", "--target", target]
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["per_file"][0]


@pytest.mark.parametrize(("transfer", "codec"), [(16, "avif"), (18, "avif")])
def test_an_avif_output_of_a_pq_or_hlg_avif_keeps_its_colour_box(tmp_path: Path, transfer: int, codec: str,
                                                                 capsys) -> None:
    _hdr_avif(tmp_path / "hdr.avif", transfer)
    row = _compress(tmp_path, tmp_path / "hdr.avif", codec, capsys)
    assert row["output"].endswith(".avif")
    assert heif_cicp(Path(row["output"]).read_bytes()) == (9, transfer, 6, True)


def test_a_pq_image_without_a_source_box_is_tagged_by_its_colorspace() -> None:
    px = (photo_like(32, 40).astype(np.uint16) * 4).astype(np.uint16)
    data = get("avif").encode(Image(px, 10, "pq", "srgb"), quality=80)
    assert heif_cicp(data) == (1, 16, 6, True)
    data = get("avif").encode(Image(px, 10, "hlg", "bt2020"), quality=80)
    assert heif_cicp(data) == (9, 18, 6, True)
    assert heif_cicp(get("avif").encode(Image(px, 10, "srgb"), quality=80))[:2] == (2, 2)  # SDR: as before


def test_a_heif_output_of_a_pq_avif_keeps_its_colour_box(tmp_path: Path, capsys) -> None:
    import pillow_heif

    _hdr_avif(tmp_path / "pq.avif", 16)
    row = _compress(tmp_path, tmp_path / "pq.avif", "heif", capsys, "psnr>=26")
    data = Path(row["output"]).read_bytes()
    assert heif_cicp(data) == (9, 16, 6, True)
    nclx = pillow_heif.open_heif(row["output"]).info["nclx_profile"]
    assert (nclx["color_primaries"], nclx["transfer_characteristics"]) == (9, 16)


def _jxl_cicp(path: str) -> tuple[int, ...]:
    import OpenImageIO as oiio

    inp = oiio.ImageInput.open(path)
    try:
        return tuple(inp.spec().getattribute("CICP"))
    finally:
        inp.close()


@pytest.mark.parametrize(("primaries", "transfer"), [(9, 16), (12, 18)])
def test_a_jpegxl_output_of_a_pq_avif_names_the_source_primaries(tmp_path: Path, primaries: int, transfer: int,
                                                                 capsys) -> None:
    _hdr_avif(tmp_path / "hdr.avif", transfer, primaries)
    row = _compress(tmp_path, tmp_path / "hdr.avif", "jpegxl", capsys)
    assert row["output"].endswith(".jxl")
    assert _jxl_cicp(row["output"])[:2] == (primaries, transfer)


def _png_chunks(data: bytes) -> dict[bytes, bytes]:
    pos, out = 8, {}
    while pos + 8 <= len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        out.setdefault(data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n])
        pos += 12 + n
    return out


def test_a_png_output_of_a_pq_avif_has_a_cicp_chunk_and_full_range_samples(tmp_path: Path, capsys) -> None:
    from PIL import Image as PILImage

    _hdr_avif(tmp_path / "pq.avif", 16)
    row = _compress(tmp_path, tmp_path / "pq.avif", "png", capsys)
    data = Path(row["output"]).read_bytes()
    chunks = _png_chunks(data)
    assert chunks[b"cICP"] == bytes((9, 16, 0, 1))
    assert list(chunks).index(b"cICP") < list(chunks).index(b"IDAT")
    stored = imagecodecs.png_decode(data)
    source = imagecodecs.avif_decode((tmp_path / "pq.avif").read_bytes())
    assert np.array_equal(stored >> 6, source) and stored.max() > 1023  # lossless, at full 16-bit range
    with PILImage.open(row["output"]) as im:  # a valid PNG (CRCs checked)
        im.load()
    report = [json.loads(line) for line in (Path(row["output"]).parent / "qualipress-report.jsonl").open()]
    assert [r.get("verified") for r in report if r.get("output") == row["output"]] == [True]


def _decisions(row: dict) -> list[str]:
    report = [json.loads(line) for line in (Path(row["output"]).parent / "qualipress-report.jsonl").open()]
    return next(r["decisions"] for r in report if r.get("output") == row["output"])


@pytest.mark.parametrize("codec", ["jpeg", "jpeg2000", "tiff"])
def test_a_named_codec_that_cannot_carry_pq_says_so(tmp_path: Path, codec: str, capsys) -> None:
    _hdr_avif(tmp_path / "pq.avif", 16)
    row = _compress(tmp_path, tmp_path / "pq.avif", codec, capsys)
    assert row["codec"] == codec
    assert any(d.startswith(f"hdr: {codec} cannot carry the PQ transfer (CICP primaries 9, transfer 16)")
               for d in _decisions(row))
    # lead 14: and the output's line warns (a pipeline reading --json or the console, not the report, learns it)
    assert any(w.startswith(f"the output ({codec}) does not carry the source's PQ transfer")
               for w in row["warnings"]), row["warnings"]


def test_an_output_that_keeps_the_tag_is_not_warned(tmp_path: Path, capsys) -> None:
    _hdr_avif(tmp_path / "pq.avif", 16)
    row = _compress(tmp_path, tmp_path / "pq.avif", "avif", capsys)
    assert not any("does not carry" in w for w in row["warnings"] or []), row["warnings"]


@pytest.mark.parametrize("transfer", [16, 18])
def test_auto_leaves_out_the_codecs_that_would_drop_the_hdr_tag(tmp_path: Path, transfer: int, capsys) -> None:
    _hdr_avif(tmp_path / "hdr.avif", transfer)
    row = _compress(tmp_path, tmp_path / "hdr.avif", "auto", capsys)
    data = Path(row["output"]).read_bytes()
    if row["output"].endswith((".avif", ".heic")):
        assert heif_cicp(data)[:2] == (9, transfer)
    elif row["output"].endswith(".jxl"):
        assert _jxl_cicp(row["output"])[:2] == (9, transfer)
    else:
        assert _png_chunks(data)[b"cICP"] == bytes((9, transfer, 0, 1))
    assert any(d.startswith("auto: left out jpeg") and f"transfer {transfer})" in d for d in _decisions(row))


def test_encode_names_the_lost_tag(tmp_path: Path, capsys) -> None:
    _hdr_avif(tmp_path / "pq.avif", 16)
    assert main(["encode", str(tmp_path / "pq.avif"), "-o", str(tmp_path / "o.jpg"), "--quality", "80",
                 "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["not_carried"] == ["hdr_transfer"]
    assert "cannot carry the PQ transfer" in captured.err


def test_a_jpegxl_output_of_a_pq_avif_with_primaries_libjxl_cannot_name_keeps_pq(tmp_path: Path, capsys) -> None:
    """rev8: BT.470M primaries (4) in the CICP tag made OpenImageIO write the whole tag as sRGB (1/13): the PQ
    image was shown as SDR. The colorspace's primaries are named instead, with the PQ transfer."""
    _hdr_avif(tmp_path / "p4.avif", 16, primaries=4)
    row = _compress(tmp_path, tmp_path / "p4.avif", "jpegxl", capsys)
    assert row["output"].endswith(".jxl")
    assert _jxl_cicp(row["output"])[:2] == (1, 16)


def test_a_lossless_avif_of_a_pq_image_is_lossless() -> None:
    """rev8: the PQ colour box's matrix 6 (BT.601 YCbCr) replaced libavif's identity matrix in lossless mode, so a
    'lossless' AVIF of a PQ image was off by a code (65 dB PSNR); lossless keeps matrix 0."""
    rng = np.random.default_rng(3)
    px = rng.integers(0, 1024, (32, 40, 3)).astype(np.uint16)
    codec = get("avif")
    data = codec.encode(Image(px, 10, "pq", "bt2020"), quality=None, lossless=True)
    assert heif_cicp(data)[:3] == (9, 16, 0)
    assert np.array_equal(imagecodecs.avif_decode(data), px)


def test_qualipress_reads_its_own_pq_png_back_as_the_source(tmp_path: Path, capsys) -> None:
    """rev8: a PQ PNG (cICP, 10-bit codes shifted to full range) was read back as 16-bit sRGB: compressed again it
    lost PQ (or was refused by AVIF's 12 bits) and compared with its source at 78 dB. The sBIT chunk written beside
    cICP gives the codes back."""
    from qualipress.io.readers import read_image

    _hdr_avif(tmp_path / "pq.avif", 16)
    row = _compress(tmp_path, tmp_path / "pq.avif", "png", capsys)
    assert _png_chunks(Path(row["output"]).read_bytes())[b"sBIT"] == bytes((10, 10, 10))
    back, source = read_image(row["output"]), read_image(tmp_path / "pq.avif")
    assert (back.bit_depth, back.transfer, back.metadata["cicp"][:2]) == (10, "pq", [9, 16])
    assert np.array_equal(back.pixels, source.pixels)
    again = _compress(tmp_path, Path(row["output"]), "avif", capsys)
    assert heif_cicp(Path(again["output"]).read_bytes())[:2] == (9, 16)
