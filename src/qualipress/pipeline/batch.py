"""Safe batch compression: expand inputs, resume, search, write atomically, verify, report."""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import hashlib
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from qualipress import __version__
from qualipress import codecs as _codecs
from qualipress import metrics as _metrics
from qualipress.codecs.transcode import SourceCodec, TranscodeCodec
from qualipress.errors import IndexWriteError, InputError, OutputError, QualipressError
from qualipress.io import (
    MAX_PIXELS,
    Image,
    append_jsonl,
    atomic_write_bytes,
    find_images,
    pixel_digest,
    read_image,
    read_jsonl,
    remove_stale_temps,
    sha256_bytes,
    sha256_file,
)

# the output folder's names (report, pending markers, lock) live in io.discover, which recognises output folders
from qualipress.io.discover import LOCK_NAME, PENDING_DIR, REPORT_NAME, is_output_dir, pattern_root
from qualipress.io.files import (
    check_name_length,
    exclusive_lock,
    file_state,
    json_default,
    require_unchanged,
)
from qualipress.io.readers import why_unreadable
from qualipress.io.transfer import perceptual_clipping
from qualipress.pipeline.hooks import SEEDED, DefaultHooks, PipelineHooks, seal_over_limit
from qualipress.pipeline.runner import run_tasks
from qualipress.pipeline.schedule import run_by_sequence, sequence_key
from qualipress.pipeline.views import byte_totals
from qualipress.search import (
    Hint,
    SearchResult,
    Target,
    best_of,
    budget_order,
    expected_sizes,
    measure_decoded,
    race_order,
    size_scale,
    skip_reason,
)
from qualipress.search.budget import prefer, quality_rank
from qualipress.search.probe import encodable
from qualipress.search.search import SHELVE_SAMPLES


@dataclass
class CompressOptions:
    """Settings of one ``compress`` run (plain, picklable data).

    Attributes
    ----------
    target : Target
    codec : str
        A codec name, a comma-separated list, or ``"auto"``.
    profile : str or None
        Profile name the target came from (recorded).
    jobs : int
    overwrite : bool
    name_with_ext : bool
        Output names keep the source extension (``a.png`` -> ``a.png.avif``) so ``a.png`` and ``a.jpg`` do not
        collide.
    encode_options : dict
        Options for every codec's ``encode`` (e.g. ROI settings for ``jpeg-roi``).
    hooks : PipelineHooks
    scheduler : str or None
        Address of a Dask distributed scheduler (``tcp://host:8786``) to run files on.
    max_pixels : int
    run_id : str
        Identifies one run's warm-start state (set by :func:`compress_paths`; not part of the settings key).
    source_names : dict of str to str
        The name to record for a source path instead of the path (not part of the settings key): the CLI maps
        the private temporary copy of stdin to ``"-"``, so reports and manifests do not name a deleted file and a
        second pipe of the same bytes resumes.
    """

    target: Target
    codec: str = "auto"
    profile: str | None = None
    jobs: int = 1
    overwrite: bool = False
    name_with_ext: bool = False
    encode_options: dict[str, Any] = field(default_factory=dict)
    hooks: Any = field(default_factory=DefaultHooks)
    scheduler: str | None = None
    max_pixels: int = MAX_PIXELS
    tile: int = _metrics.DEFAULT_TILE
    run_id: str = ""
    source_names: dict[str, str] = field(default_factory=dict)

    def recorded(self, source: Path | str) -> str:
        """What the report records as the input for ``source`` (see ``source_names``)."""
        return self.source_names.get(str(source), str(source))

    def settings_key(self) -> str:
        """Hash of everything that changes the output: reruns with the same key skip finished inputs."""
        settings = getattr(self.hooks, "settings", None)
        hooks = settings() if callable(settings) else type(self.hooks).__name__
        key = {"target": self.target.to_list(), "codec": self.codec, "options": self.encode_options,
               "hooks": hooks, "tile": self.tile}
        if self.name_with_ext:  # only when set, so keys of earlier reports stay valid
            key["name_with_ext"] = True
        blob = json.dumps(key, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class Job:
    """One input file and where its output goes (without extension, chosen once the codec is known).

    ``protected`` lists other inputs whose names start with this job's output stem: the job must never write
    over them, even with ``--overwrite`` (filled in by :func:`compress_paths`). ``orphans`` lists the sidecars an
    earlier run of these settings made of this input whose output has since gone: the job replaces them instead
    of refusing them as files other settings made (filled in by :meth:`_ReportState.orphans`). ``state``: the
    source's :func:`~qualipress.io.files.file_state` taken before its hash, so the check after reading it re-hashes
    only when that moved.
    """

    source: Path
    rel: Path
    protected: tuple[str, ...] = ()
    orphans: tuple[str, ...] = ()
    state: tuple[int, ...] | None = None

    def out_stem(self, outdir: Path, *, keep_ext: bool = False) -> Path:
        """The output path without its extension: the input's stem (its name with ``keep_ext``, or when the stem is
        "." as for an input named ``..png``, which would name the output folder itself)."""
        stem = self.rel.stem
        return outdir / self.rel.parent / (self.rel.name if keep_ext or stem in ("", ".", "..") else stem)


@dataclass
class BatchSummary:
    """What a batch did."""

    records: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    report: Path | None  # None: a single-output run whose report went with its private work directory

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("error") or not r.get("target_met", False)]

    def totals(self) -> dict[str, Any]:
        done = [r for r in self.records + self.skipped if not r.get("error")]
        sums = byte_totals(done)
        dist: dict[str, dict[str, float]] = {}
        for name in ("ssim", "psnr"):
            vals = [r["metrics"][name]["value"] for r in done if name in r.get("metrics", {})]
            if vals:
                dist[name] = {"min": float(np.min(vals)), "mean": float(np.mean(vals)),
                              "p5": float(np.percentile(vals, 5)), "max": float(np.max(vals))}
        return {
            "files": len(self.records) + len(self.skipped),
            "processed": len(self.records),
            "resumed": len(self.skipped),
            "failures": len(self.failures),
            **sums,
            "saved_percent": sums["saved_percent"] or 0.0,  # nothing done: nothing saved
            "ratio": round(sums["bytes_in"] / sums["bytes_out"], 3) if sums["bytes_out"] else None,
            "encodes_mean": round(float(np.mean([r["encodes"] for r in done])), 3) if done else None,
            "metrics": dist,
        }


# -- inputs -----------------------------------------------------------------------------------------------
def expand_inputs(inputs: Iterable[str | Path], *, exclude: Iterable[str | Path] = (),
                  earlier: Collection[str] | None = None) -> list[Job]:
    """Files, directories (recursive) and glob patterns → jobs with their relative output paths.

    :func:`qualipress.io.find_images` as :class:`Job` objects (a job also carries the inputs it must not
    overwrite); ``exclude`` names trees to skip (the output directory). Earlier outputs among the inputs are left
    out: ``earlier``, :func:`outputs_among_inputs` of ``inputs`` when the caller has it already (the CLI, which
    says what it skips), else read here.

    Raises
    ------
    InputError
        An input that names nothing.
    """
    inputs = list(inputs)
    if earlier is None:
        earlier = outputs_among_inputs(inputs)
    return [Job(f.path, f.rel) for f in find_images(inputs, exclude=exclude)
            if os.path.realpath(f.path) not in earlier]


def outputs_among_inputs(inputs: Iterable[str | Path]) -> set[str]:
    """Real paths of the outputs (and sidecars) an earlier run wrote into an input folder (``-o`` = the input
    folder, or the folder a glob or frame pattern is searched from, or a folder holding it), as that folder's report
    records them: not inputs of a later run, into another folder or with another codec. A file named directly is
    left out of the set: the user asked for it."""
    inputs = [Path(str(raw)) for raw in inputs]
    # the folder or one holding it: after compress run1 -o run1, run1/sub holds the outputs of sub's images
    folders = {Path(os.path.realpath(f)) for f in map(pattern_root, inputs) if f.is_dir()}
    found: set[str] = set()
    for here in {d for real in folders for d in (real, *real.parents) if is_output_dir(d)}:
        # only what was written next to its own input: a folder written from inputs elsewhere, named as the input of
        # a later run, is the user's input now
        found.update(os.path.realpath(p) for p in _reported_outputs(here / REPORT_NAME, inputs_under=str(here)))
        found.update(os.path.realpath(p) for p in _pending_outputs(here))
    return found - {os.path.realpath(p) for p in inputs if p.is_file()}


