"""Decoder compatibility: decode a JPEG with Pillow, OpenCV, imagecodecs and headless Chromium, compare pixels."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from qualipress.browser import CHROMIUM_ARGS, chromium_path
from qualipress.errors import CodecError, CodecUnavailableError


def decode_pillow(data: bytes) -> np.ndarray:
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def decode_opencv(data: bytes) -> np.ndarray:
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if arr is None:
        raise CodecError("OpenCV could not decode the JPEG")
    return np.ascontiguousarray(arr[..., ::-1])


def decode_imagecodecs(data: bytes) -> np.ndarray:
    import imagecodecs

    arr = imagecodecs.jpeg8_decode(data)
    return np.repeat(arr[..., None], 3, axis=2) if arr.ndim == 2 else arr


DECODERS = {"pillow": decode_pillow, "opencv": decode_opencv, "imagecodecs": decode_imagecodecs}


_PAGE_JS = """async (src) => {
  const img = new Image();
  img.src = src;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d', {colorSpace: 'srgb'});
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let s = '';
  for (let i = 0; i < d.length; i += 8192) s += String.fromCharCode.apply(null, d.subarray(i, i + 8192));
  return [img.naturalWidth, img.naturalHeight, btoa(s)];
}"""


def decode_chromium(jpegs: Sequence[bytes]) -> list[np.ndarray]:
    """Decode JPEGs in one headless Chromium page (``<img>`` → canvas → ``getImageData``), RGB arrays.

    Raises
    ------
    CodecUnavailableError
        No chromium or no playwright.
    """
    exe = chromium_path()
    if exe is None:
        raise CodecUnavailableError("Debian chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise CodecUnavailableError("playwright is not installed: pip install playwright") from exc
    out: list[np.ndarray] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.set_content("<html><body></body></html>")
            for data in jpegs:
                src = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
                w, h, b64 = page.evaluate(_PAGE_JS, src)
                rgba = np.frombuffer(base64.b64decode(b64), np.uint8).reshape(h, w, 4)
                out.append(np.ascontiguousarray(rgba[..., :3]))
        finally:
            browser.close()
    return out


def compare_decoders(data: bytes, *, chromium: np.ndarray | None = None) -> dict[str, Any]:
    """Decode with every local decoder (and a Chromium result if given); max abs difference to imagecodecs."""
    ref = decode_imagecodecs(data)
    out: dict[str, Any] = {"size": [int(ref.shape[1]), int(ref.shape[0])]}
    results = {name: fn(data) for name, fn in DECODERS.items()}
    if chromium is not None:
        results["chromium"] = chromium
    for name, arr in results.items():
        same = arr.shape == ref.shape
        out[name] = {
            "decoded": True,
            "same_size": same,
            "max_abs_diff": int(np.abs(arr.astype(np.int16) - ref).max()) if same else None,
        }
    return out
