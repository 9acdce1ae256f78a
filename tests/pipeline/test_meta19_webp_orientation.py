"""Meta 19: a WebP source with EXIF orientation 6 was kept as it is (``source:webp``, tag 6 on the stored pixels)
when it was the smallest candidate, while the decisions said "outputs are upright with orientation 1". Chromium
ignores a WebP's EXIF orientation (tests/pipeline/test_photo_browser.py checks it) and EXIF-honouring viewers turn
the file, so one of them showed it sideways. Now such a source is not a never-grow candidate: every output holds
upright pixels and orientation 1, which both show the same way."""

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


def test_oriented_webp_source_is_not_kept_sideways(tmp_path: Path) -> None:
    src = oriented_webp(tmp_path)
    out = tmp_path / "out"  # a strict target: the small source itself would win as source:webp
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp", "--target", "ssim>=0.99", "--no-film"]) == 0
    rec = read_report(out / "qualipress-report.jsonl")[-1]
    assert rec["codec"] == "webp"
    data = Path(rec["output"]).read_bytes()
    assert read_metadata(data, "webp")["orientation"] == 1
    with PILImage.open(io.BytesIO(data)) as im:  # stored upright: no viewer needs the tag
        assert im.size == (96, 64)
        assert im.convert("RGB").getpixel((92, 4))[0] > 150
    assert any("which browsers ignore in WebP" in d for d in rec["decisions"])
