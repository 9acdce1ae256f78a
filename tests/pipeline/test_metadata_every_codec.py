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
#: profile in its codestream (no ICC bytes to read back); raw codestreams (.jls, .jhc) and OpenJPEG's .jp2
#: hold none here.
KEEPS: dict[str, set[str]] = {
    "jpeg": {"icc", "exif", "xmp"}, "jpegli": {"icc", "exif", "xmp"}, "jpeg-roi": {"icc", "exif", "xmp"},
    "png": {"icc", "exif", "xmp"}, "webp": {"icc", "exif", "xmp"}, "avif": {"icc", "exif", "xmp"},
    "heif": {"icc", "exif", "xmp"}, "tiff": {"icc", "xmp"},
    "jpegxl": {"exif", "xmp"}, "jpegxl-lossless": {"exif", "xmp"},
    "jpeg2000": set(), "jpeg2000-reversible": set(), "htj2k": set(), "jpegls": set(),
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
