"""``FilmHooks``: the film capability's implementation of :class:`qualipress.pipeline.PipelineHooks`.

* ``plan`` analyses the frame (:mod:`qualipress.film.analysis`), chooses the candidate codecs and their starting
  settings (:mod:`qualipress.film.select`, warm start from the previous frame of the *same* sequence) and adds
  the decision checks (:mod:`qualipress.film.decisions`). Everything decided is returned as notes, which the
  pipeline records under ``"decisions"``; the analysis is recorded under ``"analysis"``.
* ``seal`` decodes the chosen output once more and records its film fidelity figures under ``"film"`` (grain
  kept, colour grain kept, temporal ratio, tonal shift, display-rendered SSIM, worst tile:
  :mod:`qualipress.film.fidelity`), keeps the frame's source and output luma as the sequence's previous frame for
  the next frame's temporal check, embeds
  the XMP seal in JPEG XL / JPEG 2000 outputs (:mod:`qualipress.film.seal`) and notes where the seal went in the
  record (``"seal"``).
* ``finish`` writes the collection files: ``manifest.jsonl`` (one record per frame, merged with earlier runs),
  ``SHA256SUMS`` and a sidecar ``<output>.xmp`` for containers that cannot carry the seal (all but JPEG XL and JP2).
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from qualipress import __version__, metrics
from qualipress import codecs as _codecs
from qualipress.errors import InputError, QualipressError
from qualipress.film import analysis as _analysis
from qualipress.film import decisions, fidelity, manifest, seal, select
from qualipress.film.sequence import FRAME_EXTENSIONS, parse_name
from qualipress.io import Image, atomic_write_bytes, sha256_file
from qualipress.pipeline.hooks import SEEDED, DefaultHooks, Plan, seal_over_limit
from qualipress.search import Hint, SearchResult, Target
from qualipress.search.probe import encodable

#: Tile size (pixels) of the worst-tile SSIM recorded for every output.
WORST_TILE = 256
#: Encode options of film frames of fewer than :data:`ONE_THREAD_SAMPLES` samples, by codec. JPEG XL encodes in
#: the worker's own thread: the same bytes as libjxl's 2-thread pool, a 2K worker's peak 13.8x instead of 14.9x the
#: 16-bit frame (a 4-frame shot 14.3x instead of 18.3x: the pool's threads left freed frame-sized buffers in their
#: own heaps), and no CPU lost, because a film batch already runs one worker per core (docs/film.md, "JPEG XL at
#: 2K: CPU and memory per frame").
FRAME_OPTIONS: dict[str, dict[str, Any]] = {"jpegxl": {"threads": 1}}
#: Frames of this many samples and more keep the codecs' defaults: libjxl's planes of a 4K frame exceed glibc's
#: mmap threshold and go back to the system when freed, so the pool does not grow the heap, and one thread raised a
#: 4K 16-bit frame's first encode by 50 MB (9.1x instead of 8.1x the frame, for 7 % less CPU).
ONE_THREAD_SAMPLES = 1 << 23
#: The seal sidecar of an output whose container cannot hold the seal: ``<output>`` + this.
SIDECAR_SUFFIX = ".xmp"
#: Output extensions whose containers hold the seal (:func:`qualipress.film.seal.embed`: JPEG XL, JPEG 2000).
EMBEDDING_EXTENSIONS = frozenset({".jxl", ".jp2"})


def seal_sidecar(output: Path) -> Path:
    """Where the seal of ``output`` goes when its container cannot hold it: ``<output>.xmp``."""
    return output.with_name(output.name + SIDECAR_SUFFIX)


def _target_values(target: Target) -> tuple[float | None, float | None]:
    """(global SSIM threshold, worst-tile ``ssim@min`` floor) of a target, when present."""
    ssim = floor = None
    for c in target.constraints:
        if c.metric == "ssim" and c.scope is None:
            if c.stat == "mean":
                ssim = c.value
            elif c.stat == "min":
                floor = c.value
    return ssim, floor


def _profile_of(target: Target) -> str | None:
    try:
        from qualipress.profiles import builtin_profiles

        for name, prof in builtin_profiles().items():
            if list(prof.target.to_list() if hasattr(prof.target, "to_list") else prof.target) == target.to_list():
                return name
    except Exception:  # profiles are optional for the hooks
        return None
    return None


def check_bound_hint(previous: dict[str, Any]) -> Hint | None:
    """Warm start for the next frame of a shot whose previous frame's search ended on a film check.

    When the previous frame's chosen setting passed and the grid step just below it failed a decision check
    (grain, temporal, ...), the target's margin at the chosen setting says nothing about where the next frame
    fails: the core's hint, fitted on that margin, sends the next search several steps down and then bisects
    back. This hint starts at the same setting with the slope of that final bracket (the margin drops from the
    passing probe's to the failing one's within one step), so the next search probes the same setting and then
    its neighbour below: two encodes when the next frame behaves like this one. When the check that failed gives
    no distance to its threshold (not one of :data:`qualipress.film.decisions.MEASURED_CHECKS`), the hint is
    marked ``checked``, so when the next frame needs another setting the search moves 1, 2, 4, ... grid steps
    from there instead of trusting the margin's slope; after a measured check (grain) the search interpolates on
    the margins as usual (a frame whose setting moves one step then takes 3 encodes, not 4). The search's proof
    (a passing setting and a failing neighbour) is unchanged; only where it looks first.

    Parameters
    ----------
    previous : dict
        Report record of the previous frame (``codec``, ``setting``, ``probes`` with their ``checks``).

    Returns
    -------
    Hint or None
        None when the previous frame was lossless, or its bracket was not ended by a failed check.
    """
    name, setting = previous.get("codec"), previous.get("setting")
    if not name or setting is None or (previous.get("params") or {}).get("lossless"):
        return None
    try:
        q = _codecs.get(str(name)).info.quality
    except QualipressError:
        return None
    if q is None:
        return None
    grid = np.asarray(q.grid, dtype=np.float64)

    def index(v: float) -> int:
        return int(np.argmin(np.abs(grid - float(v))))

    i = index(setting)
    passed = failed = None
    for p in previous.get("probes") or []:
        if p.get("codec") not in (None, name) or p.get("setting") is None or p.get("lossless"):
            continue
        j = index(p["setting"])
        if j == i and p.get("passed"):
            passed = p
        elif j == i - 1 and not p.get("passed") and any(not c.get("passed") for c in p.get("checks") or []):
            failed = p
    if passed is None or failed is None:
        return None
    slope = float(passed.get("margin", 0.0)) - float(failed.get("margin", 0.0))
    # a check that measures its distance (grain) makes the probes' margins, and so this slope, say where the next
    # frame fails: the search may interpolate on it; a blind check (banding, tonal, ...) does not
    blind = any(not c.get("passed") and c.get("name") not in decisions.MEASURED_CHECKS
                for c in failed.get("checks") or [])
    return Hint(float(i), slope if slope > 0 else None, checked=blind)


def _embed_unless_grown(data: bytes, codec: str, packet: bytes, record: dict) -> tuple[bytes, str]:
    """:func:`seal.embed`, except that a seal which alone would make the output larger than its input file goes to
    the sidecar and the manifest instead (never grow: QA found a 134 B PNG written as a 978 B JPEG XL, 119 B of
    codestream and 859 B of embedded seal, after the search had kept the 119 B file for being smaller than the
    input). The rule is the byte budget's (:func:`~qualipress.pipeline.hooks.seal_over_limit`), applied here and
    not by the pipeline because the hooks wrapping these (``PhotoHooks``) judge the sealed size (never-grow
    warning) before the pipeline checks its budget."""
    out, where = seal.embed(data, codec, packet)
    if where != "sidecar" and seal_over_limit(data, out, [record.get("input_bytes")]):
        return data, "sidecar"
    return out, where


def frame_options(codecs: list[str], image: Image) -> dict[str, dict[str, Any]]:
    """The encode options a film frame's plan gives ``codecs`` (:data:`FRAME_OPTIONS` below
    :data:`ONE_THREAD_SAMPLES` samples, none above)."""
    if image.pixels.size >= ONE_THREAD_SAMPLES:
        return {}
    return {c: dict(FRAME_OPTIONS[c]) for c in codecs if c in FRAME_OPTIONS}


class FilmHooks:
    """Pipeline hooks for film frames (see module docstring).

    Parameters
    ----------
    profile : str, optional
        Profile name for the check parameters (default: recognised from the target, else C1's).
    checks : tuple of str
        Decision checks to use (:data:`qualipress.film.decisions.ALL_CHECKS`); ``()`` disables them.
    sidecars : bool
        Write ``<output>.xmp`` for outputs whose container cannot carry the seal.

    Notes
    -----
    The previous frame of each sequence (source and chosen output luma, frame number) is kept per worker
    process in :attr:`sequences` (the last :data:`KEEP_SEQUENCES` sequences), so the temporal check works
    whether the hooks object is shared (one process) or sent to each task (process pool). A frame whose previous
    number was not the last one processed for its sequence in this worker gets no temporal check, with a note.
    """

    #: Sequences whose last frame is kept for the temporal check.
    KEEP_SEQUENCES: ClassVar[int] = 8
    #: sequence -> (frame number, source, output luma, block mask), per worker process. The source is the frame
    #: itself for the newest entry (held anyway until the next plan: its luma is converted when needed, 3 ms at
    #: 2K) and its luma plane for older ones; source and output luma are whole planes (mask None) until the next
    #: frame's plan cuts them to the blocks its temporal figure compares
    #: (:func:`qualipress.film.fidelity.flat_luma`, that frame's block mask kept beside them).
    sequences: ClassVar[OrderedDict[str, tuple[int, np.ndarray | Image, np.ndarray, np.ndarray | None]]] = \
        OrderedDict()

    def __init__(self, profile: str | None = None, *,
                 checks: tuple[str, ...] = decisions.ALL_CHECKS, sidecars: bool = True) -> None:
        self.profile = profile
        self.checks = tuple(checks)
        self.sidecars = sidecars
        self._frames: dict[str, tuple[Image, Any]] = {}
        #: input -> (codec, per-tile SSIM) of a sealed frame whose figures wait for its written file's pixels
        self._awaiting: dict[str, tuple[str, np.ndarray | None]] = {}

    # -- plan ----------------------------------------------------------------------------------------------
    def plan(self, image: Image, *, path: Path, codec: str, target: Target, previous: dict | None) -> Plan:
        """Analysis, candidate codecs, starting settings and checks for one frame.

        Files that are not film frames (PNG, JPEG, ...: not one of :data:`FRAME_EXTENSIONS`) get the core's
        default plan, so that ``compress`` of ordinary photographs is unchanged; they are still sealed and
        listed in the manifest.
        """
        self._frames = {}  # the previous frame is done
        self._awaiting = {}
        if Path(path).suffix.lower() not in FRAME_EXTENSIONS:
            plan = DefaultHooks().plan(image, path=path, codec=codec, target=target, previous=previous)
            plan.notes.append("not a film frame: core default plan, no film checks")
            return plan
        name = parse_name(Path(path))
        self._held(name)  # the previous frame as its luma (8.8 MB at 2K, not 12.7) while this one is analysed
        try:
            # the source side of every check, computed once for the frame; the analysis reuses its arrays; the
            # previous frame's planes are cut to this frame's blocks as soon as its block statistics are known
            info = decisions._ref_info(image, stats_ready=lambda stats: self._cut_previous(name, image, stats))
            ana = _analysis.analyse(image, arrays=info.arrays)
            # the analysis was the last user of the source's linear-light and luma planes
            fidelity.release_linear(info.fid, info.arrays)
        except InputError as exc:  # e.g. smaller than one analysis block: plain search, said so
            plan = DefaultHooks().plan(image, path=path, codec=codec, target=target, previous=previous)
            plan.notes.append(f"no frame analysis ({exc}): core default plan")
            return plan
        prev = previous if self._same_sequence(previous, name) else None
        position = 0
        if prev is not None:
            position = int((prev.get("analysis") or {}).get("sequence_position", 0)) + 1
        ana["sequence"] = name.sequence
        ana["frame"] = name.number
        ana["sequence_position"] = position
        stored_bits = 16 if image.is_float else image.bit_depth
        prev_view = None
        if prev is not None:
            params = prev.get("params") or {}
            prev_view = {"codec": prev.get("codec"), "setting": prev.get("setting"),
                         "lossless": bool(params.get("lossless")), "analysis": prev.get("analysis")}
        # a list is searched as auto is, among its codecs only (qa18film: it ran auto's selection over every film
        # codec, and the report named HEIF as a candidate and a warm start on one codec while all were searched)
        cfg = select.select(ana, codec=codec, stored_bits=stored_bits, previous=prev_view, position=position)
        start: dict[str, Any] = dict(cfg.start)
        if prev_view is not None and not cfg.differs and cfg.codecs == [prev_view["codec"]]:
            start.pop(prev_view["codec"], None)  # the core's hint from the previous frame also knows the slope
            bracket = check_bound_hint(prev or {})
            if bracket is not None:
                # the previous frame ended on a check, not on the target's margin: steer by its bracket
                start[prev_view["codec"]] = bracket
                cfg.notes.append(f"{prev_view['codec']}: warm start from the previous frame's bracket "
                                 f"(setting {prev_view['setting']:g} passed, its neighbour failed a film check)")
        ssim, floor = _target_values(target)
        profile = self.profile or _profile_of(target)
        self._frames = {str(path): (image, name)}
        checks, check_notes = decisions.checks_for(profile, target_ssim=ssim, analysis_result=ana,
                                                   enabled=self.checks, tile_floor=floor,
                                                   transfer="linear" if image.is_float else image.transfer,
                                                   previous=self._previous_frame(name, info.fid))
        if profile:
            check_notes.insert(0, f"check parameters of profile {profile}")
        return Plan(codecs=cfg.codecs, start=start, checks=checks, analysis=ana, notes=cfg.notes + check_notes,
                    encode_options=frame_options(cfg.codecs, image))

    def _previous_frame(self, name: Any, ref: fidelity.Reference | None = None) -> tuple[np.ndarray, np.ndarray] | str:
        """(source luma, output luma) of the frame before ``name`` in its sequence, or why there is none.

        With ``ref`` (the source side of frame ``name``, from its plan) the held whole planes are cut to the blocks
        frame ``name``'s temporal figure compares, in the store too: the planes (two float32 planes of the frame)
        are not resident while this frame's probes are decoded. The seal of frame ``name`` then gets the same
        arrays."""
        held = self._held(name)
        if isinstance(held, str):
            return held
        number, src, dec, mask = held
        if ref is None:
            return src, dec
        if mask is None and src.shape == ref.shape and dec.shape == ref.shape:
            mask = ref.temporal_blocks
            src, dec = fidelity.flat_luma(ref, src), fidelity.flat_luma(ref, dec)
            self.sequences[name.sequence] = (number, src, dec, mask)
        elif mask is not None and not np.array_equal(mask, ref.temporal_blocks):
            # cut for another frame of this number (the same frame read again gives the same blocks)
            return f"previous frame's luma was kept for another frame {name.number}'s blocks"
        return src, dec

    def _held(self, name: Any) -> tuple[int, np.ndarray, np.ndarray, np.ndarray | None] | str:
        """The held entry of the frame before ``name`` in its sequence, its source converted to luma in the store
        (:func:`qualipress.film.analysis.code_luma`, = its ``fidelity.source_luma``), or why there is none."""
        if name.number is None:
            return "not a numbered frame"
        held = self.sequences.get(name.sequence)
        if held is None:
            return "first frame of this sequence in this worker"
        number, src, dec, mask = held
        if number != name.number - 1:
            return f"previous frame processed here is {number}, not {name.number - 1}"
        if isinstance(src, Image):
            src = _analysis.code_luma(src)
            self.sequences[name.sequence] = (number, src, dec, mask)
        return number, src, dec, mask

    def _cut_previous(self, name: Any, image: Image, stats: _analysis.BlockStats) -> None:
        """Cut the held whole planes of the frame before ``name`` to the blocks frame ``name``'s temporal figure
        compares, from that frame's block statistics (``image``: the frame; the mask is its
        :attr:`fidelity.Reference.temporal_blocks`, :func:`qualipress.film.fidelity.temporal_mask`).

        Called by the frame's analysis before its grain measure and fidelity reference, whose temporaries are the
        plan's largest: the previous frame's two float32 planes (17.7 MB at 2K) are no longer held beside them.
        :meth:`_previous_frame` finds the planes cut for this frame's blocks and uses them as they are."""
        held = self._held(name)
        if isinstance(held, str) or held[3] is not None or stats.block != _analysis.BLOCK:
            return
        number, src, dec, _ = held
        if src.shape != (image.height, image.width) or dec.shape != src.shape:
            return
        mask = fidelity.temporal_mask(stats, image)
        self.sequences[name.sequence] = (number, _analysis.block_view(src, stats.block)[mask],
                                         _analysis.block_view(dec, stats.block)[mask], mask)

    def _fidelity(self, data: bytes, codec: str, record: dict, *, decoded: Image | None = None,
                  tiles: np.ndarray | None = None, digest: bytes | None = None) -> None:
        """Record the chosen output's film figures, remember it as its sequence's previous frame.

        ``decoded`` (the output's pixels as the search decoded them, or as the written file decoded) and ``tiles``
        (its SSIM per :data:`WORST_TILE`-pixel tile, as the search measured them) are reused when given;
        otherwise ``data`` is decoded and measured here. Figures a decision check already computed for the same
        decoded pixels are taken from the checks' cache (:func:`qualipress.film.decisions.figure`; ``digest``:
        the pixels' :func:`~qualipress.io.pixel_digest` when already known).
        """
        held = self._frames.get(str(record.get("input")))
        if held is None:
            return
        image, name = held
        try:
            if decoded is None:
                like = encodable(image)
                decoded = _codecs.decode_like(_codecs.get(codec), data, like)
            info = decisions._ref_info(image)
            dec = decisions._dec_info(info, decoded, digest=digest)
            dec_y = dec.y
        except (InputError, ValueError) as exc:
            record["film"] = {"error": f"could not measure the film figures: {exc}"}
            return
        prev = self._previous_frame(name)
        prev_src, prev_dec = (prev if isinstance(prev, tuple) else (None, None))
        if tiles is None:
            tiles = metrics.measure(image, decoded, ("ssim",), tile=WORST_TILE)["ssim"].tiles
        tiles = np.asarray(tiles)
        worst = None
        if tiles.size:
            r, c = np.unravel_index(int(tiles.argmin()), tiles.shape)
            worst = {"ssim": round(float(tiles.min()), 5), "row": int(r), "col": int(c), "tile": WORST_TILE}
        disp = decisions.figure(dec, "display", lambda: decisions.display_ssim(info, decoded))
        record["film"] = {
            "grain": decisions.figure(dec, "grain", lambda: fidelity.grain_kept(info.fid, dec_y)),
            "colour_grain": decisions.figure(dec, "colour-grain",
                                             lambda: fidelity.colour_grain_kept(info.fid, decoded)),
            "temporal": decisions.figure(
                dec, ("temporal", id(prev_src), id(prev_dec)),
                lambda: fidelity.temporal_ratio(info.fid, dec_y, prev_src, prev_dec,
                                                why_not=prev if isinstance(prev, str) else None)),
            "tonal": decisions.figure(dec, "tonal", lambda: fidelity.tonal_shift(info.fid, decoded)),
            "display_ssim": None if disp is None else round(disp, 5),
            "worst_tile": worst,
            "encoding": fidelity.encoding_name(image),
            "finished_at": round(time.time(), 3),
        }
        if name.number is not None:
            for key, (number, src, dec, mask) in list(self.sequences.items()):  # only the newest holds its frame
                if isinstance(src, Image):
                    self.sequences[key] = (number, _analysis.code_luma(src), dec, mask)
            self.sequences[name.sequence] = (name.number, image, dec_y, None)
            self.sequences.move_to_end(name.sequence)
            while len(self.sequences) > self.KEEP_SEQUENCES:
                self.sequences.popitem(last=False)
        # the frame is done: the next one needs only its luma planes kept just above (the frame itself stays in
        # ``_frames`` until the next plan, so it can be sealed again)
        decisions.forget(image)

    @staticmethod
    def _same_sequence(previous: dict | None, name: Any) -> bool:
        if not previous or previous.get("error") or not previous.get("input"):
            return False
        other = parse_name(Path(previous["input"]))
        if other.sequence != name.sequence or other.number is None or name.number is None:
            return False
        if previous.get(SEEDED):  # the shot's first frame, seeding a later chunk of the shot
            return name.number > other.number
        # the next frame, one after a missing frame, or a second file of the same number (shot.01002 / shot.1002)
        return 0 <= name.number - other.number <= 2

    # -- seal ----------------------------------------------------------------------------------------------
    def seal(self, data: bytes, *, codec: str, record: dict) -> bytes:
        """Record the output's film figures, embed the XMP seal where the container allows; note where the seal
        went in ``record["seal"]``."""
        self._fidelity(data, codec, record)
        packet = seal.xmp_packet(self.seal_fields(record, codec))
        out, where = _embed_unless_grown(data, codec, packet, record)
        record["seal"] = where
        return out

    def seal_result(self, result: SearchResult, *, record: dict, tile: int = WORST_TILE) -> bytes:
        """:meth:`seal` for the search's winning result, reusing what the search already did: its decoded
        pixels (no second decode) and, when the search measured SSIM on :data:`WORST_TILE`-pixel tiles
        (``tile``), its per-tile SSIM (no second SSIM pass).

        Parameters
        ----------
        result : SearchResult
            The chosen encoding (``data``, ``codec``, ``decoded``, ``metrics``).
        record : dict
            The frame's report record (``"film"`` and ``"seal"`` are added).
        tile : int
            Tile size the search measured with.

        Returns
        -------
        bytes
            ``result.data`` with the seal embedded where the container allows it.
        """
        ssim = result.metrics.get("ssim")
        tiles = ssim.tiles if tile == WORST_TILE and ssim is not None and ssim.tiles is not None else None
        held = self._frames.get(str(record.get("input")))
        if result.decoded is None and result.digest is not None and held is not None:
            # the search gave the winner's pixels back (search(decode_result=False)): the figures are recorded
            # from the written file's pixels (:meth:`verified`), not from a decode of their own; the seal needs
            # none of them but the encoding
            self._awaiting[str(record.get("input"))] = (result.codec, tiles)
            record["film"] = {"encoding": fidelity.encoding_name(held[0])}
        else:
            self._fidelity(result.data, result.codec, record, decoded=result.decoded, tiles=tiles)
        packet = seal.xmp_packet(self.seal_fields(record, result.codec))
        out, where = _embed_unless_grown(result.data, result.codec, packet, record)
        record["seal"] = where
        return out

    def verified(self, output: Image, *, record: dict, digest: bytes | None = None) -> None:
        """The pipeline's call once the written file is read back and decoded (``output``, its pixels; ``digest``
        their :func:`~qualipress.io.pixel_digest` when they were found identical to the probe the search measured):
        records the film figures of a frame :meth:`seal_result` sealed without pixels."""
        awaiting = self._awaiting.pop(str(record.get("input")), None)
        if awaiting is not None:
            self._fidelity(b"", awaiting[0], record, decoded=output, digest=digest,
                           tiles=awaiting[1] if digest is not None else None)  # the probe's tiles: its pixels only

    @staticmethod
    def seal_fields(record: dict, codec: str) -> dict[str, Any]:
        metrics = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in (record.get("metrics") or {}).items()}
        params = record.get("params") or {}
        setting = record.get("setting")
        return {"profile": record.get("profile"), "target": ",".join(record.get("target") or []),
                "codec": codec, "codec_version": record.get("codec_version"), "setting": setting,
                "params": params, "metrics": metrics, "source": Path(str(record.get("input", ""))).name,
                "source_sha256": record.get("input_sha256"), "qualipress_version": __version__,
                "encoding": (record.get("film") or {}).get("encoding")}

    # -- sidecars ------------------------------------------------------------------------------------------
    def later_sidecars(self, output: Path, record: dict) -> list[Path]:
        """The seal sidecar ``<output>.xmp`` that :meth:`finish` writes for ``output`` when ``record["seal"]`` is
        ``"sidecar"``: the pipeline's output guard checks it with the output
        (:func:`qualipress.pipeline.batch.later_sidecars`), so a foreign file of that name is never replaced."""
        return [seal_sidecar(output)] if self.sidecars and record.get("seal") == "sidecar" else []

    def output_sidecar_suffixes(self, extension: str) -> tuple[str, ...]:
        """``(".xmp",)`` for an output named ``...extension`` whose container cannot hold the seal (all but
        :data:`EMBEDDING_EXTENSIONS`): ``--dry-run`` checks that name as the run's guard does. An embeddable one
        whose seal would grow it goes to the sidecar too; that the dry run does not foresee."""
        return (SIDECAR_SUFFIX,) if self.sidecars and extension.lower() not in EMBEDDING_EXTENSIONS else ()

    # -- finish --------------------------------------------------------------------------------------------
    def finish(self, outdir: Path, records: list[dict]) -> None:
        """Write ``manifest.jsonl``, ``SHA256SUMS`` and AVIF/HEIF seal sidecars for the whole collection."""
        out = Path(outdir)
        # one entry per output file (manifest.entry_key): an earlier run's output for the same source, with another
        # codec, stays listed beside this run's instead of being left on disk unaccounted for
        earlier = manifest.load(out)
        merged = {manifest.entry_key(r): r for r in earlier if r.get("kind") == "lossy"}
        # an archive's records in the same folder (`archive -o` the folder too) are kept as they are, history and
        # all (qa18film: a compress run dropped them, and with them the .qpl files' lines in SHA256SUMS)
        kept = [r for r in earlier if r.get("kind") != "lossy"]
        for rec in records:
            m = self.manifest_record(out, rec)
            if m["status"] == "ok":
                merged.pop(f"source:{m['source_path']}", None)  # an earlier failure of this source is settled
            merged[manifest.entry_key(m)] = m
            if m["status"] == "ok" and self.sidecars and rec.get("seal") == "sidecar":
                side = seal_sidecar(out / m["output"])
                try:
                    atomic_write_bytes(side, seal.xmp_packet(self.seal_fields(rec, str(rec.get("codec")))))
                except QualipressError as exc:  # e.g. a name over the limit: the other entries are still written
                    m.update(seal=None, seal_error=str(exc))
        entries = [*kept, *sorted(merged.values(), key=lambda m: str(m.get("source_path")))]
        lines = "".join(json.dumps(m, sort_keys=True, default=str) + "\n" for m in entries)
        atomic_write_bytes(out / manifest.MANIFEST, lines.encode())
        manifest.write_sums(out, entries)

    @staticmethod
    def manifest_record(outdir: Path, rec: dict[str, Any]) -> dict[str, Any]:
        """A pipeline report record in the collection manifest's terms."""
        src = str(rec.get("input", ""))
        name = parse_name(Path(src))
        ok = not rec.get("error") and rec.get("output")
        output = None
        if ok:
            try:
                output = Path(rec["output"]).resolve().relative_to(outdir.resolve()).as_posix()
            except ValueError:
                output = str(rec["output"])
        m: dict[str, Any] = {
            "kind": "lossy", "source": Path(src).name,
            "source_path": str(Path(src).resolve()) if src not in ("", "-") else src,  # "-": stdin
            "source_sha256": rec.get("input_sha256"), "source_bytes": rec.get("input_bytes"),
            "sequence": name.sequence, "frame": name.number,
            "status": "ok" if ok else "error", "error": rec.get("error"),
            "output": output, "output_sha256": rec.get("output_sha256"), "output_bytes": rec.get("bytes"),
            "codec": rec.get("codec"), "codec_version": rec.get("codec_version"), "params": rec.get("params"),
            "profile": rec.get("profile"), "target": rec.get("target"), "target_met": rec.get("target_met"),
            "metrics": {k: (v.get("value") if isinstance(v, dict) else v) for k, v in
                        (rec.get("metrics") or {}).items()},
            "size": [rec.get("width"), rec.get("height")], "encodes": rec.get("encodes"),
            "seconds": rec.get("seconds"), "lossless": bool((rec.get("params") or {}).get("lossless")),
            "seal": rec.get("seal"), "decisions": rec.get("decisions"), "film": rec.get("film"),
        }
        if ok and m["output_sha256"] is None and output:
            m["output_sha256"] = sha256_file(outdir / output)
        return m
