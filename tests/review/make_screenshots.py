"""Make the README screenshots ``docs/img/review_*.png`` (not a test; run by hand).

    python tests/review/make_screenshots.py docs/img

Compresses three Kodak images (../shared/data/kodak, or $QUALIPRESS_DATA/kodak) with ``qualipress compress``
under C1 and C2 into a temporary directory, serves them with the review app and drives headless Debian
Chromium through Playwright with the keyboard, as an evaluator would.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from qualipress.browser import CHROMIUM_ARGS as ARGS
from qualipress.cli import main as qualipress
from qualipress.review.app import build_app
from qualipress.review.pairs import scan_collections
from qualipress.review.server import background_server

IMAGES = ("kodim23.png", "kodim03.png", "kodim07.png")


def _data() -> Path:
    env = os.environ.get("QUALIPRESS_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    kodak = root.resolve() / "kodak"
    if not kodak.is_dir():
        raise SystemExit(f"{kodak} is missing")
    return kodak


def _collections(tmp: Path) -> list[Path]:
    kodak = _data()
    out = []
    for profile in ("C1", "C2"):
        dest = tmp / profile.lower()
        code = qualipress(
            [
                "compress",
                *(str(kodak / n) for n in IMAGES),
                "-o",
                str(dest),
                "--profile",
                profile,
                "--codec",
                "jpeg",
                "--no-film",
            ]
        )
        if code != 0:
            raise SystemExit(f"compress {profile} failed ({code})")
        out.append(dest)
    return out


def _open(browser, url: str, name: str):
    page = browser.new_page(viewport={"width": 1400, "height": 820}, device_scale_factor=1)
    page.goto(url + "/")
    page.fill("#name", name)
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-trial]")
    page.wait_for_timeout(300)
    return page


def main(outdir: str) -> None:
    dest = Path(outdir)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qualipress-shots-") as tmp_name:
        tmp = Path(tmp_name)
        cols = _collections(tmp)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
            # labelled mode: side by side, fitted, a score and artifacts ticked
            app = build_app(scan_collections([cols[1]]), tmp / "labelled.sqlite", blind=False)
            with background_server(app) as url:
                page = _open(browser, url, "Colourist 1")
                for key in ("2", "b", "k"):
                    page.keyboard.press(key)
                page.screenshot(path=str(dest / "review_side.png"))
                # 1:1 pixels, zoomed in twice on a detail, wipe at the middle
                page.keyboard.press("w")
                page.keyboard.press("x")
                page.keyboard.press("+")
                page.keyboard.press("+")
                page.wait_for_timeout(200)
                page.screenshot(path=str(dest / "review_wipe.png"))
                page.close()
            # blind mode: A/B, nothing about the codec, flicker paused on one side
            app = build_app(scan_collections(cols), tmp / "blind.sqlite", blind=True)
            with background_server(app) as url:
                page = _open(browser, url, "Cinematographer 2")
                page.keyboard.press("x")
                page.keyboard.press("3")
                page.keyboard.press("r")
                page.keyboard.press("n")
                page.keyboard.type("ringing along high-contrast edges")
                page.keyboard.press("Escape")
                page.screenshot(path=str(dest / "review_blind.png"))
                page.close()
            browser.close()
    for p in sorted(dest.glob("review_*.png")):
        print(p, p.stat().st_size)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/img")