def check_collisions(jobs: list[Job], outdir: Path, *, name_with_ext: bool = False) -> None:
    """Refuse, before any work, two inputs that would write the same output, and mark which inputs each job
    must never overwrite.

    Raises
    ------
    OutputError
        Names every colliding pair of inputs.
    """
    fold = sys.platform in ("darwin", "win32")  # their usual file systems ignore case: A.jpg is a.jpg
    by_stem: dict[str, list[Job]] = {}
    for job in jobs:
        stem = str(job.out_stem(outdir, keep_ext=name_with_ext))
        by_stem.setdefault(stem.casefold() if fold else stem, []).append(job)
    clashes = [group for group in by_stem.values() if len(group) > 1]
    if clashes:
        lines = [" and ".join(str(j.source) for j in group)
                 + f" -> {group[0].out_stem(outdir, keep_ext=name_with_ext)}.*" for group in clashes[:10]]
        more = f" (and {len(clashes) - 10} more)" if len(clashes) > 10 else ""
        same_names = any(len({j.source.name for j in group}) < len(group) for group in clashes)
        if name_with_ext:
            hint = "compress them into separate output directories"
        elif same_names:  # the same file name under two roots: the extension does not tell them apart
            hint = ("give their common folder as the input (its sub-folders are kept in the output), or compress "
                    "them into separate output directories")
        else:
            hint = "use --name-with-ext to keep the source extension in output names, or rename them"
        raise OutputError("inputs would write the same output name: " + "; ".join(lines) + more + f"; {hint}")
    inputs = sorted(str(j.source) for j in jobs)
    for job in jobs:
        stem = str(job.out_stem(outdir, keep_ext=name_with_ext)) + "."
        lo = bisect.bisect_left(inputs, stem)
        hi = bisect.bisect_left(inputs, stem[:-1] + "/")  # "." < "/": every name starting with the stem
        job.protected = tuple(p for p in inputs[lo:hi] if p != str(job.source))


# -- report -----------------------------------------------------------------------------------------------
def read_report(path: Path) -> list[dict[str, Any]]:
    """Records of a report file; a torn last line (interrupted write) is ignored."""
    return [rec for rec in read_jsonl(path) if "input" in rec]


# -- one file ---------------------------------------------------------------------------------------------
@dataclass
class WarmStart:
    """What one process learned so far in one run: the last good record (``previous`` for the hooks) and the
    search hints per ``codec|target`` (starting points for the next file's search)."""

    previous: dict[str, Any] | None = None
    hints: dict[str, Any] = field(default_factory=dict)


#: Warm-start state of the run this process is serving (a pool worker serves one run; a new run id starts afresh).
_WARM: dict[str, WarmStart] = {}


def warm_start(run_id: str) -> WarmStart:
    """The warm-start state of run ``run_id`` in this process (created empty on first use)."""
    state = _WARM.get(run_id)
    if state is None:
        _WARM.clear()
        state = _WARM[run_id] = WarmStart()
    return state


def seed_warm_start(run_id: str, seed: WarmStart) -> None:
    """Start this process's warm state of run ``run_id`` from another worker's (a shot's first frame): its
    record becomes ``previous`` (marked :data:`~qualipress.pipeline.hooks.SEEDED`), its hints are added."""
    state = warm_start(run_id)
    if seed.previous is not None:
        state.previous = {**seed.previous, SEEDED: seed.previous.get("input")}
    state.hints.update(seed.hints)


def process_one(job: Job, outdir: Path, options: CompressOptions, input_sha: str) -> dict[str, Any]:
    """Compress one file; never raises for a bad input (the record's ``error`` says what went wrong)."""
    t0 = time.perf_counter()
    record: dict[str, Any] = {
        "input": str(job.source), "output": None, "input_sha256": input_sha, "output_sha256": None,
        "width": None, "height": None, "bit_depth": None, "codec": None, "params": None,
        "bytes": 0, "input_bytes": job.source.stat().st_size if job.source.exists() else 0,
        "bpp": None, "ratio": None, "metrics": {}, "target": options.target.to_list(),
        "profile": options.profile, "target_met": False, "encodes": 0, "seconds": None, "error": None,
        "settings_key": options.settings_key(), "qualipress": __version__,
    }
    try:
        _process(job, outdir, options, record)
    except QualipressError as exc:
        record["error"] = str(exc)
    except MemoryError:
        record["error"] = f"{job.source}: out of memory"
    except Exception as exc:  # a bug or an unexpected backend failure: reported, the batch goes on
        record["error"] = f"{job.source}: unexpected {type(exc).__name__}: {exc}"
    record["seconds"] = round(time.perf_counter() - t0, 3)
    _name_source(record, options)
    if record["error"] is None:
        warm_start(options.run_id).previous = record
        if record.get("output"):
            _mark_done(outdir, record)
    return record


def _name_source(record: dict[str, Any], options: CompressOptions) -> dict[str, Any]:
    """Record the source under its recorded name (``options.source_names``), in the error message too."""
    path = str(record["input"])
    name = options.recorded(path)
    if name != path:
        record["input"] = name
        if record.get("error"):
            record["error"] = str(record["error"]).replace(path, name)
    return record


def _process(job: Job, outdir: Path, options: CompressOptions, record: dict[str, Any]) -> None:
    image = read_image(job.source, max_pixels=options.max_pixels)
    record.update(width=image.width, height=image.height, bit_depth=image.bit_depth, channels=image.layout,
                  transfer=image.transfer)
    for key in ("extension_mismatch", "not_carried", "icc_dropped"):  # said by the reader: into the report
        if key in image.metadata:
            record.setdefault("warnings", []).append(image.metadata[key])
    if clipped := perceptual_clipping(image):  # negative / above-range float light: gone from every output
        record.setdefault("warnings", []).append(clipped)
    hooks: PipelineHooks = options.hooks
    adapt = getattr(hooks, "adapt", None)  # optional hook: e.g. reduce bit depth for web delivery
    if callable(adapt):
        image = adapt(image, record)
    warm = warm_start(options.run_id)
    previous = warm.previous
    plan = hooks.plan(image, path=job.source, codec=options.codec, target=options.target, previous=previous)
    encoded_image: Image = image
    if plan.preprocess is not None:
        encoded_image = plan.preprocess.apply(image)
        record["preprocess"] = plan.preprocess.name
    skipped: list[str] = []
    starts: dict[str, float | Hint] = dict(plan.start)
    for name in plan.codecs:
        key = f"{name}|{options.target}"
        if name not in starts and key in warm.hints:
            starts[name] = warm.hints[key]
    enc_opts = dict(options.encode_options)
    best, per_codec = _search_codecs(encoded_image, image, plan, options, starts, enc_opts, skipped)
    for name, res in per_codec.items():
        h = getattr(res, "hint", None)
        if h is not None and not res.lossless and res.beaten is None:
            warm.hints[f"{name}|{options.target}"] = h
    codec = _codecs.get(best.codec)
    stem = job.out_stem(outdir, keep_ext=options.name_with_ext)
    out_path = Path(str(stem) + codec.info.extension)  # keeps dotted frame numbers
    sidecars = _sidecar_data(plan, best, stem)
    _guard_outputs(job, outdir, [out_path, *sidecars], options, record)
    record.update(
        codec=best.codec, codec_version=codec.version(), params=best.params(),
        setting=None if best.lossless else best.setting,
        setting_name=None if best.lossless or codec.info.quality is None else codec.info.quality.name,
        metrics={k: v.to_dict() for k, v in best.metrics.items()}, target_met=best.met,
        encodes=sum(r.encodes for r in per_codec.values()),
        probes=[p.to_dict() for r in per_codec.values() for p in r.probes],
        analysis=plan.analysis or None,
        decisions=plan.notes + skipped + [n for r in per_codec.values() for n in r.notes] or None,
    )
    if best.fallback:
        record.update(_fallback_fields(best, codec, per_codec, record, options.target.budget is not None))
    describe = getattr(codec, "describe_output", None)  # learned codecs: the weights (fingerprint, source)
    if describe is not None:
        record.update(describe(best.data))
    data = _within_budget(_sealed(hooks, best, record, options.tile), best.data, record, options.target.budget)
    written_later = _guard_later_sidecars(job, out_path, options, record)  # where the seal went is known now
    require_unchanged(job.source, record["input_sha256"], job.state)  # every read of it done: still the bytes hashed?
    marker = _mark_pending(outdir, out_path, [out_path, *sidecars, *written_later])
    wrote: list[Path] = []  # only what this job wrote is removed on failure, never a file it did not replace
    try:
        wrote.append(atomic_write_bytes(out_path, data, overwrite=options.overwrite))
        record["verify"], output, same = _verify_written(out_path, data, codec, encoded_image, image, options, best,
                                                         plan.masks)
        verified = getattr(hooks, "verified", None)  # optional hook: the written file's pixels, once checked
        if callable(verified):
            verified(output, record=record, digest=same)
        del output
        for p, blob in sidecars.items():
            wrote.append(atomic_write_bytes(p, blob, overwrite=options.overwrite))
    except BaseException:
        for p in wrote:
            p.unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
        raise
    named = [str(p) for p in [*sidecars, *written_later]]
    record.update(**({"sidecars": named} if named else {}), output=str(out_path), output_sha256=sha256_bytes(data),
                  bytes=len(data), bpp=round(8 * len(data) / (image.width * image.height), 5),
                  ratio=round(record["input_bytes"] / len(data), 4) if data else None, verified=True)


