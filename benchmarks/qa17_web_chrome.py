"""Draw pairs of images in headless Chromium and print how far the second is shown from the first (QA 17 web).

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/qa17_web_chrome.py REFERENCE=OUTPUT [REFERENCE=OUTPUT ...] [--alpha]

Each image is decoded by Chromium (Debian's, through Playwright, as ``tests/pipeline/test_photo_browser.py`` does:
EXIF orientation, ICC profiles and AVIF colour boxes applied) and drawn on a canvas; printed per pair: the mean
absolute difference per channel in 8-bit code values and the 99th percentile of the per-pixel largest channel
difference, or the error (size mismatch, not decoded). ``--alpha`` compares colour multiplied by alpha.
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

from qualipress.browser import CHROMIUM_ARGS, chromium_path
from qualipress.io import sniff

MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif",
        "jpegxl": "image/jxl", "heif": "image/heic"}
JS = """async ([a, b, premultiply]) => {
  const draw = async (src) => { const im = new Image(); im.src = src; await im.decode();
    const c = document.createElement('canvas'); c.width = im.naturalWidth; c.height = im.naturalHeight;
    const g = c.getContext('2d'); g.drawImage(im, 0, 0); return g.getImageData(0, 0, c.width, c.height); };
  let A, B;
  try { A = await draw(a); B = await draw(b); } catch (e) { return {ok: false, error: String(e)}; }
  if (A.width != B.width || A.height != B.height) return {ok: false, size: [A.width, A.height, B.width, B.height]};
  const s = [0, 0, 0]; const hist = new Array(256).fill(0); let n = 0;
  for (let i = 0; i < A.data.length; i += 4) {
    const wa = premultiply ? A.data[i + 3] / 255 : 1, wb = premultiply ? B.data[i + 3] / 255 : 1;
    let m = 0;
    for (let k = 0; k < 3; k++) { const d = Math.round(Math.abs(A.data[i + k] * wa - B.data[i + k] * wb));
      s[k] += d; m = Math.max(m, d); }
    hist[m]++; n++;
  }
  let acc = 0, p99 = 0;
  for (let v = 0; v < 256; v++) { acc += hist[v]; if (acc >= 0.99 * n) { p99 = v; break; } }
  return {ok: true, mean: s.map(v => +(v / n).toFixed(2)), p99};
}"""


def data_url(path: Path) -> str:
    data = path.read_bytes()
    return f"data:{MIME.get(sniff(data[:32]), 'image/png')};base64," + base64.b64encode(data).decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pairs", nargs="+", help="REFERENCE=OUTPUT")
    ap.add_argument("--alpha", action="store_true", help="compare colour multiplied by alpha")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        for pair in args.pairs:
            ref, out = (Path(p) for p in pair.split("=", 1))
            print(out, json.dumps(page.evaluate(JS, [data_url(ref), data_url(out), args.alpha])))
        browser.close()


if __name__ == "__main__":
    main()
