"""Every output codec of ``compress`` keeps what its format can hold of the source's ICC/EXIF/XMP, upright.

QA (qa7 report): the TIFF codec dropped the input's ICC profile although TIFF has a tag for it. This test runs
every installed codec over one oriented, tagged JPEG and checks, per codec, the fields a reader finds in the
output against a table of what that format holds here; what a format cannot hold must be named in the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.cli import main
from qualipress.io import read_image, sniff
from qualipress.io.metadata import read_metadata
from qualipress.pipeline import read_report
from tests.io.test_metadata import SRGB
from tests.pipeline.test_photo import oriented_photo

#: What each codec's output keeps of ICC, EXIF and XMP (read back from the file). JPEG XL signals an sRGB
#: profile in its codestream (no ICC bytes to read back); raw codestreams (.jls, .jhc) hold none.
KEEPS: dict[str, set[str]] = {
    "jpeg": {"icc", "exif", "xmp"}, "jpegli": {"icc", "exif", "xmp"}, "jpeg-roi": {"icc", "exif", "xmp"},
    "png": {"icc", "exif", "xmp"}, "webp": {"icc", "exif", "xmp"}, "avif": {"icc", "exif", "xmp"},
    "heif": {"icc", "exif", "xmp"}, "tiff": {"icc", "exif", "xmp"},
    "jpegxl": {"exif", "xmp"}, "jpegxl-lossless": {"exif", "xmp"},
    "jpeg2000": {"icc", "exif", "xmp"}, "jpeg2000-reversible": {"icc", "exif", "xmp"},
    "htj2k": set(), "jpegls": set(),
}


def _kept(data: bytes) -> set[str]:
    fmt = sniff(data[:32])
    meta = read_metadata(data, fmt)
    kept = {k for k, key in (("icc", "icc_profile"), ("exif", "exif"), ("xmp", "xmp")) if key in meta}
    if fmt == "jpegxl" and b"xml " in data[:4096]:  # the XMP box; Pillow does not open JPEG XL
        kept.add("xmp")
    if "icc" in kept:
        assert meta["icc_profile"] == SRGB
    return kept


@pytest.mark.parametrize("codec", sorted(KEEPS))
def test_every_codec_keeps_what_its_format_holds(tmp_path: Path, codec: str) -> None:
    if codec not in codecs.available_names():
        pytest.skip(f"{codec} not installed")
    src = tmp_path / "photo.jpg"
    oriented_photo(src)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", codec, "--target", "ssim>=0.9",
                 "--no-film", "--allow-larger"]) == 0
    rec = read_report(out / "qualipress-report.jsonl")[-1]
    data = Path(rec["output"]).read_bytes()
    assert _kept(data) == KEEPS[codec]
    lost = sorted({"icc", "exif", "xmp"} - KEEPS[codec] - ({"icc"} if codec.startswith("jpegxl") else set()))
    notes = [d for d in rec["decisions"] if d.startswith("metadata:")]
    if lost:
        assert notes == [f"metadata: {codec} cannot carry {', '.join(lost)} here"]
    else:
        assert notes == []
    img = read_image(rec["output"])
    assert (img.width, img.height) == (96, 64)  # orientation 6 applied to the pixels
    assert img.pixels[4, 92, 0] > 150 and img.pixels[4, 92, 1] < 100
    if "exif" in KEEPS[codec]:
        ex = PILImage.Exif()
        ex.load(read_metadata(data, sniff(data[:32]))["exif"])
        assert ex.get(0x0112, 1) == 1 and ex[0x010F] == "TestCam"


def test_a_tiff_source_s_exif_reaches_the_outputs(tmp_path: Path) -> None:
    """QA 8: a TIFF's EXIF (camera, date, GPS in IFD0 and its Exif/GPS sub-IFDs) was not read, so a JPEG made from
    a camera TIFF lost it without a note; only the descriptive tags travel, not the TIFF's own layout tags."""
    from tests.conftest import photo_like
    from tests.io.test_metadata import _exif

    src = tmp_path / "cam.tif"
    PILImage.fromarray(photo_like(40, 64, seed=2)).save(src, exif=_exif(6).tobytes())
    meta = read_image(src).metadata
    ex = PILImage.Exif()
    ex.load(meta["exif"])
    assert ex[0x010F] == "TestCam" and ex[0x0112] == 6
    assert ex.get_ifd(0x8769)[0x9003] == "2026:11:30 10:00:00" and ex.get_ifd(0x8825)[1] == "N"
    assert 0x0111 not in ex and 0x0100 not in ex  # StripOffsets, ImageWidth: the source file's layout
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpeg", "--target", "ssim>=0.9", "--no-film",
                 "--metadata", "strip-gps"]) == 0
    rec = read_report(out / "qualipress-report.jsonl")[-1]
    data = Path(rec["output"]).read_bytes()
    back = PILImage.Exif()
    back.load(read_metadata(data, "jpeg")["exif"])
    assert back[0x010F] == "TestCam" and back[0x0112] == 1 and back.get_ifd(0x8769)[0x9003]
    assert not back.get_ifd(0x8825)  # --metadata strip-gps applies to it as to a JPEG's
    assert read_image(rec["output"]).width == 40  # upright