def _guard_outputs(job: Job, outdir: Path, paths: list[Path], options: CompressOptions,
                   record: dict[str, Any]) -> None:
    """Refuse to write over an input, or over a file this run's settings did not make (unless ``--overwrite``):
    :func:`blocking_output`; the path refused goes into ``record`` as ``blocking_output``.

    ``paths[0]`` is the output; a stale copy that an interrupted run of these settings left is reclaimed first,
    and the job's orphaned sidecars (``job.orphans``) are removed once the guard lets it write.
    """
    for p in paths:
        check_name_length(p)
    _reclaim(outdir, paths[0])
    _refuse_or_clear(job, paths, options, record)


def _refuse_or_clear(job: Job, paths: list[Path], options: CompressOptions, record: dict[str, Any]) -> None:
    """The output guard's verdict on ``paths`` (:func:`blocking_output`): raise naming the refused file (recorded
    as ``blocking_output``), else remove the job's orphaned sidecars among them (``job.orphans``)."""
    blocked = blocking_output(job, paths, options)
    if blocked is not None:
        record["blocking_output"] = str(blocked[0])
        raise OutputError(blocked[1])
    for p in paths:
        if str(p) in job.orphans:
            p.unlink(missing_ok=True)


def _guard_later_sidecars(job: Job, out_path: Path, options: CompressOptions, record: dict[str, Any]) -> list[Path]:
    """The sidecars of ``out_path`` the hooks write in their ``finish`` (:func:`later_sidecars`: the film seal's
    ``<output>.xmp``), checked by the output guard (:func:`blocking_output`) as the output itself: a foreign file
    of that name fails the job (unless ``--overwrite``) instead of being replaced without a word; the job's orphaned
    ones are removed. They are recorded under ``sidecars``, so a rerun of these settings knows them as its own.
    A name over the file system's limit is left to ``finish``, which records it and writes the rest."""
    paths = [p for p in later_sidecars(options.hooks, out_path, record) if _name_fits(p)]
    _refuse_or_clear(job, paths, options, record)
    return paths


def _name_fits(path: Path) -> bool:
    """Whether ``path``'s name is within its file system's limit (:func:`check_name_length`)."""
    try:
        check_name_length(path)
    except OutputError:
        return False
    return True


def blocking_output(job: Job, paths: Iterable[Path], options: CompressOptions) -> tuple[Path, str] | None:
    """The first of ``paths`` the job may not write, with the reason the run gives: an input (never a target,
    ``--overwrite`` or not), or an existing file (unless ``--overwrite``, or one of the job's orphaned sidecars,
    ``job.orphans``); None when all may be written. The run (:func:`_guard_outputs`) and ``--dry-run``
    (:func:`predict_outcomes`) both ask this."""
    protected = {os.path.realpath(p) for p in (job.source, *job.protected)}
    for p in paths:
        if os.path.realpath(p) in protected:
            return p, (f"{p}: output would replace an input; choose another output directory"
                       + ("" if options.name_with_ext else " or use --name-with-ext"))
        if p.exists() and not options.overwrite and str(p) not in job.orphans:
            return p, (f"{p}: exists and was not made by this run's settings (an earlier run with other "
                       "settings, or one that kept its report elsewhere, made it: rerun with the same "
                       "--report to resume, or use --overwrite)")
    return None


def _sealed(hooks: PipelineHooks, best: SearchResult, record: dict[str, Any], tile: int) -> bytes:
    """The winner's bytes with the hooks' seal (``seal_result`` when the hooks have it: it reuses the decode)."""
    seal_result = getattr(hooks, "seal_result", None)
    if callable(seal_result):
        return seal_result(best, record=record, tile=tile)
    return hooks.seal(best.data, codec=best.codec, record=record)


def _within_budget(sealed: bytes, chosen: bytes, record: dict, budget: float | None) -> bytes:
    """The bytes to write: ``sealed`` (the hooks' seal embedded in ``chosen``) unless that pushes a file which met
    its byte budget over it (:func:`~qualipress.pipeline.hooks.seal_over_limit`); then ``chosen`` itself, and the
    seal goes to the ``<output>.xmp`` sidecar."""
    if not seal_over_limit(chosen, sealed, [budget]):
        return sealed
    if "seal" in record:
        record["seal"] = "sidecar"
    return chosen


def lossless_kind(probes: list[dict[str, Any]], codec: str) -> str | None:
    """Why ``codec`` made a lossless probe among a search's ``probes`` (their report dicts).

    Returns
    -------
    str or None
        ``"compared"`` when a lossy probe of the same codec met the target (the search then compared that file with
        the lossless one, :mod:`qualipress.search.lossless`), ``"fallback"`` when none did (no lossy setting met
        the target), None when ``codec`` made no lossless probe.
    """
    mine = [p for p in probes if p.get("codec") == codec]
    if not any(p.get("lossless") for p in mine):
        return None
    return "compared" if any(p.get("passed") and not p.get("lossless") for p in mine) else "fallback"


