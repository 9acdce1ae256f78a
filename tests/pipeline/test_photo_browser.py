"""Headless Chromium shows every ``--for web`` output as it shows the input: same orientation, corner, ICC kept.

This is also where :data:`qualipress.pipeline.delivery.WEB_CODECS` is checked: each web codec's file must decode in
the browser, and HEIF must not (if Chromium learns HEIF, the table may grow).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import numpy as np
import pytest

from qualipress import codecs
from qualipress.browser import CHROMIUM_ARGS, chromium_path
from qualipress.cli import main
from qualipress.codecs import jxlicc
from qualipress.io import sniff
from qualipress.io.metadata import read_metadata
from qualipress.pipeline import read_report
from qualipress.pipeline.delivery import WEB_CODECS
from tests.io.test_metadata import SRGB
from tests.pipeline.test_jxl_icc import P3
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


def _unavailable(why: str) -> None:
    """Skip, or fail where the browser is required (``QUALIPRESS_REQUIRE_BROWSER=1``, set by ``.ci/run``)."""
    if os.environ.get("QUALIPRESS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser test required but {why}")
    pytest.skip(why)


@pytest.fixture(scope="module")
def page():
    executable = chromium_path()
    if executable is None:
        _unavailable("Debian chromium is not installed")
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("playwright is not installed")
    with sync_api.sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # a browser that cannot start here is an environment problem
            _unavailable(f"chromium does not start: {exc}")
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


#: Patch centres of :func:`_p3_patches` and what the test compares there.
_PATCH_JS = """async (src) => {
  const im = new Image(); im.src = src;
  try { await im.decode(); } catch (e) { return null; }
  const c = document.createElement('canvas'); c.width = im.naturalWidth; c.height = im.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(im, 0, 0);
  return [[16, 16], [48, 16], [80, 16], [16, 48], [48, 48], [80, 48]].map(
    ([x, y]) => Array.from(g.getImageData(x - 1, y - 1, 3, 3).data.slice(0, 3)));
}"""


def _p3_patches(path: Path) -> np.ndarray:
    """Six flat saturated patches (32x32 each) in a PNG tagged Display P3."""
    from PIL import Image as PILImage

    arr = np.zeros((64, 96, 3), np.uint8)
    colours = [(220, 30, 30), (30, 200, 40), (40, 60, 220), (200, 200, 60), (128, 128, 128), (240, 120, 200)]
    for k, c in enumerate(colours):
        arr[(k // 3) * 32:(k // 3 + 1) * 32, (k % 3) * 32:(k % 3 + 1) * 32] = c
    PILImage.fromarray(arr).save(path, "PNG", icc_profile=P3)
    return np.array(colours)


def test_web_outputs_show_the_colours_of_a_display_p3_input(page, tmp_path: Path) -> None:
    """The ICC half of the goal with a profile that matters: Chromium colour-manages a Display P3 input (its red
    (220, 30, 30) shows as about (241, 0, 0)); every ``--for web`` output must show what the input shows, which it
    does only if its profile (or an equivalent colour description) came along."""
    src = tmp_path / "p3.png"
    raw = _p3_patches(src)
    shown = np.array(page.evaluate(_PATCH_JS, "data:image/png;base64," + base64.b64encode(src.read_bytes()).decode()))
    assert np.abs(shown - raw).max() >= 20  # the profile changes what is displayed
    checked = []
    for codec in [c for c in ("jpeg", "webp", "avif", "jpegxl", "png") if c in WEB_CODECS]:
        out = tmp_path / f"out-{codec}"
        rc = main(["compress", str(src), "-o", str(out), "--codec", codec, "--for", "web", "--target", "ssim>=0.95",
                   "--no-film", "--allow-larger"])
        rec = read_report(out / "qualipress-report.jsonl")[-1]
        if rec.get("error"):
            # only JPEG XL without jxlpy (which writes the profile) may refuse, and it must say so
            assert codec == "jpegxl" and not jxlicc.available() and "Display P3" in rec["error"], (codec, rec["error"])
            continue
        assert rc == 0, codec
        data = Path(rec["output"]).read_bytes()
        got = page.evaluate(_PATCH_JS, f"data:{_MIME[sniff(data[:32])]};base64," + base64.b64encode(data).decode())
        assert got is not None, codec
        assert np.abs(np.array(got) - shown).max() <= 8, (codec, got, shown.tolist())
        checked.append(codec)
    assert {"jpeg", "webp", "avif", "png"} | ({"jpegxl"} if jxlicc.available() else set()) <= set(checked), checked


def test_fractional_avif_renders(page) -> None:
    """A byte budget's AVIF (Pillow's encoder with AOM delta-q strength, :mod:`qualipress.codecs.avifq`)."""
    from qualipress.codecs import avifq

    if not avifq.available():
        pytest.skip("Pillow without AVIF")
    arr = np.zeros((40, 60, 3), np.uint8)
    arr[:10, -10:] = (220, 30, 30)
    data = codecs.get("avif").encode(arr, quality=62.5)
    assert data != codecs.get("avif").encode(arr, quality=62)
    got = render(page, data)
    assert got["ok"] and (got["w"], got["h"]) == (60, 40) and _red(got["tr"]) and not _red(got["tl"])


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


def test_web_outputs_of_a_grey_profiled_input_show_its_grey_levels(page, tmp_path: Path) -> None:
    """Issue 13: a grey image tagged with a grey gamma 1.8 profile; every web codec's output (AVIF and WebP store
    grey as RGB and get the profile's RGB equivalent; lossy JPEG XL is written as RGB too) shows the input's grey
    levels, and ``--codec auto`` keeps every candidate."""
    from PIL import Image as PILImage

    from qualipress.io.iccmake import grey_trc_profile

    levels = (16, 48, 80, 112, 144, 176)
    arr = np.zeros((64, 96), np.uint8)
    for k, v in enumerate(levels):
        arr[(k // 3) * 32:(k // 3 + 1) * 32, (k % 3) * 32:(k % 3 + 1) * 32] = v
    src = tmp_path / "grey.png"
    PILImage.fromarray(arr, "L").save(src, "PNG", icc_profile=grey_trc_profile("Gray gamma 1.8", 1.8))
    shown = np.array(page.evaluate(_PATCH_JS, "data:image/png;base64," + base64.b64encode(src.read_bytes()).decode()))
    assert np.abs(shown[:, 1] - levels).max() >= 15  # the profile changes what is displayed (144 shows as ~164)
    checked = []
    for codec in [c for c in ("jpeg", "jpegli", "webp", "avif", "jpegxl", "png", "auto")
                  if c == "auto" or (c in WEB_CODECS and c in codecs.available_names())]:
        out = tmp_path / f"out-{codec}"
        assert main(["compress", str(src), "-o", str(out), "--codec", codec, "--for", "web", "--target",
                     "psnr>=45", "--no-film", "--allow-larger"]) == 0, codec  # flat patches stay within a code
        rec = read_report(out / "qualipress-report.jsonl")[-1]
        assert "icc" in rec["metadata"]["carried"], (codec, rec["decisions"])
        assert not any("left out" in d for d in rec.get("decisions") or []), (codec, rec["decisions"])
        data = Path(rec["output"]).read_bytes()
        got = page.evaluate(_PATCH_JS, f"data:{_MIME[sniff(data[:32])]};base64," + base64.b64encode(data).decode())
        assert got is not None, codec
        assert np.abs(np.array(got) - shown).max() <= 4, (codec, got, shown.tolist())
        checked.append(codec)
    assert {"jpeg", "webp", "avif", "png", "auto"} <= set(checked), checked


def test_chromium_ignores_webp_exif_orientation_so_a_kept_source_shows_as_the_input(page, tmp_path: Path) -> None:
    """Meta 19: Chromium shows a WebP's stored pixels whatever its EXIF orientation, so a source kept as it is (the
    input's bytes, tag 6) shows there exactly as the input does; a re-encode is upright."""
    from tests.pipeline.test_meta19_webp_orientation import oriented_webp

    src = oriented_webp(tmp_path)
    shown = render(page, src.read_bytes())
    assert (shown["w"], shown["h"]) == (64, 96) and _red(shown["tl"])  # if this fails, Chromium learnt it
    for target, codec, want in (("ssim>=0.99", "source:webp", (64, 96)), ("ssim>=0.80", "webp", (96, 64))):
        out = tmp_path / f"out{codec}"
        assert main(["compress", str(src), "-o", str(out), "--codec", "webp", "--for", "web", "--target", target,
                     "--metadata", "strip" if codec == "webp" else "keep", "--no-film"]) == 0
        rec = read_report(out / "qualipress-report.jsonl")[-1]
        assert rec["codec"] == codec
        got = render(page, Path(rec["output"]).read_bytes())
        assert (got["w"], got["h"]) == want and _red(got["tr"] if codec == "webp" else got["tl"])
