"""Perceptual encodings: metrics never compare linear light.

Integer images (sRGB, Rec.709, log/Cineon film scans, PQ) are already perceptually coded, so they are only
normalised to [0, 1]. Float images holding linear scene light are encoded with SMPTE ST 2084 (PQ), mapping linear
1.0 to :data:`PQ_REFERENCE_NITS` cd/m²: PQ is designed to be perceptually uniform over 0–10 000 cd/m², so it keeps
highlights far above 1.0 (EXR scenes reach several hundred) without clipping, unlike sRGB.
"""

from __future__ import annotations

import numpy as np

from qualipress.io.image import Image

#: Linear value 1.0 maps to this luminance before PQ coding (a diffuse-white convention).
PQ_REFERENCE_NITS = 100.0

_M1 = 2610 / 16384
_M2 = 2523 / 4096 * 128
_C1 = 3424 / 4096
_C2 = 2413 / 4096 * 32
_C3 = 2392 / 4096 * 32


def pq_encode(linear: np.ndarray, *, reference_nits: float = PQ_REFERENCE_NITS) -> np.ndarray:
    """Linear light (1.0 = ``reference_nits``) to PQ code values in [0, 1] (float32)."""
    y = np.clip(np.asarray(linear, dtype=np.float32) * np.float32(reference_nits / 10000.0), 0.0, 1.0)
    yp = np.power(y, np.float32(_M1))
    return np.power((_C1 + _C2 * yp) / (1.0 + _C3 * yp), np.float32(_M2)).astype(np.float32)


def pq_decode(code: np.ndarray, *, reference_nits: float = PQ_REFERENCE_NITS) -> np.ndarray:
    """Inverse of :func:`pq_encode`."""
    e = np.power(np.clip(np.asarray(code, dtype=np.float32), 0.0, 1.0), np.float32(1.0 / _M2))
    y = np.power(np.maximum(e - _C1, 0.0) / (_C2 - _C3 * e), np.float32(1.0 / _M1))
    return (y * np.float32(10000.0 / reference_nits)).astype(np.float32)


#: ``Image.metadata`` key saying how an alpha channel relates to the colour: :data:`PREMULTIPLIED` (colour already
#: multiplied by alpha, "associated": OpenEXR, TIFF ExtraSamples = 1) or :data:`STRAIGHT` (colour independent of
#: alpha: PNG, WebP, AVIF, JPEG XL, TIFF ExtraSamples = 2, DPX). When absent, float images are premultiplied
#: (OpenEXR's convention) and integer images straight.
ALPHA_KEY = "alpha"
PREMULTIPLIED = "premultiplied"
STRAIGHT = "straight"


def alpha_premultiplied(image: Image) -> bool:
    """Whether ``image`` has an alpha channel whose colour planes are already multiplied by it.

    Premultiplied colour is what the image adds over any background: it is visible even where alpha is 0
    (OpenEXR's emitted light, e.g. a candle flame). Straight colour where alpha is 0 is never seen.
    """
    if not image.has_alpha:
        return False
    kind = image.metadata.get(ALPHA_KEY)
    if kind in (PREMULTIPLIED, STRAIGHT):
        return kind == PREMULTIPLIED
    return image.is_float


def perceptual_clipping(image: Image) -> str | None:
    """What :func:`to_perceptual` clips away from a float image's colour, said in words, or None.

    PQ has no negative light and stops at 10 000 cd/m² (linear 100, with 1.0 = :data:`PQ_REFERENCE_NITS` cd/m²);
    float images marked perceptual are clipped to [0, 1]. Every output of such an image holds the clipped values,
    lossless codecs included (ACES or VFX EXRs use negative values for colours outside the gamut).
    """
    if not image.is_float:
        return None
    px = image.color().pixels
    top = 10000.0 / PQ_REFERENCE_NITS if image.transfer == "linear" else 1.0
    low, high = int(np.count_nonzero(px < 0)), int(np.count_nonzero(px > top))
    if not low and not high:
        return None
    parts = ([f"{low:,} negative sample(s) (min {float(px.min()):.4g}) to 0"] if low else []) + \
        ([f"{high:,} sample(s) above {top:g} (max {float(px.max()):.4g}) to {top:g}"] if high else [])
    coding = "PQ" if image.transfer == "linear" else "[0, 1]"
    return f"float values outside what {coding} coding holds are clipped in every output: {' and '.join(parts)}"


def to_perceptual(image: Image) -> np.ndarray:
    """Pixels as float32 in [0, 1] in a perceptual encoding (alpha excluded).

    Integer images are divided by their nominal peak; linear float images are PQ-coded; float images already
    marked as perceptual (``transfer`` other than ``"linear"``) are clipped to [0, 1].
    """
    px = image.color().pixels
    if image.is_float:
        if image.transfer == "linear":
            return pq_encode(px)
        return np.clip(px, 0.0, 1.0).astype(np.float32)
    # converted, then scaled in place (float32 products): no second array
    out = px.astype(np.float32)
    out *= np.float32(1.0 / image.max_value)
    return out


def seen_colour(image: Image, *, straight: bool | None = None) -> np.ndarray:
    """The colour a viewer sees, as the metrics and the film checks compare it: :func:`to_perceptual`, multiplied
    by the image's own alpha when that alpha is straight (not :func:`alpha_premultiplied`), i.e. the colour
    composited over black; premultiplied colour is already that. ``straight`` overrides the image's own flag (a
    decoded image is read the way its reference is).

    Returns
    -------
    numpy.ndarray
        float32 (H, W, C) in [0, 1] (alpha excluded).
    """
    px = to_perceptual(image)
    if image.has_alpha and ((not alpha_premultiplied(image)) if straight is None else straight):
        a = image.alpha().astype(np.float32) * np.float32(1.0 / image.max_value)
        px = px * (a[..., None] if px.ndim == 3 else a)
    return px


#: Bits per sample of the integer perceptual coding float sources are given to codecs in.
PERCEPTUAL_BITS = 16


def to_perceptual_image(image: Image, *, bit_depth: int = PERCEPTUAL_BITS) -> Image:
    """An integer image in the perceptual encoding, for codecs that store integers.

    Integer inputs are returned unchanged. Float inputs become ``bit_depth``-bit PQ (``transfer="pq"``) for linear
    data, or the same code values quantised for data already perceptual. Alpha is kept (clipped to [0, 1]).
    """
    if not image.is_float:
        return image
    peak = (1 << bit_depth) - 1
    coded = to_perceptual(image)
    if image.has_alpha:
        coded = np.concatenate([coded, np.clip(image.pixels[..., -1:], 0.0, 1.0)], axis=-1)
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    q = np.rint(coded * peak).astype(dtype)
    transfer = "pq" if image.transfer == "linear" else image.transfer
    meta = dict(image.metadata, perceptual=f"{transfer} {bit_depth}-bit from float")
    if image.has_alpha:
        # the integer copy keeps the float source's alpha semantics (premultiplied unless said otherwise)
        meta[ALPHA_KEY] = PREMULTIPLIED if alpha_premultiplied(image) else STRAIGHT
    return Image(q, bit_depth, transfer, image.colorspace, meta, image.source)
