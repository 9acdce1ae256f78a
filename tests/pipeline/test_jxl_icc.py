"""JPEG XL output of a non-sRGB source: written with its profile by jxlpy (8-bit), otherwise left out (it would be
tagged sRGB), never silently mis-tagged."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.codecs import jxlicc
from qualipress.io import read_image
from qualipress.io.metadata import icc_description, is_srgb, read_metadata
from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.search import parse_target
from tests.conftest import photo_like


def _s15(v: float) -> bytes:
    return struct.pack(">i", int(round(v * 65536)))


def _tag_xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def _tag_desc(text: str) -> bytes:
    ascii_ = text.encode() + b"\x00"
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_)) + ascii_ + bytes(4) + bytes(4) + bytes(2) + bytes(1) \
        + bytes(67)


def display_p3_icc(name: str = "Display P3 (test)") -> bytes:
    """A minimal ICC v2 matrix/TRC display profile with Display P3 primaries (D50-adapted) and gamma 2.2."""
    curv = b"curv" + bytes(4) + struct.pack(">I", 1) + struct.pack(">H", 0x0233) + bytes(2)
    tags = [(b"desc", _tag_desc(name)), (b"wtpt", _tag_xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", _tag_xyz(0.5151, 0.2412, -0.0011)), (b"gXYZ", _tag_xyz(0.2920, 0.6922, 0.0419)),
            (b"bXYZ", _tag_xyz(0.1571, 0.0666, 0.7841)), (b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv),
            (b"cprt", b"text" + bytes(4) + b"no copyright\x00" + bytes(3))]
    table_len = 4 + 12 * len(tags)
    offset = 128 + table_len
    table, body = struct.pack(">I", len(tags)), b""
    for sig, data in tags:
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    size = 128 + table_len + len(body)
    header = (struct.pack(">I", size) + bytes(4) + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + bytes(12) + b"acsp"
              + bytes(4) + bytes(4) + bytes(8) + bytes(8) + bytes(4) + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
              + bytes(4) + bytes(16) + bytes(28))
    assert len(header) == 128
    return header + table + body


P3 = display_p3_icc()


@pytest.fixture
def without_jxlpy(monkeypatch):
    """As on a machine without jxlpy (or for a source deeper than 8 bits): JPEG XL cannot carry the profile."""
    monkeypatch.setattr(jxlicc, "can_carry", lambda bit_depth: False)


def _p3_png(path: Path) -> None:
    PILImage.fromarray(photo_like(64, 80, seed=2)).save(path, "PNG", icc_profile=P3)


def test_profile_is_read_as_non_srgb(tmp_path: Path) -> None:
    assert icc_description(P3) == "Display P3 (test)" and not is_srgb(P3)
    p = tmp_path / "p3.png"
    _p3_png(p)
    assert read_image(p).metadata["icc_profile"] == P3


def test_jpegxl_alone_is_refused_with_the_remedy(tmp_path: Path, without_jxlpy) -> None:
    src = tmp_path / "p3.png"
    _p3_png(src)
    opts = CompressOptions(target=parse_target("ssim>=0.9"), codec="jpegxl", hooks=PhotoHooks())
    rec = compress_paths([src], tmp_path / "out", opts).records[0]
    assert rec.get("error") and "Display P3 (test)" in rec["error"] and "avif" in rec["error"]
    assert not list((tmp_path / "out").glob("*.jxl"))


def test_jpegxl_left_out_among_others_and_profile_carried(tmp_path: Path, without_jxlpy) -> None:
    src = tmp_path / "p3.png"
    _p3_png(src)
    opts = CompressOptions(target=parse_target("ssim>=0.9"), codec="jpegxl,webp", hooks=PhotoHooks())
    rec = compress_paths([src], tmp_path / "out", opts).records[0]
    assert not rec.get("error") and rec["codec"] == "webp"
    assert any("left out jpegxl" in d for d in rec["decisions"])
    out = Path(rec["output"])
    assert read_metadata(out.read_bytes(), "webp").get("icc_profile") == P3


def test_srgb_source_still_goes_to_jpegxl(tmp_path: Path) -> None:
    src = tmp_path / "plain.png"
    PILImage.fromarray(photo_like(64, 80, seed=2)).save(src, "PNG")
    opts = CompressOptions(target=parse_target("ssim>=0.9"), codec="jpegxl", hooks=PhotoHooks())
    rec = compress_paths([src], tmp_path / "out", opts).records[0]
    assert rec["codec"] == "jpegxl"


def test_p3_jpeg_may_still_use_the_bit_exact_transcode(tmp_path: Path, without_jxlpy) -> None:
    src = tmp_path / "p3.jpg"
    PILImage.fromarray(photo_like(64, 80, seed=2)).save(src, "JPEG", quality=90, icc_profile=P3)
    opts = CompressOptions(target=parse_target("ssim>=0.9"), codec="jpegxl", hooks=PhotoHooks())
    rec = compress_paths([src], tmp_path / "out", opts).records[0]
    assert not rec.get("error") and rec["codec"] in ("transcode:jpegxl", "transcode:jpeg", "source:jpeg")
    if rec["codec"] == "transcode:jpegxl":
        import imagecodecs

        rebuilt = imagecodecs.jpegxl_decode_jpeg(Path(rec["output"]).read_bytes())
        assert rebuilt == src.read_bytes()  # the JPEG, with its P3 profile, comes back bit for bit
    assert np.asarray(PILImage.open(src)).shape == (64, 80, 3)


@pytest.mark.parametrize("policy", ["strip"])
def test_strip_keeps_the_profile_so_jpegxl_stays_out(tmp_path: Path, policy: str, without_jxlpy) -> None:
    src = tmp_path / "p3.png"
    _p3_png(src)
    opts = CompressOptions(target=parse_target("ssim>=0.9"), codec="jpegxl,jpeg", hooks=PhotoHooks(metadata=policy))
    rec = compress_paths([src], tmp_path / "out", opts).records[0]
    assert rec["codec"] == "jpeg"


def test_encode_refuses_jpegxl_for_a_non_srgb_source(tmp_path, capsys, without_jxlpy):
    """QA: ``encode --codec jpegxl`` wrote a Display P3 photo as a JPEG XL tagged sRGB (compress refuses it)."""
    from qualipress.cli import main

    src = tmp_path / "p3.png"
    _p3_png(src)
    out = tmp_path / "p3.jxl"
    assert main(["encode", str(src), "-o", str(out), "--codec", "jpegxl", "--quality", "1"]) == 2
    err = capsys.readouterr().err
    assert "Display P3 (test)" in err and "Traceback" not in err
    assert not out.exists()
    # the formats that carry the profile still encode it
    assert main(["encode", str(src), "-o", str(tmp_path / "p3.webp"), "--codec", "webp", "--quality", "80"]) == 0
    assert read_metadata(tmp_path / "p3.webp", "webp").get("icc_profile") == P3


def test_a_transcoded_jpeg_xl_keeps_its_profile_when_read_again(tmp_path):
    """QA: a P3 JPEG transcoded to JPEG XL (qualipress's own transcode:jpegxl) read back as sRGB with no
    metadata at all, so compressing it again to WebP dropped the profile (wrong colours)."""
    import io

    import imagecodecs

    from qualipress.cli import main

    buf = io.BytesIO()
    exif = PILImage.Exif()
    exif[0x010E] = "qa description"
    PILImage.fromarray(photo_like(64, 80, seed=4)).save(buf, "JPEG", quality=90, icc_profile=P3,
                                                        exif=exif.tobytes())
    src = tmp_path / "p3.jxl"
    src.write_bytes(bytes(imagecodecs.jpegxl_encode_jpeg(buf.getvalue())))
    meta = read_image(src).metadata
    assert meta.get("icc_profile") == P3
    out = tmp_path / "p3.webp"
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp", "--target", "ssim>=0.9"]) == 0
    assert read_metadata(out, "webp").get("icc_profile") == P3


def _to_srgb(px: np.ndarray, icc: bytes) -> np.ndarray:
    """``px`` interpreted in ``icc``, converted to sRGB by littleCMS (what a colour-managed viewer shows)."""
    import io

    from PIL import ImageCms

    src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    dst = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return np.asarray(ImageCms.profileToProfile(PILImage.fromarray(px), src, dst, outputMode="RGB")).astype(int)


needs_jxlpy = pytest.mark.skipif(not jxlicc.available(), reason="jxlpy is not installed")


@needs_jxlpy
def test_jpegxl_keeps_a_display_p3_profile(tmp_path: Path) -> None:
    src = tmp_path / "p3.png"
    _p3_png(src)
    exif = PILImage.Exif()
    exif[0x010E] = "p3 description"
    PILImage.open(src).save(src, "PNG", icc_profile=P3, exif=exif.tobytes())
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpegxl", hooks=PhotoHooks())
    rec = compress_paths([src], tmp_path / "out", opts).records[0]
    assert not rec.get("error") and rec["codec"] == "jpegxl", rec.get("error")
    assert not any("left out" in d for d in rec.get("decisions") or [])
    data = Path(rec["output"]).read_bytes()
    meta = read_metadata(data, "jpegxl")
    icc = meta.get("icc_profile")
    assert icc is not None and not is_srgb(icc)  # a rebuilt equivalent of the P3 profile, not sRGB
    assert b"p3 description" in (meta.get("exif") or b"")
    # the same pixels mean the same colours through the written profile as through the source's
    px = photo_like(64, 80, seed=2)
    assert np.abs(_to_srgb(px, icc) - _to_srgb(px, P3)).max() <= 2
    assert np.abs(_to_srgb(px, P3) - px).max() >= 10  # (the profile matters for these pixels)
    # decoded pixels stay in the source's colour space (not converted to sRGB)
    decoded = read_image(Path(rec["output"])).pixels.astype(int)
    assert np.abs(decoded - px).mean() < 4
    assert read_image(Path(rec["output"])).metadata.get("icc_profile") == icc


@needs_jxlpy
def test_lossless_jpegxl_keeps_the_profile_bytes() -> None:
    from qualipress import codecs
    from qualipress.io.metadata import Carry

    px = photo_like(48, 64, seed=3)
    data = codecs.get("jpegxl").encode(px, lossless=True, metadata=Carry(P3))
    assert read_metadata(data, "jpegxl").get("icc_profile") == P3
    assert np.array_equal(codecs.get("jpegxl").decode(data).pixels, px)


@needs_jxlpy
def test_srgb_jpegxl_files_still_read_as_srgb() -> None:
    from qualipress import codecs

    data = codecs.get("jpegxl").encode(photo_like(32, 32, seed=1), quality=1.0)
    assert "icc_profile" not in read_metadata(data, "jpegxl")


@needs_jxlpy
@pytest.mark.parametrize(("distance", "quality"), [(1.0, 90), (0.1, 99), (6.4, 30), (25.0, 0), (15.27, 10)])
def test_distance_to_libjxl_quality(distance: float, quality: int) -> None:
    assert jxlicc.quality_for_distance(distance) == quality


@pytest.mark.skipif(not jxlicc.available(), reason="jxlpy not installed")
def test_icc_path_is_the_one_encode_path_pre_edit_included():
    """Review: ``JpegXlCodec.encode``'s ICC path copied ``Codec.encode`` and kept ``pre_edit`` among the options, so a
    pre-edit there was refused as an unknown option (the plain path runs it); ``jpegxl-lossless`` with a profile
    failed on its missing quality."""
    from qualipress import codecs
    from qualipress.io import Image
    from qualipress.io.metadata import Carry

    img = Image(photo_like(64, 80, seed=2), 8)
    codec = codecs.get("jpegxl")
    calls: list[tuple] = []

    def flatten(image, quality, name, options):
        calls.append((quality, name, options))
        return image.with_pixels((image.pixels // 8) * 8)

    edited = codec.encode(img.with_pixels((img.pixels // 8) * 8), quality=1.0, metadata=Carry(P3))
    plain = codec.encode(img, quality=1.0, pre_edit=flatten)
    with_icc = codec.encode(img, quality=1.0, metadata=Carry(P3), pre_edit=flatten)
    assert calls == [(1.0, "jpegxl", {}), (1.0, "jpegxl", {})]  # the same call on both paths
    assert with_icc == edited  # the pre-edited pixels were encoded, with the profile
    assert read_metadata(with_icc, "jpegxl").get("icc_profile") is not None and plain != with_icc
    lossless = codecs.get("jpegxl-lossless").encode(img, metadata=Carry(P3, None, b"<x:xmpmeta/>"))
    dec = codecs.get("jpegxl-lossless").decode(lossless)
    assert np.array_equal(dec.pixels, img.pixels)
    assert read_metadata(lossless, "jpegxl").get("icc_profile") == P3


@pytest.mark.parametrize("codec", ["jpeg2000", "jpegxl", "webp"])
def test_report_names_only_the_metadata_the_file_holds(tmp_path: Path, codec: str) -> None:
    # QA: a Display P3 / Adobe RGB photo to jpeg2000 was reported "carried": ["icc"] beside the decision "jpeg2000
    # cannot carry icc here" (the file has no profile); to 8-bit JPEG XL, where jxlpy writes the profile, the
    # decisions said "jpegxl cannot carry icc here" although the file holds it
    if codec == "jpegxl" and not jxlicc.can_carry(8):
        pytest.skip("jxlpy not installed")
    src = tmp_path / "p3.png"
    _p3_png(src)
    opts = CompressOptions(target=parse_target("ssim>=0.9"), codec=codec, hooks=PhotoHooks(allow_larger=True))
    rec = compress_paths([src], tmp_path / "out", opts).records[0]
    assert not rec.get("error") and rec["codec"] == codec, rec.get("error")
    fmt = {"jpeg2000": "jpeg2000", "jpegxl": "jpegxl", "webp": "webp"}[codec]
    holds = read_metadata(Path(rec["output"]).read_bytes(), fmt).get("icc_profile") is not None
    assert ("icc" in rec["metadata"]["carried"]) == holds
    assert any("cannot carry icc" in d for d in rec.get("decisions") or []) == (not holds)


def test_auto_leaves_out_codecs_that_drop_a_wide_gamut_profile(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """QA: ``--codec auto`` could pick JPEG 2000 for a Display P3 photo, whose file here holds no ICC profile, so the
    colours showed wrong; auto now leaves such codecs out (a codec named on the command line is still encoded)."""
    from qualipress.pipeline.delivery import PhotoHooks
    from qualipress.search.targets import parse_target

    src = tmp_path / "p3.png"
    _p3_png(src)
    from qualipress.pipeline import delivery

    plan = PhotoHooks().plan(read_image(src), path=src, codec="auto", target=parse_target("ssim>=0.9"), previous=None)
    # QA 8: JPEG 2000 files hold the profile now (JP2 colr box), so auto keeps it as a candidate
    assert "jpeg2000" in plan.codecs and "avif" in plan.codecs
    assert not any("auto: left out" in n for n in plan.notes)
    # a codec whose files would drop the profile is still left out while another keeps it
    lost = delivery.lost_fields
    monkeypatch.setattr(delivery, "lost_fields",
                        lambda name, carry, *more: ["icc"] if name == "jpeg2000" else lost(name, carry, *more))
    plan = PhotoHooks().plan(read_image(src), path=src, codec="auto", target=parse_target("ssim>=0.9"), previous=None)
    assert "jpeg2000" not in plan.codecs and "avif" in plan.codecs
    assert any("auto: left out" in n and "jpeg2000" in n and "Display P3 (test)" in n for n in plan.notes)
    srgb = tmp_path / "plain.png"
    PILImage.fromarray(photo_like(64, 80, seed=2)).save(srgb, "PNG")
    plain = PhotoHooks().plan(read_image(srgb), path=srgb, codec="auto", target=parse_target("ssim>=0.9"),
                              previous=None)
    assert "jpeg2000" in plain.codecs
    named = PhotoHooks().plan(read_image(src), path=src, codec="jpeg2000", target=parse_target("ssim>=0.9"),
                              previous=None)
    assert named.codecs[0] == "jpeg2000"
