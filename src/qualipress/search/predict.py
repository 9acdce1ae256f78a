"""Predict, from cheap image features, the codec setting that just meets a target (the search's first probe).

The model predicts, per codec and constraint kind (``ssim``, ``psnr``, ``ssim@min``, ``psnr@min``), the whole
quality curve: the metric (in the margin units of :meth:`Constraint.margin`) at sampled grid settings, each a
linear function of the image's features (one ridge regression per setting). It is fitted by
``qualipress bench train-predictor`` on exhaustive sweeps of training photographs (``shared/data/train``, never
Kodak) and shipped as ``models/predictor.json``. For a constraint the prediction is where that curve first
reaches the threshold, a bracket from the cross-validated residual quantiles, and the curve's slope per grid step
there; for a target (several constraints) the binding constraint is the one
predicted to need the highest setting. Codecs, metrics or statistics without a model give no prediction and the
search starts cold.

Features (all on the perceptual luma, see :func:`image_features`): gradient energy, texture (local standard
deviation), high-frequency energy, noise σ (Immerkær), the fraction of flat 8×8 blocks, colourfulness (Hasler and
Süsstrunk), pixel count, bit depth, and for JPEG sources the quality estimated from their quantisation tables.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from qualipress.io.image import Image
from qualipress.io.metadata import estimate_jpeg_quality
from qualipress.io.readers import EXTENSIONS
from qualipress.io.transfer import alpha_premultiplied, seen_colour, to_perceptual
from qualipress.metrics import core as _core
from qualipress.search.lossless import estimate_lossless_bytes
from qualipress.search.targets import Constraint, Target, _transform

#: Feature names, in the order of the model's coefficients (one source of truth for training and prediction).
FEATURES = ("log_pixels", "high_depth", "grey", "gradient", "texture", "detail", "noise", "flat", "colourful",
            "jpeg_quality")
#: The features the regression uses: all but the pixel count. The training photographs span too few sizes
#: (0.14-0.3 Mpx) to learn a size effect, and extrapolating one to a 0.4 Mpx Kodak image or a 9 Mpx film frame
#: moved predictions by 15 grid steps; the per-pixel features are measured at native resolution anyway.
MODEL_FEATURES = tuple(k for k in FEATURES if k != "log_pixels")
#: Constraint kinds a model can exist for: metric and tile statistic.
KINDS = ("ssim", "psnr", "ssim@min", "psnr@min")
#: Suffix of the model key (``codec|kind|source``) fitted for JPEG sources: the same curve model trained on the
#: training photographs and JPEG-compressed copies of some of them, used only for images whose ``jpeg_quality``
#: feature is set (a JPEG source's curve jumps near its own quality; pristine images keep their own model).
SOURCE_MODEL = "source"
#: Model format version (bumped when features or the file layout change).
FORMAT = 4

#: Extra features of an image with straight alpha that is not opaque everywhere (absent otherwise): the fraction
#: of fully transparent pixels, the alpha plane's estimated lossless size in bits per pixel
#: (:func:`qualipress.search.lossless.estimate_lossless_bytes`), and, when some pixels are partly transparent, the
#: per-pixel :data:`FEATURES` of the stored colour, prefixed ``coded_`` (the quality curves read the colour as seen,
#: multiplied by alpha; the codec codes the stored colour, and the size curves read that).
ALPHA_FEATURES = ("alpha_hidden", "alpha_bits")
#: Prefix of the stored colour's features (see :data:`ALPHA_FEATURES`).
CODED = "coded_"
#: Per codec, how alpha changes the file size of the colour planes alone (``hidden_scale``, ``alpha_scale``,
#: ``overhead`` bytes): ``bytes = colour_bytes * (1 - hidden_scale * alpha_hidden) + alpha_scale * alpha_estimate +
#: overhead``, ``alpha_estimate`` the alpha plane's estimated lossless bytes. libwebp and libjxl drop the colour
#: under alpha 0 (libavif codes it); all three code the alpha plane losslessly at every quality setting, so its cost
#: hardly depends on the setting. Fitted on 42 RGBA images made from BSD300 training photographs 61-102 (radial and
#: linear fades, blurred ellipses, checkerboards, discs, clouds, flat-colour logos; never Kodak) by ``python
#: benchmarks/rgba_size_model.py fit -o OUT`` (docs/benchmarks.md § RGBA size model). ``overhead`` is a constant
#: fitted at 0.15 Mpx: on thumbnails it overstates (JPEG XL's 1.9 kB). Codecs not listed get the stored colour's size
#: curve uncorrected.
ALPHA_SIZE: dict[str, tuple[float, float, float]] = {"avif": (-0.076, 0.473, 311.0), "jpegxl": (0.875, 0.180, 1935.0),
                                                     "webp": (0.885, 0.221, 862.0)}

_MODEL_FILE = "predictor.json"
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def image_features(image: Image, *, jpeg_quality: float | None = None,
                   perceptual: np.ndarray | None = None) -> dict[str, float]:
    """Cheap descriptors of how hard an image is to compress (a few milliseconds for a 768×512 photo).

    Parameters
    ----------
    jpeg_quality : float, optional
        The source's JPEG quality (see :func:`jpeg_source_quality`), when it was a JPEG; 0 means "not a JPEG".
    perceptual : numpy.ndarray, optional
        :func:`~qualipress.io.transfer.to_perceptual` of ``image`` when the caller already has it (a search's
        prepared reference, :meth:`qualipress.metrics.Reference.perceptual_of`): read, not converted again.

    Returns
    -------
    dict of str to float
        One value per name in :data:`FEATURES`; for an image with straight alpha that is not opaque everywhere,
        also the :data:`ALPHA_FEATURES` its size curves are corrected with (:func:`log_bits_per_pixel`).
    """
    seen, coded = _measured_colour(image, perceptual)
    feats = _colour_features(seen)
    feats.update({"log_pixels": math.log10(max(1, image.width * image.height)),
                  "high_depth": 1.0 if image.bit_depth > 8 else 0.0,
                  "jpeg_quality": float(jpeg_quality or 0.0) / 100.0})
    out = {k: feats[k] for k in FEATURES}
    if alpha_sized(image):
        out.update(_alpha_features(image, image.alpha(), None if coded is None else _colour_features(coded)))
    return out


def alpha_sized(image: Image) -> bool:
    """Whether ``image``'s size curves carry the alpha correction: integer samples with straight alpha that is not
    opaque everywhere (the images whose predicted sizes are least sure; the race skips none of their codecs)."""
    if not image.has_alpha or image.is_float or alpha_premultiplied(image):
        return False
    return not bool(np.all(image.alpha() == image.max_value))


def _colour_features(px: np.ndarray) -> dict[str, float]:
    """The per-pixel :data:`FEATURES` of normalised colour planes ``px`` ((H, W) or (H, W, C) float32).

    Through the compiled kernels (:mod:`qualipress.search.kernels`) when the metric kernels are in use in this
    process (:func:`_kernels`), else through OpenCV and NumPy; the two agree to about 1e-7 relative, so a
    prediction within ~5e-6 of a half grid step may round to a neighbouring first probe (same file, one probe more
    or less; docs/search.md § Setting predictor)."""
    if px.ndim == 2:
        px = px[..., None]
    kernels = _kernels()
    if kernels is not None and px.dtype == np.float32 and min(px.shape[:2]) >= kernels.MIN_SIDE:
        return _kernel_features(kernels, px)
    if px.shape[2] >= 3:
        rgb = np.ascontiguousarray(px[..., :3])
        y = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        sub = rgb[::2, ::2]
        r, g, b = sub[..., 0], sub[..., 1], sub[..., 2]
        rg, yb = r - g, 0.5 * (r + g) - b
        colourful = float(np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))
    else:
        y = np.ascontiguousarray(px[..., 0])
        colourful = 0.0
    h, w = y.shape
    # Texture features are means, estimated on a fixed number of native-resolution tiles so their cost does not
    # grow with the image (a 4K frame costs what a thumbnail does).
    sums = np.zeros(5)
    regions = _regions(h, w)
    for r in regions:
        sums += _tile_features(np.ascontiguousarray(y[r]))
    return _feature_dict(px, sums / len(regions), colourful)


def _feature_dict(px: np.ndarray, means: np.ndarray, colourful: float) -> dict[str, float]:
    """The features of colour planes ``px`` from the tiles' mean texture features and the colourfulness."""
    gradient, texture, detail, noise, flat = means
    return {
        "grey": 1.0 if px.shape[2] < 3 else 0.0,
        "gradient": math.log10(gradient + 1e-4),
        "texture": math.log10(texture + 1e-4),
        "detail": math.log10(detail + 1e-4),
        "noise": math.log10(noise + 1e-4),
        "flat": float(flat),
        "colourful": colourful,
    }


