"""The ``qualipress`` command line. Parses arguments, calls the library, prints; the only layer that exits.

Tests call :func:`main` with an argument list and get the exit code: 0 success, 1 some inputs failed or missed
their target, 2 usage or setup error, 130 interrupted by Ctrl-C (SIGINT), 143 stopped by SIGTERM (finished work is
kept in the report; rerun the same command to resume).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
import io
import json
import os
import signal
import sys
import threading
from codecs import register_error
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from qualipress import __version__, codecs, metrics
from qualipress._startup import INTERRUPTED
from qualipress.codecs import resolve
from qualipress.errors import (
    ExitCode,
    IndexWriteError,
    InputError,
    Interrupted,
    NonFiniteError,
    QualipressError,
    UnsupportedError,
)
from qualipress.io import IMAGE_SUFFIXES, as_image, atomic_write_bytes, read_image, write_image
from qualipress.io.discover import find_images
from qualipress.io.metadata import carry_for, gps_places, is_srgb, video_has_place, video_metadata_tracks
from qualipress.io.readers import oiio_name
from qualipress.pipeline import CompressOptions, compress_paths, summary_dict
from qualipress.pipeline.hooks import CompressRequest
from qualipress.progress import progress_bar
from qualipress.search import measure_encoded, parse_target
from qualipress.search.probe import encodable

app = typer.Typer(name="qualipress", add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Compress images and film frames to the smallest file that provably meets a quality target.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (search efficiency, metric speed, RD curves).")
app.add_typer(bench_app, name="bench")

console = Console(stderr=False, highlight=False, emoji=False)  # ":compression:" is a key, not an emoji
err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)  # never split paths

#: Capability modules that add commands through ``register(app, bench)``, and ``compress`` options through
#: ``compress_options`` (a signature), ``compress_prepare(request)`` and ``compress_hooks(request)``; the hooks
#: are wrapped in this order (film is the base, ROI and preprocessing wrap it).
PLUGINS = (
    "qualipress.film.cli",
    "qualipress.roi.cli",
    "qualipress.preprocess.cli",
    "qualipress.learned.cli",
    "qualipress.rd.cli",
    "qualipress.review.cli",
)


def _dump(obj: Any, out: Console = console) -> None:
    """Print ``obj`` as JSON; as ASCII (``\\u`` escapes) when it holds a file name that is not UTF-8, which JSON
    text cannot hold as its bytes (rev20e: ``info --json`` printed the raw byte, output no JSON parser reads)."""
    text = json.dumps(obj, default=str, ensure_ascii=False)
    try:
        text.encode()
    except UnicodeEncodeError:
        out.print_json(text, ensure_ascii=True)
    else:
        out.print_json(text)


# -- compress ---------------------------------------------------------------------------------------------
@app.command()
def compress(
    inputs: Annotated[list[str], typer.Argument(
        help="Files, directories (recursive), glob patterns, frame patterns (shot.%04d.dpx, shot.####.dpx), or - "
             "for stdin.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory; or, for one input, one output "
                                                                "file (its extension picks the format), '-' for "
                                                                "stdout.")],
    codec: Annotated[str, typer.Option(help="Codec name, comma-separated list, or 'auto' ('qualipress codecs' "
                                            "lists them).")] = "auto",
    profile: Annotated[str | None, typer.Option(help="C0, C1, C2 or a profile from --profiles (C1 when "
                                                           "neither --profile nor --target is given).")] = None,
    target: Annotated[list[str] | None, typer.Option(help="Constraint METRIC>=VALUE, optionally METRIC@STAT "
                                                          "(min, p1, p5 over tiles) and roi: in front, e.g. "
                                                          "'ssim>=0.95', 'ssim@p5>=0.9', 'bytes<=50000' (repeatable; "
                                                          "all must hold).")] = None,
    profiles: Annotated[Path | None, typer.Option(help="TOML file with extra profiles.")] = None,
    jobs: Annotated[int, typer.Option("-j", "--jobs", min=1, help="Parallel worker processes.")] = 1,
    report: Annotated[Path | None, typer.Option(help="JSONL report (default OUTDIR/qualipress-report.jsonl).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing outputs (never an input).")] = False,
    name_with_ext: Annotated[bool, typer.Option("--name-with-ext",
                                                help="Keep the source extension in output names (a.png -> "
                                                     "a.png.avif), so a.png and a.jpg do not collide.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary on stdout.")] = False,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786.")] = None,
    codec_opt: Annotated[list[str] | None, typer.Option(help="Extra encoder option KEY=VALUE (repeatable).")] = None,
    metadata: Annotated[str, typer.Option(help="keep, strip (keep only the ICC profile) or strip-gps (drop GPS).")
                        ] = "keep",
    allow_larger: Annotated[bool, typer.Option(help="Allow outputs larger than a compressed input (no source/"
                                                    "lossless-transcode candidates).")] = False,
    for_: Annotated[str | None, typer.Option("--for", help="Delivery target: 'web' = formats browsers show, "
                                                           "8-bit.")] = None,
    bit_depth: Annotated[int | None, typer.Option(help="Reduce deeper sources to 8 bits (dithered).")] = None,
    dry_run: Annotated[bool, typer.Option(help="List what would be compressed, what would fail (bit depth, size, an "
                                               "existing output these settings did not make) and what is already "
                                               "done; read no pixels, write nothing.")] = False,
    max_mpixels: Annotated[float | None, typer.Option(
        help="Largest image read, in megapixels (default 268 = 16384x16384; larger ones are refused as possible "
             "decompression bombs).", min=0.001)] = None,
    **plugin_options: Any,
) -> None:
    """Compress inputs to the smallest files that meet a profile or target.

    -o names a directory, or one file (-o small.avif: its extension picks the format) when there is one input;
    '-' reads the input from stdin or writes the output to stdout.
    """
    from qualipress.cli import photo as _photo

    if for_ not in (None, "web"):
        raise QualipressError(f"--for {for_}: the only delivery target is 'web'")
    codec = ",".join(resolve(codec))
    single = _photo.single_output(output, inputs)
    if single is not None:
        codec = _photo.codecs_for(single, codec)
    request, hooks, options = _compress_request(
        codec, single, profile=profile, target=target, profiles=profiles, codec_opt=codec_opt, metadata=metadata,
        allow_larger=allow_larger, web=for_ == "web", bit_depth=bit_depth, plugin_options=plugin_options)
    opts = CompressOptions(target=request.target, codec=codec, profile=request.profile, jobs=max(1, jobs),
                           overwrite=overwrite, name_with_ext=name_with_ext,
                           encode_options=options, scheduler=scheduler, hooks=hooks)
    if max_mpixels is not None:
        opts.max_pixels = int(max_mpixels * 1e6)
    if dry_run:
        with _photo.staged_input(inputs) as ins:  # stdin read (not decoded) as the run reads it: its hash resumes
            earlier = None
            if inputs == ["-"]:
                opts = dataclasses.replace(opts, source_names={ins[0]: "-"})
            elif single is None:
                _, earlier = _expand(inputs, exclude=[output])  # its notes: what the run would skip
            rows = _photo.dry_run_rows(ins, output, codec, single, bit_depth, web=for_ == "web",
                                       name_with_ext=name_with_ext, earlier=earlier, max_pixels=opts.max_pixels,
                                       options=opts, report=report)
        _print_dry_run(rows, request.target, as_json=as_json)
        return
    _compress_and_print(inputs, output, opts, single=single, report=report, overwrite=overwrite, as_json=as_json,
                        codec=codec, web=for_ == "web", request=request)


def _compress_and_print(inputs: list[str], output: Path, opts: Any, *, single: Any, report: Path | None,
                        overwrite: bool, as_json: bool, codec: str, web: bool, request: CompressRequest) -> None:
    """Run ``compress`` and print its summary; exit 1 when files failed, or when they are done but the folder's
    index could not be written at the end."""
    index_error = None
    try:
        summary = _run_compress(inputs, output, opts, single=single, report=report, overwrite=overwrite,
                                progress=not as_json)
    except IndexWriteError as exc:
        if exc.summary is None:
            raise
        summary, index_error = exc.summary, exc
    _print_compress(summary, codec=codec, web=web, as_json=as_json, target=request.target,
                    profile=request.profile, out=err_console if single is not None and single.path is None else console)
    if index_error is not None and single is not None:  # -o FILE: the index was the run's private one
        done = any(r.get("delivered_to") for r in summary.records)  # only when the file did not fail
        err_console.print(f"[red]error:[/] {'the file is delivered, but ' if done else ''}a write next to it failed: "
                          f"{escape(str(index_error))}")
    elif index_error is not None:
        err_console.print(f"[red]error:[/] the files above are done and in the report, but the folder's index could "
                          f"not be written: {escape(str(index_error))}; rerun the same command once that is fixed "
                          "(it resumes every file and writes the index)")
    if summary.failures or index_error is not None:
        raise ExitCode(1)


def _compress_request(codec: str, single: Any, *, profile: str | None, target: list[str] | None,
                      profiles: Path | None, codec_opt: list[str] | None, metadata: str, allow_larger: bool,
                      web: bool, bit_depth: int | None, plugin_options: dict[str, Any]
                      ) -> tuple[CompressRequest, Any, dict[str, Any]]:
    """``compress``'s request after the capability plugins completed it (target, profile, their hooks), the photo
    hooks that wrap theirs, and the checked ``--codec-opt`` options, for the comma-separated ``codec`` list."""
    from qualipress.cli import photo as _photo
    from qualipress.pipeline.delivery import PhotoHooks

    PhotoHooks.check_codecs(codec.split(","), web=web)
    request = CompressRequest(options={"profile": profile, "target": target, **plugin_options},
                              codecs=[c.strip() for c in codec.split(",") if c.strip()], web=web)
    for prepare in _plugin_functions("compress_prepare"):
        prepare(request)
    if request.target is None:
        request.target, request.profile = _target(profile, target, profiles)
    options = _codec_options(codec_opt)
    _check_codec_options(request.codecs, options)
    for wrap in _plugin_functions("compress_hooks"):  # in PLUGINS order: film is the base, ROI and
        wrap(request)                                   # preprocessing wrap it
    hooks = PhotoHooks(request.hooks, metadata=metadata, allow_larger=allow_larger or request.exact,
                       web=web, bit_depth=bit_depth, extensions=_photo.allowed_extensions(single, codec))
    return request, hooks, options


def _print_compress(summary: Any, *, codec: str, web: bool, as_json: bool, target: Any, profile: str | None,
                    out: Console) -> None:
    """``compress``'s summary (``--json``: with per-codec and per-file rows) on ``out``, and the note when
    ``--codec auto`` wrote formats browsers do not show; ``profile`` and ``target`` are what the files were held to."""
    from qualipress.pipeline.views import codec_rows, file_rows

    if as_json:  # with -o - stdout carries the image: the summary goes to stderr
        _dump({"profile": profile, "target": target.to_list(), **summary_dict(summary),
               "per_codec": codec_rows(summary.records + summary.skipped),
               # a resumed file's record is the earlier run's: its per_file row says resumed
               "per_file": file_rows([{**r, "resumed": True} for r in summary.skipped] + summary.records)}, out=out)
    else:
        _print_summary(summary, out=out, target=f"{profile}: {target}" if profile else str(target))
    if codec == "auto" and not web:
        from qualipress.pipeline.delivery import not_shown_by_browsers

        hidden = not_shown_by_browsers(summary.records)
        if hidden:
            err_console.print(f"[yellow]note[/] {len(hidden)} output(s) are in formats web browsers do not show "
                              f"(e.g. {Path(hidden[0]).name}); add --for web for browser-ready files")


def _print_dry_run(rows: list[dict[str, Any]], target: Any, *, as_json: bool) -> None:
    """What ``--dry-run`` would compress."""
    if as_json:
        _dump({"dry_run": True, "target": target.to_list(), "files": rows})
        return
    for r in rows:
        size = "stdin" if r["input_bytes"] is None else f"{r['input_bytes']:,} bytes"
        dest = r.get("output") or f"{r['output_stem']}.*"
        if r.get("would_fail"):
            console.print(f"would fail {r['input']} ({size}): {r['would_fail']}", markup=False, soft_wrap=True)
            continue
        if r.get("already_done"):
            console.print(f"already done {r['input']} ({size}) -> {r['already_done']} (these settings made it; the "
                          "run resumes it)", markup=False, soft_wrap=True)
            continue
        console.print(f"would compress {r['input']} ({size}) -> {'stdout' if dest == '-' else dest} "
                      f"with {r['codecs']} for {target}"
                      + (f"; may fail if the search picks that name: {r['may_fail']}" if r.get("may_fail") else ""),
                      markup=False, soft_wrap=True)  # one line per file
    failing = sum(1 for r in rows if r.get("would_fail"))
    resumed = sum(1 for r in rows if r.get("already_done"))
    maybe = sum(1 for r in rows if r.get("may_fail") and not r.get("would_fail"))
    console.print(f"{len(rows)} file(s)" + (f", {failing} would fail" if failing else "")
                  + (f", {maybe} may fail" if maybe else "")
                  + (f", {resumed} already done" if resumed else "")
                  + "; no pixels were read, nothing was written (--dry-run)")


def _run_compress(inputs: list[str], output: Path, opts: Any, *, single: Any, report: Path | None,
                  overwrite: bool, progress: bool) -> Any:
    """Run the batch into ``output``, or, for one output file (``single``), into a private work directory and
    deliver the file from there; returns the batch summary."""
    from qualipress.cli import photo as _photo

    with _photo.staged_input(inputs) as ins:
        shown = {"-": "stdin"} if inputs == ["-"] else {}
        if inputs == ["-"]:  # reports record "-", not the private temporary copy's path
            opts = dataclasses.replace(opts, source_names={ins[0]: "-"})
        if single is None:
            found, earlier = _expand(ins, exclude=[output])
            return _with_progress(lambda cb: compress_paths(ins, output, opts, report=report, progress=cb,
                                                            earlier=earlier),
                                  enabled=progress, total=len(found), shown=shown)
        index_error = None
        with _photo.staged_output(single, overwrite) as work:
            try:
                summary = _with_progress(lambda cb: compress_paths(ins, work, opts, report=report, progress=cb),
                                         enabled=progress and single.path is not None, total=1, shown=shown,
                                         delivered=None if single.path is None else Path(single.path).name)
            except IndexWriteError as exc:  # the work folder's index, not the file: it is finished and verified
                if exc.summary is None:
                    raise
                summary, index_error = exc.summary, exc
            rec = summary.records[0] if summary.records else {}
            if rec.get("output"):
                rec["delivered_to"] = _photo.deliver(single, rec)
        if report is None:  # the default report lived in the private work directory, now removed
            summary.report = None
        if index_error is not None:
            raise IndexWriteError(str(index_error), summary) from index_error
    return summary


def _expand(inputs: list[str], exclude: list[Path] | None = None) -> tuple[list[Any], set[str]]:
    """The input files (for the progress bar's total) and the earlier outputs among them
    (:func:`~qualipress.pipeline.batch.outputs_among_inputs`, read once: the run is given them); says which image
    files of a format qualipress does not read, and which earlier outputs and output folders, were skipped."""
    unread: list[Path] = []
    earlier: list[Path] = []
    from qualipress.pipeline.batch import outputs_among_inputs

    found = find_images(inputs, unread=unread, skipped_outputs=earlier, exclude=exclude or [])
    if not found and not unread and not earlier:
        raise QualipressError(f"no image files found in {', '.join(inputs)}")
    listed = outputs_among_inputs(inputs)
    skipped = [os.path.realpath(f.path) for f in found if os.path.realpath(f.path) in listed]
    own = tuple(os.path.realpath(p) + os.sep for p in exclude or [])  # this run's own outputs: resumed, no note
    if skipped and not all(p.startswith(own) for p in skipped):
        err_console.print(f"[yellow]note[/] skipped {len(skipped)} earlier output(s) that a run wrote next to "
                          "their inputs (listed in the folder's qualipress-report.jsonl; name one as an input to "
                          "compress it anyway)")
    found = [f for f in found if os.path.realpath(f.path) not in listed]
    if earlier:
        names = ", ".join(str(p) for p in earlier[:5]) + (f" and {len(earlier) - 5} more" if len(earlier) > 5 else "")
        err_console.print(f"[yellow]note[/] skipped {len(earlier)} earlier qualipress output folder(s) inside the "
                          f"inputs: {names} (name one as an input to compress it anyway)")
    if unread:
        kinds = ", ".join(f"{n} {suffix}" for suffix, n in sorted(Counter(p.suffix.lower() for p in unread).items()))
        if not found and not earlier:  # nothing to do: it was a run of 0 files, exit 0, an empty manifest
            raise QualipressError(f"no image file qualipress reads in {', '.join(inputs)}: {len(unread)} file(s) "
                                  f"in formats it does not read ({kinds}); convert them to PNG or TIFF")
        err_console.print(f"[yellow]note[/] skipped {len(unread)} file(s) in a format qualipress does not read "
                          f"({kinds}); convert them to PNG or TIFF to include them")
    return found, listed


def _codec_options(codec_opt: list[str] | None) -> dict[str, Any]:
    """``--codec-opt KEY=VALUE`` items as encode options (numbers and booleans converted)."""
    options: dict[str, Any] = {}
    for kv in codec_opt or []:
        k, sep, v = kv.partition("=")
        if not sep:
            raise QualipressError(f"--codec-opt {kv!r}: expected KEY=VALUE")
        options[k.strip()] = _coerce(v.strip())
    return options


def _check_codec_options(names: list[str], options: dict[str, Any]) -> None:
    """Refuse ``--codec-opt`` keys none of the requested codecs knows, and values a codec knowing the key
    rejects (one tiny encode each), before any input is read, not as a failure of every input."""
    if not options:
        return
    pool = codecs.auto_candidates() if names == ["auto"] else names
    known = {name: set(codecs.get(name).info.options) for name in pool}
    unknown = sorted(k for k in options if not any(k in opts for opts in known.values()))
    if unknown:
        listed = "; ".join(f"{n}: {', '.join(sorted(o)) or 'none'}" for n, o in known.items())
        raise QualipressError(f"--codec-opt {', '.join(unknown)}: no requested codec takes it ({listed})")
    tiny = np.full((16, 16, 3), 128, np.uint8)
    for name, opts in known.items():
        mine = {k: v for k, v in options.items() if k in opts}
        if not mine or name == "jpeg-roi" or name.startswith("learned:"):
            continue
        try:
            codecs.get(name).encode(as_image(tiny), **mine)
        except Exception as exc:  # a value the encoder cannot use (type or range)
            shown = ", ".join(f"{k}={v}" for k, v in mine.items())
            raise QualipressError(f"--codec-opt {shown}: {name} cannot use it ({exc})") from None


def _coerce(v: str) -> Any:
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(v.lower(), v)


def _target(profile: str | None, target: list[str] | None, profiles: Path | None) -> tuple[Any, str | None]:
    from qualipress.profiles import get_profile

    if profile and target:
        raise QualipressError("give --profile or --target, not both")
    if target:
        return parse_target(target), None
    prof = get_profile(profile or "C1", path=profiles)
    return prof.target, prof.name


def _with_progress(run: Any, *, enabled: bool, total: int | None = None, shown: dict[str, str] | None = None,
                   delivered: str | None = None) -> Any:
    """Run ``run(callback)`` with a progress bar or one line per file; ``shown`` renames inputs in those lines,
    ``delivered`` names the output of a one-file run (``-o small.avif``: the run writes into a work folder)."""
    with progress_bar("compressing", total, enabled=enabled, console=console) as bar:
        def cb(rec: dict[str, Any]) -> None:
            bar.advance()
            if not enabled:
                return
            rec = {**rec, "input": (shown or {}).get(rec["input"], rec["input"])}
            if not bar.live:
                status = ("done" if rec.get("resumed") else "FAILED" if rec.get("error")
                          else "MISSED" if rec.get("target_met") is False else "ok")
                note = rec.get("error") or _notice(rec)
                # one line per file, never wrapped: a log stays greppable and a long path cannot split a phrase
                console.print(f"{status:8s} {rec['input']}{_written(rec, delivered)}" + (f"  {note}" if note else ""),
                              markup=False, soft_wrap=True)
            elif rec.get("error"):
                console.print(f"[red]FAILED[/] {escape(str(rec['input']))}: {escape(str(rec['error']))}")
            elif rec.get("target_met") is False and not rec.get("resumed"):
                console.print(f"[red]MISSED[/] {escape(str(rec['input']))}: {escape(_notice(rec) or 'target not met')}")
            elif note := _notice(rec):
                console.print(f"[yellow]note[/] {escape(str(rec['input']))}: {escape(note)}")
        return run(cb)


def _written(rec: dict[str, Any], delivered: str | None = None) -> str:
    """`` -> a.avif, 12,345 bytes (6.2:1)`` for a per-file line: what was written, how large; empty for a failure."""
    if rec.get("error") or not rec.get("output") or not rec.get("bytes"):
        return ""
    name = delivered or Path(str(rec["output"])).name
    ratio = f" ({rec['input_bytes'] / rec['bytes']:.1f}:1)" if rec.get("input_bytes") else ""
    return f" -> {name}, {rec['bytes']:,} bytes{ratio}"


def _notice(rec: dict[str, Any]) -> str:
    """What a user should know about a file: a fallback, why it missed its byte budget, an ROI encode with no ROI,
    or what the reader could not carry (a HEIF's further images) or noticed (a wrong extension)."""
    if rec.get("resumed"):
        return ""
    notes = [str(rec[k]) for k in ("fallback", "miss_reason") if rec.get(k)]
    notes += [n for n in (rec.get("params") or {}).get("roi_notes") or [] if "no ROI" in n]
    notes += [str(w) for w in rec.get("warnings") or []]
    return "; ".join(notes)


def _print_summary(summary: Any, out: Console = console, *, target: str | None = None) -> None:
    """The summary table of a ``compress`` run; ``target`` (profile and constraints) is its first row."""
    from qualipress.pipeline.views import codec_rows

    t = summary.totals()
    table = Table(title="qualipress summary", show_header=False)
    if target:
        table.add_row("target", escape(target))
    table.add_row("files", f"{t['files']} ({t['processed']} processed, {t['resumed']} already done)")
    table.add_row("failures", str(t["failures"]))
    table.add_row("bytes in → out", f"{t['bytes_in']:,} → {t['bytes_out']:,}")
    ratio = "-" if t["ratio"] is None else f"{t['ratio']:.2f}"
    table.add_row("storage saved", f"{t['saved_percent']:.1f}% (ratio {ratio})")
    table.add_row("encodes per file", "-" if t["encodes_mean"] is None else f"{t['encodes_mean']:.1f}")
    for name, d in t["metrics"].items():
        table.add_row(name, f"min {d['min']:.4f}  p5 {d['p5']:.4f}  mean {d['mean']:.4f}")
    fallbacks = [r for r in summary.records if r.get("fallback")]
    if fallbacks:
        table.add_row("[yellow]fallbacks[/]", f"{len(fallbacks)} file(s): fell back to lossless mode, kept source "
                                              "or transcode (see 'fallback' in the report)")
    won = [r for r in summary.records if r.get("lossless_smaller")]
    if won:
        table.add_row("lossless smaller", f"{len(won)} file(s): the lossless file met the target in fewer bytes "
                                          "than the lossy one (see 'lossless_smaller' in the report)")
    for row in codec_rows(summary.records + summary.skipped):
        if row["codec"] == "failed":  # no output: neither bytes out nor "missed" (the recap below says why)
            table.add_row("  failed", f"{row['files']} file(s), {row['bytes_in']:,} B in, no output")
            continue
        saved = "" if row["saved_percent"] is None else f", saved {row['saved_percent']:.1f}%"
        extra = "".join(f", {row[k]} {k.replace('_', ' ')}" for k in ("missed", "fallbacks", "lossless_smaller")
                        if row[k])
        table.add_row(f"  {row['codec']}", f"{row['files']} file(s), {row['bytes_in']:,} B → {row['bytes_out']:,} B"
                                           f"{saved}{extra}")
    if summary.report is not None:
        table.add_row("report", escape(str(summary.report)))
    else:  # -o FILE: the run's report was in its private work directory
        table.add_row("report", "not kept (one output file; add --report PATH to keep it)")
    out.print(table)
    _print_failure_recap(summary.failures)


def _print_failure_recap(failures: list[dict[str, Any]]) -> None:
    """One line per distinct reason (each file was already named as it failed): how many files, which ones.

    The paths the record names are replaced, not guessed from the text: the existing output that blocked the file
    (``blocking_output``) by ``<its output>``, the input (as given and, for a symbolic link, its target) by
    ``<file>``, so files failing the same way share one line."""
    by_reason: dict[str, list[str]] = {}
    for rec in failures:
        reason = str(rec.get("error") or "target not met")
        if blocking := rec.get("blocking_output"):  # first: an output's name may hold the input's
            reason = reason.replace(str(blocking), "<its output>")
        source = str(rec["input"])
        reason = reason.removeprefix(f"{source}: ")
        if source != "-":  # stdin: replacing "-" would turn "end-of-image" into "end<file>of<file>image"
            for shown in dict.fromkeys((source, os.path.realpath(source))):
                reason = reason.replace(shown, "<file>")
        by_reason.setdefault(reason, []).append(Path(source).name)
    for reason, names in by_reason.items():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        err_console.print(f"[red]failed[/] {len(names)} file(s) ({escape(shown)}): {escape(reason)}")


# -- encode / decode / compare / info / codecs ------------------------------------------------------------
@app.command()
def encode(
    input: Annotated[Path, typer.Argument(help="Image file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file; its extension picks the codec "
                                                                 "unless --codec is given.")],
    codec: Annotated[str | None, typer.Option(help="Codec name (default: the one writing -o's extension).")] = None,
    quality: Annotated[float | None, typer.Option(help="Native quality setting (codec default if omitted).")] = None,
    lossless: Annotated[bool, typer.Option(help="Lossless mode.")] = False,
    weights: Annotated[Path | None, typer.Option(help="Weights file for learned codecs.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output (never the input).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result on stdout.")] = False,
    metadata: Annotated[str, typer.Option(help="keep, strip (keep only the ICC profile) or strip-gps (drop GPS).")
                        ] = "keep",
    bit_depth: Annotated[int | None, typer.Option(help="Reduce deeper sources to 8 bits (dithered).")] = None,
    codec_opt: Annotated[list[str] | None, typer.Option(help="Extra encoder option KEY=VALUE (repeatable).")] = None,
) -> None:
    """Encode one image at one fixed setting (no search); the output is decoded and measured."""
    from qualipress.pipeline.delivery import check_depth, hdr_loss, lost_fields, reduce_bit_depth, refuse_mistagging

    _not_the_input(input, output)
    codec = _codec_for_output(output, codec)
    image = read_image(input)
    if bit_depth is not None:
        image = reduce_bit_depth(image, bit_depth)
    cdc = codecs.get(codec)
    if not image.is_float and image.bit_depth > 8:  # as compress: refused with the remedy, not converted silently
        check_depth([cdc.name], image.bit_depth)
    extra = _codec_options(codec_opt)
    _check_codec_options([cdc.name], extra)
    opts: dict[str, Any] = {"weights": str(weights)} if weights else {}
    opts.update(extra)
    carry = carry_for(image.metadata, metadata)
    refuse_mistagging(cdc.name, carry, image.bit_depth)
    if carry.fields():
        opts["metadata"] = carry
    enc_img = encodable(image)
    data = cdc.encode(enc_img, quality=quality, lossless=lossless, **opts)
    # measured before it is written: a file that cannot be decoded and measured is not left behind
    res = measure_encoded(data, cdc, enc_img, reference=image, metrics=("ssim", "psnr")).metrics
    atomic_write_bytes(output, data, overwrite=overwrite)
    if output.read_bytes() != data:
        raise InputError(f"{output}: the file read back differs from what was written")
    out = {"input": str(input), "output": str(output), "codec": codec, "quality": quality, "lossless": lossless,
           "bytes": len(data), "bpp": round(8 * len(data) / (image.width * image.height), 5),
           "metrics": {k: v.to_dict() for k, v in res.items()}}
    lost = lost_fields(cdc.name, carry, image.bit_depth, image.n_channels) if carry.fields() else []
    if lost:  # said as compress's report says it (a P3 profile dropped silently shows desaturated colours)
        out["not_carried"] = lost
        err_console.print(f"note: {cdc.name} cannot carry {', '.join(lost)} here", markup=False)
    if (hdr := hdr_loss([cdc.name], image)) is not None:  # a PQ/HLG image in a file that cannot say so
        out["not_carried"] = [*out.get("not_carried", []), "hdr_transfer"]
        err_console.print(f"note: {cdc.name} cannot carry {hdr[1]}; viewers show it as SDR", markup=False)
    describe = getattr(cdc, "describe_output", None)  # learned codecs: which weights made this file
    if describe is not None:
        out.update(describe(data))
    if as_json:
        _dump(out)
    else:
        console.print(f"{output}: {len(data):,} bytes, {out['bpp']} bpp, SSIM {res['ssim'].value:.5f}, "
                      f"PSNR {res['psnr'].value:.2f} dB", markup=False)
        if "learned_weights" in out:
            console.print(_weights_line(out["learned_weights"]), soft_wrap=True)


def _codec_for_output(output: Path, codec: str | None) -> str:
    """The codec ``encode`` uses: the one named (its files must fit ``output``'s image extension, so JPEG bytes
    never land in ``x.webp``), or the first installed codec writing that extension."""
    from qualipress.cli.photo import canonical_suffix, codec_extension

    suffix = output.suffix.lower()
    if codec is None:
        for name in codecs.available_names():
            if suffix and codec_extension(name) == canonical_suffix(suffix):
                return name
        raise QualipressError(f"-o {output}: no codec is known to write '{suffix}' files; name one with --codec")
    name = codecs.resolve(codec)[0]
    ext = codec_extension(name)
    if suffix in IMAGE_SUFFIXES and ext is not None and ext != canonical_suffix(suffix):
        raise QualipressError(f"-o {output}: {name} writes {ext} files, not {suffix} (name the output "
                              f"{output.stem}{ext} or choose the codec for that extension)")
    return name


def _not_the_input(input: Path, output: Path) -> None:
    """Refuse an output path that is the input file itself (an input is never replaced, even with --overwrite)."""
    if output.exists() and input.exists() and os.path.samefile(output, input):
        raise QualipressError(f"-o {output} is the input file: an input is never replaced, even with --overwrite")


@app.command()
def decode(
    input: Annotated[Path, typer.Argument(help="Encoded file (any supported format, incl. .qlc).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file: .png, .tif, .dpx or .exr.")],
    weights: Annotated[Path | None, typer.Option(help="Weights file for .qlc files made with your own model.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output (never the input).")] = False,
) -> None:
    """Decode a compressed file to a lossless working format."""

    _not_the_input(input, output)
    if output.suffix.lower() not in (".png", ".tif", ".tiff", ".dpx", ".exr"):
        raise QualipressError(f"-o {output}: decode writes .png, .tif, .dpx or .exr (lossless); to make a "
                              f"{output.suffix or 'compressed'} file use 'qualipress encode'")
    if weights is not None:
        from qualipress.learned.codec import decode_qlc, is_qlc

        data = input.read_bytes()
        if not is_qlc(data):
            raise QualipressError(f"{input}: --weights applies to .qlc files only")
        image = decode_qlc(data, weights=weights)
    else:
        image = read_image(input)
    write_image(output, image, overwrite=overwrite)
    console.print(f"{output}: {image.width}x{image.height} {image.layout} {image.bit_depth}-bit", markup=False)
    if "learned_weights" in image.metadata:
        console.print(_weights_line(image.metadata["learned_weights"]), soft_wrap=True)


def _weights_line(w: dict[str, Any]) -> str:
    """One line naming the learned-codec weights a file was coded with."""
    where = f"{w['source']} {w['file']}" if "source" in w else "weights"
    return f"  weights: {w['arch']} {where} (fingerprint {w['fingerprint']}), step {w['step']:.4g}"


@app.command()
def compare(
    reference: Annotated[Path, typer.Argument(help="The original image.")],
    distorted: Annotated[Path, typer.Argument(help="The compressed (or decoded) image.")],
    metric: Annotated[list[str] | None, typer.Option(help="Metric (repeatable); default ssim, psnr, ms-ssim.")] = None,
    tile: Annotated[int, typer.Option(help="Tile size for per-tile statistics.")] = 256,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result on stdout.")] = False,
) -> None:
    """Print quality metrics of DISTORTED against REFERENCE."""
    from qualipress.metrics.pair import align_pair

    ref, dis, notes = align_pair(read_image(reference), read_image(distorted))
    res: dict[str, Any] = {}
    for name in metric or ["ssim", "psnr", "ms-ssim"]:
        try:
            res.update(metrics.measure(ref, dis, [name], tile=tile))
        except (InputError, UnsupportedError) as exc:  # e.g. MS-SSIM on an image smaller than its scales
            notes.append(f"{name} skipped: {exc}")
    for note in notes:
        err_console.print(f"note: {note}", markup=False)
    if not res:
        raise QualipressError("no metric could be computed for these images")
    if as_json:
        _dump({k: v.to_dict() for k, v in res.items()})
        return
    table = Table("metric", "value", "min tile", "p1", "p5")
    for k, v in res.items():
        d = v.to_dict() if v.tiles is not None else {}  # a whole-image metric: its "stats" repeat the value
        table.add_row(k, f"{v.value:.6g}", *(f"{d[s]:.6g}" if s in d else "-" for s in ("min", "p1", "p5")))
    console.print(table)


@app.command()
def info(
    file: Annotated[Path, typer.Argument(help="Image file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result on stdout.")] = False,
) -> None:
    """Size, dtype, bit depth, channels, transfer and metadata of an image file."""
    try:
        image = read_image(file)
    except InputError as exc:  # a float file with NaN/Inf: its facts still, and why compress refuses it
        from importlib.util import find_spec

        if not isinstance(exc, NonFiniteError) or find_spec("OpenImageIO") is None:  # it reads the samples NaN and all
            raise
        _print_info(_nonfinite_info(file), as_json=as_json)
        return
    px = image.pixels
    meta = {k: (f"{len(v):,} bytes" if isinstance(v, bytes) else v) for k, v in image.metadata.items()
            if k != "XML:com.adobe.xmp"}
    if comments := image.metadata.get("comment"):  # the COM payloads as text, not Python bytes
        meta["comment"] = f"{len(comments)} segment(s), {sum(len(c) for c in comments):,} bytes"
    gps = gps_places(image.metadata)  # a location: what --metadata strip-gps removes
    if image.metadata.get("trailing_bytes") and image.metadata.get("format") == "jpeg":
        raw = file.read_bytes()
        try:
            if video_has_place(raw):
                gps.append("video")
            if tracks := video_metadata_tracks(raw):  # their samples may say where: strip-gps zeroes those
                meta["video_metadata_tracks"] = ", ".join(tracks)
        except UnsupportedError as exc:  # tables too large to walk (rev20d): said, not a crash
            meta["video_metadata_tracks"] = str(exc)
    if gps:
        meta["gps"] = ", ".join(gps)
    out: dict[str, Any] = {"file": str(file), "bytes": file.stat().st_size, **image.describe(),
                           "min": float(np.min(px)), "max": float(np.max(px)), "metadata": meta}
    desc = image.metadata.get("icc_description")
    if desc:  # a profile other than sRGB is what the colours mean (the pixels are not converted)
        out["colorspace"] = (f"{image.colorspace} (ICC: {desc})" if is_srgb(image.metadata.get("icc_profile"))
                             else f"ICC profile {desc!r} (not sRGB)")
    _print_info(out, as_json=as_json)


def _nonfinite_info(file: Path) -> dict[str, Any]:
    """``info``'s facts of a float file holding NaN/Inf samples, which :func:`read_image` refuses: the header's
    facts, the range of the finite samples and how many are not finite."""
    import OpenImageIO as oiio

    from qualipress.film.catalogue import probe_header

    head = probe_header(file)
    with oiio_name(file) as name:
        px = np.asarray(oiio.ImageBuf(name).get_pixels(oiio.FLOAT))
    finite = px[np.isfinite(px)]
    nan, inf = int(np.isnan(px).sum()), int(np.isinf(px).sum())
    return {"file": str(file), "bytes": head["file_bytes"], "width": head["width"], "height": head["height"],
            "channels": ",".join(head.get("channel_names") or []) or head["channels"],
            "dtype": head.get("sample_type"),
            "bit_depth": head.get("bit_depth") or {"half": 16, "float": 32}.get(str(head.get("sample_type"))),
            "min": float(finite.min()) if finite.size else None, "max": float(finite.max()) if finite.size else None,
            "non_finite": f"{nan} NaN and {inf} Inf sample(s) (min/max are of the finite ones); compress refuses "
                          "this file until they are replaced", "metadata": {}}


def _print_info(out: dict[str, Any], *, as_json: bool) -> None:
    """``info``'s facts, one per line (metadata indented; a ``cicp`` list in words with its numbers, misc18), or as
    JSON (the numbers only)."""
    from qualipress.io.metadata import describe_cicp

    if as_json:
        _dump(out)
        return
    for k, v in out.items():
        if k != "metadata":
            shown = f"{v:,}" if k == "bytes" and isinstance(v, int) else str(v)
            console.print(f"[bold]{k:11s}[/] {escape(shown)}")  # a file name or ICC text may hold '[...]'
    for k, v in out["metadata"].items():
        if k == "cicp" and isinstance(v, list | tuple):
            v = describe_cicp(v)
        if k != "file_bytes" or v != out.get("bytes"):  # the size, already the 'bytes' line
            console.print(f"  {k}: {v}", markup=False, soft_wrap=True)  # one line each, as for grep


@app.command(name="codecs")
def list_codecs(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable list on stdout.")]
                = False) -> None:
    """Available codecs, library versions, bit depths and quality parameters."""

    rows = []
    for name in [*codecs.names(), *codecs.prefixed_names()]:
        try:
            c = codecs.get(name)
            q = c.info.quality
            rows.append({"codec": name, "available": True, "library": c.info.library, "version": c.version(),
                         "bit_depths": list(c.info.bit_depths), "channels": list(c.info.channels),
                         "lossy": c.info.lossy, "lossless": c.info.lossless,
                         "quality": None if q is None else {"name": q.name, "range": [q.low, q.high],
                                                            "higher_is_better": q.higher_is_better,
                                                            "default": q.default},
                         "extension": c.info.extension})
        except QualipressError as exc:
            rows.append({"codec": name, "available": False, "reason": str(exc)})
    if as_json:
        _dump(rows)
        return
    # the name is what a user types after --codec: never cut to "learned:bmsh…" (two rows read the same);
    # in a narrow terminal the other cells fold instead
    table = Table(Column("codec", no_wrap=True, min_width=max(len(r["codec"]) for r in rows)),
                  *(Column(h, overflow="fold") for h in ("library / version", "bits", "alpha", "quality",
                                                         "lossless")))
    for r in rows:
        if not r["available"]:
            table.add_row(r["codec"], f"[dim]unavailable: {r['reason'][:60]}[/]", "", "", "", "")
            continue
        q = r["quality"]
        qs = "-" if q is None else f"{q['name']} {q['range'][0]:g}–{q['range'][1]:g} " \
                                   f"({'higher' if q['higher_is_better'] else 'lower'} is better)"
        bd = r["bit_depths"]
        table.add_row(r["codec"], r["version"][:48], f"{bd[0]}–{bd[-1]}" if len(bd) > 2 else "/".join(map(str, bd)),
                      "yes" if (2 in r["channels"] or 4 in r["channels"]) else "no", qs,
                      "yes" if r["lossless"] else "no")
    console.print(table)


@app.command(name="profiles")
def list_profiles(profiles: Annotated[Path | None, typer.Option(help="Extra TOML file.")] = None) -> None:
    """The quality profiles and their targets."""
    from qualipress.profiles import load_profiles

    for p in load_profiles(profiles).values():
        console.print(f"[bold]{escape(p.name)}[/]  {escape(str(p.target))}\n    {escape(p.description)}")


@app.command()
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write results.")] = Path("demo-output"),
    codec: Annotated[list[str] | None, typer.Option(help="Codecs to try, comma-separated or repeated (default "
                                                         "jpeg, webp, jpegxl, avif).")] = None,
) -> None:
    """Compress scikit-image's sample photographs under C0/C1/C2 and write a summary (the first thing to run)."""
    from qualipress import demo as _demo

    names = [name for spec in codec for name in resolve(spec)] if codec else None
    if names and "auto" in names:
        raise QualipressError("demo --codec auto: the demo compares codecs one by one; name them (e.g. jpeg,avif)")
    result = _demo.run_demo(output, codecs=names, log=console.print)
    console.print(f"\nsummary: {result['markdown']}\n         {result['html']}\n         {result['json']}",
                  markup=False, soft_wrap=True)  # a long path is not split across lines
    if result["failures"]:
        raise ExitCode(1)


@bench_app.command("search")
def bench_search(
    dataset: Annotated[Path, typer.Argument(help="Directory of images (e.g. the Kodak set).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Results directory.")] = Path("results/search"),
    codecs: Annotated[str, typer.Option(help="Comma-separated codecs.")] = "jpeg,jpegxl",
    targets: Annotated[str, typer.Option(help="Semicolon-separated targets or profile names.")] = (
        "ssim>=0.90;ssim>=0.95;ssim>=0.99"),
    limit: Annotated[int | None, typer.Option(help="Use only the first N images.")] = None,
    modes: Annotated[str, typer.Option(help="cold (each image alone), warm (a batch in order), baseline (cold "
                                                "without the predictor); comma-separated.")] = "cold,warm",
) -> None:
    """Search efficiency: misses, encodes per image and bytes vs an exhaustive sweep of the same settings."""
    from qualipress.bench.search_bench import run_search_bench

    res = run_search_bench(dataset, output, codecs=codecs.split(","), targets=targets.split(";"), limit=limit,
                           modes=modes.split(","), log=console.print)
    console.print(res["markdown"], markup=False, soft_wrap=True)  # a Markdown table: no row split at 80


@bench_app.command("train-predictor")
def bench_train_predictor(
    datasets: Annotated[list[Path], typer.Argument(help="Training image folders (never the evaluation sets).")],
    codecs: Annotated[str, typer.Option(help="Comma-separated codecs (default: those of the shipped model).")] = "",
    limits: Annotated[str, typer.Option(help="Most images per codec, e.g. 'jpegxl=60,avif=60' (default: as the "
                                             "shipped model was trained).")] = "",
    cache: Annotated[Path, typer.Option(help="Sweep cache folder.")] = Path("results/predictor-sweeps"),
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Model file to write (required unless "
                                                                  "--replace-shipped).")] = None,
    replace_shipped: Annotated[bool, typer.Option("--replace-shipped", help="Replace the model shipped inside the "
                                                                          "package, which every search uses (the "
                                                                          "project's own retraining).")] = False,
    cached_only: Annotated[bool, typer.Option(help="Fit on cached sweeps only.")] = False,
    jpeg_sources: Annotated[int | None, typer.Option(help="JPEG-compressed copies of training images the JPEG "
                                                          "model also learns from (default: as shipped).")] = None,
) -> None:
    """Retrain the setting predictor (the search's first probe) from exhaustive sweeps of training images."""
    from qualipress.bench.predictor_train import (
        TRAINED_CODECS,
        TRAINED_JPEG_SOURCES,
        TRAINED_LIMITS,
        run_train_predictor,
    )

    try:
        lim = {k: int(v) for k, v in (item.split("=") for item in limits.split(",") if item)} or dict(TRAINED_LIMITS)
    except ValueError:
        raise InputError(f"--limits {limits!r}: expected CODEC=N[,CODEC=N...]") from None
    names = [c for c in codecs.split(",") if c] or list(TRAINED_CODECS)
    data = run_train_predictor(datasets, codecs=names, limits=lim, cache=cache, output=output,
                               replace_shipped=replace_shipped, cached_only=cached_only,
                               jpeg_sources=TRAINED_JPEG_SOURCES if jpeg_sources is None else jpeg_sources,
                               log=console.print)
    console.print(f"{len(data['models'])} models written")


