"""Film commands: ``analyse``, ``archive``, ``restore``, ``verify``, ``report``, ``film make-testset``, and the
``--film/--no-film`` option of ``qualipress compress``.

Exit codes: 0 everything worked; 1 some frames failed (or ``verify`` found a problem); 2 the command could not
run at all (bad input, unwritable output). Only this module prints.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qualipress.errors import ExitCode, InputError, OutputError, QualipressError
from qualipress.film.lossless import DEFAULT_EFFORT, FAST_CODECS
from qualipress.progress import Bar, progress_bar

if TYPE_CHECKING:
    from qualipress.pipeline.hooks import CompressRequest

SCHEDULER_HELP = "Dask scheduler address (tcp://HOST:8786): send frames to an existing cluster."


def _progress(verb: str, bar: Bar) -> Any:
    def show(rec: dict[str, Any]) -> None:
        name = rec.get("source") or rec.get("archive") or rec.get("output")
        if not rec.get("source") and rec.get("archive") and rec.get("output"):  # restore: X.qpl -> X.dpx
            name = f"{rec['archive']} -> {rec['output']}"
        if rec.get("status") == "ok":
            extra = ""
            if "archive_bytes" in rec:
                coder = rec["codec"] or "no pixel coder"
                extra = f" {rec['source_bytes'] / rec['archive_bytes']:.2f}:1 ({rec['model']}, {coder})"
            if not bar.live:
                bar.line(f"{verb} {name}{extra}")
            if rec.get("note") not in (None, "already restored"):  # restore: a mode or mtime not given back
                bar.line(f"note {name}: {rec['note']}", err=True)
            damaged = rec.get("damaged") or rec.get("source_damaged")
            if damaged:
                bar.line(f"WARNING {name}: damaged source, kept byte for byte as it is: {damaged}", err=True)
        else:
            bar.line(f"FAILED {name}: {rec.get('error')}", err=True)
    return bar.callback(show)


OVERWRITE_HELP = "Replace an existing file that is not an earlier output of this command (never an input)."


#: The file ``analyse -o DIR`` writes inside DIR.
CATALOGUE_NAME = "catalogue.json"


def _catalogue_path(output: str) -> Path:
    """Where ``analyse -o`` writes: ``output`` itself, or :data:`CATALOGUE_NAME` inside it when it ends in a path
    separator or is an existing directory."""
    seps = (os.sep, os.altsep) if os.altsep else (os.sep,)
    if output.endswith(seps) or Path(output).is_dir():
        return Path(output) / CATALOGUE_NAME
    return Path(output)


def _json_with(path: Path, keys: set[str]) -> bool:
    """Whether ``path`` holds a JSON object with ``keys`` (a catalogue or a report this command wrote)."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and keys <= data.keys()