def _kernels() -> Any:
    """:mod:`qualipress.search.kernels` when the metric kernels are in use (or about to be) in this process: numba
    is loaded or forced (:data:`qualipress.metrics.core.USE_FUSED`); else None, and the features go through OpenCV
    (a single-photo run never imports numba for them)."""
    if not _core.kernels_loaded():
        return None
    from qualipress.search import kernels  # numba: imported lazily (docs/design.md § Compiled kernels)

    return kernels


def _kernel_features(kernels: Any, px: np.ndarray) -> dict[str, float]:
    """:func:`_colour_features` through the compiled kernels: the same tiles, one call for all of them."""
    h, w = px.shape[:2]
    regions = _regions(h, w)
    ys = np.array([r[0].start for r in regions], np.int64)
    xs = np.array([r[1].start for r in regions], np.int64)
    th, tw = regions[0][0].stop - regions[0][0].start, regions[0][1].stop - regions[0][1].start
    grey = px.shape[2] < 3
    y = np.ascontiguousarray(px[..., 0]) if grey else cv2.cvtColor(np.ascontiguousarray(px[..., :3]),
                                                                    cv2.COLOR_RGB2GRAY)
    sums = np.zeros(5)
    kernels.tile_features(y, ys, xs, th, tw, sums)
    return _feature_dict(px, sums / len(regions), 0.0 if grey else kernels.colourfulness(px))


