"""The processing pool: classical image → image methods a label may combine.

Every method takes an :class:`~qualipress.io.Image` and returns a new one with the same shape, dtype, bit depth
and value range (integers are rounded and clipped to ``0 .. 2**bit_depth - 1``). Colour is processed, an alpha
channel is passed through untouched, greyscale images are processed as one channel. Float (scene-referred)
images are refused: convert them with :func:`qualipress.io.to_perceptual_image` first, as for the codecs.

The methods are deliberately *mild*: the labelling step picks, per image, the combination that trades quality
against bits best, so a method only has to be useful for some images.

=============  ====================================================================================================
``nlm``        OpenCV non-local-means denoising (``fastNlMeansDenoisingColored`` for 8-bit colour,
               ``fastNlMeansDenoising`` with an L1 norm for 16-bit and greyscale), h = 3/255 of full range.
``detail``     PIL ``ImageFilter.DETAIL``-style high-pass enhancement: the kernel
               ``[[0,-1,0],[-1,10,-1],[0,-1,0]] / 6`` applied to every channel.
``bilateral``  OpenCV bilateral filter (d = 5, range sigma 12/255 of full range, space sigma 3 px) on float data.
``guided``     Self-guided edge-preserving smoothing (He et al. 2010), radius 2, eps = (0.03)², per channel.
``deblock``    JPEG-artifact removal: an H.264-style weak edge filter across the 8×8 block grid that only
               smooths steps smaller than 10/255 of the range (true edges are kept).
``deadzone``   Guetzli-style coefficient dead-zone: on the 8×8 JPEG grid, luma AC DCT coefficients below 0.7 × the
               libjpeg q75 quantisation step are zeroed (chroma unchanged). Codec-aware: tuned for JPEG.
``guetzli``    Guetzli re-encode (quality 90) and decode, 8-bit RGB only; only when ``pyguetzli`` is installed.
               Slow (~25 s per Kodak image), so not part of :data:`DEFAULT_POOL`.
=============  ====================================================================================================
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from qualipress.errors import UnsupportedError
from qualipress.io import Image
from qualipress.io.jpegtables import ANNEX_K_LUMA, RGB_TO_YCBCR_T871, dct_matrix, ijg_table

Method = Callable[[Image], Image]


# -- conversion helpers ------------------------------------------------------------------------------------


def _check(image: Image) -> None:
    if image.is_float:
        raise UnsupportedError(
            "preprocessing needs integer pixels; convert float images with "
            "qualipress.io.to_perceptual_image first"
        )


def _split(image: Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Colour planes as float32 in [0, 1], plus the untouched alpha plane (or None)."""
    _check(image)
    col = image.pixels[..., :-1] if image.has_alpha else image.pixels
    alpha = image.pixels[..., -1:] if image.has_alpha else None
    return col.astype(np.float32) / np.float32(image.max_value), alpha


def _join(image: Image, col01: np.ndarray, alpha: np.ndarray | None) -> Image:
    """Back to the image's dtype and range (round + clip), alpha re-attached."""
    if col01.ndim == 2:
        col01 = col01[..., None]
    out = np.clip(np.rint(col01 * np.float32(image.max_value)), 0, image.max_value).astype(image.pixels.dtype)
    if alpha is not None:
        out = np.concatenate([out, alpha], axis=2)
    return image.with_pixels(np.ascontiguousarray(out))


# -- the methods ------------------------------------------------------------------------------------------


_L1_SCALE = 3.5


