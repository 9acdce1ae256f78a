"""Meta 19 (lead's revision): a WebP source with EXIF orientation 6 that wins as ``source:webp`` is the input's
bytes, tag included, so it shows as the input does in every viewer (Chromium ignores the tag in WebP, in the input as
in the copy; tests/pipeline/test_photo_browser.py checks it) and the never-grow rule holds. The decisions used to say
"outputs are upright with orientation 1" for it; they now say the kept source keeps its tag."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.io.metadata import read_metadata
from qualipress.pipeline import read_report
from tests.pipeline.test_photo import _exif, oriented_photo


def oriented_webp(tmp_path: Path) -> Path:
    arr = oriented_photo(tmp_path / "p.jpg")  # stored 64x96 with a red top-left corner, shown 96x64
    buf = io.BytesIO()
    PILImage.fromarray(arr).save(buf, "WEBP", quality=60, exif=_exif(6).tobytes())
    src = tmp_path / "q.webp"
    src.write_bytes(buf.getvalue())
    return src


def test_oriented_webp_source_kept_with_its_tag_and_said(tmp_path: Path) -> None:
    src = oriented_webp(tmp_path)
    out = tmp_path / "out"  # a strict target: the small source itself wins as source:webp
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp", "--target", "ssim>=0.99", "--no-film"]) == 0
    rec = read_report(out / "qualipress-report.jsonl")[-1]
    assert rec["codec"] == "source:webp"
    data = Path(rec["output"]).read_bytes()
    assert data == src.read_bytes() and read_metadata(data, "webp")["orientation"] == 6  # never grown
    assert any("a source kept as it is keeps its tag" in d for d in rec["decisions"])
    assert not any(d.endswith("outputs are upright with orientation 1") for d in rec["decisions"])


def test_oriented_webp_reencode_is_upright(tmp_path: Path) -> None:
    src = oriented_webp(tmp_path)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp", "--target", "ssim>=0.80", "--no-film",
                 "--metadata", "strip"]) == 0
    rec = read_report(out / "qualipress-report.jsonl")[-1]
    assert rec["codec"] == "webp"
    with PILImage.open(io.BytesIO(Path(rec["output"]).read_bytes())) as im:  # stored upright: no viewer needs a tag
        assert im.size == (96, 64)
        assert im.convert("RGB").getpixel((92, 4))[0] > 150