def _search_codecs(encoded: Image, original: Image, plan: Any, options: CompressOptions,
                   starts: dict[str, float | Hint], enc_opts: dict[str, Any],
                   skipped: list[str]) -> tuple[SearchResult, dict[str, SearchResult]]:
    results: dict[str, SearchResult] = {}
    best: SearchResult | None = None
    # bytes not counted when ranking by size (Plan.rank_discount); a byte budget counts every byte
    discount: dict[str, int] = (getattr(plan, "rank_discount", None) or {}) if options.target.budget is None else {}
    # Expected smallest first: the later codecs stop as soon as they cannot beat the best file so far (proved, or
    # predicted from their probes: search.predicted_loss), and those predicted to be far larger are not searched.
    racing = options.target.budget is None and len(plan.codecs) > 1
    expected = expected_sizes(plan.codecs, encoded, options.target) if racing else {}
    # Under a byte budget: best predicted quality at the budget first; the others stop after one probe when they
    # cannot (or are predicted not to) beat it.
    order = (race_order(plan.codecs, expected=expected) if options.target.budget is None else
             budget_order(list(plan.codecs), encoded, options.target))
    for name in order:
        to_beat = _rank(best, discount) if best is not None and best.met else None
        why = skip_reason(name, expected, to_beat[0] if to_beat else None, len(results),
                          size_scale(expected, results), best.codec if best is not None else None, image=encoded)
        opts = {**enc_opts, **plan.encode_options.get(name, {})}
        if why is None and to_beat is not None:
            budget = options.target.budget
            try:  # sizing a reuse candidate encodes it: a source it cannot handle is skipped, as in the race
                why = _reuse_cannot_win(name, encoded, opts, to_beat if budget is None else (int(budget) + 1, 0),
                                        discount.get(name, 0))
            except QualipressError as exc:
                why = str(exc)
        if why is not None:
            skipped.append(f"skipped {name}: {why}")
            continue
        bound = None
        if to_beat is not None and options.target.budget is None:  # a file ranked equal that keeps more wins
            bound = to_beat[0] + discount.get(name, 0) + (1 if discount.get(name) else 0)
        told = len(skipped)  # best_of tells on_skip and then raises the same reason: name the codec once
        try:
            b, res = best_of(encoded, [name], options.target, starts=starts, reference=original, bound=bound,
                             masks=plan.masks or None, encode_options=opts, checks=plan.checks, tile=options.tile,
                             size_scale=size_scale(expected, results), decode_result=False,
                             rank_to_beat=quality_rank(best, options.target) if best is not None and best.met and
                             options.target.budget is not None else None,
                             on_skip=lambda c, why: skipped.append(f"skipped {c}: {why}"))
        except QualipressError as exc:
            if len(plan.codecs) == 1:
                raise
            if len(skipped) == told:
                skipped.append(f"skipped {name}: {exc}")
            continue
        results.update(res)
        if b.beaten:
            skipped.append(f"stopped {name}: {b.beaten}")
            continue
        if best is None or _preferred(b, best, options.target, discount):
            best = b
    if best is None:
        raise InputError(f"no codec of {', '.join(plan.codecs)} could encode this image: " + "; ".join(skipped))
    return best, results


def _fallback_fields(best: SearchResult, codec: Any, per_codec: dict[str, SearchResult], record: dict[str, Any],
                     budgeted: bool) -> dict[str, str]:
    """Where the chosen result's ``fallback`` text goes in the record: a lossless file smaller than a lossy one that
    met the target is no fallback (``lossless_smaller``); nor is a byte budget nothing fits (the budget search only
    explains its miss: ``miss_reason``); where that miss is a source kept as it is, the reason is what the asked
    codecs could do."""
    won = best.lossless and lossless_kind(record["probes"], best.codec) == "compared"
    budget_miss = budgeted and not best.met
    why = best.fallback or ""
    if budget_miss and isinstance(codec, (SourceCodec, TranscodeCodec)):
        why = "; ".join(r.fallback for n, r in per_codec.items() if r.fallback and not r.met
                        and not isinstance(_codecs.get(n), (SourceCodec, TranscodeCodec))) or why
    return {"lossless_smaller" if won else "miss_reason" if budget_miss else "fallback": why}


def _rank(result: SearchResult, discount: dict[str, int]) -> tuple[int, int]:
    """What a result is ranked by without a byte budget, smallest first: its file's size less the bytes
    :attr:`~qualipress.pipeline.hooks.Plan.rank_discount` does not count, then the larger discount."""
    d = int(discount.get(result.codec, 0))
    return len(result.data) - d, -d


def _preferred(a: SearchResult, b: SearchResult, target: Any, discount: dict[str, int]) -> bool:
    """:func:`~qualipress.search.budget.prefer`, with sizes compared by :func:`_rank` when there is no budget."""
    if discount and target.budget is None and a.met == b.met:
        return _rank(a, discount) < _rank(b, discount)
    return prefer(a, b, target)


def _reuse_cannot_win(name: str, image: Image, options: dict[str, Any], to_beat: tuple[int, int],
                      discount: int = 0) -> str | None:
    """Why a never-grow candidate (the source kept, a lossless JPEG transcode) need not be measured: its file,
    written without a search, ranks no better (:func:`_rank`, ``discount`` its bytes not counted) than ``to_beat``
    — the best file meeting the target so far, or one byte over the byte budget once a file within it met the
    target (:func:`qualipress.search.budget.prefer` then ranks it lower) — so it cannot be chosen. None otherwise."""
    codec = _codecs.get(name)
    if not isinstance(codec, SourceCodec | TranscodeCodec):
        return None
    size = len(codec.encode(image, quality=None, lossless=True, **options))
    if (size - discount, -discount) < to_beat:
        return None
    counted = f"{size - discount:,} bytes counted, {discount:,} after the primary image not" if discount else ""
    return (f"its file ({size:,} bytes{'; ' + counted if counted else ''}) cannot beat the best so far (needs fewer "
            f"than {to_beat[0]:,} bytes{' counted' if discount else ''})")


def _sidecar_data(plan: Any, best: SearchResult, stem: Path) -> dict[Path, bytes]:
    out: dict[Path, bytes] = {}
    for suffix, producer in getattr(plan, "sidecars", {}).items():
        blob = producer(best) if callable(producer) else producer
        if blob:
            out[Path(str(stem) + suffix)] = bytes(blob)
    return out


def _marker_path(outdir: Path, out_path: Path) -> Path:
    """Where the pending marker of ``out_path`` lives: named by its stem (the output path without its codec's
    extension, unique in a run: :func:`check_collisions`), so a job's marker is found before its codec, and so its
    extension, is known (:func:`_finished_earlier`), and an earlier attempt under another codec is reclaimed."""
    return _stem_marker(outdir, out_path.with_suffix(""))


def _stem_marker(outdir: Path, stem: Path) -> Path:
    """The pending marker of the output stem ``stem`` (:func:`_marker_path`)."""
    return outdir / PENDING_DIR / (hashlib.sha1(os.fsencode(stem)).hexdigest()[:24] + ".json")


def _read_marker(marker: Path, *, paths_only: bool = False) -> dict[str, Any]:
    """A pending marker's JSON (``paths``, and ``record`` once its job finished); empty when there is none (the
    usual case), or it is torn or not a marker's. A marker copied or moved with its folder names its files where they
    are now (:class:`_Moved`, from the folder its ``outdir`` records, or from :meth:`_Moved.find` for one written
    before it was); one naming another folder that this one is not a copy of reads as empty (nothing is touched).
    ``paths_only``: its record is left out, and its input not hashed."""
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    here, paths = marker.parent.parent, data.get("paths") or []
    if not paths or _Moved.inside(paths[0], here):
        return data
    if (moved := _Moved.find(paths[0], here, data.get("outdir"))) is None:
        return {}
    out: dict[str, Any] = {**data, "paths": [m for p in paths if (m := moved.path(p)) is not None]}
    if isinstance(rec := data.get("record"), dict) and rec.get("output") and not paths_only:
        out["record"] = moved.record(rec)
        # its input read as moved only when the file there is the one it was made from
        there, same = out["record"].get("input"), False
        with contextlib.suppress(OSError):  # one it cannot read is not
            same = there == rec.get("input") or (
                os.path.isfile(there) and sha256_file(there) == rec.get("input_sha256"))
        if not same:
            out["record"]["input"] = rec.get("input")
    return out


