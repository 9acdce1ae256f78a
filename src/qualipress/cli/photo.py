"""``compress`` helpers for photo use: one named output file (``-o small.avif``), ``-`` for stdin/stdout, dry runs.

Kept out of :mod:`qualipress.cli` so the command itself stays option plumbing.
"""

from __future__ import annotations

import glob
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualipress import codecs
from qualipress.errors import OutputError, QualipressError
from qualipress.io import EXTENSIONS, IMAGE_SUFFIXES, sniff
from qualipress.io.files import fsync_dir, make_work_dir, remove_stale_work_dirs
from qualipress.io.image import MAX_PIXELS, check_dimensions
from qualipress.io.readers import DPX_TRANSFERS, FORMAT_TRANSFERS
from qualipress.pipeline import expand_inputs
from qualipress.pipeline.batch import CompressOptions, Job, check_collisions, predict_outcomes

#: Spellings of one format's extension.
_SAME_EXT = {".jpeg": ".jpg", ".jpe": ".jpg", ".jfif": ".jpg", ".heif": ".heic", ".hif": ".heic", ".tiff": ".tif",
             ".j2k": ".jp2"}


@dataclass
class SingleOutput:
    """Where the one output of a single-file run goes: a path, or stdout when ``path`` is None."""

    path: Path | None
    extension: str | None


def single_output(output: Path, inputs: list[str]) -> SingleOutput | None:
    """A :class:`SingleOutput` when ``-o`` names a file (image suffix) or ``-``; None for an output directory.

    Raises
    ------
    QualipressError
        A single output with several inputs or a directory input.
    OutputError
        The named output file is the input itself (same file, also through a link).
    """

    text = str(output)
    if text == "-":
        single = SingleOutput(None, None)
    elif (output.suffix.lower() in IMAGE_SUFFIXES or _written_by_a_codec(output.suffix)) and not output.is_dir():
        single = SingleOutput(output, _SAME_EXT.get(output.suffix.lower(), output.suffix.lower()))
    else:
        return None
    if len(inputs) == 1 and inputs[0] != "-" and not os.path.lexists(inputs[0]) and not glob.has_magic(inputs[0]):
        raise QualipressError(f"{inputs[0]}: no such file")
    if len(inputs) != 1 or (inputs[0] != "-" and not Path(inputs[0]).is_file()):
        raise QualipressError(f"-o {text} names one file: give exactly one input file (or '-' for stdin)")
    if single.path is not None and inputs[0] != "-" and output.exists() and os.path.samefile(output, inputs[0]):
        raise OutputError(f"-o {text} is the input file: an input is never replaced, even with --overwrite")
    return single


def _written_by_a_codec(suffix: str) -> bool:
    """Whether an installed codec writes ``suffix`` files (``.jls``, ``.jhc``: not read as inputs, still a file
    name for ``-o``, never a folder)."""
    suffix = canonical_suffix(suffix)
    return bool(suffix) and any(codec_extension(name) == suffix for name in codecs.available_names())


def canonical_suffix(suffix: str) -> str:
    """``suffix`` lower-cased, with the spellings of one format folded to one (``.jpeg`` -> ``.jpg``)."""
    suffix = suffix.lower()
    return _SAME_EXT.get(suffix, suffix)


def codec_extension(codec: str) -> str | None:
    """The file extension ``codec`` writes (``.jpeg`` and the like folded to one spelling); None when the codec
    is not installed."""
    try:
        ext = codecs.get(codec).info.extension
    except QualipressError:
        return None
    return _SAME_EXT.get(ext, ext)


