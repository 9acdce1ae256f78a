"""Decision module: checks that look beyond the global score after every encode.

Each check is a callable ``(reference: Image, decoded: Image) -> CheckOutcome`` that
:func:`qualipress.search.search` runs on every probe; a probe passes only when the target *and* every check pass,
so a failing check makes the search raise quality (the search's only knob for JPEG XL, JPEG 2000, AVIF and HEIF:
their Python bindings expose no spatial quantisation map, so "spending bits on the failing region" is done by
raising the global quality until the worst region passes). Each outcome's ``detail`` says which region failed
and by how much; the pipeline records the outcomes of every probe in the frame's report.

Both images are compared in the perceptual code domain (:func:`qualipress.io.to_perceptual`): a linear float
reference is PQ-coded, the decoded integer image is normalised. What is computed from the reference alone
(block statistics, masks) is cached per reference object, so a search's probes pay for it once.

Checks
------
WorstTileCheck  the lowest per-tile SSIM (tiles of ``tile`` pixels) must reach ``min_ssim``.
BandingCheck    in the reference's smooth-gradient blocks (:func:`qualipress.film.analysis.smooth_gradient`) the
                decoded block must stay close to a plane: the extra residual it gained, expressed as the step
                height of an equivalent staircase (RMS × √12), must stay under ``max_step`` (code values) in all
                but ``max_fraction`` of those blocks (at least one block is always allowed).
DetailCheck     in the reference's textured blocks, the decoded block must keep its detail energy: the ratio of
                decoded to reference residual RMS must average at least ``min_ratio`` and its 10th percentile
                at least ``min_ratio − 0.15`` (blurring or smoothing texture lowers the ratio).
GrainCheck      grain kept in the flattest blocks (:func:`qualipress.film.fidelity.grain_kept`): correlation of
                decoded vs source high-pass ≥ ``min_corr`` and RMS ratio ≥ ``min_energy``.
ColourGrainCheck
                the same on the colour differences B − Y and R − Y in the same blocks
                (:func:`qualipress.film.fidelity.colour_grain_kept`, the weaker direction): luma alone does not see
                a codec that keeps the grain's brightness and smooths away its colour (per-dye-layer grain).
TemporalCheck   decoded / source frame-to-frame difference in the flat blocks within ``[low, high]``
                (:func:`qualipress.film.fidelity.temporal_ratio`), against the previous frame of the sequence,
                judged by what the source has: below ``low`` fails ("grain frozen or removed") only when the
                source frame has grain and this output does not keep its energy; above ``high`` fails ("adds
                shimmer") only when the change the coding added is above the smallest visible grain
                (:data:`qualipress.film.fidelity.GRAIN_MIN`) and beyond ``high`` × what the previous output
                imposes (the ratio with this frame coded exactly).
TonalCheck      highlight and shadow mean shift in linear light within ± ``max_stops``
                (:func:`qualipress.film.fidelity.tonal_shift`).
DisplayCheck    SSIM of the display rendering of luminance (:func:`qualipress.film.fidelity.display_code`,
                16-bit grey) ≥ ``min_ssim``:
                the target's SSIM measured where a viewer looks, beside the code-value SSIM of the target.

A check that cannot apply to a frame (no grain, black or clipped frame, no previous frame, ...) passes and says
why in its detail. The per-profile parameters live in the profiles' ``[NAME.film]`` tables
(``qualipress/profiles/profiles.toml``), read by :func:`profile_parameters`.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qualipress import metrics
from qualipress.errors import TargetError
from qualipress.film import analysis, fidelity
from qualipress.io import Image, pixel_digest, seen_colour
from qualipress.metrics.core import Reference
from qualipress.profiles import load_profiles
from qualipress.search.search import SHELVE_SAMPLES

try:  # the core's outcome type, when the search has landed
    from qualipress.search import CheckOutcome
except ImportError:  # pragma: no cover - only before the core search exists
    @dataclass(frozen=True)
    class CheckOutcome:  # type: ignore[no-redef]
        passed: bool
        name: str
        detail: str = ""


@dataclass(eq=False)  # compared by identity: equality would compare its arrays (forget() looks it up with `in`)
class _RefInfo:
    #: (H, W, C) of the frame's colour samples.
    shape: tuple[int, ...]
    stats: analysis.BlockStats
    smooth: np.ndarray
    texture: np.ndarray
    fid: fidelity.Reference
    arrays: analysis.FrameArrays | None = None
    display_ref: Any = None


_KEYS: dict[int, tuple[weakref.ref[Any], _RefInfo]] = {}
#: Frames whose :class:`_RefInfo` is kept while they are alive (the frame being compressed, and one more).
_KEEP_FRAMES = 2


def _ref_info(reference: Image, *, stats_ready: Callable[[analysis.BlockStats], None] | None = None) -> _RefInfo:
    """Everything the checks need from the source frame, computed once per frame object (cached by identity):
    :func:`qualipress.film.analysis.frame_arrays`, block masks and :func:`qualipress.film.fidelity.reference`.
    :class:`qualipress.film.hooks.FilmHooks` calls it first in ``plan``, so the frame analysis reuses it too
    (``stats_ready``: passed to ``frame_arrays`` when computed here, not called on a cached frame)."""
    hit = _KEYS.get(id(reference))
    if hit is not None and hit[0]() is reference:
        return hit[1]
    arrays = analysis.frame_arrays(reference, stats_ready=stats_ready)
    sigma = arrays.grain["sigma"]
    info = _RefInfo(arrays.shape, arrays.stats, analysis.smooth_gradient(arrays.stats)["mask"],
                    analysis.texture(arrays.stats, noise=sigma)["mask"],
                    fidelity.reference(reference, arrays=arrays), arrays=arrays)
    if info.fid.display is not None:
        info.display_ref = _display_reference(info.fid)
    for key in [k for k, v in _KEYS.items() if v[0]() is None]:
        del _KEYS[key]  # frames already gone: their arrays (several float copies of the frame) go with them
    while len(_KEYS) >= _KEEP_FRAMES:
        del _KEYS[next(iter(_KEYS))]
    _KEYS[id(reference)] = (weakref.ref(reference), info)
    return info


def forget(reference: Image) -> None:
    """Drop what the checks cached for a finished frame (its source side and its probes'): called by
    :class:`qualipress.film.hooks.FilmHooks` once the frame's figures are recorded, so a worker holds no arrays
    of it while it reads and analyses the next frame."""
    hit = _KEYS.get(id(reference))
    if hit is None or hit[0]() is not reference:
        return
    info = _KEYS.pop(id(reference))[1]
    for key in [k for k, v in _DECODED.items() if v[1]() in (info, None)]:
        del _DECODED[key]
    for key in [k for k, v in _FIGURES.items() if v[0]() in (info, None)]:
        del _FIGURES[key]


@dataclass
class _DecInfo:
    """What the checks measure on one decoded probe, computed once and shared by all of them.

    The perceptual code of the whole probe (three float32 planes, 26 MB at 2K) is never made, nor is its luma plane
    kept: the luma is converted strip by strip (:func:`qualipress.film.analysis.code_luma`, 3 ms at 2K) when a
    figure needs it, and only what the checks measure on it is kept: its block statistics and the blocks the grain
    and temporal figures compare (:func:`qualipress.film.fidelity.flat_luma`, at most a quarter of the plane), so
    no float32 plane of a probe is resident while the next probe is decoded. The tonal figure converts only the
    pixels it measures and the display figure renders the probe strip by strip (figures cached in
    :attr:`figures`). :attr:`code` converts the whole probe, for callers that want it."""

    image: weakref.ref[Any]
    shape: tuple[int, ...]
    _blocks: np.ndarray | None = None
    _stats: analysis.BlockStats | None = None
    #: Figures already computed on this probe (see :func:`figure`).
    figures: dict[Any, Any] = field(default_factory=dict)
    #: SHA-256 of the probe's pixels, for frames the search decodes again (see :func:`_dec_info`); else None.
    digest: bytes | None = None

    @property
    def code(self) -> np.ndarray:
        """Perceptual code of the decoded probe, ``(H, W, C)`` float32 (converted on each call)."""
        decoded = self.image()
        if decoded is None:  # pragma: no cover - the callers hold the decoded image while they measure it
            raise ValueError("the decoded probe is gone")
        return np.asarray(seen_colour(decoded), np.float32)  # its size was checked by _dec_info

    @property
    def decoded(self) -> Image:
        """The decoded probe (held by the caller while it is measured)."""
        decoded = self.image()
        if decoded is None:  # pragma: no cover - the callers hold the decoded image while they measure it
            raise ValueError("the decoded probe is gone")
        return decoded

    @property
    def y(self) -> np.ndarray:
        """Luma plane of the decoded probe (converted on each call, not kept)."""
        return analysis.code_luma(self.decoded)

    def blocks(self, ref: fidelity.Reference) -> np.ndarray:
        """:func:`qualipress.film.fidelity.flat_luma` of the probe's luma for the source ``ref`` (kept)."""
        if self._blocks is None:
            self._blocks = fidelity.flat_luma(ref, self.y)
        return self._blocks

    def stats(self, block: int) -> analysis.BlockStats:
        if self._stats is None or self._stats.block != block:
            self._stats = analysis.block_stats(self.y, block=block)
        return self._stats

    def watch(self, decoded: Image) -> None:
        """Measure ``decoded`` from now on, and drop the luma blocks and block fits as soon as it is freed.

        A search gives a large frame's decoded probe back before it makes the next one
        (:data:`qualipress.search.search.SHELVE_SAMPLES`): the blocks (2 MB at 2K) then go with it instead of
        staying resident through the next probe's encode and decode. Nothing is lost: they are made from the
        pixels, which are gone, and the figures computed from them stay in :attr:`figures`."""
        me = weakref.ref(self)

        def gone(_: object) -> None:
            info = me()
            if info is not None:
                info._blocks = info._stats = None

        self.image = weakref.ref(decoded, gone)


_DECODED: dict[int, tuple[weakref.ref[Any], weakref.ref[Any], _DecInfo]] = {}


def _dec_info(info: _RefInfo, decoded: Image, *, digest: bytes | None = None) -> _DecInfo:
    """Perceptual code, luma and block statistics of a decoded probe, computed once per decoded image object
    (cached by identity; only the last few probes are kept).

    The search gives a large frame's decoded probes back while it makes the next one, and the result's pixels come
    back decoded again (by the search, or from the written file: :data:`qualipress.search.search.SHELVE_SAMPLES`):
    for such frames each probe's pixels get a SHA-256 (``digest`` when the caller already has it), and a decoded
    image with the same pixels as a probe already measured gets that probe's figures (the seal of the result then
    measures nothing again), also once that probe's entry made room for later ones (its figures are kept, by
    digest, until the frame is forgotten)."""
    hit = _DECODED.get(id(decoded))
    if hit is not None and hit[0]() is decoded and hit[1]() is info:
        return hit[2]
    if (decoded.height, decoded.width) != info.shape[:2]:
        raise ValueError(f"decoded size {(decoded.height, decoded.width)} differs from reference {info.shape[:2]}")
    figures: dict[Any, Any] = {}
    if decoded.pixels.size >= SHELVE_SAMPLES:
        digest = digest or pixel_digest(decoded.pixels)
        for key, (_, of, same) in list(_DECODED.items()):
            if same.digest == digest and of() is info:  # the same pixels, decoded again
                del _DECODED[key]
                same.watch(decoded)
                _DECODED[id(decoded)] = (weakref.ref(decoded), weakref.ref(info), same)
                return same
        kept = _FIGURES.get(digest)
        if kept is not None and kept[0]() is info:
            figures = dict(kept[1])
    else:
        digest = None
    out = _DecInfo(weakref.ref(decoded), info.shape, figures=figures, digest=digest)
    out.watch(decoded)
    for key in [k for k, v in _DECODED.items() if (v[0]() is None and v[2].digest is None) or v[1]() is None]:
        del _DECODED[key]  # probes (unless they may be decoded again) and frames already gone
    for key in [k for k, v in _FIGURES.items() if v[0]() is None]:
        del _FIGURES[key]
    while len(_DECODED) >= _KEEP_DECODED:
        _, of, oldest = _DECODED.pop(next(iter(_DECODED)))  # the oldest probe
        if oldest.digest is not None and oldest.figures:
            _FIGURES[oldest.digest] = (of, oldest.figures)
    for _, _, older in _DECODED.values():
        # an earlier probe keeps its figures, not its luma blocks and block fits: the checks are done with it, and
        # the seal of the chosen output converts its luma again if it needs it
        older._blocks = older._stats = None
    _DECODED[id(decoded)] = (weakref.ref(decoded), weakref.ref(info), out)
    return out


#: Decoded probes whose :class:`_DecInfo` is kept (the last ones: a search ends next to its winner, whose figures
#: the seal then reuses; only the newest keeps its luma blocks and block fits).
_KEEP_DECODED = 2
#: Figures of large frames' probes whose :class:`_DecInfo` was dropped, by pixel digest: (frame's info, figures).
#: A search that ends on an earlier probe (a warm frame's first setting, after a failing neighbour and more) gets
#: them back for its seal instead of measuring them again; a few numbers per probe, until the frame is forgotten.
_FIGURES: dict[bytes, tuple[weakref.ref[Any], dict[Any, Any]]] = {}


def figure(dec: _DecInfo, key: Any, compute: Any) -> Any:
    """A fidelity figure of one decoded probe, computed once: ``compute()`` the first time ``key`` is asked for,
    the stored value after that (the checks and the seal of the chosen output ask for the same figures)."""
    if key not in dec.figures:
        dec.figures[key] = compute()
    return dec.figures[key]


@dataclass
class WorstTileCheck:
    """Lowest per-tile SSIM must reach ``min_ssim``."""

    min_ssim: float
    tile: int = 256
    name: str = "worst-tile"

    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome:
        r = metrics.measure(reference, decoded, ("ssim",), tile=self.tile)["ssim"]
        tiles = np.asarray(r.tiles)
        worst = float(tiles.min()) if tiles.size else float(r.value)
        where = np.unravel_index(int(tiles.argmin()), tiles.shape) if tiles.size else (0, 0)
        ok = worst >= self.min_ssim
        detail = (f"worst {self.tile}px tile SSIM {worst:.4f} at tile (row {where[0]}, col {where[1]}) "
                  f"{'>=' if ok else '<'} {self.min_ssim}")
        return CheckOutcome(ok, self.name, detail)


@dataclass
class BandingCheck:
    """Smooth gradients must not turn into staircases (see module docstring)."""

    max_step: float = 0.004
    max_fraction: float = 0.02
    name: str = "banding"

    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome:
        info = _ref_info(reference)
        n = int(info.smooth.sum())
        if n == 0:
            return CheckOutcome(True, self.name, "no smooth-gradient blocks in the reference")
        dec = _dec_info(info, decoded).stats(info.stats.block)
        extra = np.sqrt(np.maximum(dec.residual.astype(np.float64) ** 2 - info.stats.residual.astype(np.float64) ** 2,
                                   0.0)) * math.sqrt(12.0)
        steps = extra[info.smooth]
        bad = int((steps > self.max_step).sum())
        # one block is always allowed: with a few dozen smooth blocks (grainy frames have few) 2 % is less than
        # one block, and one 16-px block is not a banded gradient
        allowed = max(1, int(self.max_fraction * n))
        ok = bad <= allowed
        detail = (f"{bad}/{n} smooth-gradient blocks gained a step > {self.max_step:g} "
                  f"(worst {float(steps.max()):.4f}); allowed {allowed} ({self.max_fraction:.0%}, at least 1)")
        # a count of blocks near the limit moves with the grain's noise, not steadily with the setting: it can
        # pass between two failing settings (the search then also asks the next finer setting)
        return CheckOutcome(ok, self.name, detail, monotone=False)


@dataclass
class DetailCheck:
    """Textured regions must keep their detail energy (see module docstring)."""

    min_ratio: float = 0.85
    name: str = "detail"
    _spread: float = field(default=0.15, repr=False)

    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome:
        info = _ref_info(reference)
        n = int(info.texture.sum())
        if n == 0:
            return CheckOutcome(True, self.name, "no textured blocks in the reference")
        dec = _dec_info(info, decoded).stats(info.stats.block)
        ratio = dec.residual[info.texture].astype(np.float64) / np.maximum(
            info.stats.residual[info.texture].astype(np.float64), 1e-9)
        mean = float(ratio.mean())
        p10 = float(np.percentile(ratio, 10))
        ok = mean >= self.min_ratio and p10 >= self.min_ratio - self._spread
        detail = (f"texture energy kept: mean {mean:.3f}, p10 {p10:.3f} over {n} textured blocks "
                  f"(need mean >= {self.min_ratio}, p10 >= {self.min_ratio - self._spread:.2f})")
        return CheckOutcome(ok, self.name, detail)


def _floor_margin(figures: Iterable[Mapping[str, float]], min_corr: float, min_energy: float) -> float | None:
    """The lowest distance of grain ``figures`` (each with ``corr`` and ``energy``) to the floors: negative when one
    is below its floor; None when both floors are 0 (report only)."""
    if not (min_corr or min_energy):
        return None
    return min(min(f["corr"] - min_corr, f["energy"] - min_energy) for f in figures)


@dataclass
class GrainCheck:
    """The grain of the flattest regions must survive (see module docstring); ``0`` floors only report."""

    min_corr: float = 0.6
    min_energy: float = 0.6
    name: str = "grain"
    #: The colour-grain check that runs after this one, if any: a probe failing here gets the lower of both
    #: distances as its margin (see :meth:`_margin`).
    colour: ColourGrainCheck | None = None

    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome:
        info = _ref_info(reference)
        dec = _dec_info(info, decoded)
        g = figure(dec, "grain", lambda: fidelity.grain_kept(info.fid, dec.blocks(info.fid)))
        if not g["applies"]:
            return CheckOutcome(True, self.name, f"not applicable: {g['why']}")
        # the distance to the floors, for the search to interpolate on (both ratios move smoothly with the
        # setting); none when the floors only report
        margin = _floor_margin([g], self.min_corr, self.min_energy)
        ok = margin is None or margin >= 0
        need = f"need corr >= {self.min_corr}, energy >= {self.min_energy}" if margin is not None else "report only"
        detail = (f"grain kept: corr {g['corr']:.3f}, energy {g['energy']:.3f} over {g['blocks']} flat blocks "
                  f"(grain RMS {g['sigma'] * 1023:.2f} 10-bit codes; {need})")
        if not ok and margin is not None:
            margin = self._margin(margin, reference, decoded)
        return CheckOutcome(ok, self.name, detail, margin)

    def _margin(self, margin: float, reference: Image, decoded: Image) -> float:
        """A failing probe's distance: the lower of this check's and the colour-grain check's. The search stops
        at the first failing check, so without this a probe failing here would say nothing about the colour
        grain, and the margins of neighbouring probes would switch from one check to the other where the binding
        check changes (on a 2K grainy frame the search then interpolated 10 grid steps past the setting; the colour
        figure is computed once per probe and reused when the colour check runs)."""
        if self.colour is None:
            return margin
        other = self.colour(reference, decoded).margin
        return margin if other is None else min(margin, other)


@dataclass
class ColourGrainCheck:
    """The colour grain of the flattest regions must survive (see module docstring); ``0`` floors only report."""

    min_corr: float = 0.0
    min_energy: float = 0.0
    name: str = "colour-grain"

    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome:
        info = _ref_info(reference)
        dec = _dec_info(info, decoded)
        g = figure(dec, "colour-grain", lambda: fidelity.colour_grain_kept(info.fid, dec.decoded))
        if not g["applies"]:
            return CheckOutcome(True, self.name, f"not applicable: {g['why']}")
        # Both directions must keep both floors: the weaker direction by min(corr, energy) need not be the one
        # below a floor when the two floors differ (review, session 10).
        margin = _floor_margin(g["directions"].values(), self.min_corr, self.min_energy)
        ok = margin is None or margin >= 0
        need = (f"need corr >= {self.min_corr}, energy >= {self.min_energy} in each" if margin is not None
                else "report only")
        each = ", ".join(f"{k} {d['corr']:.3f}/{d['energy']:.3f}" for k, d in g["directions"].items())
        detail = (f"colour grain kept: corr {g['corr']:.3f}, energy {g['energy']:.3f} (weaker of {each}) over "
                  f"{g['blocks']} flat blocks (colour grain RMS {g['sigma'] * 1023:.2f} 10-bit codes; {need})")
        return CheckOutcome(ok, self.name, detail, margin)


@dataclass
class TemporalCheck:
    """Frame-to-frame difference of the output within ``[low, high]`` times the source's."""

    prev_source: np.ndarray
    prev_decoded: np.ndarray
    low: float = 0.85
    high: float = 1.15
    name: str = "temporal"

    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome:
        info = _ref_info(reference)
        dec = _dec_info(info, decoded)
        t = figure(dec, ("temporal", id(self.prev_source), id(self.prev_decoded)),
                   lambda: fidelity.temporal_ratio(info.fid, dec.blocks(info.fid), self.prev_source,
                                                   self.prev_decoded))
        if not t["applies"]:
            return CheckOutcome(True, self.name, f"not applicable: {t['why']}")
        detail = f"frame-to-frame difference ratio {t['ratio']:.3f} (allowed {self.low}-{self.high})"
        if self.low == self.high == 0:
            return CheckOutcome(True, self.name, detail + ": report only")
        if t["ratio"] > self.high:
            return self._above(t, detail)
        if t["ratio"] < self.low:
            return self._below(t, detail, info, dec)
        return CheckOutcome(True, self.name, detail)

    def _above(self, t: dict[str, Any], detail: str) -> CheckOutcome:
        """Above the tolerance: shimmer, unless the change the coding added is below the smallest visible grain
        or the previous output's own error imposes the ratio (coding this frame exactly would not bring it under
        the tolerance; the allowance then scales with that ratio, so raising the quality always ends in a pass)."""
        added = t.get("added")
        if added is not None and added <= fidelity.GRAIN_MIN:
            return CheckOutcome(True, self.name, detail + f"; the change the coding added ({added * 1023:.2f} 10-bit "
                                                          f"codes RMS) is below the smallest visible grain "
                                                          f"({fidelity.GRAIN_MIN * 1023:.2f})")
        ideal = t.get("ideal")
        if ideal is not None and t["ratio"] <= ideal * self.high:
            return CheckOutcome(True, self.name, detail + f"; the previous frame's output imposes {ideal:.3f} "
                                                          f"(this frame coded exactly): within {self.high}× that")
        return CheckOutcome(False, self.name, detail + ": the output adds shimmer")

    def _below(self, t: dict[str, Any], detail: str, info: _RefInfo, dec: _DecInfo) -> CheckOutcome:
        """Below the tolerance: grain frozen or removed, judged by what the *source* frame has."""
        if not t.get("source_grain", True):
            # a grain-free source (a clean pan): a smaller difference is fine structure coded smoothly, which the
            # target and the other checks judge; failing it made the ratio chase the previous output
            return CheckOutcome(True, self.name, detail + f"; the source has no grain to remove "
                                                          f"({info.fid.grain_why})")
        # the ratio mixes this frame's grain with the previous output's: do not fail a frame that keeps
        # its own grain for a loss it cannot undo (raising its quality would end in lossless)
        own = figure(dec, "grain", lambda: fidelity.grain_kept(info.fid, dec.blocks(info.fid)))
        if own["applies"] and own["energy"] >= self.low:
            return CheckOutcome(True, self.name, detail + f"; this frame keeps grain energy {own['energy']:.3f}, "
                                                          "the previous frame's output lost it")
        return CheckOutcome(False, self.name, detail + ": grain frozen or removed")


@dataclass
class TonalCheck:
    """Highlights and shadows keep their level in linear light, within ``max_stops``."""

    max_stops: float = 0.1
    name: str = "tonal"

    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome:
        info = _ref_info(reference)
        dec = _dec_info(info, decoded)
        t = figure(dec, "tonal", lambda: fidelity.tonal_shift(info.fid, dec.decoded))
        if not t["applies"]:
            return CheckOutcome(True, self.name, f"not applicable: {t['why']}")
        shifts = [abs(v) for v in (t["highlights"], t["shadows"]) if v is not None]
        ok = self.max_stops <= 0 or max(shifts) <= self.max_stops
        fmt = {k: "n/a" if t[k] is None else f"{t[k]:+.3f}" for k in ("highlights", "shadows")}
        return CheckOutcome(ok, self.name, f"tonal shift highlights {fmt['highlights']} stops, shadows "
                                           f"{fmt['shadows']} stops (allowed ±{self.max_stops})")


@dataclass
class DisplayCheck:
    """SSIM on the display rendering must reach ``min_ssim`` (log and linear frames)."""

    min_ssim: float
    name: str = "display-ssim"

    def __call__(self, reference: Image, decoded: Image) -> CheckOutcome:
        info = _ref_info(reference)
        dec = _dec_info(info, decoded)
        v = figure(dec, "display", lambda: display_ssim(info, dec.decoded))
        if v is None:
            return CheckOutcome(True, self.name, f"not applicable: transfer {reference.transfer!r}")
        ok = v >= self.min_ssim
        return CheckOutcome(ok, self.name, f"display-rendered SSIM {v:.4f} {'>=' if ok else '<'} {self.min_ssim}")


def display_ssim(info: _RefInfo, dec_code: np.ndarray | Image) -> float | None:
    """SSIM of the display renderings (:func:`qualipress.film.fidelity.display_code` of linear luminance,
    16-bit grey) of a frame's source and decoded frame (its perceptual code, or the decoded frame itself: then
    rendered strip by strip, the same values without a whole-frame float copy); None when the frame's transfer
    has no linear decoding."""
    if info.display_ref is None:
        if info.fid.display is None:
            return None
        info.display_ref = _display_reference(info.fid)

    def render(code: np.ndarray) -> np.ndarray:
        lin = fidelity.linear_luma(code, info.fid.image)
        assert lin is not None
        return _grey16(fidelity.display_code(lin))

    if isinstance(dec_code, Image):
        # rendered strip by strip as the SSIM asks for rows (halo included): the probe's rendering is never whole
        dec_img = dec_code

        def rows(r: slice) -> np.ndarray:
            return render(analysis.code_at_rows(dec_img, r))[..., None]
    else:
        whole = render(dec_code)[..., None]

        def rows(r: slice) -> np.ndarray:
            return whole[r]
    # metrics.core.ssim(source, decoded, data_range=1.0) without redoing the source side and without its maps
    # (summed strip by strip: equal to float64 rounding)
    return info.display_ref.reduced(prepared=rows, tile=max(info.shape[:2]))[0]


def _display_reference(fid: fidelity.Reference) -> Reference:
    """The display check's source side, once per frame: a lean SSIM reference over the source's display rendering
    (16-bit codes it normalises strip by strip to the same float32 values; its window statistics recomputed per
    strip: no float plane of the frame). Made from the rendering the fidelity reference holds (the whole frame's
    mean centres its variance), then it renders the rows each measurement asks for again from the frame
    (:func:`qualipress.film.fidelity.display_rows`, the same codes) and the rendering (4.2 MB at 2K) is dropped:
    not resident while the probes are encoded and decoded."""
    ref = Reference(fid.display, data_range=65535.0, lean=True)
    ref.serve_rows(fidelity.display_rows(fid.image))
    fid.display = None
    return ref


#: Display code quantised to 16 bits (:func:`qualipress.film.fidelity.grey16`).
_grey16 = fidelity.grey16


#: Keys of a profile's ``[NAME.film]`` table and their meaning (documented in ``profiles.toml``).
FILM_PARAMETERS = ("tile_margin", "max_step", "min_detail", "min_grain_corr", "min_grain_energy",
                   "min_colour_grain_corr", "min_colour_grain_energy", "temporal", "max_tonal_stops")


def profile_parameters(profile: str | None) -> dict[str, Any]:
    """The film check parameters of ``profile`` from its ``[NAME.film]`` table (C1's for unknown profiles or
    missing keys).

    Raises
    ------
    TargetError
        The profile's film table has a key this module does not know.
    """
    profiles = load_profiles()
    base = dict(profiles["C1"].film) if "C1" in profiles else {}
    prof = profiles.get(profile or "") or profiles.get((profile or "").upper())
    own = dict(prof.film) if prof is not None else {}
    unknown = set(own) - set(FILM_PARAMETERS)
    if unknown:
        raise TargetError(f"profile {profile}: unknown film parameter(s) {', '.join(sorted(unknown))}")
    return {**base, **own}


#: Checks whose failing outcome says how far it is from its threshold (``CheckOutcome.margin``), so the probes'
#: margins locate the setting where they fail.
MEASURED_CHECKS = ("grain", "colour-grain")

#: Every check :func:`checks_for` knows.
ALL_CHECKS = ("worst-tile", "banding", "detail", "grain", "colour-grain", "temporal", "tonal", "display-ssim")

#: The order the checks run in on every probe: cheapest first (on a 2K frame grain, temporal and tonal reuse the
#: probe's luma, colour grain converts only the flat blocks' pixels, banding and detail need its block
#: statistics, worst-tile and display-SSIM a full SSIM pass), so that a probe failing a cheap check — the search
#: stops at the first failure — pays for no SSIM pass.
RUN_ORDER = ("grain", "colour-grain", "temporal", "tonal", "banding", "detail", "worst-tile", "display-ssim")


def checks_for(profile: str | None, *, target_ssim: float | None, analysis_result: dict[str, Any] | None = None,
               enabled: tuple[str, ...] = ALL_CHECKS, tile_floor: float | None = None,
               transfer: str | None = None, previous: tuple[np.ndarray, np.ndarray] | str | None = None,
               ) -> tuple[list[Any], list[str]]:
    """The checks a frame gets, with a note for each decision.

    Parameters
    ----------
    profile : str or None
        Profile name; its ``[NAME.film]`` parameters (:func:`profile_parameters`), C1's for others.
    target_ssim : float or None
        The target's SSIM threshold; the worst-tile floor is ``target_ssim - tile_margin`` (no worst-tile check
        without an SSIM target), and the display-rendered SSIM must reach it.
    analysis_result : dict, optional
        :func:`qualipress.film.analysis.analyse` output: the banding / detail checks are skipped (and a note
        says so) when the frame has no smooth-gradient / textured blocks.
    enabled : tuple of str
        Which checks may be used (:data:`ALL_CHECKS`).
    tile_floor : float, optional
        The target's own ``ssim@min`` floor: when given, the target already guards the worst tile and no
        :class:`WorstTileCheck` is added (it would measure the same thing twice).
    transfer : str, optional
        The frame's transfer (``"log"``, ``"linear"``, ...; ``"linear"`` for float frames): the tonal and
        display checks need a known way to linear light and only apply to log and linear material.
    previous : (numpy.ndarray, numpy.ndarray) or str, optional
        Luma (perceptual code) of the previous frame of the sequence, source and chosen output, for the
        temporal check; a string says why there is none.

    Returns
    -------
    (list of checks, list of str)
        The checks in :data:`RUN_ORDER`, and the notes.
    """
    p = profile_parameters(profile)
    out: list[Any] = []
    notes: list[str] = []
    if "worst-tile" in enabled and tile_floor is not None:
        notes.append(f"worst tile guarded by the target itself (ssim@min >= {tile_floor})")
    elif "worst-tile" in enabled and target_ssim is not None:
        floor = round(target_ssim - float(p["tile_margin"]), 4)
        out.append(WorstTileCheck(floor))
        notes.append(f"check worst-tile: every 256px tile SSIM >= {floor}")
    smooth = (analysis_result or {}).get("smooth_gradient", {}).get("fraction", 1.0)
    if "banding" in enabled:
        if smooth > 0:
            out.append(BandingCheck(max_step=float(p["max_step"])))
            notes.append(f"check banding: {smooth:.1%} of blocks are smooth gradients, max step {p['max_step']}")
        else:
            notes.append("no banding check: no smooth-gradient blocks")
    tex = (analysis_result or {}).get("texture", {}).get("fraction", 1.0)
    if "detail" in enabled:
        if tex > 0:
            out.append(DetailCheck(min_ratio=float(p["min_detail"])))
            notes.append(f"check detail: {tex:.1%} of blocks textured, keep >= {p['min_detail']:.0%} of their energy")
        else:
            notes.append("no detail check: no textured blocks")
    colour = None
    if "colour-grain" in enabled:
        colour = ColourGrainCheck(min_corr=float(p["min_colour_grain_corr"]),
                                  min_energy=float(p["min_colour_grain_energy"]))
    if "grain" in enabled:
        corr, energy = float(p["min_grain_corr"]), float(p["min_grain_energy"])
        out.append(GrainCheck(min_corr=corr, min_energy=energy, colour=colour))
        notes.append(f"check grain: flat-area grain corr >= {corr}, energy >= {energy}" if corr or energy
                     else "grain: measured and reported, no floor (this profile may remove grain)")
    if colour is not None:
        corr, energy = colour.min_corr, colour.min_energy
        out.append(colour)
        notes.append(f"check colour-grain: flat-area colour grain corr >= {corr}, energy >= {energy}"
                     if corr or energy else "colour-grain: measured and reported, no floor")
    if "temporal" in enabled:
        low, high = (float(v) for v in p["temporal"])
        if isinstance(previous, tuple):
            out.append(TemporalCheck(previous[0], previous[1], low, high))
            notes.append(f"check temporal: frame-to-frame difference ratio in {low}-{high}" if high
                         else "temporal: ratio measured and reported, no tolerance")
        else:
            notes.append(f"no temporal check: {previous or 'no previous frame of this sequence'}")
    film_light = transfer in ("log", "linear", "pq")
    if "tonal" in enabled:
        if film_light:
            out.append(TonalCheck(max_stops=float(p["max_tonal_stops"])))
            notes.append(f"check tonal: highlight/shadow shift within ±{p['max_tonal_stops']} stops")
        else:
            notes.append(f"no tonal check: transfer {transfer!r} is not log or linear film material")
    if "display-ssim" in enabled:
        if film_light and target_ssim is not None:
            out.append(DisplayCheck(target_ssim))
            notes.append(f"check display-ssim: SSIM of the display rendering >= {target_ssim}")
        elif film_light:
            notes.append("no display-ssim check: the target has no SSIM threshold")
    out.sort(key=lambda c: RUN_ORDER.index(c.name))
    return out, notes