def nlm(image: Image, *, h: float = 3.0 / 255.0, template: int = 7, search: int = 21) -> Image:
    """Non-local-means denoising (OpenCV).

    Parameters
    ----------
    image : Image
        8- or 16-bit integer image (grey, grey+alpha, RGB or RGBA).
    h : float
        Filter strength as a fraction of the full range (3/255 is light).
    template, search : int
        Template and search window sizes in pixels (odd).

    Returns
    -------
    Image
        Same shape, dtype and bit depth.
    """
    _check(image)
    col = image.pixels[..., :-1] if image.has_alpha else image.pixels
    alpha = image.pixels[..., -1:] if image.has_alpha else None
    if image.pixels.dtype == np.uint8:
        strength = float(h * 255.0)
        src = np.ascontiguousarray(col)
        if src.shape[2] == 3:
            out = cv2.fastNlMeansDenoisingColored(src, None, strength, strength, template, search)
        else:
            out = cv2.fastNlMeansDenoising(src[..., 0], None, strength, template, search)
    else:
        # 16-bit: OpenCV supports uint16 only with the L1 norm, whose h acts much weaker than the L2 h of the
        # 8-bit path; _L1_SCALE was calibrated on a noisy synthetic image so that both paths change it by about
        # as much (mean absolute change within 20%).
        strength = float(h * image.max_value * _L1_SCALE)
        src = np.ascontiguousarray(col if col.shape[2] != 1 else col[..., 0])
        n = 1 if src.ndim == 2 else src.shape[2]
        out = cv2.fastNlMeansDenoising(
            src, h=np.full(n, strength, np.float32), templateWindowSize=template,
            searchWindowSize=search, normType=cv2.NORM_L1,
        )
    if out.ndim == 2:
        out = out[..., None]
    if alpha is not None:
        out = np.concatenate([out, alpha], axis=2)
    return image.with_pixels(np.ascontiguousarray(out.astype(image.pixels.dtype)))


_DETAIL_KERNEL = np.array([[0, -1, 0], [-1, 10, -1], [0, -1, 0]], dtype=np.float32) / 6.0


def detail(image: Image, *, amount: float = 1.0) -> Image:
    """High-pass detail enhancement in the style of PIL's ``ImageFilter.DETAIL``.

    Parameters
    ----------
    amount : float
        1.0 applies the PIL kernel exactly; 0.5 blends half-way between the input and that result.
    """
    col, alpha = _split(image)
    sharp = cv2.filter2D(col, -1, _DETAIL_KERNEL, borderType=cv2.BORDER_REFLECT)
    if sharp.ndim == 2:
        sharp = sharp[..., None]
    out = col + np.float32(amount) * (sharp - col)
    return _join(image, out, alpha)


def bilateral(image: Image, *, diameter: int = 5, sigma_color: float = 12.0 / 255.0, sigma_space: float = 3.0) -> Image:
    """Bilateral (edge-preserving) smoothing, OpenCV, computed on float data so 16-bit keeps its precision.

    Parameters
    ----------
    diameter : int
        Neighbourhood diameter in pixels.
    sigma_color : float
        Range sigma as a fraction of the full range.
    sigma_space : float
        Spatial sigma in pixels.
    """
    col, alpha = _split(image)
    out = cv2.bilateralFilter(col, diameter, float(sigma_color), float(sigma_space))
    return _join(image, out, alpha)