def codecs_for(single: SingleOutput, codec: str) -> str:
    """The codecs that write ``single``'s extension: ``auto`` narrows to them, a named codec must match."""

    if single.extension is None:
        return codec
    pool = [*codecs.auto_candidates(), "png"] if codec == "auto" else codec.split(",")
    fits = [name for name in pool if codec_extension(name) == single.extension]
    if not fits and codec == "auto":  # a format only a lossless codec writes (-o x.tif)
        fits = [name for name in codecs.available_names() if codec_extension(name) == single.extension][:1]
    if not fits:
        name = single.path.name if single.path is not None else f"...{single.extension}"
        if codec == "auto":
            raise QualipressError(f"-o {name}: no installed codec writes {single.extension} files")
        writers = [n for n in codecs.available_names() if codec_extension(n) == single.extension]
        made = sorted({e for n in codec.split(",") if (e := codec_extension(n)) is not None})
        raise QualipressError(f"-o {name}: {codec} does not write {single.extension} files (it writes "
                              f"{', '.join(made) or 'other formats'})"
                              + (f"; for {single.extension} use --codec {','.join(writers)}" if writers else ""))
    return ",".join(fits)


def allowed_extensions(single: SingleOutput | None, codec: str) -> frozenset[str] | None:
    """Output extensions a single-output run may produce: the named file's, or (stdout) those of the requested
    codecs, so a kept or transcoded source never arrives in another format than asked for."""

    if single is None:
        return None
    if single.extension is not None:
        return frozenset({single.extension})
    if codec == "auto":
        return None
    return frozenset(ext for name in codec.split(",") if (ext := codec_extension(name)) is not None)


