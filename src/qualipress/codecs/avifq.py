"""Fractional AVIF quality: AOM's delta-q strength fills the size gap between two quantizer steps.

libavif maps its integer quality 0–100 onto AOM's 64 quantizers, so two neighbouring steps differ by 3.5–10 % of
the file and a byte budget cannot be filled closer than that on the integer grid. Pillow's native AVIF encoder (the
same libavif, with AOM 3.14) passes codec options through (``advanced``), and one of them moves the size
monotonically between two steps: ``deltaq-strength``, the percentage (default 100) by which AOM scales its
per-superblock quantizer offsets (delta-q, on by default for still images). Lowering it lowers the size and the
quality together, a little below the rate-quality curve of the quantizer steps (measured in ``docs/benchmarks.md``,
"Byte budgets, second round").

A setting ``n + t`` (``0 < t < 1``) therefore encodes libavif quality ``n + 1`` with strength ``STRENGTH_FLOOR + t *
(100 - STRENGTH_FLOOR)``, rising to quality ``n + 1`` itself. How much a strength change moves the size depends on
the image and the quality (measured in ``docs/benchmarks.md``, "Byte budgets"), so no fixed floor makes ``n + 0.01``
the size of quality ``n``: the floor is low enough that the segment always starts below quality ``n``'s file and
every size between the two steps is reachable, and sizes rise with ``t`` inside the segment. Just above an integer
the file is therefore smaller than at the integer: the fractional settings are a tool for byte budgets
(:func:`qualipress.search.budget.budget_search` bisects inside one segment and keeps the fitting probe of the
highest quality), not a finer quality scale to type by hand. Per byte the strength is a little less efficient than
the quantizer: a point between the two steps' sizes lies a median 0.0006 SSIM (Kodak) under the line joining them,
and a quarter of such points are no better than quality ``n``. When ``n`` and ``n + 1`` share a quantizer (libavif
has more qualities than quantizers) the setting is quality ``n`` itself. Which qualities share a quantizer is
measured once per process on a small noise image (:func:`quantizer_steps`), so the rule follows the installed
libavif rather than a copy of its formula. Integer settings are not handled here: the AVIF codec keeps encoding them
with imagecodecs (the same libavif, another AOM build; sizes within about 1 %).
"""

from __future__ import annotations

import io
import math
from functools import lru_cache

import numpy as np

from qualipress.errors import CodecError, backend_available

#: deltaq-strength (percent) used just above an integer quality; 100 (AOM's default) is reached at the next one.
#: At quality n + 1, strength 50 gave 0.83-1.01 times quality n's file and 25 gave 0.70-0.96 times (kodim02/03,
#: n = 29 and 90); with 20, n + 0.1 started below quality n in 23 of 25 measured pairs (``benchmarks/photo_pipeline.py
#: avif-frac``, docs/benchmarks.md).
STRENGTH_FLOOR = 20


def available() -> bool:
    """True when Pillow has its native AVIF encoder with AOM (Pillow ≥ 11.3 built with libavif; the option names
    here are AOM's)."""
    return backend_available("PIL._avif", lambda avif: avif.encoder_codec_available("aom"))


def _pillow_encode(px: np.ndarray, quality: int, speed: int, strength: int | None = None) -> bytes:
    from PIL import Image as PILImage

    im = PILImage.fromarray(np.ascontiguousarray(px))
    buf = io.BytesIO()
    adv = [("deltaq-strength", str(int(strength)))] if strength is not None else None
    try:
        im.save(buf, "AVIF", quality=int(quality), speed=int(speed), subsampling="4:4:4", max_threads=2,
                codec="aom", advanced=adv)
    except (OSError, ValueError) as exc:
        raise CodecError(f"avif (Pillow): {exc}") from exc
    return buf.getvalue()


@lru_cache(maxsize=1)
def quantizer_steps() -> tuple[int, ...]:
    """The integer qualities at which libavif moves to a new quantizer (0 first), as the installed library does it.

    Measured once on a 32×32 noise image (every quantizer gives it a different size): the qualities where the
    size changes. 101 tiny encodes, about 0.3 s.
    """
    noise = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    steps, prev = [], None
    for q in range(101):
        size = len(_pillow_encode(noise, q, speed=10))
        if size != prev:
            steps.append(q)
            prev = size
    return tuple(steps)


def same_quantizer(a: int, b: int) -> bool:
    """True when libavif qualities ``a`` and ``b`` use the same quantizer."""
    steps = quantizer_steps()
    return sum(s <= a for s in steps) == sum(s <= b for s in steps)


def strength_for(fraction: float) -> int:
    """deltaq-strength for the fractional part ``fraction`` (0 < fraction < 1) of a setting."""
    return int(round(STRENGTH_FLOOR + fraction * (100 - STRENGTH_FLOOR)))


def encode_fractional(px: np.ndarray, quality: float, speed: int) -> bytes:
    """8-bit AVIF (4:4:4, as imagecodecs writes) of ``px`` at a non-integer quality.

    Parameters
    ----------
    px : numpy.ndarray
        H×W×3 or H×W×4 uint8.
    quality : float
        0–99, not an integer.
    speed : int
        AOM speed 0–10.
    """
    n = math.floor(quality)
    t = quality - n
    if n + 1 >= 100 or same_quantizer(n, n + 1):  # 100 is lossless in libavif
        return _pillow_encode(px, min(n, 99), speed)
    return _pillow_encode(px, n + 1, speed, strength_for(t))
