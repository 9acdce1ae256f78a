"""Compare a lossy search result with the same codec's lossless file when the lossless file may be smaller.

A lossless file meets every quality target, so the smallest file that meets a target is the lossy result only
when it is smaller than the lossless one. On photographs the lossless file is several times larger and encoding
it would be wasted CPU; on flat, graphic or synthetic images (few colours, large uniform areas) it can be the
smaller of the two (``dpx_nuke_16bits_rgba.dpx``: lossy JPEG XL 7,906 B, lossless 4,053 B).

Rule (measured in ``docs/benchmarks.md`` § Lossy vs lossless, ``benchmarks/lossless_check.py``): the lossless size
is estimated from the first-order entropy of the image's prediction residuals (median edge detector, as in
JPEG-LS) on at most :data:`SAMPLE_PIXELS` pixels, about 1 ms. The lossless encode is made only
when the lossy file is at least :data:`TRY_FRACTION` of that estimate. On Kodak 1-6 and the hdr_film frames the
real lossless JPEG XL file was 0.33-1.18 times the estimate, and the lossy C1 files of photographs 0.002-0.19
times it. (Always trying small images was rejected: a thumbnail's lossless file rarely wins, and the estimate
already catches the images where it does.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qualipress.io.image import Image

#: Try the lossless encode when the lossy file is at least this fraction of the estimated lossless size.
TRY_FRACTION = 0.25
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


def worth_trying(image: Image, lossy_bytes: int) -> tuple[bool, float]:
    """Whether the lossless file of ``image`` may be smaller than a ``lossy_bytes`` file, and the estimate.

    Returns
    -------
    tuple of (bool, float)
        Try the lossless encode; the estimated lossless size (bytes).
    """
    estimate = estimate_lossless_bytes(image)
    return lossy_bytes >= TRY_FRACTION * estimate, estimate


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
    try_it, estimate = worth_trying(runner.encodable, lossy)
    if not try_it:
        return result
    why = f"lossless tried: lossy file {lossy / max(estimate, 1.0):.2f} x the estimated lossless size {estimate:,.0f} B"
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
