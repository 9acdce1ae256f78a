"""Headless Chromium shows every ``--for web`` output as it shows the input: same orientation, corner, ICC kept.

This is also where :data:`qualipress.pipeline.delivery.WEB_CODECS` is checked: each web codec's file must decode in
the browser, and HEIF must not (if Chromium learns HEIF, the table may grow).
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest

from qualipress import codecs
from qualipress.browser import CHROMIUM_ARGS, chromium_path
from qualipress.cli import main
from qualipress.io import sniff
from qualipress.io.metadata import read_metadata
from qualipress.pipeline import read_report
from qualipress.pipeline.delivery import WEB_CODECS
from tests.io.test_metadata import SRGB
from tests.pipeline.test_photo import oriented_photo

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif",
         "jpegxl": "image/jxl", "heif": "image/heic"}

#: Draws an image on a canvas (EXIF orientation applied, as for <img>) and returns its size and the RGB of
#: 3x3-pixel patches near each corner.
_RENDER = """async (src) => {
  const im = new Image(); im.src = src;
  try { await im.decode(); } catch (e) { return {ok: false, error: String(e)}; }
  const w = im.naturalWidth, h = im.naturalHeight;
  const c = document.createElement('canvas'); c.width = w; c.height = h;
  const g = c.getContext('2d'); g.drawImage(im, 0, 0);
  const at = (x, y) => Array.from(g.getImageData(x, y, 3, 3).data.slice(0, 3));
  return {ok: true, w, h, tl: at(4, 4), tr: at(w - 8, 4), bl: at(4, h - 8), br: at(w - 8, h - 8)};
}"""


@pytest.fixture(scope="module")
def page():
    executable = chromium_path()
    if executable is None:
        pytest.skip("Debian chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # a browser that cannot start here is an environment problem
            pytest.skip(f"chromium does not start: {exc}")
        yield browser.new_page()
        browser.close()


def render(page, data: bytes) -> dict:
    fmt = sniff(data[:32])
    return page.evaluate(_RENDER, f"data:{_MIME[fmt]};base64," + base64.b64encode(data).decode())


def _red(rgb: list[int]) -> bool:
    return rgb[0] > 150 and rgb[1] < 110 and rgb[2] < 110


def test_web_outputs_display_like_the_input(page, tmp_path: Path) -> None:
    src = tmp_path / "photo.jpg"
    oriented_photo(src)  # stored 64x96, EXIF orientation 6: shows 96x64 with the red corner top right
    shown = render(page, src.read_bytes())
    assert shown["ok"] and (shown["w"], shown["h"]) == (96, 64)
    assert _red(shown["tr"]) and not _red(shown["tl"])
    web = [c for c in ("jpeg", "webp", "avif", "jpegxl", "png") if c in WEB_CODECS]
    for codec in web:
        out = tmp_path / f"out-{codec}"
        assert main(["compress", str(src), "-o", str(out), "--codec", codec, "--for", "web", "--target",
                     "ssim>=0.9", "--no-film", "--allow-larger"]) == 0
        rec = read_report(out / "qualipress-report.jsonl")[-1]
        data = Path(rec["output"]).read_bytes()
        got = render(page, data)
        assert got["ok"], (codec, got)
        assert (got["w"], got["h"]) == (96, 64), codec
        assert _red(got["tr"]) and not _red(got["tl"]), (codec, got)
        for corner in ("tl", "bl", "br"):  # colour as the input shows it
            assert np.abs(np.subtract(got[corner], shown[corner])).max() <= 24, (codec, corner, got, shown)
        if codec != "jpegxl":  # JPEG XL signals sRGB in its codestream instead of an ICC profile
            assert read_metadata(data, sniff(data[:32])).get("icc_profile") == SRGB, codec


def test_heif_is_not_shown_so_not_a_web_codec(page) -> None:
    try:
        heif = codecs.get("heif")
    except Exception as exc:
        pytest.skip(str(exc))
    data = heif.encode(np.full((32, 32, 3), 100, np.uint8), quality=80)
    assert not render(page, data)["ok"]
    assert "heif" not in WEB_CODECS


def test_avif_with_embedded_icc_still_renders(page) -> None:
    """The AVIF ICC property is added by rewriting boxes: Chromium must still decode the file."""
    from qualipress.io.metadata import Carry

    arr = np.zeros((40, 60, 3), np.uint8)
    arr[:10, -10:] = (220, 30, 30)
    data = codecs.get("avif").encode(arr, quality=80, metadata=Carry(SRGB))
    got = render(page, data)
    assert got["ok"] and (got["w"], got["h"]) == (60, 40) and _red(got["tr"])


def test_deep_jpegxl_shows_the_same_light_as_its_8_bit_twin(page) -> None:
    """QA: imagecodecs tagged 16-bit JPEG XL linear light, so Chromium showed sRGB mid-grey (128) as 187."""
    from qualipress.io import Image

    grey = np.zeros((32, 48, 3), np.uint16)
    grey[...] = (128 * 257, 64 * 257, 200 * 257)
    for bits, px in ((16, grey), (10, grey >> 6)):
        for kw in ({"quality": 1.0}, {"lossless": True}):
            data = codecs.get("jpegxl").encode(Image(np.ascontiguousarray(px), bits, "srgb"), **kw)
            shown = render(page, data)
            assert shown["ok"], shown
            assert np.abs(np.array(shown["tl"]) - [128, 64, 200]).max() <= 3, (bits, kw, shown["tl"])
