"""The text detector does not take a flat bright disc for text (QA 11 finding 7: ``analyse`` said "text yes" on
synthetic film frames whose only feature was a highlight disc), and still finds text next to it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from qualipress.detect import text as text_mod
from qualipress.detect.regions import region_mask


def _frame(seed: int = 0) -> np.ndarray:
    """A film-like frame: smooth gradients, a bright disc, grain."""
    rng = np.random.default_rng(seed)
    h, w = 540, 1024
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([0.35 + 0.25 * x / w, 0.30 + 0.2 * y / h, 0.28 + 0.15 * (x + y) / (w + h)], -1)
    base[(x - 0.7 * w) ** 2 + (y - 0.3 * h) ** 2 < (0.08 * h) ** 2] = 0.92
    base += rng.normal(0, 5.0 / 1023, base.shape).astype(np.float32)
    return np.rint(np.clip(base, 0, 1) * 255).astype(np.uint8)


def test_a_flat_disc_is_not_text() -> None:
    img = _frame()
    assert text_mod.detect_text(img) == []
    # the network does fire on it: the flat-interior rule is what drops it
    assert text_mod.detect_text(img, flat_std=0.0)


def test_text_beside_the_disc_is_still_found() -> None:
    img = _frame(1)
    cv2.putText(img, "THE END OF REEL ONE", (40, 460), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (235, 235, 235), 3)
    regions = text_mod.detect_text(img)
    m = region_mask(regions, img.shape[:2])
    ink = (img.min(axis=2) > 225) & (np.arange(img.shape[0])[:, None] > 400)
    assert m[ink].mean() > 0.9
    cy, cx = int(0.3 * 540), int(0.7 * 1024)
    assert not m[cy, cx]  # the disc's centre is not text


@pytest.mark.parametrize(("word", "scale", "thick"), [("O", 4.0, 8), ("0 o O", 3.0, 6), ("QUALIPRESS 2026", 1.2, 3)])
def test_round_glyphs_stay_text(word: str, scale: float, thick: int) -> None:
    img = np.full((200, 900, 3), 40, np.uint8)
    cv2.putText(img, word, (20, 130), cv2.FONT_HERSHEY_SIMPLEX, scale, (235, 235, 235), thick)
    assert text_mod.detect_text(img)
