"""Steering probes on a mosaic of half the image's tiles: where to put the first full-image probe.

A cold search's first full-image probe lands where the setting predictor expects the target to be just met; its
error (3–5 grid steps at mid targets) is why a search needs about three full-image encodes: the proof needs the
lowest passing setting *and* its failing neighbour, so the first probe is wasted unless it is one of the two.
A *mosaic* — every other 64×64 tile of the image (32×32 for JPEG), in a checkerboard, packed side by side — is
encoded at the predicted setting (and once more near the crossing it suggests; for JPEG, whose mosaic is exact,
until the estimate settles: :func:`_narrow`; AVIF's at a fast speed: :data:`FAST_STEERING`), and measured on the tile
interiors only (7 pixels from a tile's edge, beyond the SSIM window and the JPEG chroma upsampling at the seams),
mapped back to the image's own statistic tiles for ``@min``/``@p1``/``@p5``. For JPEG, whose 8×8 blocks are coded
independently, the interior pixels decode exactly as in a full-image encode, so the estimate differs from the full
image's value only by which pixels are sampled (about ±0.01 margin units on Kodak); for other codecs it is an
approximation.

Steering only: nothing measured on the mosaic is ever a result or part of a proof. The search then proves on full
images exactly as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from qualipress import codecs as _codecs
from qualipress import metrics as _metrics
from qualipress.codecs.base import Codec
from qualipress.io.image import Image
from qualipress.metrics import MetricResult
from qualipress.metrics.core import _PAD, _SPARE, _psnr_tiles, _stats
from qualipress.search.targets import Target

#: Side of the mosaic's tiles (a multiple of 16: whole JPEG MCUs at 4:2:0).
TILE = 64
#: Codecs that code 8×8 blocks independently (a tile's interior decodes as in the full image) use smaller tiles:
#: more of them, spread more evenly (on 10 BSD300 test photographs the first full-image probe lands on the final
#: pair 80 % of the time with 32-px tiles, 58 % with 64-px ones; on Kodak 69 % and 72 %).
BLOCK_TILE = 32
BLOCK_CODECS = ("jpeg",)
#: Pixels ignored at each tile edge when measuring the mosaic.
BORDER = 7
#: Smallest image, in whole tiles down and across, for which a mosaic is worth it (a 321×481 photograph is 5×7).
MIN_TILES = (3, 4)
#: Metrics the mosaic can estimate (from the SSIM and squared-error maps).
_METRICS = ("ssim", "psnr")


def tile_for(codec: Codec) -> int:
    """The mosaic tile side for ``codec`` (:data:`BLOCK_TILE` for :data:`BLOCK_CODECS`, else :data:`TILE`)."""
    return BLOCK_TILE if codec.name in BLOCK_CODECS else TILE


#: Codecs whose mosaic margins may serve as the far end of a bracket (``search._outside``): where the mosaic's
#: interiors decode exactly as in the full image. JPEG on Kodak SSIM >= 0.99: 2.71 -> 2.33 full encodes per image;
#: JPEG XL, whose mosaic is an approximation, made one more probe in 24 searches with it (docs/benchmarks.md).
BRACKET_CODECS: tuple[str, ...] = BLOCK_CODECS

#: Codecs whose two mosaic probes (often 2-3 grid steps apart) measure too flat a local slope: AVIF's quality
#: maps to its quantiser in uneven steps. Their crossing is extrapolated with the steeper of that slope and the
#: predicted one: on 6 Kodak images × 4 targets the first full-image probe then lands on the final pair 62 % of
#: the time instead of 46 % (JPEG XL 58-62 % against 71 %, JPEG about even: left as they are; docs/benchmarks.md).
#: The search's steps between full-image probes use the same floor for these codecs (``search._outside``): on 8
#: BSD300 training photographs 2.41 -> 2.34 full-image probes per image, held out Kodak 12 2.50 -> 2.38 and BSD300
#: test 12 2.50 -> 2.46 (docs/benchmarks.md § Sixth pass).
SLOPE_FLOOR_CODECS = ("avif",)

#: Encoder options for steering probes, by codec: what changes only the bytes, never the decoded pixels, and
#: costs time (steering reads pixels only). JPEG's Huffman optimisation is a second entropy-coding pass: the
#: mosaic encodes in about half the time without it, to the same pixels (a test checks it).
STEERING_OPTIONS: dict[str, dict[str, Any]] = {"jpeg": {"optimize": False}}

#: Codecs whose mosaic is encoded at a fast encoder setting: AVIF at speed 9 instead of 6, a steering probe then
#: costing 0.09 of a full-image probe instead of 0.44, while its estimate varies between images a little more than
#: the default setting's mosaic does (1.2-1.7 grid steps against 1.0-1.3, on 8 training photographs:
#: ``benchmarks/fast_steering.py``, docs/benchmarks.md). The fast setting codes the image a little differently,
#: so its margins are corrected by :data:`FAST_OFFSET` before they steer; the search proves at the real setting as
#: always. Not used when the caller sets that option itself (the offsets were learnt against the default). JPEG XL
#: is not here: at effort 5 (0.28 of a full probe) one training photograph's mosaic margin was 0.25 below the
#: effort-7 one near distance 0.3, and on 6 Kodak images cold searches made more full-image probes (2.58 -> 2.92).
#: HEIF's mosaic is encoded with x265's ``faster`` preset instead of libheif's ``slow``: 0.25 of a full-image probe
#: instead of 0.46, its estimate varying between images as little as the default preset's (0.75 grid steps against
#: 0.77 for SSIM on 8 training photographs; ``ultrafast`` costs 0.10 but varies by 2.5 steps, more than a HEIF group
#: of settings; auto11, docs/benchmarks.md § Eleventh pass).
FAST_STEERING: dict[str, dict[str, Any]] = {"avif": {"speed": 9}, "heif": {"preset": "faster"}}
#: Mean margin offset of a :data:`FAST_STEERING` mosaic probe against the full image at the default setting
#: (margin units of :meth:`Constraint.margin`), per codec and metric, learnt on training photographs by
#: ``python benchmarks/fast_steering.py avif --images 8 --variants "full:speed=6;mosaic:speed=9"`` and
#: ``python benchmarks/fast_steering.py heif --images 8 --variants "full:;mosaic:preset=faster"`` (never on
#: Kodak or the other evaluation sets).
FAST_OFFSET: dict[str, dict[str, float]] = {"avif": {"ssim": -0.0608, "psnr": -0.0671},
                                            "heif": {"ssim": 0.0120, "psnr": 0.0117}}


#: Grid steps added to the steered estimate of the crossing before the first full-image probe is placed at its
#: ceiling, by codec. Chosen on 12 training photographs (BSD300 train 1-12, 48 searches; never Kodak or the BSD300
#: test photographs) by ``python benchmarks/mosaic_steering.py ../shared/data/train/bsd300_train200 --codec CODEC
#: --limit 12 --shifts=...`` (docs/benchmarks.md § Sixth pass): the first probe in the final pair, AVIF (fast
#: mosaic, its estimate a little low) 62 % unshifted, 67 % at +0.25, 62 % at +0.5, 48 % at +1; JPEG XL (its
#: effort-7 mosaic is close to the image, 0.85 steps off on average, so the ceiling alone lands a step high about
#: half the time) 44 % unshifted, 35 % at +0.25, 60 % at -0.25, 67 % at -0.5, 69 % at -0.75, 73 % at -1, 71 % at
#: -1.25. Between -0.5 and -1 the 48 training searches cannot tell (3 of them); -1 was tried on the held-out sets
#: and made more full-image probes than -0.5 (BSD300 test 2.52 against 2.46 per image), so -0.5 stays. JPEG
#: (its exact mosaic) -0.25, chosen on BSD300 train 1-100 (400 cold searches; ``python benchmarks/search_first_shift.py
#: ../shared/data/train/bsd300_train200 --limit 100 --shifts "0;-0.25;-0.5;-0.75;0.25"``):
#: 2.38 full-image probes per search unshifted, 2.34 at -0.25 (26 searches shorter, 8 longer), 2.33 at -0.5 (42 /
#: 21), 2.38 at -0.75, 2.48 at +0.25; the means cannot tell -0.25 from -0.5 (3 probes in 400), so the shift that
#: lengthens fewer searches. Held out (Kodak, BSD300 test, COCO, mmpose, JPEG sources; 488 searches):
#: 2.30 -> 2.23, 37 shorter and 3 longer, every file the same (docs/benchmarks.md § JPEG's first full-image probe).
FIRST_PROBE_SHIFT: dict[str, float] = {"avif": 0.25, "jpegxl": -0.5, "jpeg": -0.25}
#: :data:`FIRST_PROBE_SHIFT` for a codec of :data:`FAST_STEERING` whose mosaic is encoded at the default setting
#: (a JPEG source, :data:`FAST_NOT_FOR_JPEG_SOURCES`): that mosaic is not low as the fast one is. Chosen on JPEG
#: copies of 8 training photographs (BSD300 train 11-18, Pillow q70-95, 4:2:0/4:2:2/4:4:4; 32 cold searches at SSIM
#: 0.90/0.95/0.99 and C1): 2.53 full-image probes per search at +0.25, 2.41 at 0, 2.34 at -0.25, none longer
#: (docs/benchmarks.md § AVIF cold on JPEG sources).
DEFAULT_SETTING_SHIFT: dict[str, float] = {"avif": -0.25}


def first_probe_shift(codec: Codec, options: dict[str, Any], *, jpeg_source: bool = False) -> float:
    """Grid steps added to the steered estimate before the first full-image probe: :data:`FIRST_PROBE_SHIFT`, or
    :data:`DEFAULT_SETTING_SHIFT` when the mosaic left its fast setting for a JPEG source (:func:`fast_options`).
    A caller's own setting (``options``) keeps :data:`FIRST_PROBE_SHIFT`, as it did before that shift was learnt:
    the shift was chosen on JPEG sources only, and a PNG's probes do not change with it."""
    if jpeg_source and codec.name in DEFAULT_SETTING_SHIFT and fast_options(codec, options) is not None:
        return DEFAULT_SETTING_SHIFT[codec.name]
    return FIRST_PROBE_SHIFT.get(codec.name, 0.0)