def _alpha_features(image: Image, alpha: np.ndarray, coded: dict[str, float] | None) -> dict[str, float]:
    """:data:`ALPHA_FEATURES` of an image with straight ``alpha`` (and the ``coded_`` colour features when given)."""
    if image.bit_depth > 8:  # the codecs code alpha in 8 bits here and ALPHA_SIZE was fitted on 8-bit planes
        alpha = np.round(alpha.astype(np.float32) * np.float32(255 / image.max_value)).astype(np.uint8)
    plane = image.with_pixels(np.ascontiguousarray(alpha[..., None]), bit_depth=8)
    hidden = float(np.mean(alpha == 0))
    bits = 8.0 * estimate_lossless_bytes(plane) / max(1, image.width * image.height)
    out = dict(zip(ALPHA_FEATURES, (hidden, bits), strict=True))
    if coded is not None:
        out.update({CODED + k: v for k, v in coded.items()})
    return out


def log_bits_per_pixel(codec: str, bytes_weights: np.ndarray, features: Mapping[str, float]) -> np.ndarray:
    """A model's predicted size curve (log10 bits per pixel at its knots) for an image with ``features``.

    For an image with alpha (:data:`ALPHA_FEATURES` present) the curve is read from the stored colour's features and
    corrected by :data:`ALPHA_SIZE` for the colour dropped under alpha 0 and the alpha plane's own bytes; before,
    the sizes of photographs with a soft fade were 1.8-3.1 times too small (docs/benchmarks.md § RGBA size model).
    """
    row = feature_row({k: features.get(CODED + k, v) for k, v in features.items()})
    log_bpp = np.asarray(bytes_weights) @ row
    hidden_key, bits_key = ALPHA_FEATURES
    if hidden_key not in features:
        return log_bpp
    hidden_scale, alpha_scale, overhead = ALPHA_SIZE.get(codec, (0.0, 0.0, 0.0))
    extra = alpha_scale * features[bits_key] + 8.0 * overhead / 10 ** features["log_pixels"]
    # the colour kept is at least a twentieth (a guard: the fitted scales leave 0.12 of a fully hidden image)
    bpp = 10 ** log_bpp * max(0.05, 1.0 - hidden_scale * features[hidden_key]) + extra
    return np.log10(np.maximum(bpp, 1e-6))


