"""Film fidelity figures: grain and colour grain kept, temporal stability, tonal shift, and a display rendering.

These are measured without a clean plate, from the source frame and a decoded output (and, for the temporal
ratio, the previous frame of the same sequence, source and decoded). :mod:`qualipress.film.decisions` turns them
into pass/fail checks with the profile's floors; :class:`qualipress.film.hooks.FilmHooks` records them for the
chosen output of every frame.

Every figure comes with ``applies`` and, when it does not apply, ``why`` (a frame with no grain, a black or
clipped frame, no flat region, no previous frame, a size change), so no figure divides by zero and a report can
say why a check was not run.

Grain kept
    In the flattest blocks (:func:`qualipress.film.analysis.flat_blocks` of the source luma), the plane-fit
    residual (high-pass) of a flat source block is its grain. ``corr`` is the correlation of the decoded and
    source high-pass over those blocks (1: grain intact; ≈ 0: grain removed or replaced), ``energy`` the ratio of
    their RMS (< 1: grain softened; > 1: noise added). Applies when the source grain RMS there is at least
    :func:`grain_floor` (well above the quantisation noise of the source's bit depth).
Colour grain kept (:func:`colour_grain_kept`)
    The same figures on the colour differences B − Y and R − Y in the same blocks (the weaker direction): grain
    independent per dye layer has colour that luma does not see, and codecs that code colour coarser than luma
    smooth it away while the luma figure stays high.
Temporal ratio
    RMS of the decoded frame-to-frame difference over RMS of the source's, in the current frame's flat blocks:
    > 1 the output shimmers more than the source (flicker, grain turned into moving blotches), < 1 grain frozen
    or removed. Beside it: ``ideal``, the ratio this frame would get if it were coded exactly (its source against
    the previous *output*: what the previous output's own error imposes), ``added``, the RMS of the change the
    coding added between the two frames (decoded difference − source difference, code values in [0, 1]), and
    ``source_grain``, whether the source frame has grain to keep (:func:`grain_kept` applies). The temporal
    check (:class:`qualipress.film.decisions.TemporalCheck`) judges the ratio against these: a frame is not
    failed for the previous output's error, for a change below the smallest visible grain, or as "grain removed"
    when its source has no grain.
Tonal shift
    Source and output decoded to scene-linear light (:func:`linear_luma`); over the source's brightest 0.1 % and
    darkest 1 % of pixels (chosen on a 2-px blurred source luma, so grain peaks do not pick the pixels), the mean
    output over the mean source, in stops (``log2``). Applies when the frame's transfer is known and the source
    mean there is above :data:`LINEAR_FLOOR`.
Display rendering (:func:`qualipress.io.logcurves.display_code`)
    Scene-linear → a simple filmic curve (linear 16 → white) → the Rec. 709 OETF. Shadows and highlights get the
    weight a viewer's display gives them instead of the weight of the storage code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from qualipress.errors import InputError
from qualipress.film import analysis
from qualipress.io import Image
from qualipress.io.logcurves import DISPLAY_WHITE, display_code, display_rgb, encoding_name, to_scene_linear

__all__ = ["DISPLAY_WHITE", "Reference", "colour_grain_kept", "display_code", "display_rgb", "encoding_name",
           "flat_luma", "grain_floor", "grain_kept", "grey16", "linear_luma", "linear_plane", "reference",
           "release_linear", "source_luma", "temporal_ratio", "tonal_shift"]

#: Smallest grain RMS the grain checks look after (:data:`qualipress.film.analysis.GRAIN_MIN`).
GRAIN_MIN = analysis.GRAIN_MIN
#: The temporal figure does not apply when the source's frame-to-frame difference RMS in the flat blocks exceeds this
#: many times what two frames' independent grain gives (√2 σ, σ at least :data:`GRAIN_MIN`): across a cut or a fade
#: the ratio is ≈ 1 whatever the coding does (qa13film: 0.999 at a cut), so passing it says nothing.
CUT_RATIO = 4.0
#: Linear light below which a mean is too dark to express a shift in stops.
LINEAR_FLOOR = 1e-4
#: Share of the brightest / darkest pixels of the tonal check.
HIGHLIGHT_SHARE = 0.001
SHADOW_SHARE = 0.01


grain_floor = analysis.grain_floor


def linear_luma(code: np.ndarray, reference: Image) -> np.ndarray | None:
    """Scene-linear luma of perceptual code values ``code`` ``(H, W, C)``, decoded like ``reference``
    (:func:`qualipress.io.logcurves.to_scene_linear`; sRGB/709 frames with the sRGB curve); None when the
    transfer is unknown."""
    lin = to_scene_linear(code, reference)
    if lin is None and reference.transfer in ("srgb", "bt709", "gamma"):
        lin = np.where(code <= 0.04045, code / 12.92, ((np.maximum(code, 0.0) + 0.055) / 1.055) ** 2.4)
    return None if lin is None else analysis.luma(np.asarray(lin, np.float32))


@dataclass
class Reference:
    """What the fidelity figures need from a source frame, computed once per frame (see :func:`reference`)."""

    image: Image
    #: (H, W) of the frame.
    shape: tuple[int, int]
    #: Luma of the source's perceptual code; None once released (:func:`release_linear`): :func:`source_luma`
    #: converts it again.
    y: np.ndarray | None
    stats: analysis.BlockStats
    flat: np.ndarray
    #: The source's luma in the :attr:`flat` blocks, ``(K, block, block)`` float32 (the plane's own values): the
    #: grain figure's reference (:attr:`source_hp`) is made from it when measured, so a worker holds these float32
    #: blocks rather than their float64 residual (half the memory: 2 MB instead of 4 at 2K).
    grain_y: np.ndarray
    sigma: float
    grain_why: str | None
    #: Scene-linear luma of the source (None for unknown transfers; released by :func:`release_linear` once the
    #: frame's analysis is done: the figures below keep what the checks need from it).
    linear: np.ndarray | None
    #: Flat (row-major) indices of the source's brightest 0.1 % / darkest 1 % of pixels (indices, not boolean
    #: masks: a hundredth of the memory).
    highlights: np.ndarray | None
    shadows: np.ndarray | None
    #: Mean linear light of the source over ``highlights`` / ``shadows`` (the tonal figure's denominators).
    src_means: dict[str, float] | None = None
    #: The source's display rendering as 16-bit grey codes (uint16 (H, W), :func:`grey16_code` of
    #: :func:`display_code`; half the memory of the float32 :func:`grey16` values, which are these codes
    #: ÷ 65535 exactly), None without linear light, and None once the decision checks' display reference holds
    #: it as :func:`display_rows` instead (``decisions._ref_info``).
    display: np.ndarray | None = None
    #: :func:`temporal_mask` of :attr:`stats` (block mask; blocks without grain left out when any block holds
    #: grain): the blocks the temporal figure compares, a superset of :attr:`flat` (see :func:`flat_luma`).
    blocks: np.ndarray | None = None
    #: The source's colour-difference grain in the :attr:`flat` blocks (:func:`colour_blocks` after the plane fit,
    #: ``(K, 2, block, block)``), made on the first :func:`colour_grain_kept` of the frame. Held as float16 (half
    #: of float32: ≤ 2.2 MB at 2K, 8.8 MB at 4K): the residuals are a few hundredths at most and keep 11
    #: significant bits; the figures were identical to 4 decimals on the sweep frames
    #: (``benchmarks/film_colour_grain.py``).
    colour_hp: np.ndarray | None = None
    #: Which of the :attr:`flat` blocks (row-major order) the colour-grain figure measures: those whose source
    #: colour-difference residual is not an edge (:func:`qualipress.film.analysis.without_colour_edges`); made with
    #: :attr:`colour_hp`.
    colour_keep: np.ndarray | None = None

    @property
    def source_hp(self) -> np.ndarray:
        """The source's grain in the :attr:`flat` blocks: :func:`qualipress.film.analysis.plane_residual` of
        :attr:`grain_y` (float64, made again at each call; the same values every time)."""
        return analysis.plane_residual(self.grain_y)

    @property
    def temporal_blocks(self) -> np.ndarray:
        """The block mask of the temporal figure (and of :func:`flat_luma`)."""
        if self.blocks is None:
            self.blocks = analysis.flat_blocks(self.stats)
        return self.blocks


def temporal_mask(stats: analysis.BlockStats, image: Image) -> np.ndarray:
    """The block mask of the temporal figure for a frame with these block statistics, as its reference holds it
    (:attr:`Reference.temporal_blocks`): :func:`qualipress.film.analysis.grain_blocks`. The film hooks cut the
    previous frame to it before the reference exists, so both take it from here."""
    return analysis.grain_blocks(stats, image)


def grey16(a: np.ndarray) -> np.ndarray:
    """Display code quantised to 16 bits (what a 16-bit display file would hold), as float32 in [0, 1]."""
    return (np.rint(np.clip(a, 0, 1) * 65535) / 65535).astype(np.float32)


def grey16_code(a: np.ndarray) -> np.ndarray:
    """The 16-bit codes of :func:`grey16` (uint16): ``code / 65535`` in float32 gives :func:`grey16`'s value bit for
    bit, for every code (float32 division and float64 division rounded to float32 agree on all 65,536)."""
    return np.rint(np.clip(a, 0, 1) * 65535).astype(np.uint16)


def display_rows(image: Image) -> Callable[[slice], np.ndarray]:
    """The rows of a frame's :attr:`Reference.display` made again from the frame (``rows(slice)``, uint16): the same
    codes bit for bit, every step working sample by sample; a display check can hold this instead of the plane."""

    def rows(r: slice) -> np.ndarray:
        lin = linear_luma(analysis.code_at_rows(image, r), image)
        if lin is None:
            raise InputError("the frame's transfer has no linear decoding: no display rendering")
        return grey16_code(display_code(lin))

    return rows


def release_linear(ref: Reference, arrays: analysis.FrameArrays | None = None) -> None:
    """Drop the source's linear-light and luma planes (two float32 planes of the frame) once the frame analysis
    has used them: the tonal figure works from :attr:`Reference.src_means`, the display figure from the source's
    display rows (:func:`display_rows`, rendered again when asked), the grain and block checks from the block
    statistics and flat-block grain, and the temporal figure and the next frame's reference take the luma from
    :func:`source_luma` (converted again: 3 ms at 2K, instead of a plane held while every probe is decoded)."""
    ref.linear = None
    ref.y = None
    if arrays is not None:
        arrays.log_linear = None
        arrays.y = None


def source_luma(ref: Reference) -> np.ndarray:
    """The source frame's luma: the kept plane, or the same values converted again once released."""
    return ref.y if ref.y is not None else analysis.code_luma(ref.image)