#: Codecs whose fast mosaic (:data:`FAST_STEERING`) misreads images read from a JPEG file, which are steered on a
#: mosaic at the default setting instead. AVIF at speed 9 codes a JPEG source's 8×8 block structure otherwise than
#: speed 6 does: on 8 JPEG sources (QA 19's) the speed-9 mosaic's SSIM margin was 0.13 below the full image's on
#: average (to 0.38, growing with the setting) where :data:`FAST_OFFSET` corrects 0.06, so the first full-image
#: probe landed 2-6 steps high; the speed-6 mosaic was within 0.03 (on 8 BSD300 test PNGs the speed-9 offset was
#: 0.03, as learnt). The steering probes cost 0.44 of a full-image probe instead of 0.09 there
#: (docs/benchmarks.md § AVIF cold on JPEG sources).
FAST_NOT_FOR_JPEG_SOURCES = ("avif",)


def fast_options(codec: Codec, options: dict[str, Any], *, jpeg_source: bool = False) -> dict[str, Any] | None:
    """The fast encoder options the mosaic of ``codec`` is encoded with (:data:`FAST_STEERING`), or None: codecs
    without them, whose caller chose that option, or (``jpeg_source``: the image was read from a JPEG file) listed
    in :data:`FAST_NOT_FOR_JPEG_SOURCES`."""
    fast = FAST_STEERING.get(codec.name)
    if fast is None or any(k in options for k in fast) or (jpeg_source and codec.name in FAST_NOT_FOR_JPEG_SOURCES):
        return None
    return fast