def _measured_colour(image: Image, perceptual: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The colour the features are taken on, and the colour the codec codes when it differs (else None).

    The first is :func:`~qualipress.io.transfer.seen_colour` (straight colour times its alpha, what the metrics
    compare) when some pixels are partly transparent, else :func:`~qualipress.io.transfer.to_perceptual`; the second
    is then :func:`~qualipress.io.transfer.to_perceptual` (the stored colour: what the size curves are read from).

    Where alpha fades, the coding error is dimmed with the colour, so a photo fading out is easier to meet a target
    on than its colour planes suggest (predictions were 5-14 grid steps high on photos with soft alpha,
    docs/search.md § Images with alpha). With binary alpha the seen colour of every measured pixel is the stored
    colour; blacking out the hidden pixels (which the codec still codes) made the race's predictions worse there,
    so such images keep the features of their colour planes.

    ``perceptual``: :func:`~qualipress.io.transfer.to_perceptual` of ``image`` when the caller has it.
    """
    perceptual = to_perceptual(image) if perceptual is None else perceptual
    if image.has_alpha and not alpha_premultiplied(image):
        a = image.alpha()
        if bool(np.any((a > 0) & (a < image.max_value))):
            return seen_colour(image), perceptual
    return perceptual, None


#: Side of the sampled tiles and their most number (see :func:`image_features`).
_TILE, _MAX_TILES = 64, 16


def _regions(h: int, w: int) -> list[tuple[slice, slice]]:
    """Up to ``_MAX_TILES`` tiles spread evenly over the image, or the whole image when it is small."""
    if h * w <= _TILE * _TILE * _MAX_TILES or h < _TILE or w < _TILE:
        return [(slice(0, h), slice(0, w))]
    n = int(math.sqrt(_MAX_TILES))
    ys = np.linspace(0, h - _TILE, n).astype(int)
    xs = np.linspace(0, w - _TILE, n).astype(int)
    return [(slice(y0, y0 + _TILE), slice(x0, x0 + _TILE)) for y0 in ys for x0 in xs]


def _tile_features(y: np.ndarray) -> np.ndarray:
    """Gradient energy, mean local standard deviation, Laplacian energy, noise σ and flat-block fraction."""
    n = y.size
    gx = cv2.Sobel(y, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(y, cv2.CV_32F, 0, 1, ksize=3)
    gradient = (float(cv2.norm(gx, cv2.NORM_L1)) + float(cv2.norm(gy, cv2.NORM_L1))) / (8.0 * n)
    y2 = cv2.multiply(y, y)
    mu = cv2.blur(y, (7, 7))
    local_var = cv2.blur(y2, (7, 7))
    local_var -= cv2.multiply(mu, mu)
    np.maximum(local_var, 0.0, out=local_var)
    np.sqrt(local_var, out=local_var)
    # np.mean's own arithmetic (float32 pairwise sum, divided in float64, rounded to float32) without its Python
    # wrapper: 16 tiles a search, the same value bit for bit (tests/search/test_search_shared_work.py)
    texture = float(np.float32(float(np.add.reduce(local_var, axis=None)) / n))
    detail = float(cv2.norm(cv2.Laplacian(y, cv2.CV_32F, ksize=1), cv2.NORM_L1)) / n
    h, w = y.shape
    noise = 0.0
    if h >= 3 and w >= 3:
        conv = cv2.filter2D(y, cv2.CV_32F, _NOISE_KERNEL)[1:-1, 1:-1]
        noise = float(math.sqrt(math.pi / 2) * cv2.norm(conv, cv2.NORM_L1) / (6.0 * conv.size))
    bh, bw = h // 8, w // 8
    flat = 0.0
    if bh and bw:
        m1 = cv2.resize(y[: bh * 8, : bw * 8], (bw, bh), interpolation=cv2.INTER_AREA)
        m2 = cv2.resize(y2[: bh * 8, : bw * 8], (bw, bh), interpolation=cv2.INTER_AREA)
        m2 -= m1 * m1
        flat = np.count_nonzero(m2 < 1e-4) / m2.size  # the fraction np.mean gives, exactly
    return np.array([gradient, texture, detail, noise, flat])


# -- JPEG sources ---------------------------------------------------------------------------------------------
def jpeg_source_quality(image: Image) -> float | None:
    """Estimated quality of the JPEG file ``image`` was read from, or None when it was not a readable JPEG.

    JPEG by its content as the reader found it (``format``), not its name: a JPEG named ``.png`` or an ``.mpo``
    (QA rev19g: read as PNG sources, so AVIF steered them on the fast mosaic that misreads JPEG sources).
    """
    src = image.source
    ext = None if src is None else Path(src).suffix.lower()
    if src is None or image.metadata.get("format", "jpeg" if ext in EXTENSIONS["jpeg"] else None) != "jpeg":
        return None
    try:
        from PIL import Image as PILImage

        with PILImage.open(src) as im:
            tables = getattr(im, "quantization", None)
            if not tables:
                return None
            return float(estimate_jpeg_quality(tables[min(tables)]))
    except Exception:
        return None


# -- the model --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prediction:
    """Where the target is predicted to be met on the codec's grid (fractional grid positions).

    Attributes
    ----------
    index : float
        Most likely crossing (the lowest grid position that meets the target).
    low, high : float
        A bracket that holds the crossing for most training images (cross-validated residual quantiles).
    slope : float
        Expected margin change per grid step near the crossing.
    binding : str
        The constraint that set the prediction.
    source_index : int or None
        For a JPEG source and a codec with the same tables, the grid position of the source's own quality.
    bits_per_pixel : float or None
        Expected file size at ``index`` (bits per pixel), when the model has size curves.
    size_curve : tuple of (tuple of float, tuple of float), or None
        The predicted size curve behind ``bits_per_pixel``: grid positions and log10 bits per pixel there.
    source_quality : float or None
        The estimated quality of the JPEG file the image was read from, when it was one (any codec).
    """

    index: float
    low: float
    high: float
    slope: float
    binding: str
    source_index: int | None = None
    bits_per_pixel: float | None = None
    size_curve: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    source_quality: float | None = None

    def index_for_size(self, bits_per_pixel: float) -> float | None:
        """The grid position where the predicted file reaches ``bits_per_pixel`` (:func:`index_for_size` of
        :attr:`size_curve`), or None without a size curve."""
        if self.size_curve is None:
            return None
        return index_for_size(self.size_curve[0], self.size_curve[1], bits_per_pixel)


def index_for_size(knots: Sequence[float] | np.ndarray, log_bpp: Sequence[float] | np.ndarray,
                   bits_per_pixel: float) -> float:
    """The grid position where a predicted size curve reaches ``bits_per_pixel``.

    Parameters
    ----------
    knots : sequence of float or numpy.ndarray
        Grid positions of the curve.
    log_bpp : sequence of float or numpy.ndarray
        Predicted log10 bits per pixel at ``knots``; made non-decreasing first.
    bits_per_pixel : float
        The file size sought.

    Returns
    -------
    float
        The first position where the curve reaches it (linear between knots), clamped to the curve's ends.
    """
    knots = np.asarray(knots, dtype=np.float64)
    env = np.maximum.accumulate(np.asarray(log_bpp, dtype=np.float64))
    t = math.log10(max(bits_per_pixel, 1e-12))
    above = np.flatnonzero(env >= t)
    if above.size == 0:
        return float(knots[-1])
    k = int(above[0])
    if k == 0:
        return float(knots[0])
    x0, x1, v0, v1 = knots[k - 1], knots[k], env[k - 1], env[k]
    return float(x0 + (t - v0) * (x1 - x0) / (v1 - v0)) if v1 > v0 else float(x1)


def feature_row(features: Mapping[str, float]) -> np.ndarray:
    """The regression inputs for one image: a constant, the :data:`MODEL_FEATURES` and their squares."""
    f = np.array([features[k] for k in MODEL_FEATURES], dtype=np.float64)
    return np.concatenate([[1.0], f, f * f])


def curve_crossing(knots: np.ndarray, curve: np.ndarray, t: float) -> tuple[float, float] | None:
    """Where a predicted margin-unit curve (values at grid ``knots``) first reaches ``t``, and its slope per
    grid step there; the curve is made non-decreasing first. None when even the top knot stays below ``t``."""
    env = np.maximum.accumulate(np.asarray(curve, dtype=np.float64))
    above = np.flatnonzero(env >= t)
    if above.size == 0:
        return None
    k = int(above[0])
    if k == 0:
        step = float((env[1] - env[0]) / max(1e-9, knots[1] - knots[0])) if len(knots) > 1 else 0.0
        return float(knots[0]), step
    x0, x1, m0, m1 = float(knots[k - 1]), float(knots[k]), float(env[k - 1]), float(env[k])
    local = (m1 - m0) / (x1 - x0)
    pos = x0 + (t - m0) / local if local > 0 else x1
    # The step size for the search: over a few knots around the crossing (the envelope has flat stretches).
    a, b = max(0, k - 2), min(len(knots) - 1, k + 1)
    slope = float((env[b] - env[a]) / max(1e-9, knots[b] - knots[a]))
    return pos, slope


def constraint_kind(c: Constraint) -> str | None:
    """The model kind that predicts ``c``, or None (scoped constraints, other metrics or statistics)."""
    if c.scope is not None:
        return None
    kind = c.metric if c.stat == "mean" else f"{c.metric}@{c.stat}"
    return kind if kind in KINDS else None


#: Model entries that are curves (one value per knot, or per knot and coefficient), held as arrays.
_CURVES = ("knots", "weights", "bytes_weights")


def _as_arrays(model: Mapping[str, Any]) -> dict[str, Any]:
    """One model with its :data:`_CURVES` as float64 arrays (read-only) and every other entry as it was."""
    out = dict(model)
    for key in _CURVES:
        if key in out:
            a = np.array(out[key], dtype=np.float64)
            a.flags.writeable = False
            out[key] = a
    return out


class Predictor:
    """The fitted models (see :func:`load`)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        if data.get("format") != FORMAT or tuple(data.get("features", ())) != FEATURES:
            raise ValueError("predictor model does not match this version's features")
        # The curves as float64 arrays, not nested lists: the shipped model's 41,000 Python floats took 1.4 MB of
        # every worker's memory; the arrays hold the same values (what ``np.asarray`` made of them at each use).
        self.models: dict[str, dict[str, Any]] = {key: _as_arrays(m) for key, m in data["models"].items()}
        self.data = dict(data, models=self.models)

    def has(self, codec: str) -> bool:
        return any(k.split("|")[0] == codec for k in self.models)

    def model(self, codec: str, kind: str, features: Mapping[str, float]) -> dict[str, Any] | None:
        """The model of ``codec`` and constraint ``kind`` for an image with ``features``: the JPEG-source model
        (:data:`SOURCE_MODEL`) for a JPEG source when there is one, else the general one."""
        if features.get("jpeg_quality", 0.0) > 0:
            src = self.models.get(f"{codec}|{kind}|{SOURCE_MODEL}")
            if src is not None:
                return src
        return self.models.get(f"{codec}|{kind}")

    def predict(self, codec: str, grid_size: int, target: Target,
                features: Mapping[str, float]) -> Prediction | None:
        """Prediction for ``target`` on a grid of ``grid_size`` settings, or None when some constraint has no
        model for ``codec`` (the search then starts as without a predictor)."""
        best: Prediction | None = None
        for c in target.constraints:
            kind = constraint_kind(c)
            model = self.model(codec, kind, features) if kind else None
            if model is None or model.get("grid_size") != grid_size:
                return None
            if c.op == "<=":
                return None
            curve = np.asarray(model["weights"]) @ feature_row(features)
            found = curve_crossing(np.asarray(model["knots"], dtype=np.float64), curve,
                                   _transform(c.metric, c.value))
            if found is None:  # predicted out of reach: start at the top
                found = (float(grid_size - 1), 0.0)
            idx, slope = found
            q_lo, q_hi = model["residual_quantiles"]
            bpp = None
            size_curve = None
            if "bytes_weights" in model:
                log_bpp = log_bits_per_pixel(codec, model["bytes_weights"], features)
                knots = np.asarray(model["knots"], dtype=np.float64)
                bpp = float(10 ** np.interp(idx, knots, log_bpp))
                size_curve = (tuple(float(k) for k in knots), tuple(float(v) for v in log_bpp))
            p = Prediction(idx, idx + q_lo, idx + q_hi, max(slope, 1e-3), str(c), None, bpp, size_curve)
            if best is None or p.index > best.index:
                best = p
        if best is None:
            return None
        top = grid_size - 1
        return Prediction(min(max(best.index, 0.0), top), min(max(best.low, 0.0), top),
                          min(max(best.high, 0.0), top), best.slope, best.binding, None, best.bits_per_pixel,
                          best.size_curve)


def model_path() -> Path:
    """The shipped model file."""
    return Path(str(resources.files("qualipress.search") / "models" / _MODEL_FILE))


@lru_cache(maxsize=4)
def load(path: str | None = None) -> Predictor | None:
    """The predictor from ``path`` (default: the shipped model), or None when there is none or it does not fit
    this version."""
    p = Path(path) if path else model_path()
    try:
        return Predictor(json.loads(p.read_text()))
    except (OSError, ValueError, KeyError):
        return None