def reference(image: Image, *, arrays: analysis.FrameArrays | None = None) -> Reference:
    """Source-side measurements of one frame.

    Parameters
    ----------
    arrays : qualipress.film.analysis.FrameArrays, optional
        The frame's :func:`qualipress.film.analysis.frame_arrays` (default block), when already computed.

    Raises
    ------
    InputError
        Frame smaller than one analysis block.
    """
    if arrays is not None and arrays.stats.block == analysis.BLOCK:
        y, stats = arrays.y, arrays.stats
    else:
        y = analysis.code_luma(image)
        stats = analysis.block_stats(y)
    shape = (image.height, image.width)
    # the flattest blocks that hold grain (bars cannot fill the flattest quarter); a frame with none keeps its
    # flattest blocks for the temporal figure
    blocks = flat = temporal_mask(stats, image)
    b = stats.block
    grain_y = analysis.block_view(y, b)[flat] if flat.any() else np.zeros((0, b, b), np.float32)
    hp = analysis.plane_residual(grain_y)
    floor = grain_floor(None if image.is_float else image.bit_depth)
    if hp.size:
        # blocks without grain (clipped to white, crushed to black) inside the flat set say nothing about grain
        rms = np.sqrt((hp**2).mean(axis=(1, 2)))
        keep = rms > analysis.grainless_residual(image)
        idx = np.flatnonzero(flat)
        flat = flat.copy()
        flat.flat[idx[~keep]] = False
        hp = hp[keep]
        grain_y = grain_y[keep]
    sigma = float(np.sqrt((hp**2).mean())) if hp.size else 0.0
    why = None
    if not stats.residual.size or not analysis.flat_blocks(stats).any():
        why = "no flat region in the frame (texture everywhere)"
    elif grain_y.size == 0:
        why = "the flattest regions hold no grain (black, clipped or noise-free)"
    elif sigma < floor:
        why = f"no grain to keep: grain RMS {sigma * 1023:.2f} 10-bit codes < {floor * 1023:.2f}"
    del hp  # the float64 residual is made again from ``grain_y`` when measured (:attr:`Reference.source_hp`)
    shared = arrays is not None and arrays.stats.block == analysis.BLOCK and not image.is_float \
        and image.transfer == "log"
    lin = analysis.log_linear_luma(arrays, image) if shared and arrays is not None else linear_plane(image, image)
    hi = lo = means = display = None
    if lin is not None:
        smooth = _blur2(lin)
        hi = np.flatnonzero(smooth >= np.quantile(smooth, 1.0 - HIGHLIGHT_SHARE))
        lo = np.flatnonzero(smooth <= np.quantile(smooth, SHADOW_SHARE))
        del smooth
        flat_lin = lin.reshape(-1)
        means = {"highlights": float(flat_lin[hi].mean()), "shadows": float(flat_lin[lo].mean())}
        display = np.empty(lin.shape, np.uint16)  # rendered in strips of rows: its temporaries stay small
        for r0 in range(0, lin.shape[0], analysis.STRIP_ROWS):
            display[r0: r0 + analysis.STRIP_ROWS] = grey16_code(display_code(lin[r0: r0 + analysis.STRIP_ROWS]))
    return Reference(image, shape, y, stats, flat, grain_y, sigma, why, lin, hi, lo, means, display, blocks)


