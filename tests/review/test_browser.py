"""Real-browser end-to-end test: headless Debian Chromium driven by Playwright scores a pair by keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.browser import CHROMIUM_ARGS, chromium_path
from qualipress.review.app import build_app
from qualipress.review.db import ReviewDB
from qualipress.review.pairs import scan_collections
from qualipress.review.server import background_server


def _chromium() -> str:
    path = chromium_path()
    if not path:
        pytest.skip("Debian chromium is not installed")
    return path


@pytest.fixture
def browser():
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # a browser that cannot start here is an environment problem, not ours
            pytest.skip(f"chromium does not start: {exc}")
        try:
            yield b
        finally:
            b.close()


@pytest.mark.browser
@pytest.mark.parametrize("blind", [False, True])
def test_keyboard_scoring_reaches_sqlite(browser, collection: Path, tmp_path: Path, blind: bool) -> None:
    db = ReviewDB(tmp_path / "e2e.sqlite")
    app = build_app(scan_collections([collection]), db, blind=blind)
    with background_server(app) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(url + "/")
        page.fill("#name", "Playwright Evaluator")
        page.keyboard.press("Enter")
        page.wait_for_selector("body[data-trial]")
        first = page.get_attribute("body", "data-trial")
        tags = (page.inner_text("#tagL"), page.inner_text("#tagR"))
        assert tags == (("A", "B") if blind else ("original", "compressed"))
        # both images decoded by the browser
        assert page.evaluate(
            "() => [...document.querySelectorAll('img.imgL, img.imgR')].every(i => i.complete && i.naturalWidth === 48)"
        )
        # flicker: Space swaps which image is visible (and says which one it is)
        page.keyboard.press("f")
        page.keyboard.press("Space")
        shown = page.inner_text("#tagS")
        page.keyboard.press("Space")
        assert {shown, page.inner_text("#tagS")} == set(tags)
        # view controls by keyboard: flicker, wipe, 1:1, zoom, back to side by side
        for key in ("f", "Space", "w", "]", "x", "+", "ArrowLeft", "z", "s"):
            page.keyboard.press(key)
        assert page.inner_text("#zoomLevel").endswith("%")
        # the two side-by-side layers share one transform (synchronised zoom and pan)
        page.keyboard.press("x")
        page.keyboard.press("ArrowRight")
        transforms = page.evaluate("() => [...document.querySelectorAll('#side .layer')].map(l => l.style.transform)")
        assert len(transforms) == 2 and transforms[0] == transforms[1] and "scale(1)" in transforms[0]
        # score 3, tick banding (B) and blur (L), comment via N ... Esc, save with Enter
        page.keyboard.press("3")
        page.keyboard.press("b")
        page.keyboard.press("l")
        page.keyboard.press("n")
        page.keyboard.type("bands in the gradient")
        page.keyboard.press("Escape")
        page.keyboard.press("Enter")
        page.wait_for_function("t => document.body.dataset.trial !== t", arg=first)
        assert page.inner_text("#progress").startswith("1 / 6")
        page.close()
    rows = db.judgements()
    assert len(rows) == 1
    row = rows[0]
    assert row["score"] == 3 and row["artifacts"] == ["banding", "blur"]
    assert row["comment"] == "bands in the gradient" and row["evaluator"] == "Playwright Evaluator"
    assert row["blind"] is blind
    assert row["elapsed_ms"] is not None and row["elapsed_ms"] > 0
    assert all(r.startswith(url) for r in requests), [r for r in requests if not r.startswith(url)]
    assert errors == []


@pytest.mark.browser
def test_one_to_one_means_device_pixels(browser, collection: Path, tmp_path: Path) -> None:
    app = build_app(scan_collections([collection]), tmp_path / "dpr.sqlite", blind=True)
    with background_server(app) as url:
        page = browser.new_page(viewport={"width": 1000, "height": 700}, device_scale_factor=2)
        page.goto(url + "/")
        page.fill("#name", "hidpi")
        page.keyboard.press("Enter")
        page.wait_for_selector("body[data-trial]")
        page.keyboard.press("x")
        transform = page.evaluate("() => document.querySelector('#side .layer').style.transform")
        assert "scale(0.5)" in transform  # one image pixel per device pixel on a 2x screen
        assert page.inner_text("#zoomLevel") == "100%"
        page.keyboard.press("+")
        assert page.evaluate("() => document.getElementById('stage').classList.contains('pixelated')") is False
        page.keyboard.press("+")  # 156 % of device pixels: drawn as blocks, not smoothed
        assert page.evaluate("() => document.getElementById('stage').classList.contains('pixelated')") is True
        page.close()