def _margin(target: Target, results: dict[str, MetricResult], offsets: dict[str, float] | None) -> float:
    """The target's margin, each constraint's less its metric's steering offset."""
    if not offsets:
        return target.margin(results)
    return min(c.margin(results) - offsets.get(c.metric, 0.0) for c in target.constraints)


class Mosaic:
    """Half an image's tiles packed into a smaller image, and how to measure an encoding of it.

    Parameters
    ----------
    image : Image
        What is encoded (integer image).
    reference : Image
        What quality is measured against (same size).
    stat_tile : int
        The target's tile size for ``@min``/``@p1``/``@p5`` statistics.
    prepared : Reference, optional
        ``reference`` already prepared (:func:`qualipress.metrics.prepare_reference`): its window statistics are
        rearranged instead of computed again.
    tile : int
        Side of the tiles (see :func:`tile_for`).
    fast : dict, optional
        Encoder options every mosaic probe is made with (:func:`fast_options`); :func:`steer` then corrects its
        margins by the codec's :data:`FAST_OFFSET`.

    Notes
    -----
    Only the tiles' interiors are measured, and the SSIM window there sees no more than :data:`BORDER` − 5
    pixels beyond them. Through the fused kernels the interiors are measured against the image's own reference
    statistics in place (:meth:`Reference.interior_values`, which also sums them per statistic tile); on the OpenCV
    path each decoded tile is cropped to what the window sees (a 32-px tile to 28 px: 23 % fewer pixels to blur),
    in the layout of the reference statistics rearranged once (:meth:`_packed_reference`). Both give the same
    values.
    """

    def __init__(self, image: Image, reference: Image, stat_tile: int,
                 prepared: _metrics.Reference | None = None, tile: int = TILE,
                 fast: dict[str, Any] | None = None) -> None:
        self.tile = t = tile
        self.fast = dict(fast or {})
        h, w = image.height, image.width
        ny, per_row = h // t, (w // t) // 2
        self._grid = (ny, per_row)
        self.image = image.with_pixels(self.pack(image.pixels))
        # What the SSIM window sees around the interiors: the tile less (BORDER - window radius) at each edge.
        self._margin = BORDER - _PAD
        side = t - 2 * self._margin
        self._side = side
        # The reference's window statistics at tile interiors are the image's own: the fused kernels read them in
        # place (Reference.interior_values); the OpenCV path measures a rearranged copy (made on first use).
        self._ref = prepared if prepared is not None else _metrics.prepare_reference(reference)
        self._packed: tuple[_metrics.Reference, tuple[np.ndarray, np.ndarray]] | None = None
        # The image's statistic tile of each interior pixel, in the order of _interior's result (shared).
        self._ids, self._used, self._counts = _interior_tiles(h, w, t, stat_tile)

    def pack(self, x: np.ndarray, margin: int = 0) -> np.ndarray:
        """The mosaic's layout of an (H, W, ...) array of the image: the kept tiles of each tile row side by side
        (every other tile, starting with the first in even tile rows and the second in odd ones), each less
        ``margin`` pixels at every edge."""
        t, m = self.tile, margin
        ny, per_row = self._grid
        tiles = x[: ny * t, : 2 * per_row * t].reshape(ny, t, 2 * per_row, t, *x.shape[2:])
        out = np.empty((ny, t - 2 * m, per_row, t - 2 * m, *x.shape[2:]), dtype=x.dtype)
        out[0::2] = tiles[0::2, m : t - m, 0::2, m : t - m]
        out[1::2] = tiles[1::2, m : t - m, 1::2, m : t - m]
        return out.reshape(ny * (t - 2 * m), per_row * (t - 2 * m), *x.shape[2:])

    def _packed_reference(self) -> tuple[_metrics.Reference, tuple[np.ndarray, np.ndarray]]:
        """The reference rearranged into the cropped layout (no new blurs) and two map buffers every probe reuses
        (spare ones of an earlier mosaic of this size when free): the OpenCV path's."""
        if self._packed is None:
            ref = self._ref.packed(lambda x: self.pack(x, self._margin))
            shape, dtype = ref.shape[:2], ref.dtype
            maps = (_SPARE.take(shape, dtype), _SPARE.take(shape, dtype))
            _SPARE.when_gone(self, maps)
            self._packed = (ref, maps)
        return self._packed

    def _crop(self, x: np.ndarray) -> np.ndarray:
        """An array in the mosaic's layout with each tile cropped as the rearranged reference statistics are."""
        ny, per_row = self._grid
        t, m = self.tile, self._margin
        tiles = x.reshape(ny, t, per_row, t, *x.shape[2:])[:, m : t - m, :, m : t - m]
        return np.ascontiguousarray(tiles).reshape(ny * self._side, per_row * self._side, *x.shape[2:])

    def _interior(self, m: np.ndarray) -> np.ndarray:
        """The tile interiors of a map over the cropped layout, as float64 in the order of ``_ids``."""
        ny, per_row = self._grid
        c, k = self._side, _PAD
        blocks = m.reshape(ny, c, per_row, c)[:, k : c - k, :, k : c - k]
        return blocks.astype(np.float64).ravel()

    @staticmethod
    def usable(image: Image, reference: Image, target: Target, codec: Codec) -> bool:
        """Whether a mosaic can steer this search: integer images of at least :data:`MIN_TILES` tiles,
        whole-image constraints on SSIM/PSNR only, no fully transparent pixels, and a codec that can carry the
        mosaic."""
        if image.is_float or reference.is_float or image.pixels.shape != reference.pixels.shape:
            return False
        if _metrics.visible_mask(reference) is not None:
            return False  # the mosaic's tile means would count fully transparent pixels
        t = tile_for(codec)
        if image.height // t < MIN_TILES[0] or image.width // t < MIN_TILES[1]:
            return False
        if any(c.scope is not None or c.metric not in _METRICS for c in target.constraints):
            return False
        return codec.info.lossy and codec.info.quality is not None

    def measure(self, codec: Codec, setting: float, options: dict[str, Any]) -> dict[str, MetricResult]:
        """SSIM and PSNR of the mosaic encoded at ``setting``, over the tile interiors, with statistics over the
        full image's statistic tiles."""
        data = codec.encode(self.image, quality=setting,
                            **{**options, **STEERING_OPTIONS.get(codec.name, {}), **self.fast})
        decoded = _codecs.decode_like(codec, data, self.image)
        values = self._ref.interior_values(decoded, self.tile, BORDER, self._ids, self._used.size)
        if values is not None:
            s, e, s_sums, e_sums = values
        else:
            ref, maps = self._packed_reference()
            s_map, e_map = ref.maps(decoded.with_pixels(self._crop(decoded.pixels)), out=maps)
            s, e = self._interior(s_map), self._interior(e_map)
            s_sums, e_sums = np.bincount(self._ids, weights=s), np.bincount(self._ids, weights=e)
        s_t = s_sums[self._used] / self._counts
        e_t = e_sums[self._used] / self._counts
        ssim = float(s.mean())
        return {"ssim": MetricResult("ssim", ssim, s_t.reshape(1, -1), _stats(s_t, ssim)),
                "psnr": _psnr_tiles(float(e.mean()), e_t.reshape(1, -1))}