def test_tiff_output_exif_round_trip_keeps_pixels(tmp_path: Path) -> None:
    """The EXIF written into a TIFF output (IFD0 rewritten at the end of the file with the descriptive tags and
    the Exif/GPS sub-IFDs) reads back as it was given, and the pixels decode as without it."""
    import numpy as np

    from qualipress.io import as_image
    from qualipress.io.metadata import Carry
    from tests.conftest import photo_like
    from tests.io.test_metadata import _exif

    img = as_image(photo_like(30, 50, seed=4))
    tiff = codecs.get("tiff")
    plain = tiff.encode(img)
    ex = _exif(1)
    ex[0x8298] = "(c) QA8"
    data = tiff.encode(img, metadata=Carry(SRGB, ex.tobytes()[6:], None))
    assert np.array_equal(tiff.decode(data).pixels, tiff.decode(plain).pixels)
    back = PILImage.Exif()
    back.load(read_metadata(data, "tiff")["exif"])
    assert back[0x010F] == "TestCam" and back[0x8298] == "(c) QA8"
    assert back.get_ifd(0x8769)[0x9003] == "2026:11:30 10:00:00" and back.get_ifd(0x8825)[1] == "N"
    assert read_metadata(data, "tiff")["icc_profile"] == SRGB
    ex.endian = ">"  # a camera's Motorola-order EXIF goes into the little-endian file in the file's order
    motorola = ex.tobytes()[6:]
    assert motorola[:2] == b"MM"
    back = PILImage.Exif()
    back.load(read_metadata(tiff.encode(img, metadata=Carry(None, motorola)), "tiff")["exif"])
    assert back[0x010F] == "TestCam" and back.get_ifd(0x8769)[0x9003] == "2026:11:30 10:00:00"


def test_jp2_keeps_a_display_p3_profile_readable_by_openimageio(tmp_path: Path) -> None:
    """QA 6/7/8: JPEG 2000 outputs of a Display P3 photo lost the profile (shown desaturated). The JP2 ``colr``
    box now holds it (method 2), read back by qualipress and, independently, by OpenImageIO; pixels unchanged."""
    import numpy as np

    from qualipress.io import as_image
    from qualipress.io.metadata import Carry
    from tests.conftest import photo_like
    from tests.pipeline.test_jxl_icc import P3

    oiio = pytest.importorskip("OpenImageIO")
    img = as_image(photo_like(30, 50, seed=4))
    j2k = codecs.get("jpeg2000")
    plain = j2k.encode(img, quality=40)
    data = j2k.encode(img, quality=40, metadata=Carry(P3, None, b"<x:xmpmeta/>"))
    assert np.array_equal(j2k.decode(data).pixels, j2k.decode(plain).pixels)
    assert read_metadata(data, "jpeg2000")["icc_profile"] == P3
    assert read_metadata(data, "jpeg2000")["xmp"] == b"<x:xmpmeta/>"
    p = tmp_path / "p3.jp2"
    p.write_bytes(data)
    inp = oiio.ImageInput.open(str(p))
    try:
        assert bytes(inp.spec().getattribute("ICCProfile")) == P3
    finally:
        inp.close()


def test_jp2_of_a_p3_photo_is_measured_on_its_stored_samples(tmp_path: Path) -> None:
    """imagecodecs converts a JP2 with an ICC profile to sRGB on decoding; the codec decodes the stored samples
    (as every format here), so the search measures what it encoded and the output reads back as P3 + its pixels."""
    import numpy as np

    from tests.conftest import photo_like
    from tests.pipeline.test_jxl_icc import P3

    src = tmp_path / "p3.png"
    PILImage.fromarray(photo_like(48, 64, seed=8)).save(src, icc_profile=P3)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpeg2000", "--target", "psnr>=38",
                 "--no-film"]) == 0
    rec = read_report(out / "qualipress-report.jsonl")[-1]
    back = read_image(rec["output"])
    assert back.metadata["icc_profile"] == P3
    oiio = pytest.importorskip("OpenImageIO")  # an independent decoder of the stored samples
    inp = oiio.ImageInput.open(rec["output"])
    stored = inp.read_image("uint8")
    inp.close()
    assert np.array_equal(back.pixels, stored)
    err = stored.astype(float) - read_image(src).pixels
    psnr = 10 * np.log10(255**2 / (err**2).mean())
    assert psnr >= 38 and abs(psnr - rec["metrics"]["psnr"]["value"]) < 0.01
    grey = tmp_path / "grey.png"
    PILImage.fromarray(photo_like(48, 64, seed=8)[..., 0]).save(grey)
    assert main(["encode", str(grey), "-o", str(tmp_path / "g.jp2"), "--quality", "40"]) == 0
    assert read_image(tmp_path / "g.jp2").n_channels == 1


def test_damaged_jp2_headers_are_named_by_the_reader(tmp_path: Path) -> None:
    """A ``colr`` box without a payload or a short ``ihdr`` must not fail inside the metadata code (QA 8: 'index
    out of range'); the decoder's own words say what is wrong."""
    import struct

    from qualipress.errors import InputError
    from qualipress.io.metadata import jp2_stored

    head = b"\x00\x00\x00\x0cjP  \r\n\x87\n" + struct.pack(">I", 20) + b"ftypjp2 \x00\x00\x00\x00jp2 "
    for jp2h in (struct.pack(">I", 8) + b"colr", struct.pack(">I", 12) + b"ihdr\x00\x00\x00\x01"
                 + struct.pack(">I", 11) + b"colr\x02\x00\x00"):
        data = head + struct.pack(">I", 8 + len(jp2h)) + b"jp2h" + jp2h
        assert jp2_stored(data) == data and read_metadata(data, "jpeg2000") == {"orientation": 1}
        p = tmp_path / "bad.jp2"
        p.write_bytes(data)
        with pytest.raises(InputError, match="truncated or corrupt"):
            read_image(p)