class _Moved(NamedTuple):
    """Where the files that a report or a pending marker names in the folder ``old`` are now: in ``here``, a copy or
    a move of ``old``. Reports and markers hold absolute paths, and every reader maps a record or a marker naming
    another folder through this one rule: a path below ``old`` names the file at its place below ``here``, one outside
    ``old`` names nothing here (:meth:`path`; inputs: :meth:`input`)."""

    old: Path
    here: Path

    @staticmethod
    def inside(path: Any, here: Path, real_here: str | None = None) -> bool:
        """Whether ``path`` lies in ``here``: by name first (cheap), then by real path (``real_here``: ``here``'s,
        when the caller has it)."""
        return (str(path).startswith(os.path.join(here, ""))
                or os.path.realpath(str(path)).startswith((real_here or os.path.realpath(here)) + os.sep))

    @classmethod
    def find(cls, path: Any, here: Path, old: Any = None) -> _Moved | None:
        """The move of ``path`` (absolute, outside ``here``) into ``here``: from the folder ``old`` it was written in,
        when that is known (a marker's ``outdir``) and holds it, else from the one ancestor of ``path`` whose relative
        path names a file in ``here``; None when none or several do (nothing in ``here`` is then taken for it)."""
        path = Path(str(path))
        if old:
            return cls(Path(str(old)), here) if path.is_relative_to(str(old)) else None
        parts = path.parts  # by strings: pathlib per ancestor was half of reading a copied folder's report
        found = [i for i in range(1 + bool(path.anchor), len(parts)) if os.path.isfile(os.path.join(here, *parts[i:]))]
        return cls(Path(*parts[:found[0]]), here) if len(found) == 1 else None

    def path(self, p: Any) -> str | None:
        """Where the file recorded as ``p`` is now; None when it lay outside ``old``."""
        q = Path(str(p))
        return str(self.here / q.relative_to(self.old)) if q.is_relative_to(self.old) else None

    def input(self, source: str) -> str:
        """Where a record's input ``source`` is now when it was copied or moved with ``old``: below ``old`` itself, or
        below the folder copied around it (``compress in -o in/out`` then ``cp -a in in2``: ``in`` for ``in/out`` now
        ``in2/out``, the folders where their names first differ) when the copy holds that file; ``source`` else."""
        if (moved := self.path(source)) is not None:
            return moved
        top, new_top = self.old, self.here
        while top.name == new_top.name and top.parent != top and new_top.parent != new_top:
            top, new_top = top.parent, new_top.parent
        q = Path(source)
        if top != self.old and q.is_relative_to(top) and (new_top / q.relative_to(top)).is_file():
            return str(new_top / q.relative_to(top))
        return source

    def record(self, rec: dict[str, Any], *, inputs: bool = True) -> dict[str, Any]:
        """``rec`` with its output and sidecars (and with ``inputs`` its input) where they are now."""
        out = {**rec, "output": self.path(rec["output"])}
        if rec.get("sidecars"):
            out["sidecars"] = [m for p in rec["sidecars"] if (m := self.path(p)) is not None]
        if inputs and rec.get("input"):
            out["input"] = self.input(str(rec["input"]))
        return out


def _marker_fate(data: dict[str, Any], reported: dict[str, str | None], key: str) -> tuple[bool, dict | None]:
    """What settling a stopped run's marker ``data`` (:func:`_recover_pending`) does with its files, and so what
    ``--dry-run`` predicts (:func:`predict_outcomes`): ``(True, None)`` when the report accounts for its output
    (``reported`` maps outputs to their SHA-256; the file intact), ``(True, record)`` when it holds a finished
    record of these settings (``key``) whose files are intact (:func:`_intact`: appended to the report),
    ``(False, None)`` when its files are deleted (a job killed while writing, or one of other settings)."""
    paths = [str(p) for p in data.get("paths", [])]
    main = paths[0] if paths else None
    if main in reported and Path(main).exists() and sha256_file(main) == reported[main]:
        return True, None
    rec = _intact(data, key)
    return rec is not None, rec