@bench_app.command("ssim")
def bench_ssim(
    width: Annotated[int, typer.Option(help="Frame width in pixels.")] = 4096,
    height: Annotated[int, typer.Option(help="Frame height in pixels.")] = 2160,
    repeats: Annotated[int, typer.Option(help="Timed runs of qualipress's SSIM (the best counts).")] = 3,
) -> None:
    """SSIM speed on a synthetic 16-bit RGB frame: qualipress vs scikit-image."""
    from qualipress.bench.metrics_bench import run_ssim_bench

    res = run_ssim_bench(width=width, height=height, repeats=repeats)
    console.print(res["markdown"], markup=False, soft_wrap=True)  # a Markdown table: no row split at 80


@app.callback(invoke_without_command=True)
def _root(version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False) -> None:
    if version:
        console.print(f"qualipress {__version__}")
        raise typer.Exit(0)


#: The loaded plug-in modules, in ``PLUGINS`` order.
_LOADED: list[ModuleType] = []


def _plugin_functions(name: str) -> list[Callable[[CompressRequest], None]]:
    """The plug-ins' ``compress_prepare`` or ``compress_hooks`` functions, in ``PLUGINS`` order."""
    return [getattr(mod, name) for mod in _LOADED if hasattr(mod, name)]


def _add_plugin_options(command: Callable[..., Any], modules: Sequence[ModuleType]) -> None:
    """Give ``command`` (which takes ``**plugin_options``) the options of each module's ``compress_options``
    signature: typer builds the command line from ``__signature__``, so ``--help`` lists them."""
    core = inspect.signature(command, eval_str=True)
    params = [p for p in core.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    for mod in modules:
        for p in inspect.signature(mod.compress_options, eval_str=True).parameters.values():
            if any(p.name == q.name for q in params):
                raise TypeError(f"{mod.__name__}: compress option {p.name!r} is already defined")
            params.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY))
    command.__signature__ = core.replace(parameters=params)  # type: ignore[attr-defined]