def _is_report_html(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    return b"<title>qualipress collection report</title>" in head


def _guard_outputs(outputs: dict[Path, bool], inputs: list[Path], overwrite: bool) -> None:
    """Refuse to replace an input, or (without ``--overwrite``) an existing file that is not our own output.

    ``outputs`` maps each path the command will write to whether an existing file there is our earlier output.
    An existing file inside an input directory counts as an input (a frame, a collection's manifest).
    """
    for out, ours in outputs.items():
        if not out.exists():
            continue
        real = out.resolve()
        for src in inputs:
            s = src.resolve()
            if real == s or (src.is_dir() and s in real.parents):
                raise OutputError(f"{out} is an input (or inside one): an input is never replaced, "
                                  "even with --overwrite")
        if not ours and not overwrite:
            raise OutputError(f"{out} exists and is not an earlier output of this command: pass --overwrite "
                              "to replace it, or choose another -o")


def analyse_cmd(
    inputs: Annotated[list[Path], typer.Argument(help="Frame files or directories.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole catalogue as JSON.")] = False,
    output: Annotated[str | None, typer.Option("-o", "--output", help="Also write the JSON here (a directory: "
                                               f"ending in '/' or existing, gets {CATALOGUE_NAME} inside).")] = None,
    text: Annotated[bool, typer.Option("--text/--no-text", help="Detect text/subtitles.")] = True,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Parallel worker processes.")] = 1,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help=SCHEDULER_HELP)] = None,
    overwrite: Annotated[bool, typer.Option(help=OVERWRITE_HELP)] = False,
) -> None:
    """Catalogue and analyse frame sequences (no output files besides --output)."""
    from qualipress.film.catalogue import catalogue
    from qualipress.io import atomic_write_bytes

    out = None if output is None else _catalogue_path(output)
    if out is not None:
        _guard_outputs({out: _json_with(out, {"sequences", "frames"})}, inputs, overwrite)
    cat = catalogue(inputs, text=text, jobs=jobs, scheduler=scheduler)
    blob = json.dumps(cat, indent=1, default=str)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out, blob.encode())
    if as_json:
        typer.echo(blob)
    else:
        for s in cat["sequences"]:
            typer.echo(f"{s['pattern']}: {s['frames']} frame(s) {s['first']}..{s['last']} "
                       f"{', '.join(s['resolutions'])} bits {s['bit_depths']}")
            for p in s["problems"]:
                typer.echo(f"  problem: {p}")
        for f in cat["frames"]:
            if f.get("status") == "non_finite":  # reads: what is wrong, not "unreadable" (fix20film)
                typer.echo(f"  NaN/Inf {f['name']}: {f['width']}x{f['height']} {f['bit_depth']}-bit float, "
                           f"{f['error']}", err=True)
                continue
            if f.get("status") != "ok":
                typer.echo(f"  UNREADABLE {f['name']}: {f.get('error')}", err=True)
                continue
            a = f["analysis"]
            if a is None:
                typer.echo(f"  {f['name']}: {f['width']}x{f['height']} {f['bit_depth']}-bit {f['transfer']}, "
                           f"{f['note']}")
                continue
            txt = (f.get("content") or {}).get("text")
            t = "n/a" if txt is None else ("yes" if txt["present"] else "no")
            typer.echo(f"  {f['name']}: {f['width']}x{f['height']} {f['bit_depth']}-bit {f['transfer']} "
                       f"{f['content']['colour']}, text {t}, bits used {a['bits']['used']}, "
                       f"stops {a['dynamic_range']['stops']}, smooth {a['smooth_gradient']['fraction']:.0%}, "
                       f"texture {a['texture']['fraction']:.0%}, grain σ {a['noise_sigma']:.4f} "
                       f"({a['noise_sigma'] * 1023:.1f} 10-bit codes, lag-1 corr "
                       f"{(a.get('grain') or {}).get('correlation')}){_colour_grain_text(a.get('colour_grain'))}"
                       + "".join(f"\n    warning: {w}" for w in f["header"].get("warnings", [])))
    if any(f.get("status") != "ok" for f in cat["frames"]):
        raise ExitCode(1)


def _colour_grain_text(cg: dict[str, Any] | None) -> str:
    """The analyse line's colour-grain part: R/G/B correlation and colour-difference RMS in 10-bit codes."""
    if not cg or cg.get("rgb_correlation") is None:
        return ""
    sc = cg["sigma_colour"]
    return (f", grain R/G/B corr {cg['rgb_correlation']} (colour B-Y {sc['B-Y'] * 1023:.1f}, "
            f"R-Y {sc['R-Y'] * 1023:.1f} 10-bit codes)")