@contextmanager
def staged_input(inputs: list[str]) -> Iterator[list[str]]:
    """``["-"]`` becomes a temporary file holding stdin's bytes (named by its content); other inputs pass."""
    if inputs != ["-"]:
        yield inputs
        return

    data = sys.stdin.buffer.read()
    if not data:
        raise QualipressError("stdin is empty: pipe an image into 'qualipress compress -'")
    fmt = sniff(data[:32])
    if fmt is None:
        raise QualipressError("stdin does not hold a recognised image format")
    tmp = tempfile.gettempdir()
    remove_stale_work_dirs(tmp)  # a killed pipe's copy of its image
    folder = make_work_dir(tmp)
    try:
        path = folder / ("stdin" + min(EXTENSIONS[fmt]))
        path.write_bytes(data)
        yield [str(path)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def staged_output(single: SingleOutput, overwrite: bool) -> Iterator[Path]:
    """A private working directory next to the final file (same filesystem, so the final move is atomic).

    Raises
    ------
    OutputError
        The named file exists and ``overwrite`` is False (:func:`existing_output`).
    """
    if refused := existing_output(single, overwrite):
        raise OutputError(refused)
    parent = single.path.parent if single.path is not None else Path(tempfile.gettempdir())
    parent.mkdir(parents=True, exist_ok=True)
    # a killed run's work folder (its partial output, report and lock), hidden next to the user's file
    remove_stale_work_dirs(parent)
    work = make_work_dir(parent)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def existing_output(single: SingleOutput, overwrite: bool) -> str | None:
    """Why a single-output run refuses to start: the named file exists and ``overwrite`` is False (the run's
    :func:`staged_output` and ``--dry-run`` say it in these words); None otherwise (stdout never is)."""
    if single.path is not None and single.path.exists() and not overwrite:
        return f"{single.path}: exists (use --overwrite)"
    return None


def deliver(single: SingleOutput, record: dict[str, Any]) -> str:
    """Move the run's one output to the named file, or write it to stdout; returns where it went."""
    out = record.get("output")
    if not out:
        raise QualipressError(record.get("error") or "no output was written")
    if single.path is None:
        sys.stdout.buffer.write(Path(out).read_bytes())
        sys.stdout.buffer.flush()
        return "stdout"
    got = _SAME_EXT.get(Path(out).suffix.lower(), Path(out).suffix.lower())
    if got != single.extension:  # e.g. a kept source: never write JPEG bytes under a .avif name
        raise OutputError(f"{single.path}: the chosen encoding is {got}, not {single.extension}")
    os.replace(out, single.path)
    fsync_dir(single.path.parent)
    return str(single.path)


def _side_refusal(names: list[str], width: int, height: int) -> str | None:
    """Why every one of the named codecs refuses an image of this upright size, in the words of
    :meth:`~qualipress.codecs.base.Codec.prepare` (:meth:`~qualipress.codecs.base.Codec.side_refusal`); None when
    one of them takes it, or for ``auto`` and unknown names (the run picks, or says why)."""
    reasons = []
    for n in names:
        try:
            why = codecs.get(n).side_refusal(width, height)
        except Exception:
            return None
        if why is None:
            return None
        reasons.append(why)
    return "; ".join(reasons) or None


def predicted_refusal(path: Path, codec: str, bit_depth: int | None = None, *, web: bool = False,
                      max_pixels: int = MAX_PIXELS) -> str | None:
    """Why a run would refuse ``path`` before encoding it, from the file's header, in the run's own words: what
    :func:`qualipress.io.readers.preflight` refuses (empty, unrecognised, animated); dimensions over the pixel
    limit ``max_pixels`` (``--max-mpixels``; :func:`qualipress.io.readers.header_dimensions`); under
    ``--for web`` (``web``) an image that is not display-referred (float, log or linear DPX); a bit depth the
    codecs cannot store (``--bit-depth 8``, and ``--for web``, reduce an integer source first); then, as the run's
    :meth:`~qualipress.codecs.base.Codec.prepare` checks it after those, a side over every named codec's limit.
    None when it would not, or when the header does not say (unreadable files: the run says why)."""
    from qualipress.io.readers import header_dimensions, jpeg_stream_end, preflight

    try:  # an empty, unrecognised or animated file would not compress
        if preflight(path) == "jpeg":  # a JPEG cut short: its header does not tell, its marker walk does
            jpeg_stream_end(path.read_bytes())
        size = header_dimensions(path)
        if size is not None:  # the run refuses a possible decompression bomb; so does the dry run
            check_dimensions(*size, max_pixels=max_pixels)
    except QualipressError as exc:
        return str(exc)
    names = [c.strip() for c in codec.split(",") if c.strip()]
    # the side after the depth, in the run's order (a 16-bit 16,383-px PNG for webp: the run names the depth)
    return _depth_refusal(path, names, bit_depth, web=web) or (
        _side_refusal(names, *size) if size is not None else None)


def _depth_refusal(path: Path, names: list[str], bit_depth: int | None, *, web: bool) -> str | None:
    """:func:`predicted_refusal`'s header checks: ``--for web``'s (``web``) refusal, a depth no named codec
    stores."""
    from qualipress.io.metadata import CICP_HDR_TRANSFERS, heif_cicp
    from qualipress.pipeline.delivery import check_source_depth, web_refusal

    try:
        deep_enough = max(max(codecs.get(n).info.bit_depths) for n in names) >= 16
    except Exception:
        deep_enough = True  # auto (its candidates hold every depth) or an unknown codec: the run says why
    if deep_enough and not web:
        return None  # no header read
    from qualipress.film.catalogue import probe_header

    try:
        head = probe_header(path)
    except Exception:
        return None
    sample = str(head.get("sample_type", ""))
    is_float = any(t in sample for t in ("half", "float", "double"))
    if web:  # checked first by the run too (PhotoHooks.adapt), before any bit-depth reduction
        transfer = "linear" if is_float else (DPX_TRANSFERS.get(str(head.get("transfer", "")), "unknown")
                                              if head.get("format") == "dpx"
                                              else FORMAT_TRANSFERS.get(str(head.get("format")), "srgb"))
        if head.get("format") in ("avif", "heic", "heif"):  # a PQ/HLG colour box, as the run reads it
            cicp = heif_cicp(path.read_bytes())
            transfer = CICP_HDR_TRANSFERS.get(cicp[1], transfer) if cicp else transfer
        refused = web_refusal(is_float=is_float, transfer=transfer)
        if refused or deep_enough:
            return refused
        bit_depth = 8
    depth = int(head.get("bit_depth") or {"uint16": 16, "int16": 16, "uint32": 32}.get(sample, 8))
    try:  # --bit-depth 8 reduces an integer source before the codecs see it
        check_source_depth(names, is_float=is_float, bit_depth=8 if bit_depth == 8 else depth,
                           reduce_asked=bit_depth == 8)
    except QualipressError as exc:
        return str(exc)
    return None


def dry_run_rows(inputs: list[str], outdir: Path, codec: str,
                 single: SingleOutput | None = None, bit_depth: int | None = None, *,
                 web: bool = False, name_with_ext: bool = False,
                 earlier: Collection[str] | None = None, max_pixels: int = MAX_PIXELS,
                 options: CompressOptions | None = None, report: Path | None = None) -> list[dict[str, Any]]:
    """What a run would do, without reading pixels or writing anything: input, size, output stem, codecs; for
    one output file (``single``) its exact path as ``output`` (``-`` = stdout); ``would_fail`` holds the reason
    when the file's header shows a bit depth the codecs cannot store, its dimensions exceed ``max_pixels``
    (``--max-mpixels``) or ``--for web`` (``web``) refuses (:func:`predicted_refusal`; ``bit_depth`` is
    ``--bit-depth``). stdin comes here staged (:func:`staged_input`), named ``-`` by ``options.source_names``.
    Output stems are named as the run names them (``name_with_ext``: ``--name-with-ext``), and inputs that would
    write the same output are refused as the run refuses them (:func:`qualipress.pipeline.batch.check_collisions`).
    ``earlier``: the earlier outputs among the inputs when the caller has read them
    (:func:`qualipress.pipeline.batch.expand_inputs`). Given the run's ``options`` (and ``--report``), a file the run
    would resume gets ``already_done`` (its output), and one it would fail before compressing (an output name it
    may write exists and these settings did not make it; its input or output changed since) gets the run's reason
    as ``would_fail``, or as ``may_fail`` when only some of the names it may write are refused
    (:func:`qualipress.pipeline.batch.predict_outcomes`); a named output file that exists without ``--overwrite``
    is refused as :func:`staged_output` refuses it."""
    named = options.recorded if options is not None else str
    if single is not None:
        source = Path(inputs[0])
        out = "-" if single.path is None else os.path.abspath(single.path)
        shown = named(source)
        return [{"input": shown if shown != str(source) else str(source.resolve()),
                 "input_bytes": source.stat().st_size,
                 "output_stem": None if single.path is None else str(Path(out).with_suffix("")), "output": out,
                 "codecs": codec,
                 "would_fail": existing_output(single, options is not None and options.overwrite)
                 or predicted_refusal(source, codec, bit_depth, web=web, max_pixels=max_pixels)}]
    rows = []
    jobs = expand_inputs(inputs, earlier=earlier)
    root = Path(os.path.abspath(outdir))
    check_collisions(jobs, root, name_with_ext=name_with_ext)
    reuse = options is not None and not getattr(options.hooks, "allow_larger", False)
    ahead = {} if options is None else predict_outcomes(jobs, root, options, _extensions_for(codec, reuse=reuse),
                                                        report=report)
    for job in jobs:
        row = {"input": named(job.source), "input_bytes": job.source.stat().st_size,
               "output_stem": str(job.out_stem(root, keep_ext=name_with_ext)), "codecs": codec,
               "would_fail": predicted_refusal(job.source, codec, bit_depth, web=web, max_pixels=max_pixels)}
        if not row["would_fail"]:
            row.update(ahead.get(named(job.source), {}))
        rows.append(row)
    return rows


def _extensions_for(codec: str, *, reuse: bool = True) -> Callable[[Job], tuple[list[str], list[str]]]:
    """The extensions a run of ``codec`` (``auto`` or a comma-separated list) may give a job's output: its codecs',
    and, as never-grow candidates with ``reuse`` (no ``--allow-larger``), the one of its input's format when the run
    may keep it (:data:`qualipress.codecs.transcode.SOURCE_FORMATS`: the input kept as it is, or a JPEG rewritten
    losslessly)."""
    from qualipress.codecs.transcode import SOURCE_FORMATS

    names = codecs.auto_candidates() if codec == "auto" else codec.split(",")
    made = [ext for name in names if (ext := codec_extension(name)) is not None]

    def extensions(job: Job) -> tuple[list[str], list[str]]:
        try:
            with open(job.source, "rb") as f:
                fmt = sniff(f.read(32))
        except OSError:
            fmt = None
        kept = [SOURCE_FORMATS[fmt][0]] if reuse and fmt in SOURCE_FORMATS else []
        return list(dict.fromkeys(made)), kept

    return extensions