@lru_cache(maxsize=4)
def _interior_tiles(h: int, w: int, tile: int, stat_tile: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a mosaic of ``tile``-px tiles of an ``h`` × ``w`` image: the statistic tile (of side ``stat_tile``) of
    each interior pixel in the order :meth:`Mosaic._interior` gives them, which statistic tiles hold interior
    pixels, and how many each holds (float64).

    They depend on the sizes alone, so images of one size (a camera's photographs, a shot's frames) share them:
    made once instead of per search (0.06 ms for a 481×321 photograph, 0.12–0.15 ms for 768×512, JPEG's 32-px
    tiles). Shared between mosaics: never written to (left writeable: the compiled kernels would compile again for
    read-only arrays). At most four sizes are kept; the largest, a 4096×2160 frame's, holds 11 MB (32-px tiles) or
    21 MB (64-px).
    """
    ny, per_row = h // tile, (w // tile) // 2
    inner = np.arange(BORDER, tile - BORDER)
    rows = (np.arange(ny)[:, None] * tile + inner[None, :]) // stat_tile                  # (ny, u)
    cols = ((np.arange(ny)[:, None] % 2 + 2 * np.arange(per_row)[None, :])[..., None] * tile
            + inner[None, None, :]) // stat_tile                                             # (ny, per_row, u)
    stat_nx = max(1, math.ceil(w / stat_tile))
    ids = (rows[:, :, None, None] * stat_nx + cols[:, None, :, :]).ravel()                 # (ny, u, per_row, u)
    counts = np.bincount(ids).astype(np.float64)
    used = counts > 0
    return ids, used, counts[used]


def steer(mosaic: Mosaic, codec: Codec, target: Target, grid: Sequence[float], start: int, slope: float,
          options: dict[str, Any], *, max_probes: int = 2, top: int | None = None,
          samples: dict[int, float] | None = None) -> tuple[float, float | None, int]:
    """Estimate the crossing on the mosaic: a probe at ``start``, then (when that suggests a crossing two or more
    steps away) one at the suggested crossing, interpolating between the two. When those two straddle the
    threshold and the mosaic is exact (:data:`BRACKET_CODECS`), up to :data:`BRACKET_PROBES` in all narrow it
    (:func:`_narrow`).

    ``top`` (a JPEG source's own quality, where the metric jumps) is never probed, and the estimate is at most
    ``top``: the search's own rules take over there.

    ``samples``, when given, receives each mosaic probe's margin by grid index.

    A mosaic encoded at a fast setting (its ``fast`` options, :func:`fast_options`) has the codec's offsets (by
    metric, :data:`FAST_OFFSET`) subtracted from the constraints' margins.

    Returns
    -------
    (float, float or None, int)
        The estimated crossing (fractional grid index: the lowest passing setting is about its ceiling), the local
        slope in margin units per grid step when two probes gave one, and the number of mosaic probes made.
    """
    hi = float(len(grid) - 1 if top is None else top)
    samples = {} if samples is None else samples
    offsets = FAST_OFFSET.get(codec.name) if mosaic.fast else None
    m0 = samples[start] = _margin(target, mosaic.measure(codec, grid[start], options), offsets)
    x = min(max(start - m0 / max(slope, 1e-6), 0.0), hi)
    if max_probes < 2 or abs(x - start) < 1.5:
        return x, None, 1
    i1 = min(max(int(round(x)), 0), int(hi) - (top is not None))
    if i1 == start:
        return x, None, 1
    m1 = samples[i1] = _margin(target, mosaic.measure(codec, grid[i1], options), offsets)
    local = (m1 - m0) / (i1 - start)
    if local <= 1e-6:
        return float(i1), None, 2
    if codec.name in BRACKET_CODECS:
        cap = int(hi) - (top is not None)
        return _narrow(mosaic, codec, target, grid, samples, options, offsets, 2, max(max_probes, BRACKET_PROBES), cap)
    x = i1 - m1 / (max(local, slope) if codec.name in SLOPE_FLOOR_CODECS else local)
    if x >= hi:
        return hi, None, 2  # beyond where the mosaic may look: its slope says nothing about the crossing there
    return max(x, 0.0), local, 2


#: Most mosaic probes where the mosaic is exact (:data:`BRACKET_CODECS`): after the first two, steering goes on
#: on the mosaic while its estimate of the crossing is still 1.5 or more steps from every mosaic probe (as the
#: second probe is made), and once two probes straddle the threshold narrows that bracket (:func:`_narrow`).
#: This matters where the curve is far from a line: a JPEG source re-encoded below its own quality stays nearly
#: flat (the re-encode drops the source's noise) and then climbs within a few steps, so a secant or a slope from
#: two far-apart probes lands several steps off (COCO JPEG sources at SSIM >= 0.90: 3.6 -> 2.5 full-image probes
#: per image; docs/benchmarks.md).
BRACKET_PROBES = 6
#: A mosaic bracket wider than this many grid steps is narrowed whatever its secant says (over a wider span the
#: curve bends too much for one); a narrower one only while the estimate is 1.5 or more steps from both ends.
NARROW_SPAN = 4


def _narrow(mosaic: Mosaic, codec: Codec, target: Target, grid: Sequence[float], samples: dict[int, float],
            options: dict[str, Any], offsets: dict[str, float] | None, made: int, limit: int,
            cap: int) -> tuple[float, float | None, int]:
    """More mosaic probes after :func:`steer`'s two (``samples``), at most ``limit`` in all and none above grid
    index ``cap``: extrapolated from the two samples nearest the threshold until two straddle it, then regula falsi
    with the Illinois rule (an end kept twice has its margin halved) and bisection when a probe shrinks the bracket
    by less than 40 %, until the bracket is at most :data:`NARROW_SPAN` steps wide and the next estimate within 1.5
    steps of an end (or the ends are neighbours). Returns as :func:`steer` (the estimated crossing and the local
    slope)."""
    brackets: list[tuple[int, int]] = []
    while True:
        passing = [i for i, m in samples.items() if m >= 0]
        hi = min(passing) if passing else None
        below = [i for i, m in samples.items() if m < 0 and (hi is None or i < hi)]
        if hi is not None and below:
            lo = max(below)
            m_lo, m_hi = samples[lo], samples[hi]
            local = (m_hi - m_lo) / (hi - lo)
            brackets.append((lo, hi))
            if len(brackets) >= 3 and brackets[-3][0] == lo:
                m_lo /= 2  # Illinois: this end survived the last two probes
            elif len(brackets) >= 3 and brackets[-3][1] == hi:
                m_hi /= 2
            x = lo - m_lo * (hi - lo) / (m_hi - m_lo)
            if len(brackets) >= 2 and hi - lo > 0.6 * (brackets[-2][1] - brackets[-2][0]):
                x = (lo + hi) / 2  # the last probe shrank the bracket by less than 40 %: bisect
            if (hi - lo <= NARROW_SPAN and min(x - lo, hi - x) < 1.5) or hi - lo <= 1 or made >= limit:
                return x, local, made
            c = min(max(math.ceil(x - 1e-9), lo + 1), hi - 1)
        else:
            (ia, ma), (ib, mb) = sorted(sorted(samples.items(), key=lambda kv: abs(kv[1]))[:2])
            local = (mb - ma) / (ib - ia)
            if local <= 1e-6:
                return float(ib if abs(mb) < abs(ma) else ia), None, made
            base = ia if abs(ma) < abs(mb) else ib
            x = base - samples[base] / local
            near = min(abs(x - i) for i in samples)
            c = min(max(math.ceil(x - 1e-9), 0), cap)
            if near < 1.5 or made >= limit or c in samples:
                return min(max(x, 0.0), float(cap)), local, made
        samples[c] = _margin(target, mosaic.measure(codec, grid[c], options), offsets)
        made += 1