def _blur2(a: np.ndarray) -> np.ndarray:
    """Gaussian blur, σ = 2 px, edges repeated, radius 8 (the kernel of ``scipy.ndimage.gaussian_filter(a, 2.0,
    mode="nearest")``), by OpenCV: the metrics already load it, while importing ``scipy.ndimage`` costs each
    worker process about a second."""
    import cv2

    return np.asarray(cv2.GaussianBlur(np.ascontiguousarray(a, dtype=np.float32), (17, 17), 2.0,
                                       borderType=cv2.BORDER_REPLICATE))


def linear_plane(image: Image, reference: Image) -> np.ndarray | None:
    """:func:`linear_luma` of the perceptual code of ``image`` (the source or a decoded frame), decoded like
    ``reference``, computed strip by strip (:func:`qualipress.film.analysis.code_plane`: the same values without
    a whole-frame float copy); None when the transfer is unknown."""
    probe = np.zeros((1, 1, image.pixels.shape[2] - int(image.has_alpha)), np.float32)
    if linear_luma(probe, reference) is None:
        return None
    return analysis.code_plane(image, lambda c: linear_luma(c, reference))


def flat_luma(ref: Reference, y: np.ndarray) -> np.ndarray:
    """The blocks of a luma plane ``y`` (H, W) of this frame's size that :func:`grain_kept` and
    :func:`temporal_ratio` measure (:attr:`Reference.temporal_blocks`, at most a quarter of the frame), as a
    ``(K, block, block)`` copy in row-major block order: both figures give the same values for it as for ``y``,
    so a decoded probe or a previous frame can be held as these blocks instead of a whole float32 plane."""
    return analysis.block_view(y, ref.stats.block)[ref.temporal_blocks]