def archive_cmd(
    inputs: Annotated[list[Path], typer.Argument(help="Frame files or directories.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Archive directory.")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Parallel worker processes.")] = 1,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help=SCHEDULER_HELP)] = None,
    codecs: Annotated[str, typer.Option(
        help="Candidate lossless pixel codecs (jpegxl, jpegls, htj2k, jpeg2000).")] = ",".join(FAST_CODECS),
    effort: Annotated[int, typer.Option(help="JPEG XL effort 1-9 (1 = fast lossless).")] = DEFAULT_EFFORT,
    select: Annotated[str, typer.Option(
        help="probe: rank codecs on a sample of rows, encode once; all: encode with each.")] = "probe",
    threads: Annotated[int, typer.Option(help="Threads inside each coder (0 = cores / jobs; 1 with "
                                              "--scheduler).")] = 0,
) -> None:
    """Archive frames mathematically losslessly; `restore` rebuilds every file byte for byte.

    Damaged files (truncated DPX/TIFF, content that does not match the extension) are kept byte for byte
    too, flagged "damaged" in the manifest and here. A symbolic link to a frame, named here or found in a folder,
    is kept as a link when the frame it reads is archived too; otherwise as a copy of its target.
    """
    from qualipress.film.archive import archive_paths

    with progress_bar("archiving") as bar:
        res = archive_paths(inputs, output, jobs=jobs, scheduler=scheduler,
                            codecs=tuple(c.strip() for c in codecs.split(",") if c.strip()), effort=effort,
                            select=select, threads=threads, progress=_progress("archived", bar))
    ok = [r for r in res.records if r.get("status") == "ok"]
    damaged = sum(bool(r.get("damaged")) for r in ok)
    before = sum(r["source_bytes"] for r in ok)
    after = sum(r["archive_bytes"] for r in ok)
    earlier_damaged = f" ({len(res.skipped_damaged)} of them damaged)" if res.skipped_damaged else ""
    typer.echo(f"{len(ok)} archived ({damaged} damaged, kept as they are), {len(res.skipped)} already done"
               f"{earlier_damaged}, {len(res.errors)} failed"
               + (f"; {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB ({before / after:.2f}:1)" if after else ""))
    earlier, extra = res.earlier, res.left_out
    if earlier:
        typer.echo(f"note: skipped {len(earlier)} earlier qualipress output folder(s) inside the inputs: "
                   f"{_few([str(p) for p in earlier])} "
                   "(name one as an input to archive it anyway)")
    if extra:
        typer.echo(f"note: {len(extra)} file(s) in the inputs are not frames and were not archived: "
                   + _few([p.name for p in extra]))
    if links := [f"{r['source']} -> {r['target']}" for r in [*res.links, *res.links_kept]]:
        typer.echo(f"{len(links)} link(s) to frames recorded as links, restore recreates them"
                   + (f" ({len(res.links_kept)} recorded earlier)" if res.links_kept else "") + ": " + _few(links))
    if res.link_copies:
        typer.echo(f"note: {len(res.link_copies)} link(s) to frames have an absolute target, one outside the "
                   "archived folder or one not among the inputs: archived as copies of their targets, restored as "
                   "regular files: "
                   + _few(res.link_copies))
    if res.errors:
        raise ExitCode(1)


def _few(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def restore_cmd(
    archive: Annotated[Path, typer.Argument(help="Archive directory.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to rebuild the original files.")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Parallel worker processes.")] = 1,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help=SCHEDULER_HELP)] = None,
    threads: Annotated[int, typer.Option(help="Threads inside each decoder (0 = cores / jobs; 1 with "
                                              "--scheduler).")] = 0,
) -> None:
    """Rebuild the original files byte for byte (each checked against its recorded SHA-256)."""
    from qualipress.film.archive import restore_archive

    with progress_bar("restoring") as bar:
        res = restore_archive(archive, output, jobs=jobs, scheduler=scheduler, threads=threads,
                              progress=_progress("restored", bar))
    ok = sum(r.get("status") == "ok" for r in res.records if not r.get("link"))
    links = [r for r in res.records if r.get("link")]
    typer.echo(f"{ok}/{len(res.records) - len(links)} restored bit-exact (SHA-256 verified)"
               + (f"; {sum(r['status'] == 'ok' for r in links)}/{len(links)} link(s) to frames recreated "
                  "(same target text)" if links else ""))
    if res.errors:
        raise ExitCode(1)


def verify_cmd(
    root: Annotated[Path, typer.Argument(help="Collection directory (archive or compress output).")],
    sample: Annotated[float, typer.Option(min=0.0, max=1.0, help="Fraction (0-1) of lossy outputs to re-measure "
                                                                 "(at least one when above 0).")] = 0.1,
    remeasure: Annotated[bool, typer.Option("--remeasure/--no-remeasure",
                                              help="Re-measure the quality of a sample of lossy outputs.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result on stdout.")] = False,
) -> None:
    """Fixity: hashes, decodability (bit-exact restore for archives), stored metrics still hold."""
    from qualipress.film.verify import verify_collection

    if not root.is_dir():  # it said "0 file(s) checked: PROBLEMS FOUND" and exit 1, as for a damaged collection
        raise InputError(f"{root}: no such directory (give an archive or compress output folder)")
    rep = verify_collection(root, sample=sample, remeasure=remeasure)
    d = rep.to_dict()
    if as_json:
        typer.echo(json.dumps(d, indent=1))
    else:
        typer.echo(f"{rep.checked} file(s) checked, " + (f"{rep.links} link(s) to frames, " if rep.links else "")
                   + f"{rep.remeasured} re-measured: "
                   + ("OK" if rep.ok else "PROBLEMS FOUND"))
        for key in ("missing", "altered", "unlisted", "unreadable", "metric_mismatch"):
            for item in d[key]:
                typer.echo(f"  {key}: {item}")
        for note in rep.notes:
            typer.echo(f"  note: {note}")
    if not rep.ok:
        raise ExitCode(1)


def report_cmd(
    roots: Annotated[list[Path], typer.Argument(help="Collection directories.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Report .html (CSV/JSON beside it).")],
    overwrite: Annotated[bool, typer.Option(help=OVERWRITE_HELP)] = False,
) -> None:
    """Collection report: storage before/after, quality, worst frames, sequences, encodes, time."""
    from qualipress.film.report import build_report, pictures_dir

    html_ours = _is_report_html(output)
    json_path = output.with_suffix(".json")
    json_ours = _json_with(json_path, {"summary", "sequences", "frames"})
    _guard_outputs({output: html_ours, json_path: json_ours,
                    output.with_suffix(".csv"): html_ours or json_ours}, roots, overwrite)

    data = build_report(roots, output)
    width = max((len(str(s["profile"])) for s in data["summary"]), default=8)  # one column, however long
    cwidth = max((len(str(s["codec"])) for s in data["summary"]), default=10)
    for s in data["summary"]:
        typer.echo(f"{s['profile']:>{width}} {s['codec']:>{cwidth}}: {s['files']} files "
                   f"{s['bytes_before'] / 1e6:.1f} MB -> {s['bytes_after'] / 1e6:.1f} MB "
                   f"({s['ratio']}:1, {s['saved_pct']}% saved)"
                   + (f", SSIM mean {s['ssim_mean']} min {s['ssim_min']}" if s["ssim_mean"] else ""))
    if data["links"]:
        typer.echo(f"{data['links']} link(s) to frames (kept as links, no payload)")
    pictures = pictures_dir(output)
    typer.echo(f"wrote {output} (+ .csv, .json" + (f", pictures in {pictures}/)" if data["pictures"] else ")"))


def make_testset_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="Test-set directory.")],
    source: Annotated[Path | None, typer.Option(help="Folder of OpenEXR images (default $QUALIPRESS_DATA/hdr_film, or "
                                                     "../shared/data/hdr_film beside a source checkout).")] = None,
    frames_per_shot: Annotated[int, typer.Option(help="Frames made from each EXR (a slow pan).")] = 2,
    pan: Annotated[int, typer.Option(help="Pixels of pan between frames.")] = 8,
    grain: Annotated[bool, typer.Option("--grain/--no-grain",
                                        help="Add correlated film grain; write clean plates in clean/.")] = False,
    grain_rms: Annotated[str, typer.Option(help="Grain RMS in 10-bit code values: ends,mid-tones.")] = "3,6",
    grain_blur: Annotated[float, typer.Option(help="Grain correlation: Gaussian blur in px.")] = 0.7,
    encoding: Annotated[str, typer.Option(help="Log encoding: acescct or cineon.")] = "acescct",
    size: Annotated[str | None, typer.Option(help="Frame size WxH, e.g. 2048x1080 (resize + crop).")] = None,
    shots: Annotated[str | None, typer.Option(help="Comma-separated EXR names (stems) to use.")] = None,
    tiff: Annotated[bool, typer.Option("--tiff/--no-tiff", help="Also write 16-bit TIFF frames.")] = True,
) -> None:
    """Convert a folder of EXRs (--source) to 10-bit log DPX and 16-bit TIFF sequences, deterministically."""
    from qualipress.film.testset import Grain, default_source, make_testset

    try:
        lo, hi = (float(v) for v in grain_rms.split(","))
    except ValueError:
        raise InputError(f"bad --grain-rms {grain_rms!r} (want LO,HI, e.g. 3,6)") from None
    try:
        dims = tuple(int(v) for v in size.lower().split("x")) if size else None
        if dims is not None and (len(dims) != 2 or min(dims) < 1):
            raise ValueError(size)
    except ValueError:
        raise InputError(f"bad --size {size!r} (want WxH with positive integers, e.g. 2048x1080)") from None
    g = Grain(sigma_lo=lo, sigma_hi=hi, blur=grain_blur) if grain else None
    s = make_testset(source or default_source(), output, frames_per_shot=frames_per_shot, pan=pan,
                     formats=("dpx", "tiff") if tiff else ("dpx",), grain=g, encoding=encoding,
                     size=dims,  # type: ignore[arg-type]
                     shots=tuple(x.strip() for x in shots.split(",")) if shots else None)
    typer.echo(f"{len(s['frames'])} frame(s) from {len({f['shot'] for f in s['frames']})} shot(s) -> {output}")
    for sk in s["skipped"]:
        typer.echo(f"skipped {sk['source']}: {sk['reason']}", err=True)


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add the film commands to the ``qualipress`` app (``bench`` is unused: benchmarks are scripts)."""
    film = typer.Typer(help="Film test-set utilities.", no_args_is_help=True)
    app.add_typer(film, name="film")
    app.command("analyse")(analyse_cmd)
    app.command("archive")(archive_cmd)
    app.command("restore")(restore_cmd)
    app.command("verify")(verify_cmd)
    app.command("report")(report_cmd)
    film.command("make-testset")(make_testset_cmd)


def compress_options(
    film: Annotated[bool | None, typer.Option("--film/--no-film",
                                              help="Film checks of frames (grain, banding, flicker), seals, "
                                                   "manifest.jsonl and SHA256SUMS in OUTDIR (default: on when the "
                                                   "film extra is installed).", rich_help_panel="Film")] = None,
) -> None:
    """The option film adds to ``qualipress compress`` (the core CLI reads this signature; never called)."""


def compress_hooks(request: CompressRequest) -> None:
    """Base the run on :class:`~qualipress.film.hooks.FilmHooks` unless ``--no-film``; web delivery is not an
    archive, so ``--for web`` has no film seals, sidecars or manifests unless ``--film`` is given."""
    film = request.options.get("film")
    if film is False or (film is None and request.web):
        return
    try:
        from qualipress.film.hooks import FilmHooks  # needs the film extra's packages
    except ImportError:
        if film:
            raise QualipressError("--film needs the film extra: pip install 'qualipress[film]'") from None
        return
    request.hooks = FilmHooks(profile=request.profile)
