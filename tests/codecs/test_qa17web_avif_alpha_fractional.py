"""QA 17 (web): a fractional AVIF quality (Pillow's encoder, AOM's delta-q strength) is used for opaque images only.
With alpha, Pillow's encoder coded the alpha plane lossily where imagecodecs' integer encodes keep it whole: on a
640×480 photo with an alpha ramp, quality 54 gave 49,150 bytes, 55 gave 50,283 and 54.5 gave 19,253, so
``--target bytes<=50k`` ended 58 % under the budget and ``bytes<=20k`` found no fitting setting at all."""

from __future__ import annotations

import numpy as np

from qualipress import codecs
from qualipress.codecs import avifq
from qualipress.io import as_image
from tests.conftest import photo_like


def _rgba() -> np.ndarray:
    rgb = photo_like(96, 128)
    alpha = np.clip(np.linspace(-60, 400, 128), 0, 255).astype(np.uint8)[None, :].repeat(96, 0)
    return np.dstack([rgb, alpha])


def test_fractional_settings_with_alpha_lie_between_their_integer_neighbours() -> None:
    codec = codecs.get("avif")
    image = as_image(_rgba())
    low, high = (len(codec.encode(image, quality=q)) for q in (40, 41))
    middle = len(codec.encode(image, quality=40.5))
    assert min(low, high) * 0.97 <= middle <= max(low, high) * 1.03, (low, middle, high)


def test_opaque_images_keep_the_fractional_path() -> None:
    if not avifq.available():
        return
    n = next(q for q in range(40, 70) if not avifq.same_quantizer(q, q + 1))
    codec = codecs.get("avif")
    image = as_image(photo_like(96, 128))
    sizes = {t: len(codec.encode(image, quality=n + t)) for t in (0.1, 0.9)}
    assert sizes[0.1] != sizes[0.9]  # the strength moves the size inside a quality step