def _blocks(ref: Reference, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The blocks ``mask`` (a subset of :attr:`Reference.temporal_blocks`) selects from a plane or from its
    :func:`flat_luma` blocks."""
    if y.ndim == 3:  # already the temporal blocks: select within them, keeping row-major order
        return y if mask is ref.temporal_blocks else y[mask[ref.temporal_blocks]]
    return analysis.block_view(y, ref.stats.block)[mask]


def grain_kept(ref: Reference, dec_y: np.ndarray) -> dict[str, Any]:
    """Grain correlation and energy ratio of a decoded luma in the source's flat blocks (module docstring).

    ``dec_y``: the decoded luma plane (H, W), or its :func:`flat_luma` blocks (the same figures)."""
    out: dict[str, Any] = {"applies": ref.grain_why is None, "sigma": round(ref.sigma, 6),
                           "blocks": int(ref.flat.sum())}
    if ref.grain_why is not None:
        return {**out, "why": ref.grain_why, "corr": None, "energy": None}
    dhp = analysis.plane_residual(_blocks(ref, dec_y, ref.flat))
    shp = ref.source_hp
    s2 = float((shp**2).sum())
    d2 = float((dhp**2).sum())
    corr = float((shp * dhp).sum() / math.sqrt(s2 * d2)) if d2 > 0 else 0.0
    return {**out, "corr": round(corr, 4), "energy": round(math.sqrt(d2 / s2), 4)}


#: Colour-difference directions of the colour-grain figure: B − Y and R − Y of the perceptual code, Y the luma of
#: :func:`qualipress.film.analysis.luma` (the directions luma does not see; per-dye-layer grain shows in both).
COLOUR_DIRECTIONS = ("B-Y", "R-Y")


#: Flat blocks converted at a time by the colour-grain figure (65,536 samples): its temporaries (pixel indices,
#: colour samples, float64 residuals) stay ~1 MB each at any frame size instead of growing with the frame (tens of
#: MB at 2K, ~0.4 GB at 8K); the same as :func:`qualipress.film.analysis.colour_grain`'s.
COLOUR_CHUNK = analysis.COLOUR_BLOCKS


def colour_blocks(ref: Reference, image: Image, which: slice = slice(None)) -> np.ndarray:
    """The colour differences (:data:`COLOUR_DIRECTIONS`) of ``image`` (the source or a decoded frame of its size)
    in the source's :attr:`Reference.flat` blocks (those ``which`` selects, in row-major block order),
    ``(K, 2, block, block)`` float32; only those pixels are converted (:func:`qualipress.film.analysis.code_at`),
    never the whole frame. An image with fewer than three colour channels has no colour differences: zeros."""
    b = ref.stats.block
    rows, cols = (v[which] for v in np.nonzero(ref.flat))
    if image.pixels.shape[2] - int(image.has_alpha) < 3:
        return np.zeros((rows.size, 2, b, b), np.float32)
    rgb = analysis.code_at(image, analysis.block_pixels(rows, cols, b, ref.shape[1]))[:, :3]
    y = analysis.luma(rgb[None])[0]
    diff = np.stack([rgb[:, 2] - y, rgb[:, 0] - y])  # (2, K·b·b)
    return np.ascontiguousarray(diff.reshape(2, -1, b, b).transpose(1, 0, 2, 3), dtype=np.float32)


def _colour_source(ref: Reference) -> np.ndarray:
    """:attr:`Reference.colour_hp`, made on first use (chunk by chunk), and :attr:`Reference.colour_keep`."""
    if ref.colour_hp is None:
        k, b = int(ref.flat.sum()), ref.stats.block
        hp = np.empty((k, 2, b, b), np.float16)
        rms = np.empty((k, 2))
        for c0 in range(0, k, COLOUR_CHUNK):
            part = slice(c0, c0 + COLOUR_CHUNK)
            res = analysis.plane_residual(colour_blocks(ref, ref.image, part))
            hp[part] = res
            rms[part] = np.sqrt((res**2).mean(axis=(2, 3)))
        ref.colour_keep = analysis.without_colour_edges(rms)
        ref.colour_hp = hp
    return ref.colour_hp


def colour_grain_kept(ref: Reference, decoded: Image) -> dict[str, Any]:
    """Colour grain kept: :func:`grain_kept`'s correlation and energy ratio, measured on the colour differences
    B − Y and R − Y (:data:`COLOUR_DIRECTIONS`) instead of luma, in the same flattest blocks less those holding a
    colour edge (:func:`qualipress.film.analysis.without_colour_edges`; ``blocks`` counts the blocks measured).

    Each direction's plane-fit residual in a flat block is its colour grain. ``corr`` and ``energy`` are those of
    the weaker direction (the lower ``min(corr, energy)``) among the directions whose source grain RMS reaches
    :func:`grain_floor`; ``directions`` holds both. Does not apply (``applies`` False, ``why``) to grey or
    single-channel frames, to frames whose luma grain figure does not apply, or when neither direction holds grain
    (luma-only grain: R, G and B move together). A decoded frame without colour keeps none (corr and energy 0)."""
    out: dict[str, Any] = {"applies": False, "sigma": None, "blocks": int(ref.flat.sum()), "corr": None,
                           "energy": None}
    if ref.grain_why is not None:
        return {**out, "why": ref.grain_why}
    if ref.image.pixels.shape[2] - int(ref.image.has_alpha) < 3:
        return {**out, "why": "single-channel frame: no colour grain"}
    src = _colour_source(ref)
    keep = ref.colour_keep
    assert keep is not None
    out["blocks"] = int(keep.sum())
    # per direction: Σ source², Σ decoded², Σ source × decoded, summed chunk by chunk over the kept blocks
    sums = np.zeros((3, 2))
    for c0 in range(0, src.shape[0], COLOUR_CHUNK):
        part = slice(c0, c0 + COLOUR_CHUNK)
        shp = src[part][keep[part]].astype(np.float64)
        dhp = analysis.plane_residual(colour_blocks(ref, decoded, part)[keep[part]])
        sums += [(shp**2).sum(axis=(0, 2, 3)), (dhp**2).sum(axis=(0, 2, 3)), (shp * dhp).sum(axis=(0, 2, 3))]
    n = max(1, int(keep.sum()) * src.shape[2] * src.shape[3])
    floor = grain_floor(None if ref.image.is_float else ref.image.bit_depth)
    dirs: dict[str, dict[str, float]] = {}
    for k, name in enumerate(COLOUR_DIRECTIONS):
        s2, d2, sd = (float(v) for v in sums[:, k])
        sigma = math.sqrt(s2 / n)
        if sigma < floor:
            continue
        corr = sd / math.sqrt(s2 * d2) if d2 > 0 else 0.0
        dirs[name] = {"sigma": round(sigma, 6), "corr": round(corr, 4), "energy": round(math.sqrt(d2 / s2), 4)}
    if not dirs:
        sig = math.sqrt(float(sums[0].sum()) / (2 * n))
        return {**out, "sigma": round(sig, 6),
                "why": f"no colour grain to keep: colour-difference grain RMS {sig * 1023:.2f} 10-bit codes < "
                       f"{floor * 1023:.2f} (grey frame or luma-only grain)"}
    worst = min(dirs.values(), key=lambda v: min(v["corr"], v["energy"]))
    return {**out, "applies": True, "sigma": worst["sigma"], "corr": worst["corr"], "energy": worst["energy"],
            "directions": dirs}


def tonal_shift(ref: Reference, dec_code: np.ndarray | Image) -> dict[str, Any]:
    """Highlight and shadow mean shift in stops (module docstring), from the decoded frame's perceptual code or
    from the decoded frame itself (then only the measured pixels are converted)."""
    if ref.src_means is None or ref.highlights is None or ref.shadows is None:
        return {"applies": False, "why": f"transfer {ref.image.transfer!r} has no known linear decoding",
                "highlights": None, "shadows": None}
    out: dict[str, Any] = {"applies": True}
    notes = []
    for key, mask in (("highlights", ref.highlights), ("shadows", ref.shadows)):
        src_mean = ref.src_means[key]
        if src_mean <= LINEAR_FLOOR:
            out[key] = None
            notes.append(f"{key}: source too dark ({src_mean:.2g} linear) to measure in stops")
            continue
        at = analysis.code_at(dec_code, mask) if isinstance(dec_code, Image) else \
            dec_code.reshape(-1, dec_code.shape[-1])[mask]
        dec = linear_luma(at[None], ref.image)  # only the pixels measured
        assert dec is not None
        out[key] = round(math.log2(max(float(dec.mean()), LINEAR_FLOOR) / src_mean), 4)
    if out["highlights"] is None and out["shadows"] is None:
        out["applies"] = False
    if notes:
        out["why"] = "; ".join(notes)
    return out


def temporal_ratio(ref: Reference, dec_y: np.ndarray, prev_src_y: np.ndarray | None,
                   prev_dec_y: np.ndarray | None, *, why_not: str | None = None) -> dict[str, Any]:
    """Decoded vs source frame-to-frame difference RMS in the current frame's flat blocks (module docstring).

    Each of ``dec_y``, ``prev_src_y`` and ``prev_dec_y`` is a luma plane (H, W) or its :func:`flat_luma` blocks
    for *this* frame (the same figures)."""
    if prev_src_y is None or prev_dec_y is None:
        return {"applies": False, "why": why_not or "no previous frame of this sequence", "ratio": None}
    if (prev_src_y.ndim == 2 and prev_src_y.shape != ref.shape) or \
            (prev_dec_y.ndim == 2 and dec_y.ndim == 2 and prev_dec_y.shape != dec_y.shape):
        return {"applies": False, "ratio": None,
                "why": f"previous frame is {prev_src_y.shape[1]}x{prev_src_y.shape[0]}, "
                       f"this one {ref.shape[1]}x{ref.shape[0]}"}
    mask = ref.temporal_blocks
    if not mask.any():
        return {"applies": False, "why": "no flat region in the frame", "ratio": None}

    def flat(y: np.ndarray) -> np.ndarray:  # the flat blocks only: no whole-frame float64 difference is made
        return _blocks(ref, y, mask)

    y64 = flat(source_luma(ref)).astype(np.float64)
    ds = y64 - flat(prev_src_y)
    dd = flat(dec_y).astype(np.float64) - flat(prev_dec_y)
    src = float(np.sqrt((ds**2).mean()))
    if src < GRAIN_MIN / 4:
        return {"applies": False, "ratio": None,
                "why": "source frames identical in the flat regions (no grain, nothing moves)"}
    grain_only = math.sqrt(2.0) * max(ref.sigma, GRAIN_MIN)  # two frames' independent grain
    if src > CUT_RATIO * grain_only:
        return {"applies": False, "ratio": None,
                "why": f"the source changes by {src * 1023:.1f} 10-bit codes RMS in the flat regions, "
                       f"{src / grain_only:.0f}x what grain alone gives (a cut, fade or fast change): the ratio "
                       "would measure that change, not the coding"}
    # what this frame could best do: its source exactly, against the previous output as it is
    ideal = y64 - flat(prev_dec_y)
    return {"applies": True, "ratio": round(float(np.sqrt((dd**2).mean())) / src, 4),
            "ideal": round(float(np.sqrt((ideal**2).mean())) / src, 4),
            "added": round(float(np.sqrt(((dd - ds) ** 2).mean())), 6),
            "source_grain": ref.grain_why is None}
