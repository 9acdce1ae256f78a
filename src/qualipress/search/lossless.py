"""Compare a lossy search result with the same codec's lossless file when the lossless file may be smaller.

A lossless file meets every quality target, so the smallest file that meets a target is the lossy result only when
it is smaller than the lossless one. On photographs the lossless file is several times larger and encoding it would
be wasted CPU; on flat, graphic or synthetic images (few colours, large uniform areas) it can be the smaller of the
two (``dpx_nuke_16bits_rgba.dpx``: lossy JPEG XL 7,906 B, lossless 4,053 B).

Rule (measured in ``docs/benchmarks.md`` § QA session 6 and § Fifth pass (lossless6),
``benchmarks/lossless_check.py``): the lossless size is estimated from the first-order entropy of the image's
prediction residuals (median edge detector, as in JPEG-LS) on at most :data:`SAMPLE_PIXELS` pixels, about 1 ms. The
lossless encode is made only when the lossy file is at least :data:`TRY_FRACTION` of that estimate. On Kodak 1-6 and
the hdr_film frames the real lossless JPEG XL file was 0.33-1.18 times the estimate, and the lossy C1 files of
photographs 0.002-0.19 times it. (Always trying small images was rejected: a thumbnail's lossless file rarely wins,
and the estimate already catches the images where it does.)

AVIF's lossless file is never close to the estimate on photographs (0.77-0.88 × it on Kodak 1-6, 0.37 on the
synthetic graphic, 1.4-2.8 on a gradient and the DPX test cards), so AVIF uses its own fraction,
:data:`TRY_FRACTIONS` (0.33).

Second stage for JPEG XL (:func:`fast_lossless_check`, issues 12/13): at SSIM ≥ 0.99 a photograph's lossy file is
0.22-0.52 × the estimate, enough to pass the first stage, and libjxl's effort-7 lossless encode costs 3-5 lossy
encodes. Before making it, the image is encoded losslessly at efforts 1 and 2 (libjxl's fast paths: about 1 % and
3-25 % of the effort-7 time), sizes only. An image is *photo-like* when effort 2 gains little over effort 1
(``e2 >= PHOTO_E2_OVER_E1 × e1``: no palette or repeated structure) and effort 1 is not much larger than the
entropy estimate (``e1 <= PHOTO_E1_OVER_ESTIMATE × estimate``: no smooth structure that only the slower modes
predict). On the 25
measured photo-like images (8 BSD300 training photographs, Kodak 1-6, the hdr_film EXR/TIFF frames) effort 7's file
was at least 0.69 × the smaller fast file (held out: 51 of 52 further photographs photo-like, 0.75-0.93); the
effort-7 encode is skipped when the lossy file is under :data:`FAST_FLOOR` (0.6) × that. On Kodak 1-6 at SSIM ≥ 0.99
this leaves 1 of 4 lossless tries (JPEG XL search 8.2 → 5.5 × one encode; AVIF 3.1 → 2.5 ×). Images that are not
photo-like (a graphic, the DPX test cards, a flat image, a gradient, a 43×73 crop: effort 7 0.03-1.01 × the smaller
fast file, too wide for a bound) always get the effort-7 encode, as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qualipress.errors import QualipressError
from qualipress.io.image import Image

#: Try the lossless encode when the lossy file is at least this fraction of the estimated lossless size.
TRY_FRACTION = 0.25
#: Per-codec fraction where it differs from :data:`TRY_FRACTION`. AVIF: its lossless file was at least 0.37 × the
#: estimate on every measured image (a synthetic graphic; photographs 0.77-0.88), so a lossy file under 0.33 × the
#: estimate cannot lose.
TRY_FRACTIONS: dict[str, float] = {"avif": 0.33}
#: JPEG XL efforts of the cheap sizing encodes of the second stage (:func:`fast_lossless_check`).
FAST_EFFORTS = (1, 2)
#: Photo-like when the effort-2 file is at least this fraction of the effort-1 file (photographs 0.83-1.04,
#: graphics and DPX test cards 0.28-0.40, a gradient 0.75, a flat image 0.67).
PHOTO_E2_OVER_E1 = 0.8
#: ... and the effort-1 file at most this multiple of the entropy estimate (photographs 0.67-1.25, a gradient 5.9).
PHOTO_E1_OVER_ESTIMATE = 1.3
#: On photo-like images effort 7's lossless file was at least 0.69 × the smaller of the effort-1/2 files: skip the
#: effort-7 encode when the lossy file is under this fraction of that.
FAST_FLOOR = 0.6
#: The estimate reads at most about this many pixels (pairs of rows spread over the image).
#: On 12 training photographs 32,768 pixels gave estimates within 0.5 % of those from 262,144 in 0.8 ms instead of
#: 9-18 ms (a tenth of a JPEG XL encode of a 481×321 photograph, paid by every search; docs/benchmarks.md).
SAMPLE_PIXELS = 32_768


def estimate_lossless_bytes(image: Image) -> float:
    """Rough size (bytes) of a lossless encoding of an integer ``image``.

    Each channel is predicted by the median edge detector from its left, upper and upper-left neighbours; the
    estimate is the first-order entropy of the residuals times the number of samples. Real lossless coders model
    context and repetition and usually do better (0.3-0.8 times this on the measured images), rarely worse.

    Parameters
    ----------
    image : Image
        Integer image (as given to a codec).

    Returns
    -------
    float
        Estimated bytes (0 for a uniform image).
    """
    px = image.pixels
    if px.ndim == 2:
        px = px[:, :, None]
    h, w = px.shape[:2]
    if h < 2 or w < 2:
        return float(px.size * image.bit_depth / 8)
    pairs = max(1, min(h - 1, SAMPLE_PIXELS // w))
    starts = np.linspace(0, h - 2, pairs).astype(np.intp)
    up = px[starts].astype(np.int32)
    cur = px[starts + 1].astype(np.int32)
    a, b, c, x = cur[:, :-1], up[:, 1:], up[:, :-1], cur[:, 1:]
    hi, lo = np.maximum(a, b), np.minimum(a, b)
    pred = np.where(c >= hi, lo, np.where(c <= lo, hi, a + b - c))
    bits_per_pixel = 0.0
    for ch in range(px.shape[2]):
        r = (x[..., ch] - pred[..., ch]).ravel()
        counts = np.bincount(r - r.min())
        p = counts[counts > 0] / r.size
        bits_per_pixel += float(-(p * np.log2(p)).sum())
    return bits_per_pixel * h * w / 8


def worth_trying(image: Image, lossy_bytes: int, codec: str | None = None) -> tuple[bool, float]:
    """Whether the lossless file of ``image`` may be smaller than a ``lossy_bytes`` file, and the estimate.

    Parameters
    ----------
    image : Image
        Integer image (as given to the codec).
    lossy_bytes : int
        Size of the lossy result.
    codec : str, optional
        Codec name: its fraction from :data:`TRY_FRACTIONS`, else :data:`TRY_FRACTION`.

    Returns
    -------
    tuple of (bool, float)
        Try the lossless encode; the estimated lossless size (bytes).
    """
    estimate = estimate_lossless_bytes(image)
    return lossy_bytes >= TRY_FRACTIONS.get(codec or "", TRY_FRACTION) * estimate, estimate


def fast_lossless_check(codec: Any, image: Image, lossy_bytes: int, estimate: float,
                        options: dict[str, Any] | None = None) -> tuple[bool, str]:
    """Second stage for JPEG XL: whether the effort-7 lossless file may still be smaller than the lossy one.

    Encodes ``image`` losslessly at :data:`FAST_EFFORTS` (sizes only; nothing is decoded). Other codecs, and a
    JPEG XL search whose ``effort`` option is under 7 (the measured bound is for effort 7 and above), are not
    checked.

    Parameters
    ----------
    codec : Codec
        The search's codec.
    image : Image
        Integer image (as given to the codec).
    lossy_bytes : int
        Size of the lossy result.
    estimate : float
        :func:`estimate_lossless_bytes` of ``image``.
    options : dict, optional
        The search's codec options (``effort`` is replaced).

    Returns
    -------
    tuple of (bool, str)
        Make the full lossless encode; why (empty when not checked).
    """
    opts = dict(options or {})
    if codec.name != "jpegxl" or int(opts.get("effort", 7)) < 7:
        return True, ""
    try:
        e1, e2 = (len(codec.encode(image, quality=None, lossless=True, **{**opts, "effort": e}))
                  for e in FAST_EFFORTS)
    except QualipressError:
        return True, ""
    photo_like = e2 >= PHOTO_E2_OVER_E1 * e1 and e1 <= PHOTO_E1_OVER_ESTIMATE * estimate
    bound = min(e1, e2)
    why = (f"fast lossless effort 1/2: {e1:,}/{e2:,} B, {'photo-like' if photo_like else 'not photo-like'}, "
           f"lossy {lossy_bytes / bound:.2f} x the smaller")
    return not photo_like or lossy_bytes >= FAST_FLOOR * bound, why


def smaller_of(runner: Any, result: Any) -> Any:
    """``result``, or the codec's lossless file when that is smaller and meets the target too.

    ``runner`` is the search's ``_Runner`` and ``result`` its ``SearchResult`` (typed ``Any``: this module is
    imported by :mod:`qualipress.search.search` and must not import it back).

    Only a lossy result that met the target is compared, with codecs that have a lossless mode, and only when
    :func:`worth_trying` says so. Either way the result's ``notes`` say what was tried; the lossless probe is in
    ``probes``.
    """
    codec = runner.codec
    if not result.met or result.lossless or result.beaten is not None or not codec.info.lossless:
        return result
    lossy = len(result.data)
    try_it, estimate = worth_trying(runner.encodable, lossy, codec.name)
    if not try_it:
        return result
    why = f"lossless tried: lossy file {lossy / max(estimate, 1.0):.2f} x the estimated lossless size {estimate:,.0f} B"
    try_it, fast = fast_lossless_check(codec, runner.encodable, lossy, estimate, runner.options)
    if fast:
        why = f"{why}; {fast}"
    if not try_it:
        result.notes = [*result.notes, f"{codec.name}: kept lossy {lossy:,} B without the full lossless encode "
                        f"({why.replace('lossless tried: ', '')})"]
        return result
    probe = runner.run(None, lossless=True)
    if probe.passed and probe.bytes < lossy:
        out = runner.result(probe, met=True, hint=getattr(result, "hint", None))
        out.fallback = f"{codec.name} lossless {probe.bytes:,} B is smaller than lossy {lossy:,} B"
        out.notes = [*result.notes, f"{codec.name}: kept lossless {probe.bytes:,} B, smaller than the lossy "
                     f"result {lossy:,} B ({why})"]
        return out
    runner.drop_pixels(probe)
    result.probes = list(runner.probes)
    result.notes = [*result.notes, f"{codec.name}: kept lossy {lossy:,} B, lossless {probe.bytes:,} B is not "
                    f"smaller ({why})"]
    return result