def _intact(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The finished record a marker holds when it is of these settings (``key``) and its output and sidecars
    are on disk as recorded (the output's SHA-256 checked), else None."""
    rec = data.get("record")
    paths = [str(p) for p in data.get("paths", [])]
    if (isinstance(rec, dict) and rec.get("settings_key") == key and paths and paths[0] == rec.get("output")
            and all(Path(p).is_file() for p in paths) and sha256_file(paths[0]) == rec.get("output_sha256")):
        return rec
    return None


def _finished_earlier(task: _Task) -> dict[str, Any] | None:
    """The record of the task's file when an earlier attempt in this run finished it but its result never came
    back: a Dask lane rerun after its worker died (Dask runs the whole lane again, ``allowed-failures`` times),
    or a job retried after a crash. Its marker holds the verified record of these settings and this input, and
    the files are intact; the record says ``"recovered": true``. None otherwise (the job runs, and
    :func:`_reclaim` removes what the earlier attempt left)."""
    stem = task.job.out_stem(task.out, keep_ext=task.options.name_with_ext)
    rec = _intact(_read_marker(_stem_marker(task.out, stem)), task.options.settings_key())
    if rec is not None and rec.get("input_sha256") == task.sha:
        return {**rec, "recovered": True}
    return None


def _pending_outputs(outdir: Path) -> set[str]:
    """The files the pending markers in ``outdir`` name: what a stopped run wrote, or was writing, and had not yet
    reported (:func:`_recover_pending` settles them once the next run holds the lock). Outputs, never inputs: with
    ``-o`` = the input folder, a run killed between an output's write and its report line must not take that
    output for an input."""
    folder = outdir / PENDING_DIR
    if not folder.is_dir():
        return set()
    return {str(p) for m in folder.glob("*.json") if not m.name.startswith(".")
            for p in _read_marker(m, paths_only=True).get("paths", [])}


def _mark_pending(outdir: Path, out_path: Path, paths: list[Path]) -> Path:
    """Record, before writing, which files this job is about to create (removed once its report line is in)."""
    marker = _marker_path(outdir, out_path)
    marker.parent.mkdir(parents=True, exist_ok=True)
    blob = {"paths": [str(p) for p in paths], "outdir": str(outdir)}  # outdir: where a copy's paths are (_Moved)
    atomic_write_bytes(marker, json.dumps(blob).encode(), overwrite=True)
    return marker


def _reclaim(outdir: Path, out_path: Path) -> None:
    """Remove what an earlier attempt at this same output wrote but never reported (its worker was killed
    when a sibling crashed, and the job is being retried); the run's lock and the collision check make the
    marker this job's own."""
    marker = _marker_path(outdir, out_path)
    if not marker.is_file():
        return
    for p in _read_marker(marker).get("paths", []):
        Path(p).unlink(missing_ok=True)
    marker.unlink(missing_ok=True)


def _mark_done(outdir: Path, record: dict[str, Any]) -> None:
    """A job's files are written and verified: its marker now also holds its report record, so the record is
    not lost when the result never reaches the main process (a worker killed with its chunk, the main process
    interrupted or killed) — :func:`_recover_pending` appends it to the report (best effort)."""
    marker = _marker_path(outdir, Path(record["output"]))
    with contextlib.suppress(OSError, ValueError, QualipressError):
        pending = json.loads(marker.read_text(encoding="utf-8"))
        if not isinstance(pending, dict):
            return
        blob = json.dumps({**pending, "record": record}, default=json_default)
        atomic_write_bytes(marker, blob.encode(), overwrite=True)


def _recover_pending(outdir: Path, finished: dict[str, str | None], *, key: str,
                     report_path: Path) -> list[dict[str, Any]]:
    """Settle the markers a stopped run left: record finished work, delete half-done work.

    A marker whose output the report already accounts for (``finished`` maps reported outputs to their
    SHA-256) is just removed. A marker holding a finished record of these settings (``key``) whose output and
    sidecars are intact gets that record appended to the report (with ``"recovered": true``) and its files
    kept. Anything else — a job killed while writing, or one made with other settings — has its files deleted,
    so a resume redoes it instead of refusing it as an existing file.

    Returns
    -------
    list of dict
        The records appended to the report.
    """
    folder = outdir / PENDING_DIR
    if not folder.is_dir():
        return []
    recovered = []
    for marker in sorted(folder.glob("*.json")):
        data = _read_marker(marker)
        kept, rec = _marker_fate(data, finished, key)
        if rec is not None:
            rec = {**rec, "recovered": True}
            append_jsonl(report_path, rec)
            recovered.append(rec)
        elif not kept:
            for p in data.get("paths", []):
                Path(p).unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # empty now: not left behind (rmdir removes only an empty folder); no worker
        folder.rmdir()  # of this run is writing markers here (the caller's lock; local workers have all stopped)
    return recovered


def _verify_written(path: Path, data: bytes, codec: Any, encoded: Image, original: Image,
                    options: CompressOptions, best: SearchResult,
                    masks: dict[str, Any]) -> tuple[str, Image, bytes | None]:
    """Read the file back, check its hash and decode it.

    When the decoded pixels are byte-identical to those of the probe the search measured (``best.decoded``, or
    ``best.digest`` when the search gave those pixels back), the file is proven to be what was measured and
    nothing is measured again; otherwise (a codec that returns no decoded probe, or a decoder that is not
    deterministic) the target is re-measured against the original.

    Returns
    -------
    str
        How the output was verified (recorded as ``"verify"``).
    Image
        The written file decoded.
    bytes or None
        Its :func:`~qualipress.io.pixel_digest` when it was compared by digest and found identical, else None.

    Raises
    ------
    OutputError
        The file on disk differs from ``data``, or the re-measured output misses the target.
    """
    on_disk = path.read_bytes()
    if sha256_bytes(on_disk) != sha256_bytes(data):
        raise OutputError(f"{path}: file on disk differs from what was written")

    probe = best.decoded
    # the search's digest: of the probe's pixels, which it gave back (search(decode_result=False)) or decoded again
    # and checked; these pixels are not hashed twice
    want = best.digest if probe is None else None
    if probe is not None and probe.pixels.size >= SHELVE_SAMPLES:
        # a film frame: the probe's pixels are compared by digest and given back before the file is decoded
        # (one decoded frame less resident at this step's decode)
        want = best.digest if best.digest is not None else pixel_digest(probe.pixels)
        best.decoded = probe = best.digest = None
    want_probe = want is not None or probe is not None
    decoded = _codecs.decode_like(codec, on_disk, encodable(encoded))
    if want is not None:
        same = pixel_digest(decoded.pixels) == want
    else:
        same = probe is not None and probe.pixels.dtype == decoded.pixels.dtype and np.array_equal(probe.pixels,
                                                                                                  decoded.pixels)
    if same:
        return "decoded file identical to the measured probe", decoded, want
    tgt = options.target
    # float64 only when float32 is too close to call, as the search decides; a scope without a mask is skipped
    keys = [*tgt.metrics, "ssim", *(f"{scope}:{name}" for scope, names in tgt.scoped_metrics().items()
                                    for name in names)]
    res = measure_decoded(original, decoded, keys, masks={k: m for k, m in masks.items() if m is not None},
                          tile=options.tile, precise_if=tgt.near_threshold)
    checkable = [c for c in tgt.constraints if c.key in res]
    if best.met and not all(c.satisfied(res) for c in checkable):
        raise OutputError(f"{path}: re-measured output misses {tgt} (bug or non-deterministic decoder)")
    return ("re-measured: decoded file differs from the measured probe" if want_probe else "re-measured"), decoded, None


# -- batch ------------------------------------------------------------------------------------------------
def compress_paths(
    inputs: Iterable[str | Path],
    outdir: str | Path,
    options: CompressOptions,
    *,
    report: str | Path | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    earlier: Collection[str] | None = None,
) -> BatchSummary:
    """Compress every input into ``outdir``; resumable and safe to interrupt.

    Parameters
    ----------
    inputs : iterable of str or Path
        Files, directories (recursive) or glob patterns.
    report : str or Path, optional
        JSONL report (default ``OUTDIR/qualipress-report.jsonl``); also the resume point.
    progress : callable, optional
        Called with each finished record (and each resumed one, with ``"resumed": True``).
    earlier : collection of str, optional
        :func:`outputs_among_inputs` of ``inputs``, when the caller has read it (see :func:`expand_inputs`).
    """
    out = Path(os.path.abspath(outdir))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create output directory ({exc.strerror or exc})") from exc
    if not os.access(out, os.W_OK):
        raise OutputError(f"{out}: output directory is not writable")
    report_path = Path(report) if report else out / REPORT_NAME
    found = expand_inputs(inputs, exclude=[out], earlier=earlier)
    _check_report_path(report_path, found)
    ours = _reported_outputs(report_path)
    jobs = [j for j in found if str(j.source) not in ours]
    check_collisions(jobs, out, name_with_ext=options.name_with_ext)
    options = dataclasses.replace(options, run_id=uuid.uuid4().hex)  # fresh warm-start state for this run
    with exclusive_lock(out / LOCK_NAME, what=str(out)):
        return _compress_locked(jobs, out, report_path, options, progress)


def _check_report_path(path: Path, jobs: list[Job]) -> None:
    """Refuse a report path that is an input or an existing file other than a JSON-lines report: records are
    appended to it (``--report photo.jpg`` appended JSON to the photograph)."""
    if not path.exists():
        return
    for job in jobs:
        if os.path.samefile(path, job.source):
            raise OutputError(f"--report {path} is an input file: an input is never modified")
    with open(path, "rb") as f:
        head = f.read(64).lstrip()
    if head and not head.startswith(b"{"):
        raise OutputError(f"--report {path}: exists and is not a qualipress report (JSON lines); choose another path")


def _compress_locked(jobs: list[Job], out: Path, report_path: Path, options: CompressOptions,
                     progress: Callable[[dict[str, Any]], None] | None) -> BatchSummary:
    """The batch proper, run while this process holds the output directory's lock."""
    remove_stale_temps(out)
    key = options.settings_key()
    state = _ReportState.read(report_path, key, out)
    done, reported = state.done, state.reported
    for rec in _recover_pending(out, reported, key=key, report_path=report_path):  # a killed run's finished work
        done[(rec["input_sha256"], rec["input"])] = rec
    records: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    todo: list[tuple[Job, str]] = []

    def finished(rec: dict[str, Any]) -> None:
        append_jsonl(report_path, rec)
        records.append(rec)
        if rec.get("output"):
            _marker_path(out, Path(rec["output"])).unlink(missing_ok=True)
        if progress:
            progress(rec)

    for job in jobs:
        try:
            job.state = file_state(job.source)
            sha = sha256_file(job.source)
        except OSError as exc:
            finished(_name_source(_failed(job, f"{job.source}: cannot read ({why_unreadable(job.source, exc)})"),
                                  options))
            continue
        prev, failure = state.resume(job, sha, options, out)
        job.orphans = state.orphans(job, sha, options, out)
        if failure is not None:
            finished(_name_source(failure, options))
            continue
        if prev is not None:
            skipped.append(prev)
            if progress:
                progress({**prev, "resumed": True})
            continue
        todo.append((job, sha))
    tasks = [_Task(job, out, options, sha) for job, sha in todo]
    # a shot's frames on one worker, in frame order, so the search's warm start holds (pipeline/schedule.py)
    keys = [sequence_key(job.source) for job, _ in todo]
    try:
        with contextlib.closing(run_by_sequence(_process_task, tasks, keys, jobs=options.jobs,
                                                scheduler=options.scheduler, runner=run_tasks,
                                                seed=_seed_task, lead=_lead_task)) as results:
            for i, rec in results:
                if isinstance(rec, WarmStart):  # the record, with the hints it leaves for seeding (_seed_task)
                    rec = rec.previous
                if isinstance(rec, BaseException):  # the worker died (or a bug escaped process_one)
                    # unless it died after the file was finished: its marker holds the record (_finished_earlier)
                    rec = _finished_earlier(tasks[i]) or _name_source(
                        _failed(todo[i][0], f"{todo[i][0].source}: {rec}", sha=todo[i][1]), options)
                finished(rec)
    finally:
        if not options.scheduler:  # local workers killed by a crash or an interruption have all stopped now
            remove_stale_temps(out)
            # files finished but never returned (interrupted, or in a chunk that did not complete)
            reported.update((r["output"], r.get("output_sha256")) for r in records if r.get("output"))
            records.extend(_recover_pending(out, reported, key=key, report_path=report_path))
    summary = BatchSummary(records, skipped, report_path)
    try:
        options.hooks.finish(out, [*skipped, *records])
    except OutputError as exc:  # the files are done and reported: a partial result, not a setup error
        raise IndexWriteError(str(exc), summary) from exc
    return summary


def _stale_output(rec: dict[str, Any] | None) -> str | None:
    """The output ``rec`` (an earlier record of an input with these settings) made, when it is still on disk as
    written: the input has changed since, and that output is stale."""
    if rec is None or not Path(rec["output"]).is_file():
        return None
    return rec["output"] if sha256_file(rec["output"]) == rec.get("output_sha256") else None


def _moved_output(rec: dict[str, Any] | None, job: Job, options: CompressOptions, outdir: Path) -> dict | None:
    """``rec`` (a record of ``job``'s input) with its output, and the sidecars beside it, in the job's output folder
    (:class:`_Moved`) when the report names them outside ``outdir``, where no copy or move of it was found (deleted
    since, or a report shared by two folders)."""
    if rec is None or not rec.get("output") or _Moved.inside(rec["output"], outdir):
        return rec
    stem = job.out_stem(outdir, keep_ext=options.name_with_ext)
    return _Moved(Path(rec["output"]).parent, stem.parent).record(rec, inputs=False)


class _ReportState(NamedTuple):
    """What a report says for one settings key: ``done`` (finished records of these settings by input SHA-256 and
    input), ``earlier`` (by input: what these settings last made of it), ``reported`` (every recorded output and
    its SHA-256, any settings)."""

    done: dict[tuple[str, str], dict[str, Any]]
    earlier: dict[str, dict[str, Any]]
    reported: dict[str, str | None]

    @classmethod
    def read(cls, report_path: Path, key: str, outdir: Path) -> _ReportState:
        """The state of ``report_path`` for ``key``; a record naming files in a folder ``outdir`` was copied or moved
        from names them in ``outdir`` (:func:`_copied_record`), and is one of its input as recorded too when that
        input was read as moved."""
        state = cls({}, {}, {})
        real_out = os.path.realpath(outdir)
        for written in read_report(report_path):
            if written.get("error") is None and written.get("output"):
                rec = _copied_record(written, outdir, real_out)
                state.reported[rec["output"]] = rec.get("output_sha256")
                if rec.get("settings_key") == key:
                    for r in [{**rec, "input": written["input"]}, rec] if rec is not written else [rec]:
                        state.done[(r["input_sha256"], r["input"])] = state.earlier[r["input"]] = r
        return state

    def resume(self, job: Job, sha: str, options: CompressOptions, outdir: Path) -> tuple[dict | None, dict | None]:
        """How a run treats ``job`` (its input's SHA-256 ``sha``) before compressing it: ``(record, None)``
        when these settings finished it and its output is intact (resumed), ``(None, failure)`` when it fails
        before compressing (input changed since, or output altered since), ``(None, None)`` when it is to be
        compressed. A record whose output lies outside ``outdir`` (the folder was moved or copied since) is
        read at its place in ``outdir`` (:func:`_moved_output`)."""
        prev = _moved_output(self.done.get((sha, options.recorded(job.source))), job, options, outdir)
        earlier = _moved_output(self.earlier.get(options.recorded(job.source)), job, options, outdir)
        stale = None if prev or options.overwrite else _stale_output(earlier)
        if stale is not None:
            return None, _failed(job, f"{job.source}: changed since these settings made {stale} from it (its "
                                      "SHA-256 is not the one in the report): use --overwrite to redo it "
                                      "(unchanged frames are still skipped)", sha=sha, blocking=stale)
        out_sha = sha256_file(prev["output"]) if prev and Path(prev["output"]).exists() else None
        if prev and out_sha == prev.get("output_sha256"):
            return prev, None
        if out_sha is not None and not options.overwrite:  # made by these settings, changed since
            return None, _failed(job, f"{prev['output']}: exists but is not the file this run's report "
                                      "recorded (altered or damaged since it was written): move it away to redo "
                                      "it, or use --overwrite", sha=sha, blocking=prev["output"])
        return None, None

    def orphans(self, job: Job, sha: str, options: CompressOptions, outdir: Path) -> tuple[str, ...]:
        """The sidecars these settings made of ``job``'s unchanged input (SHA-256 ``sha``) whose output has gone
        since (deleted): the rerun redoes the job and replaces them (:attr:`Job.orphans`). Read at their place in
        ``outdir`` as :meth:`resume` reads the output (:func:`_moved_output`)."""
        prev = _moved_output(self.done.get((sha, options.recorded(job.source))), job, options, outdir)
        if prev is None or Path(prev["output"]).exists():
            return ()
        # a report from before the seal sidecar was recorded: the hooks name it from the record
        return tuple(dict.fromkeys([*map(str, prev.get("sidecars") or ()),
                                    *map(str, later_sidecars(options.hooks, Path(prev["output"]), prev))]))


def predict_outcomes(jobs: list[Job], outdir: str | Path, options: CompressOptions,
                     candidates: Callable[[Job], tuple[list[str], list[str]]], *,
                     report: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """What a run of ``options`` into ``outdir`` would do with each job before compressing, without writing
    anything (``--dry-run``): by input path, ``{"already_done": output}`` for one the run resumes, or
    ``{"would_fail": reason, "blocking_output": path}`` for one it fails before compressing, or ``{"may_fail":
    ...}`` for one it fails only if the search picks a codec whose output name is refused: by the run's resume
    rules (:class:`_ReportState`) and its output guard (:func:`blocking_output`) applied to the output names it
    may write (``candidates(job)``: the extensions of the requested codecs, e.g. ``[".avif", ".jpg"]``, and those of
    the never-grow candidates, e.g. the source kept; :func:`_guard_outcome`); inputs absent will be compressed.
    A stem's pending marker (an interrupted run's files, removed before writing) and a finished record it holds
    count as the run counts them."""
    out = Path(os.path.abspath(outdir))
    report_path = Path(report) if report else out / REPORT_NAME
    key = options.settings_key()
    state = _ReportState.read(report_path, key, out)
    predicted: dict[str, dict[str, Any]] = {}
    for job in jobs:
        name = options.recorded(job.source)
        stem = job.out_stem(out, keep_ext=options.name_with_ext)
        marker = _read_marker(_stem_marker(out, stem))
        sha = sha256_file(job.source) if name in state.earlier or marker else None
        prev, failure = state.resume(job, sha, options, out) if sha is not None else (None, None)
        job.orphans = state.orphans(job, sha, options, out) if sha is not None else ()
        kept = False
        if marker and prev is None and failure is None:
            # as _recover_pending settles it: kept when reported, or a finished record of these settings that the
            # run appends (resumed when of this input; of an input since changed, its files still kept)
            kept, rec = _marker_fate(marker, state.reported, key)
            if rec is not None and rec.get("input_sha256") == sha:
                prev = rec
        if prev is not None:
            predicted[name] = {"already_done": prev["output"]}
            continue
        if failure is not None:
            predicted[name] = {"would_fail": failure["error"], "blocking_output": failure.get("blocking_output")}
        elif outcome := _guard_outcome(job, stem, *candidates(job), options,
                                       set() if kept else {str(p) for p in marker.get("paths", [])}):
            predicted[name] = outcome
    return predicted


def sidecar_suffixes(hooks: Any) -> tuple[str, ...]:
    """The sidecar suffixes the hooks (each wrapper's ``sidecar_suffixes()``, down its ``inner`` chain) give every
    output, so ``--dry-run`` checks the names the run's guard checks (an ROI mask with ``--save-mask``)."""
    return tuple(_from_chain(hooks, "sidecar_suffixes"))


def _from_chain(hooks: Any, method: str, *args: Any) -> list[Any]:
    """What each of the hooks down the ``inner`` chain (:func:`_hook_chain`) that has ``method`` returns for
    ``args``, in order, each item once."""
    return list(dict.fromkeys(item for h in _hook_chain(hooks) if callable(own := getattr(h, method, None))
                              for item in own(*args)))


def _hook_chain(hooks: Any) -> list[Any]:
    """``hooks`` and the hooks it wraps (``inner``, down the chain)."""
    chain: list[Any] = []
    for _ in range(16):  # wrappers nest a handful deep; never loop on a cycle
        if hooks is None:
            break
        chain.append(hooks)
        hooks = getattr(hooks, "inner", None)
    return chain


def later_sidecars(hooks: Any, output: Path, record: dict[str, Any]) -> list[Path]:
    """The sidecars the hooks (each one's ``later_sidecars(output, record)``, down the ``inner`` chain) write for
    ``output`` once the run ends (``finish``): the film seal's ``<output>.xmp`` when ``record["seal"]`` says it
    went there."""
    return list(dict.fromkeys(Path(p) for p in _from_chain(hooks, "later_sidecars", output, record)))


def output_sidecar_suffixes(hooks: Any, extension: str) -> tuple[str, ...]:
    """The suffixes of the sidecars the hooks (each one's ``output_sidecar_suffixes(extension)``, down the
    ``inner`` chain) write beside an output named ``...extension`` (``OUTPUT`` + suffix: the film seal's ``.xmp``
    for a container that cannot hold it), so ``--dry-run`` checks them as the run's guard does."""
    return tuple(_from_chain(hooks, "output_sidecar_suffixes", extension))


def _guard_outcome(job: Job, stem: Path, requested: list[str], fallbacks: list[str], options: CompressOptions,
                   reclaimed: set[str]) -> dict[str, Any] | None:
    """What the run's output guard (:func:`blocking_output`) does with the output names ``stem`` + an extension
    that ``job`` may get: ``requested``, those of the codecs asked for, ``fallbacks``, those of the never-grow
    candidates (the source kept, chosen only when smaller than every file those codecs made); files in
    ``reclaimed`` are removed before the guard asks. The guard checks only the name of the codec the search picks
    (and the hooks' sidecars, :func:`sidecar_suffixes`, whichever it picks),
    so ``{"would_fail": reason, "blocking_output": path}`` when every name it may write (every requested codec's
    and every never-grow candidate's), or a sidecar, is refused, ``{"may_fail": reason, "blocking_output": path}``
    when only some names are (the run fails only if it picks one of those), None when none is."""
    blocked: dict[str, tuple[Path, str]] = {}
    sidecars = sidecar_suffixes(options.hooks)  # every output's: checked whichever codec wins
    for ext in dict.fromkeys([*requested, *fallbacks, *sidecars]):
        # an output name blocks when it or one of its own sidecars (the seal's <output>.xmp) is refused
        paths = [Path(str(stem) + ext)]
        if ext not in sidecars:
            own = [Path(str(stem) + ext + s) for s in output_sidecar_suffixes(options.hooks, ext)]
            paths += [q for q in own if _name_fits(q)]  # one over the limit: finish records it
        paths = [p for p in paths if str(p) not in reclaimed and p.exists()]
        if paths and (b := blocking_output(job, paths, options)):
            blocked[ext] = b
    if not blocked:
        return None
    names = [*requested, *fallbacks]
    certain = (bool(names) and all(ext in blocked for ext in names)) or any(s in blocked for s in sidecars)
    first = next(blocked[e] for e in [*requested, *fallbacks, *sidecars] if e in blocked)
    return {"would_fail" if certain else "may_fail": first[1], "blocking_output": str(first[0])}


def _reported_outputs(report_path: Path, *, inputs_under: str | None = None) -> set[str]:
    """Outputs and sidecars an earlier run recorded: never inputs, even when written next to them (only those of
    inputs in the folder ``inputs_under``, a real path, when given: the report's folder). Reports hold absolute
    paths: a record naming another folder, when ``inputs_under`` was copied or moved since (``cp -a in in2`` of a
    folder compressed into itself), names its files at their place in ``inputs_under`` (:class:`_Moved`), or
    nothing there."""
    out: set[str] = set()
    for rec in read_report(report_path):
        if not rec.get("output") or rec.get("error"):
            continue
        if inputs_under is not None:
            rec = _copied_record(rec, Path(inputs_under), inputs_under)
            if not os.path.realpath(str(rec["input"])).startswith(inputs_under + os.sep):
                continue
        out.update([str(rec["output"]), *map(str, rec.get("sidecars") or [])])
    return out


def _copied_record(rec: dict[str, Any], here: Path, real_here: str) -> dict[str, Any]:
    """``rec`` with its files where they are now when its output names another folder that ``here`` (real path
    ``real_here``) is a copy or a move of (:class:`_Moved`); ``rec`` as it is otherwise."""
    if _Moved.inside(rec["output"], here, real_here) or (moved := _Moved.find(rec["output"], here)) is None:
        return rec
    return moved.record(rec)


class _Task(NamedTuple):
    """One file of a batch as a worker gets it: ``seed`` is the warm start of another worker to start from (a
    shot's first frame, :func:`_seed_task`); ``leads`` marks a shot's first frame whose warm start seeds the shot's
    other chunks (:func:`_lead_task`)."""

    job: Job
    out: Path
    options: CompressOptions
    sha: str
    seed: WarmStart | None = None
    leads: bool = False


def _process_task(task: _Task) -> WarmStart | dict[str, Any]:
    """``process_one`` of the task's file (after :func:`seed_warm_start` when it is seeded): its record, or for a
    task that ``leads``, the record with the search hints it leaves (a :class:`WarmStart`: the seed of the shot's
    other chunks), so only what seeds travels back to the main process."""
    if task.seed is not None:
        seed_warm_start(task.options.run_id, task.seed)
    record = _finished_earlier(task)
    if record is not None:  # the next frame warms from it as it would have (its search hints died with the worker)
        warm_start(task.options.run_id).previous = record
    else:
        record = process_one(task.job, task.out, task.options, task.sha)
    return WarmStart(record, dict(warm_start(task.options.run_id).hints)) if task.leads else record


def _lead_task(task: _Task) -> _Task:
    """A shot's first frame whose result seeds the shot's later chunks: it returns its warm start too."""
    return task._replace(leads=True)


def _seed_task(task: _Task, result: Any) -> _Task:
    """The first task of a shot's later chunk, seeded with the shot's first frame (when that frame succeeded)."""
    if isinstance(result, WarmStart) and result.previous is not None and result.previous.get("error") is None:
        return task._replace(seed=result)
    return task


def _failed(job: Job, error: str, *, sha: str | None = None, blocking: str | None = None) -> dict[str, Any]:
    """The report record of a file that failed outside :func:`process_one`; ``blocking``: the existing file that
    stopped it from writing its output (``blocking_output``, as :func:`_guard_outputs` records it)."""
    record = {"input": str(job.source), "input_sha256": sha, "output": None, "error": error, "target_met": False,
              "encodes": 0, "bytes": 0, "input_bytes": 0, "metrics": {}}
    if blocking is not None:
        record["blocking_output"] = str(blocking)
    return record


def summary_dict(summary: BatchSummary) -> dict[str, Any]:
    """Plain-data summary (for ``--json``)."""
    return {"report": None if summary.report is None else str(summary.report), **summary.totals(),
            "failed": [{"input": r["input"], "error": r.get("error") or "target not met"} for r in summary.failures]}


__all__ = ["LOCK_NAME", "REPORT_NAME", "BatchSummary", "CompressOptions", "Job", "blocking_output",
           "check_collisions", "compress_paths", "expand_inputs", "outputs_among_inputs", "predict_outcomes",
           "process_one", "read_report", "summary_dict"]
