"""Photo metadata: orientation applied on read, ICC/EXIF/XMP written into every web format without touching pixels."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps

from qualipress import codecs
from qualipress.errors import InputError
from qualipress.io import read_image
from qualipress.io.metadata import (
    Carry,
    apply_orientation,
    carry_for,
    edit_exif,
    edit_xmp,
    embed,
    estimate_jpeg_quality,
    present,
    read_metadata,
)

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
       b'tiff:Orientation="6" exif:GPSLatitude="48,51.5N"/></rdf:RDF></x:xmpmeta>')


def _exif(orientation: int, gps: bool = True) -> PILImage.Exif:
    ex = PILImage.Exif()
    ex[0x0112] = orientation
    ex[0x010F] = "TestCam"
    ex.get_ifd(0x8769)[0x9003] = "2026:11:30 10:00:00"
    if gps:
        ex.get_ifd(0x8825)[1] = "N"
    return ex


def marked(h: int = 40, w: int = 64) -> np.ndarray:
    """Stored pixels with a red top-left corner and a blue bottom-right one."""
    arr = np.full((h, w, 3), 128, np.uint8)
    arr[:8, :8] = (255, 0, 0)
    arr[-8:, -8:] = (0, 0, 255)
    return arr


def write_oriented_jpeg(path: Path, orientation: int = 6, arr: np.ndarray | None = None) -> np.ndarray:
    arr = marked() if arr is None else arr
    PILImage.fromarray(arr).save(path, "JPEG", quality=92, exif=_exif(orientation).tobytes(), icc_profile=SRGB,
                                 xmp=XMP)
    return arr


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_pillow(orientation: int) -> None:
    arr = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    im = PILImage.fromarray(arr)
    ex = im.getexif()
    ex[0x0112] = orientation
    im.info["exif"] = ex.tobytes()
    expected = np.asarray(ImageOps.exif_transpose(im))
    assert np.array_equal(apply_orientation(arr, orientation), expected)


def test_read_image_is_upright_and_keeps_metadata(tmp_path: Path) -> None:
    p = tmp_path / "o6.jpg"
    write_oriented_jpeg(p)
    img = read_image(p)
    assert (img.width, img.height) == (40, 64)  # stored 64x40, displayed rotated 90 degrees clockwise
    assert img.pixels[2, -3, 0] > 200 and img.pixels[2, -3, 2] < 60  # red corner now top-right
    m = img.metadata
    assert m["orientation"] == 6 and m["icc_profile"] == SRGB and b"tiff:Orientation" in m["xmp"]
    assert "sRGB" in m["icc_description"]
    assert m["jpeg_quality"] == 92 and m["jpeg_subsampling"] == "4:2:0"


@pytest.mark.parametrize("q", [1, 12, 20, 33, 50, 75, 90, 95, 97, 100])
def test_jpeg_quality_estimate(q: int) -> None:
    b = io.BytesIO()
    PILImage.fromarray(marked()).save(b, "JPEG", quality=q)
    with PILImage.open(b) as im:
        table = np.asarray(im.quantization[0])
    assert estimate_jpeg_quality(table) == q
    assert estimate_jpeg_quality(table[::-1].tolist()) == q  # any order: zigzag or natural


def test_jpeg_quality_estimate_of_fractional_tables_and_bad_input() -> None:
    from qualipress.codecs.jpegq import qtables

    assert estimate_jpeg_quality(qtables(71.2)[0]) == 71 and estimate_jpeg_quality(qtables(70.8)[0]) == 71
    with pytest.raises(InputError):
        estimate_jpeg_quality([16] * 63)


def test_policies() -> None:
    meta = {"icc_profile": SRGB, "exif": _exif(6).tobytes()[6:], "xmp": XMP}
    keep = carry_for(meta, "keep")
    ex = PILImage.Exif()
    ex.load(keep.exif)
    assert ex[0x0112] == 1 and 0x8825 in ex and ex.get_ifd(0x8769)[0x9003].startswith("2026")
    assert b'tiff:Orientation="1"' in keep.xmp and b"GPSLatitude" in keep.xmp
    nogps = carry_for(meta, "strip-gps")
    ex.load(nogps.exif)
    assert 0x8825 not in ex and ex.get_ifd(0x8769)[0x9003].startswith("2026")
    assert b"GPSLatitude" not in nogps.xmp and nogps.icc == SRGB
    strip = carry_for(meta, "strip")
    assert strip.icc == SRGB and strip.exif is None and strip.xmp is None
    # a copy of the stored (unrotated) pixels keeps the source's orientation, even when stripped
    ex.load(carry_for(meta, "strip", orientation=6).exif)
    assert ex[0x0112] == 6
    assert edit_exif(meta["exif"], orientation=6) is meta["exif"]  # nothing to change: bytes untouched


@pytest.mark.parametrize("name", ["jpeg", "jpegli", "png", "webp", "avif", "jpegxl", "heif"])
def test_embed_keeps_pixels_and_adds_metadata(name: str) -> None:
    try:
        codec = codecs.get(name)
    except Exception as exc:
        pytest.skip(str(exc))
    arr = marked()
    carry = Carry(SRGB, _exif(1).tobytes()[6:], edit_xmp(XMP, orientation=1))  # as carry_for makes it
    plain = codec.encode(arr, quality=None)
    rich = codec.encode(arr, quality=None, metadata=carry)
    assert len(rich) > len(plain)
    assert np.array_equal(codec.decode(plain).pixels, codec.decode(rich).pixels)
    fmt = {"jpegli": "jpeg"}.get(name, name)
    from qualipress.io import sniff

    assert sniff(rich[:32]) == fmt
    if name == "jpegxl":  # Pillow cannot open JPEG XL here: look for the boxes
        assert b"Exif" in rich and b"xml " in rich
        return
    got = present(rich, fmt)
    assert got == {"icc": True, "exif": True, "xmp": True}
    assert read_metadata(rich, fmt).get("icc_profile") == SRGB


def test_embed_webp_alpha_keeps_alpha_flag() -> None:
    arr = np.dstack([marked(), np.full((40, 64), 200, np.uint8)])
    codec = codecs.get("webp")
    for lossless in (False, True):
        data = codec.encode(arr, quality=80, lossless=lossless, metadata=Carry(SRGB))
        assert codec.decode(data).pixels.shape == (40, 64, 4)
        with PILImage.open(io.BytesIO(data)) as im:
            assert im.mode == "RGBA" and im.info.get("icc_profile") == SRGB


def test_embed_unknown_extension_is_a_no_op() -> None:
    assert embed(b"abc", ".jp2", Carry(SRGB)) == b"abc"


def test_profile_must_match_the_stored_pixels() -> None:
    lab_icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()  # neither RGB nor GRAY
    from qualipress.io.metadata import icc_colour_space

    assert icc_colour_space(SRGB) == "RGB" and icc_colour_space(lab_icc) != "RGB"
    webp = codecs.get("webp")
    data = webp.encode(marked(), quality=80, metadata=Carry(lab_icc, _exif(1).tobytes()[6:]))
    assert present(data, "webp") == {"icc": False, "exif": True, "xmp": False}
    grey = marked()[..., :1]
    jpeg = codecs.get("jpeg")
    assert not present(jpeg.encode(grey, quality=80, metadata=Carry(SRGB)), "jpeg")["icc"]  # RGB profile, grey data


def test_cmyk_jpeg_profile_is_not_carried(tmp_path: Path) -> None:
    cmyk = PILImage.new("CMYK", (16, 16), (0, 50, 100, 0))
    fake_cmyk_icc = SRGB[:16] + b"CMYK" + SRGB[20:]
    p = tmp_path / "cmyk.jpg"
    cmyk.save(p, "JPEG", icc_profile=fake_cmyk_icc)
    img = read_image(p)
    assert img.n_channels == 3 and "icc_profile" not in img.metadata and "icc_dropped" in img.metadata


def test_camera_tiff_exif_leaves_out_the_interoperability_pointer(tmp_path: Path) -> None:
    """A camera TIFF's Exif IFD with an interoperability pointer: the carried EXIF keeps the date, not the pointer
    (its offset would point into the old block: Pillow then warns 'Corrupt EXIF data' on every output)."""
    ex = PILImage.Exif()
    ex[0x010F] = "Cam"
    ex.get_ifd(0x8769)[0x9003] = "2020:01:01 00:00:00"
    ex.get_ifd(0x8769)[0xA005] = {1: "R98"}
    path = tmp_path / "camera.tif"
    PILImage.fromarray(np.zeros((16, 16, 3), np.uint8)).save(path, exif=ex.tobytes())
    assert 0xA005 in PILImage.open(path).getexif().get_ifd(0x8769)  # the source has it
    carried = PILImage.Exif()
    carried.load(read_image(path).metadata["exif"])
    assert carried.get(0x010F) == "Cam"
    assert carried.get_ifd(0x8769) == {0x9003: "2020:01:01 00:00:00"}
