"""QA 17 (web): metadata too long for one JPEG APP1 segment. Before, a PNG's 90 kB XMP packet was silently left
out of its JPEG output while the report listed it as carried, and a 70 kB EXIF failed every JPEG encode ("JPEG
segment of 70226 bytes is too long"), so ``-o photo.jpg`` failed the input. Now both are left out of JPEG files and
named as lost; other formats keep them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image as PILImage
from PIL import PngImagePlugin

from qualipress.cli import main
from qualipress.io.metadata import read_metadata
from qualipress.pipeline import read_report
from tests.conftest import photo_like


def _png(path: Path, field: str) -> None:
    im = PILImage.fromarray(photo_like(48, 64))
    if field == "xmp":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", '<x:xmpmeta xmlns:x="adobe:ns:meta/">' + "ü" * 45000 + "</x:xmpmeta>")
        im.save(path, pnginfo=info)
    else:
        ex = PILImage.Exif()
        ex[0x010F] = "QA17Cam"
        ex.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + "Ä".encode("utf-16-le") * 35000
        im.save(path, exif=ex.tobytes())


@pytest.mark.parametrize("field", ["xmp", "exif"])
def test_too_long_for_jpeg_is_left_out_and_named(tmp_path: Path, field: str, capsys) -> None:
    _png(tmp_path / "a.png", field)
    rc = main(["compress", str(tmp_path / "a.png"), "-o", str(tmp_path / "a.jpg"), "--codec", "jpeg",
               "--target", "ssim>=0.9", "--report", str(tmp_path / "r.jsonl"), "--json"])
    capsys.readouterr()
    assert rc == 0
    assert field not in read_metadata((tmp_path / "a.jpg").read_bytes(), "jpeg")
    record = read_report(tmp_path / "r.jsonl")[-1]
    assert field not in record["metadata"]["carried"]
    assert any(f"jpeg cannot carry {field}" in d for d in record["decisions"])


def test_other_formats_still_carry_it(tmp_path: Path, capsys) -> None:
    _png(tmp_path / "a.png", "xmp")
    assert main(["compress", str(tmp_path / "a.png"), "-o", str(tmp_path / "a.webp"), "--target", "ssim>=0.9",
                 "--json"]) == 0
    json.loads(capsys.readouterr().out)
    assert len(read_metadata((tmp_path / "a.webp").read_bytes(), "webp")["xmp"]) > 65535