def _load_plugins() -> None:
    for mod_name in PLUGINS:
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as exc:
            if exc.name == mod_name:  # the capability is not part of this install
                continue
            raise
        mod.register(app, bench_app)
        _LOADED.append(mod)
    _add_plugin_options(compress, [mod for mod in _LOADED if hasattr(mod, "compress_options")])


_load_plugins()


def command_tree() -> typer.core.TyperGroup:
    """The click command tree of ``app`` with the help's value column saying what a user types.

    typer's rich help names each option's Python type: ``--json <bool>`` (read as if the flag took a value) and
    ``--target <list[str]>`` (an option given once per value). Flags show no value here; a repeatable option or
    an argument taking several values shows its item type (``<str>``, ``<path>``), and an option taking two values
    at once shows both, space-separated as they are typed (``--step-range <float> <float>``).
    """
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    _tidy_value_column(group)
    return group


def _tidy_value_column(command: Any) -> None:
    """See :func:`command_tree`: ``metavar`` is what typer shows for an option; an argument's column is its own."""
    for sub in getattr(command, "commands", {}).values():
        _tidy_value_column(sub)

    def help_option(ctx: Any, made: Callable[[Any], Any] = command.get_help_option) -> Any:
        option = made(ctx)  # --help is made on first use
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for param in command.params:
        if isinstance(param, typer.core.TyperOption):
            if param.is_flag and not param.count:
                param.metavar = ""
            elif param.metavar is None and (item := _list_item(param.display_type(None))):
                param.metavar = item
            elif param.metavar is None and param.nargs > 1:  # '<float,float>...' read as '0.35,2.8', which fails
                param.metavar = " ".join(f"<{t}>" for t in param.display_type(None).strip("<>").split(","))
        elif isinstance(param, typer.core.TyperArgument) and (item := _list_item(param.display_type(None))):
            param.display_type_rich = lambda ctx, shown=item: shown  # type: ignore[method-assign]