def _box(x: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def guided(image: Image, *, radius: int = 2, eps: float = 0.03**2) -> Image:
    """Self-guided filter (He, Sun & Tang 2010): each channel guides itself; flattens low-variance regions.

    Parameters
    ----------
    radius : int
        Box radius in pixels.
    eps : float
        Regularisation on the [0, 1] scale; variance well below ``eps`` is smoothed away, above it kept.
    """
    col, alpha = _split(image)
    out = np.empty_like(col)
    for c in range(col.shape[2]):
        p = col[..., c]
        mean = _box(p, radius)
        var = _box(p * p, radius) - mean * mean
        a = var / (var + np.float32(eps))
        b = mean - a * mean
        out[..., c] = _box(a, radius) * p + _box(b, radius)
    return _join(image, out, alpha)


def deblock(image: Image, *, block: int = 8, threshold: float = 10.0 / 255.0) -> Image:
    """JPEG-artifact removal: a weak deblocking filter across the ``block``-pixel grid.

    For every pair of pixels ``p0 | q0`` that straddles a block boundary (both directions), with their inner
    neighbours ``p1`` and ``q1``, the step is reduced by ``delta = ((q0 - p0) * 4 + (p1 - q1)) / 8`` (clipped to
    ``±threshold / 2``), as in the H.264 normal-strength luma filter, but only when ``|q0 - p0| < threshold``
    and both sides are locally flat (``|p1 - p0|, |q1 - q0| < threshold / 2``). Real edges are left alone.

    Parameters
    ----------
    block : int
        Block size of the grid (8 for JPEG).
    threshold : float
        Largest step (fraction of full range) treated as a blocking artifact.
    """
    col, alpha = _split(image)
    out = col.copy()
    t = np.float32(threshold)
    for axis in (1, 0):
        n = out.shape[axis]
        idx = np.arange(block, n - 1, block)
        idx = idx[idx >= 2]
        if idx.size == 0:
            continue
        p1, p0, q0, q1 = (np.take(out, idx + k, axis=axis) for k in (-2, -1, 0, 1))
        step = q0 - p0
        ok = (np.abs(step) < t) & (np.abs(p1 - p0) < t / 2) & (np.abs(q1 - q0) < t / 2)
        delta = np.clip((step * 4 + (p1 - q1)) / 8, -t / 2, t / 2) * ok
        if axis == 1:
            out[:, idx - 1] = p0 + delta
            out[:, idx] = q0 - delta
        else:
            out[idx - 1] = p0 + delta
            out[idx] = q0 - delta
    return _join(image, out, alpha)


#: The libjpeg standard luminance quantisation table (ITU-T T.81 Annex K), row-major, and the 8×8 DCT, float32.
_JPEG_LUMA = ANNEX_K_LUMA.astype(np.float32)
_DCT8 = dct_matrix().astype(np.float32)


def jpeg_luma_table(quality: float) -> np.ndarray:
    """The 8×8 luminance quantisation table libjpeg uses at ``quality`` (IJG scaling)."""
    return ijg_table(_JPEG_LUMA, quality).astype(np.float32)


def deadzone(image: Image, *, quality: float = 75.0, threshold: float = 0.7) -> Image:
    """Guetzli-style coefficient dead-zone on the JPEG block grid (luma only).

    The luma ``Y = 0.299 R + 0.587 G + 0.114 B`` (8-bit scale) is cut into the 8×8 blocks a JPEG encoder will use
    (grid anchored at the top-left corner); every AC DCT coefficient smaller than ``threshold`` × the libjpeg
    luminance quantisation step at ``quality`` is set to zero, and the change of Y is added to R, G and B alike
    (so Cb and Cr do not change). Coefficients the encoder would have coded as ±1 at a high price become zeros,
    which are cheap; the quality loss is small. Partial blocks at the right/bottom edge are left untouched.

    Parameters
    ----------
    quality : float
        JPEG quality whose table sets the thresholds (the labelling setting, 75).
    threshold : float
        Fraction of the quantisation step below which an AC coefficient is zeroed (0.5 = what rounding does
        anyway; 0.7 measured ~2–4% fewer bits at equal SSIMULACRA2 on training images at q75).
    """
    col, alpha = _split(image)
    h, w = col.shape[:2]
    hb, wb = h // 8, w // 8
    if hb == 0 or wb == 0:
        return _join(image, col, alpha)
    x = col * np.float32(255.0)
    if x.shape[2] >= 3:
        kr, kg, kb = RGB_TO_YCBCR_T871[0]
        y = kr * x[..., 0] + kg * x[..., 1] + kb * x[..., 2]
    else:
        y = x[..., 0]
    blocks = y[: hb * 8, : wb * 8].reshape(hb, 8, wb, 8).transpose(0, 2, 1, 3)
    coef = np.einsum("ij,abjk,lk->abil", _DCT8, blocks, _DCT8)
    limit = np.float32(threshold) * jpeg_luma_table(quality)
    small = np.abs(coef) < limit
    small[..., 0, 0] = False
    coef = np.where(small, np.float32(0.0), coef)
    back = np.einsum("ji,abjk,kl->abil", _DCT8, coef, _DCT8)
    delta = np.zeros_like(y)
    delta[: hb * 8, : wb * 8] = (back - blocks).transpose(0, 2, 1, 3).reshape(hb * 8, wb * 8)
    out = col + (delta / np.float32(255.0))[..., None]
    return _join(image, out, alpha)


def guetzli_available() -> bool:
    """True when the optional ``pyguetzli`` package imports."""
    try:
        import pyguetzli  # noqa: F401
    except ImportError:
        return False
    return True


def guetzli(image: Image, *, quality: int = 90) -> Image:
    """Guetzli re-encode and decode (needs ``pyguetzli``; 8-bit RGB only; slow).

    Raises
    ------
    UnsupportedError
        When pyguetzli is missing or the image is not 8-bit RGB(A).
    """
    _check(image)
    if not guetzli_available():
        raise UnsupportedError("the 'guetzli' method needs the optional package pyguetzli (pip install pyguetzli)")
    if image.pixels.dtype != np.uint8 or image.n_channels not in (3, 4):
        raise UnsupportedError("the 'guetzli' method handles 8-bit RGB images only")
    import pyguetzli
    from PIL import Image as PILImage

    col = np.ascontiguousarray(image.pixels[..., :3])
    data = pyguetzli.process_rgb_bytes(col.tobytes(), image.width, image.height, quality=quality)
    dec = np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB"))
    if image.has_alpha:
        dec = np.concatenate([dec, image.pixels[..., 3:]], axis=2)
    return image.with_pixels(np.ascontiguousarray(dec))


# -- registry ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolMethod:
    """One pool entry: a name (stable id), the function, and a one-line description."""

    name: str
    function: Method
    description: str
    optional: bool = False

    def available(self) -> bool:
        return self.name != "guetzli" or guetzli_available()


#: All methods in canonical order. Combinations are applied in this order (denoise/smooth first, then
#: artifact removal, then sharpening, the grid-aligned dead-zone last so nothing smears its zeros), whatever
#: order a name lists them in.
POOL: dict[str, PoolMethod] = {
    m.name: m
    for m in (
        PoolMethod("nlm", nlm, "OpenCV non-local-means denoising, h=3/255"),
        PoolMethod("bilateral", bilateral, "bilateral filter d=5, sigma_color=12/255, sigma_space=3"),
        PoolMethod("guided", guided, "self-guided filter r=2, eps=0.03^2"),
        PoolMethod("deblock", deblock, "8x8-grid weak deblocking (JPEG artifact removal), threshold 10/255"),
        PoolMethod("guetzli", guetzli, "Guetzli q90 re-encode (pyguetzli; slow)", optional=True),
        PoolMethod("detail", detail, "PIL DETAIL-style high-pass enhancement"),
        PoolMethod("deadzone", deadzone, "JPEG-grid luma DCT dead-zone, 0.7 x q75 step (Guetzli-style)"),
    )
}

#: The pool used when none is given: every non-optional method.
DEFAULT_POOL: tuple[str, ...] = tuple(n for n, m in POOL.items() if not m.optional)


def get_method(name: str) -> PoolMethod:
    """Look up a pool method by name.

    Raises
    ------
    UnsupportedError
        Unknown name, or an optional method whose package is not installed.
    """
    try:
        m = POOL[name]
    except KeyError:
        raise UnsupportedError(f"unknown preprocessing method {name!r}; known: {', '.join(POOL)}") from None
    if not m.available():
        raise UnsupportedError(f"preprocessing method {name!r} is not available (pyguetzli not installed)")
    return m
