"""``jpeg-roi``: semantic region-of-interest JPEG as a qualipress codec.

Quality mapping for a plain ``encode --quality Q``: ROI blocks at IJG quality ``Q``, background blocks at
``bg_quality_for(Q) = max(5, round(0.45 * Q))`` (Q=90 → 40, the seed paper's pair; Q=75 → 34; Q=50 → 22).
The other encoder defaults (subsampling, tables, RDO strength, block threshold, transition ring) come from
``qualipress.roi.mapping.profile_for(Q)``. Explicit options override the mapping.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.codecs.base import Codec, CodecInfo, QualityParam
from qualipress.detect import Region, save_mask
from qualipress.errors import CodecError, InputError, UnsupportedError
from qualipress.io.image import Image
from qualipress.roi.adapt import ImageTraits, adapted_bg_quality, adapting, image_traits, option_flag
from qualipress.roi.encoder import CHROMA_FIT, EncodeStats, encode_blocks, mcu_size
from qualipress.roi.mapping import profile_for
from qualipress.roi.mask import RoiAnalysis, analyse, block_levels, expand_blocks, roi_classes
from qualipress.roi.rate import targeted_encode
from qualipress.roi.trellis import PASSES

#: Fidelity weight of each priority level in hierarchical mode (1 = ROI quality, 0 = background quality).
HIERARCHY_WEIGHTS: dict[int, float] = {4: 1.0, 3: 1.0, 2: 0.75, 1: 0.6}

#: Options ``RoiJpegCodec.encode`` understands (the core CLI forwards the first six).
OPTIONS = (
    "roi",
    "roi_mask",
    "roi_quality",
    "bg_quality",
    "block_threshold",
    "save_mask",
    "roi_boxes",
    "subsampling",
    "deadzone",
    "hierarchical",
    "fallback_quality",
    "analysis",
    "refine",
    "bg_chroma",
    "bg_mode",
    "fine_rdo",
    "dc_rdo",
    "chroma_ratio",
    "table_flatness",
    "ring",
    "ring_weight",
    "rdo_bits",
    "adapt",
    "trellis",
    "trellis_scale",
    "trellis_rgb",
    "trellis_passes",
    "trellis_dc",
    "bg_chroma_lambda",
    "chroma_fit",
)


#: Default of the ``bg_chroma_lambda`` option (factor on the background chroma blocks' trellis multiplier).
BG_CHROMA_LAMBDA = 1.0
#: Default strength of the background DC rate-distortion choice (``dc_rdo`` option; 0 = off).
DC_RDO = 1.0
#: Default trellis scope (``trellis`` option, :mod:`qualipress.roi.trellis`): every block's AC levels chosen by the
#: JPEG Huffman trellis with its level's multiplier (measured in ``docs/roi.md`` §7, *Trellis quantisation*).
TRELLIS = "all"
#: Default of the ``trellis_rgb`` option: chroma distortion weighed by its RGB squared error (measured better in
#: both ROI and background on the COCO photos, ``docs/roi.md`` §7, *Trellis quantisation*).
TRELLIS_RGB = True
#: Default of the ``trellis_dc`` option: DC levels chosen along the prediction chain too (chosen on the COCO photos
#: with two trellis passes, ``docs/roi.md`` §7, *Compiled trellis*).
TRELLIS_DC = True


def _number(options: dict[str, Any], name: str, default: float, kind: type) -> Any:
    """A numeric ``jpeg-roi`` option given as a number or as command-line text; ``default`` when not given.

    Raises
    ------
    InputError
        When the value is not a number of that kind.
    """
    value = options.get(name)
    if value is None:
        return kind(default)
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise InputError(f"jpeg-roi option {name} must be {'an integer' if kind is int else 'a number'}, "
                         f"got {value!r}") from None


@dataclass
class RoiEncoding:
    """One ROI encode: the file and everything needed to explain it."""

    data: bytes
    analysis: RoiAnalysis
    levels: np.ndarray
    mcu: tuple[int, int]
    roi_quality: float
    bg_quality: float
    stats: EncodeStats
    notes: list[str] = field(default_factory=list)

    def block_mask(self, shape: tuple[int, int]) -> np.ndarray:
        """Boolean pixel mask of the ROI blocks (what was actually encoded finely)."""
        return expand_blocks(self.levels > 0, self.mcu, shape).astype(bool)

    def to_dict(self) -> dict[str, Any]:
        return {
            "roi_quality": self.roi_quality,
            "bg_quality": self.bg_quality,
            "mcu": list(self.mcu),
            "encoder": self.stats.to_dict(),
            "analysis": self.analysis.to_dict(),
            "notes": self.notes,
        }


#: Block level of the transition ring (encoder only: ``RoiEncoding.levels`` keeps the ROI map).
RING_LEVEL = -1


def _with_ring(levels: np.ndarray, qualities: dict[int, float], ring: int, weight: float) -> np.ndarray:
    """The encoder's block map: ``levels`` plus a transition ring of ``ring`` MCUs around the ROI blocks.

    Ring blocks get level :data:`RING_LEVEL`, whose quality is added to ``qualities`` (in place) ``weight`` of
    the way from the background to the lowest ROI quality. Returns ``levels`` itself when there is no ring.
    """
    r, w = int(ring), float(weight)
    if r < 0:
        raise InputError(f"jpeg-roi: ring must be >= 0 MCUs, got {r}")
    if not 0.0 <= w <= 1.0:
        raise InputError(f"jpeg-roi: ring_weight must be in [0, 1], got {w}")
    if r == 0 or len(qualities) < 2:
        return levels
    import cv2

    roi = (levels > 0).astype(np.uint8)
    near = (cv2.dilate(roi, np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0) & (roi == 0)
    if not near.any():
        return levels
    bg = qualities[0]
    top = min(v for k, v in qualities.items() if k > 0)
    qualities[RING_LEVEL] = float(round(bg + w * (top - bg)))
    out = levels.astype(np.int16)
    out[near] = RING_LEVEL
    return out


class RoiJpegCodec(Codec):
    """Baseline JPEG whose ROI blocks (faces, persons, text, a user mask) get finer quantisation.

    Options
    -------
    roi : str or list of str, optional
        Detector classes (default ``faces,persons,text`` unless only a user mask/boxes is given).
    roi_mask : path or bool array, optional
        User ROI mask (PNG of the image size).
    roi_boxes : path or list of Region, optional
        User ROI boxes (JSON).
    roi_quality, bg_quality : float, optional
        IJG qualities of ROI and background blocks (default from ``quality``, see :func:`bg_quality_for`).
    block_threshold : float
        ROI coverage an MCU needs to be an ROI block (default from the profile: 0.25 with 4:2:0, 0.5 with
        4:4:4).
    subsampling : str
        ``"444"`` (full chroma resolution, so ROI blocks keep their colour detail), ``"422"`` or ``"420"``
        (MCU 16×16: coarser block map, chroma detail lost everywhere). Default from the profile of the ROI
        quality (:func:`qualipress.roi.mapping.profile_for`): 4:2:0 below
        :data:`~qualipress.roi.mapping.LOW_RATE_QUALITY`, 4:4:4 from there up.
    ring, ring_weight : int, float
        A transition ring of ``ring`` MCUs around the ROI blocks, encoded ``ring_weight`` of the way from the
        background to the ROI quality (catches the person pixels a detection just missed; default from the
        profile). ``ring=0`` switches it off.
    rdo_bits : float
        RDO rate model: bits of a non-zero AC coefficient on top of its magnitude bits (default from the
        profile; :func:`qualipress.roi.encoder.rdo_quantise`).
    bg_mode : str
        ``"rdo"`` (default): background coefficients chosen by rate-distortion optimisation on the header's
        fine grid, with a multiplier from ``bg_quality`` (background PSNR close to a plain JPEG at that
        quality); ``"multiples"``: exact multiples of the fine table approximating the ``bg_quality`` table
        (see :mod:`qualipress.roi.encoder`).
    fine_rdo : float
        RDO strength for the ROI (header-quality) blocks as a fraction of their quality's multiplier
        (default from the profile; 0 = plain rounding).
    bg_chroma : str
        ``"lowpass"``: with 4:4:4, background chroma blocks keep only their 4×4 lowest frequencies (about the
        detail of 4:2:0); ``"table"``: no extra low-pass. Default: lowpass with ``multiples``, table with
        ``rdo`` (the RDO already drops what is not worth its bits).
    chroma_ratio : float
        Chroma tables of every level at ``chroma_ratio`` × the level's quality (default 1: the same quality
        as luma). Below 1 trades chroma detail for luma bits, like 4:2:0 does but on the 8×8 block map.
    table_flatness : float
        Quantisation tables moved from Annex K toward a flat table (:func:`qualipress.roi.encoder.flattened`;
        default from the profile, 0 = libjpeg's tables). Still one DQT per component, baseline.
    deadzone : float
        Rounding threshold in background blocks with ``bg_mode="multiples"`` (0.5 = plain rounding).
    hierarchical : bool
        Per-class fidelity: faces/user at ROI quality, persons and text/saliency between ROI and background
        (:data:`HIERARCHY_WEIGHTS`).
    fallback_quality : float, optional
        Uniform quality when no ROI is found (default: the ROI quality, so nothing is degraded silently).
    save_mask : path, optional
        Write the ROI block mask as a PNG there.
    analysis : RoiAnalysis, optional
        Reuse a precomputed ROI (skips detection).
    trellis : str
        ``"all"`` (default): after the RDO above, every block's AC levels are chosen again by the JPEG Huffman
        trellis (run/size symbols and end-of-block with code lengths from the image's own counts) with the
        multiplier of the block's level; ``"roi"``: ROI blocks only; ``"off"``: the per-coefficient RDO only
        (:mod:`qualipress.roi.trellis`).
    trellis_scale : float
        Factor on the trellis's multipliers (default 1).
    trellis_rgb : bool
        Weigh chroma distortion in the trellis by its RGB squared error, i.e. by the YCbCr → RGB weights times the
        pixels a chroma sample covers (default True; False: chroma DCT errors count like luma ones).
    trellis_passes : int
        Trellis passes, the code lengths re-estimated from the previous pass's levels before each (default
        :data:`qualipress.roi.trellis.PASSES`).
    bg_chroma_lambda : float
        Factor on the trellis multiplier of the background's chroma blocks (default :data:`BG_CHROMA_LAMBDA`;
        above 1 the background's colour detail is dropped sooner than its luma's).
    chroma_fit : int
        With 4:2:0, passes of back-projection fitting the subsampled chroma to the decoder's upsampling (default
        :data:`qualipress.roi.encoder.CHROMA_FIT`; 0 = box mean, :func:`qualipress.roi.encoder.subsample_chroma`).
    trellis_dc : bool
        Also choose the DC levels of the trellis's blocks along each component's prediction chain with the image's
        DC code lengths (default :data:`TRELLIS_DC`).
    adapt : bool
        Per-image adaptation (default True; :mod:`qualipress.roi.adapt`): 4:2:0 or 4:4:4 chosen from the
        image's fine chroma energy and the quality, and a finer background for large ROIs
        (:func:`qualipress.roi.mapping.profile_for`, :func:`~qualipress.roi.mapping.bg_quality_for`).
        ``adapt=False`` gives the same profile to every image (switch at quality 45, background 0.45 × ROI).
        Explicit options win either way.
    """

    name = "jpeg-roi"
    info = CodecInfo(
        bit_depths=(8,),
        channels=(1, 3),
        lossy=True,
        lossless=False,
        quality=QualityParam("quality", 10, 100, True, tuple(float(q) for q in range(10, 101, 2)), 85),
        extension=".jpg",
        mime="image/jpeg",
        library="numpy DCT + libjpeg-turbo (jpeglib write_dct)",
        lossless_fallback="png",
        notes="baseline JPEG, ROI blocks finer; any JPEG decoder opens it",
        options={k: None for k in OPTIONS},
    )
    backend_module = "jpeglib"

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple, RoiAnalysis] = OrderedDict()
        self._traits: OrderedDict[tuple, ImageTraits] = OrderedDict()
        self.last: RoiEncoding | None = None

    @classmethod
    def version(cls) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"jpeglib {version('jpeglib')}"
        except PackageNotFoundError:  # pragma: no cover
            return "jpeglib ?"

    def prepare(self, image: Image) -> Image:
        """Accept 8-bit grey and RGB as they are; refuse alpha, float and deeper images with a clear message."""
        if image.is_float:
            raise UnsupportedError(
                "jpeg-roi needs 8-bit integer pixels; convert float images with qualipress.io.to_perceptual_image "
                "and to 8 bits first"
            )
        if image.has_alpha:
            raise UnsupportedError("jpeg-roi cannot carry alpha (JPEG has none); flatten the image first")
        if image.bit_depth != 8:
            raise UnsupportedError(
                f"jpeg-roi writes 8-bit baseline JPEG; the image is {image.bit_depth}-bit. Convert it to 8 bits "
                "first (or use the 'jpeg' codec, which has a 12-bit mode)"
            )
        return image

    # -- ROI ---------------------------------------------------------------------------------------------
    def analyse(
        self,
        image: Image,
        *,
        roi: str | Iterable[str] | None = None,
        roi_mask: str | Path | np.ndarray | None = None,
        roi_boxes: str | Path | Sequence[Region] | None = None,
        refine: bool = True,
    ) -> RoiAnalysis:
        """The ROI of ``image`` (cached for the last few images, so probes of a search detect once)."""
        classes = roi_classes(roi, user_input=roi_mask is not None or roi_boxes is not None)
        mask_key: Any = roi_mask
        if isinstance(roi_mask, np.ndarray):
            mask_key = hashlib.sha1(np.ascontiguousarray(roi_mask).tobytes()).hexdigest()
        boxes_key: Any = roi_boxes if isinstance(roi_boxes, (str, Path, type(None))) else id(roi_boxes)
        key = (
            hashlib.sha1(np.ascontiguousarray(image.pixels).tobytes()).hexdigest(),
            image.pixels.shape,
            classes,
            str(mask_key),
            str(boxes_key),
            refine,
        )
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        result = analyse(image, classes, roi_mask=roi_mask, roi_boxes=roi_boxes, refine=refine)
        self._cache[key] = result
        while len(self._cache) > 4:
            self._cache.popitem(last=False)
        return result

    def traits(self, image: Image, analysis: RoiAnalysis) -> ImageTraits:
        """The image's :class:`~qualipress.roi.adapt.ImageTraits` (cached, so the probes of a search measure
        them once)."""
        px = image.pixels
        sample = hashlib.sha1(np.ascontiguousarray(px[::7, ::5]).tobytes()).hexdigest()
        key = (px.shape, sample, id(analysis), analysis.mask.sum())
        if key not in self._traits:
            self._traits[key] = image_traits(px, analysis.mask)
            while len(self._traits) > 4:
                self._traits.popitem(last=False)
        return self._traits[key]

    # -- encoding ----------------------------------------------------------------------------------------
    def encode_roi(self, image: Image, *, quality: float | None = None, **options: Any) -> RoiEncoding:
        """Encode and return the file with its ROI, block map and statistics (``encode`` returns the bytes).

        Parameters are those of :class:`RoiJpegCodec`; ``image`` must already be prepared (8-bit, 1 or 3
        channels).
        """
        self.check_options(options)
        t0 = time.perf_counter()
        analysis = options.get("analysis")
        if analysis is None:
            analysis = self.analyse(
                image,
                roi=options.get("roi"),
                roi_mask=options.get("roi_mask"),
                roi_boxes=options.get("roi_boxes"),
                refine=bool(options.get("refine", True)),
            )
        if analysis.priority.shape != (image.height, image.width):
            raise InputError("jpeg-roi: the ROI analysis is for another image size")
        t_detect = time.perf_counter() - t0
        t1 = time.perf_counter()
        traits = self.traits(image, analysis) if adapting(options) else None
        t_traits = time.perf_counter() - t1
        roi_q, bg_q, opt, subsampling, deadzone = _encode_settings(quality, options, traits)
        threshold = float(opt["block_threshold"])
        mcu = mcu_size(subsampling, image.n_channels)
        pmap = analysis.priority if options.get("hierarchical") else (analysis.priority > 0)
        levels = block_levels(pmap, mcu, threshold=threshold)
        notes = list(analysis.notes)
        qualities = _level_qualities(levels, analysis, options, roi_q, bg_q, threshold, notes)
        enc_levels = _with_ring(levels, qualities, opt["ring"], opt["ring_weight"])
        mode = str(options.get("bg_mode") or "rdo")
        cutoff, chroma_q = _chroma_settings(options, qualities, subsampling, mode)
        data, stats = encode_blocks(
            image.pixels,
            enc_levels,
            qualities,
            chroma_qualities=chroma_q,
            subsampling=subsampling,
            deadzone=deadzone,
            chroma_cutoff=cutoff,
            mode=mode,
            fine_rdo=float(opt["fine_rdo"]),
            dc_rdo=float(DC_RDO if options.get("dc_rdo") is None else options["dc_rdo"]),
            table_flatness=float(opt["table_flatness"]),
            symbol_bits=float(opt["rdo_bits"]),
            trellis=str(options.get("trellis") or TRELLIS),
            trellis_scale=_number(options, "trellis_scale", 1.0, float),
            trellis_rgb=option_flag(options.get("trellis_rgb"), TRELLIS_RGB),
            trellis_passes=_number(options, "trellis_passes", PASSES, int),
            trellis_dc=option_flag(options.get("trellis_dc"), TRELLIS_DC),
            bg_chroma_lambda=_bg_chroma_lambda(options),
            chroma_fit=_chroma_fit(options),
        )
        stats.seconds = {"detect": t_detect, "traits": t_traits, **stats.seconds}
        enc = RoiEncoding(data, analysis, levels, mcu, roi_q, bg_q, stats, notes)
        save = options.get("save_mask")
        if save and not isinstance(save, bool):
            save_mask(save, enc.block_mask((image.height, image.width)))
        self.last = enc
        return enc

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        return self.encode_roi(image, quality=quality, **options).data

    def decode(self, data: bytes) -> Image:
        import imagecodecs

        try:
            arr = imagecodecs.jpeg8_decode(data)
        except Exception as exc:
            raise CodecError(f"jpeg-roi: cannot decode ({exc})") from exc
        if arr.ndim == 2:
            arr = arr[..., None]
        return Image(np.ascontiguousarray(arr), 8)

    # -- rate control --------------------------------------------------------------------------------------
    def targeted_encode(self, image: Image, target: Any, *, reference: Image | None = None, **options: Any) -> Any:
        """Smallest ROI JPEG meeting ``target`` (``roi:`` constraints measured on ROI pixels only).

        See :func:`qualipress.roi.rate.targeted_encode`; returns a :class:`qualipress.search.SearchResult`.
        ``metadata`` (a :class:`qualipress.io.metadata.Carry`) is written into the chosen file, as
        :meth:`encode` does; the pixels and measurements are unaffected.
        """
        from qualipress.io.metadata import embed
        from qualipress.search.targets import BYTES, Target, parse_target

        carry = options.pop("metadata", None)  # this search bypasses Codec.encode, which would embed it
        channels = image.color().n_channels
        tgt = parse_target(target)
        if carry is not None and tgt.budget is not None:  # the budget holds for the file with its metadata
            extra = len(embed(b"\xff\xd8", self.info.extension, carry, channels=channels)) - 2
            tgt = Target(tuple(replace(c, value=c.value - extra) if c.metric == BYTES else c for c in tgt.constraints))
        res = targeted_encode(self, image, tgt, reference=reference, **options)
        if carry is not None and res.data:
            res.data = embed(res.data, self.info.extension, carry, channels=channels)
        return res


def _chroma_fit(options: dict[str, Any]) -> int:
    """The ``chroma_fit`` option (InputError unless 0..8)."""
    v = _number(options, "chroma_fit", CHROMA_FIT, int)
    if not 0 <= v <= 8:
        raise InputError(f"jpeg-roi: chroma_fit must be 0..8 passes, got {v}")
    return v


def _bg_chroma_lambda(options: dict[str, Any]) -> float:
    """The ``bg_chroma_lambda`` option (InputError unless > 0)."""
    v = _number(options, "bg_chroma_lambda", BG_CHROMA_LAMBDA, float)
    if not v > 0:
        raise InputError(f"jpeg-roi: bg_chroma_lambda must be > 0, got {v}")
    return v


def _encode_settings(
    quality: float | None, options: dict[str, Any], traits: ImageTraits | None = None
) -> tuple[float, float, dict[str, Any], str, float]:
    """ROI and background qualities, the encoder profile (defaults overridden by ``options``; adapted to
    ``traits`` when given), the subsampling (``"420"`` style) and the dead zone; InputError for values out of
    range."""
    q = 85.0 if quality is None else float(quality)
    roi_q = options.get("roi_quality")
    bg_q = options.get("bg_quality")
    roi_q = q if roi_q is None else float(roi_q)
    bg_q = adapted_bg_quality(roi_q, traits) if bg_q is None else float(bg_q)
    for name, v in (("roi_quality", roi_q), ("bg_quality", bg_q)):
        if not 1 <= v <= 100:
            raise InputError(f"jpeg-roi: {name}={v} is outside 1..100")
    if bg_q > roi_q:
        raise InputError(f"jpeg-roi: bg_quality {bg_q:g} is above roi_quality {roi_q:g}")
    prof = profile_for(roi_q, None if traits is None else traits.chroma_energy).to_dict()
    opt = {k: (prof[k] if options.get(k) is None else options[k]) for k in prof}
    subsampling = str(opt["subsampling"]).replace(":", "")
    deadzone = float(options.get("deadzone") if options.get("deadzone") is not None else 0.5)
    if not 0.5 <= deadzone < 1.0:
        raise InputError(f"jpeg-roi: deadzone must be in [0.5, 1), got {deadzone}")
    return roi_q, bg_q, opt, subsampling, deadzone


def _level_qualities(levels: np.ndarray, analysis: Any, options: dict[str, Any], roi_q: float, bg_q: float,
                     threshold: float, notes: list[str]) -> dict[int, float]:
    """Quality of each block level (0 = background); with no ROI block, one uniform quality (noted)."""
    if not levels.any():
        fb = options.get("fallback_quality")
        uq = roi_q if fb is None else float(fb)
        if not analysis.empty:
            notes.append(f"no block reaches {threshold:.0%} ROI coverage")
        notes.append(f"no ROI blocks: uniform quality {uq:g}")
        return {0: uq}
    qualities = {0: bg_q}
    for lv in (int(v) for v in np.unique(levels) if v > 0):
        w = HIERARCHY_WEIGHTS.get(lv, 1.0) if options.get("hierarchical") else 1.0
        qualities[lv] = round(bg_q + w * (roi_q - bg_q))
    return qualities


def _chroma_settings(options: dict[str, Any], qualities: dict[int, float], subsampling: str,
                     mode: str) -> tuple[dict[int, int] | None, dict[int, float] | None]:
    """The background chroma cut-off (``bg_chroma="lowpass"`` at 4:4:4) and the per-level chroma qualities."""
    bg_chroma = options.get("bg_chroma") or ("lowpass" if mode == "multiples" else "table")
    if bg_chroma not in ("lowpass", "table"):
        raise InputError(f"jpeg-roi: bg_chroma must be 'lowpass' or 'table', got {bg_chroma!r}")
    cutoff = None
    if len(qualities) > 1 and subsampling == "444" and bg_chroma == "lowpass":
        cutoff = {0: 4}
    cratio = float(1.0 if options.get("chroma_ratio") is None else options["chroma_ratio"])
    if not 0.0 < cratio <= 1.0:
        raise InputError(f"jpeg-roi: chroma_ratio must be in (0, 1], got {cratio}")
    chroma_q = {lv: float(max(1, round(cratio * v))) for lv, v in qualities.items()} if cratio < 1 else None
    return cutoff, chroma_q