def _list_item(shown: str) -> str | None:
    """``<list[Path]>`` -> ``<path>``; None for a value that is not a list."""
    if not (shown.startswith("<list[") and shown.endswith("]>")):
        return None
    inner = shown[len("<list["):-len("]>")]
    return f"<{'path' if inner == 'Path' else inner}>"



@contextlib.contextmanager
def _stop_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`~qualipress.errors.Interrupted` in the main thread (batches then stop
    their workers and keep finished work); a second signal while stopping exits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    state = {"stopping": False}

    def handler(signum: int, _frame: Any) -> None:
        if state["stopping"]:
            os._exit(128 + signum)  # asked twice: give up cleaning; workers die with us (see pipeline.runner)
        state["stopping"] = True
        raise Interrupted(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _usage_line(exc: typer.TyperException) -> str:
    """One line for a command-line usage error (typer's bundled click raises subclasses of TyperException)."""
    ctx = getattr(exc, "ctx", None)
    where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    return f"error: {exc.format_message()}{where}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with _stop_signals():
            rv = command_tree().main(args=args, prog_name="qualipress", standalone_mode=False)
    except ExitCode as exc:
        return exc.code
    except Interrupted as exc:
        err_console.print(INTERRUPTED)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print(INTERRUPTED)
        return 130
    except QualipressError as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}")  # '[bad]' in a message is text, not markup
        return 2
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, wrong type
        if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments at all: the help was the answer
            if msg := exc.format_message().strip():
                console.print(msg, markup=False)
        else:
            err_console.print(_usage_line(exc), markup=False)
        return 2
    code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0  # typer returns Exit codes here
    if code == 130:  # typer turned a KeyboardInterrupt raised outside our handler into Exit(130)
        err_console.print(INTERRUPTED)
    return code


def _name_bytes(exc: UnicodeError) -> tuple[bytes, int]:
    """Encoding error handler of the CLI's streams: a byte of a file name that is not UTF-8 (a surrogate
    ``os.fsdecode`` made of it) is written as that byte, as ``surrogateescape`` does; any other character the
    stream's encoding lacks as a backslash escape, as ``backslashreplace`` does."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = b"".join(bytes([ord(c) - 0xDC00]) if 0xDC80 <= ord(c) <= 0xDCFF else c.encode("ascii", "backslashreplace")
                   for c in exc.object[exc.start:exc.end])
    return out, exc.end


def run() -> None:
    """Console-script entry point. A file name that is not UTF-8 is printed as the file system's bytes, as ``ls``
    piped and ``sha256sum`` print it (rev20b: in a UTF-8 locale, where Python's streams are strict, the first such
    name printed stopped the command with a UnicodeEncodeError traceback, an archive's summary after its work); a
    character the locale's encoding lacks (an ``é`` under ``PYTHONIOENCODING=ascii``, a Latin-1 locale's combining
    accent) as a backslash escape (rev20e: a traceback that stopped ``archive`` at the first such name it printed)."""
    register_error("qualipress.names", _name_bytes)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="qualipress.names")
    sys.exit(main())
