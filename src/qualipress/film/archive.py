"""Batch lossless archive, restore and their resume logic (``qualipress archive`` / ``qualipress restore``)."""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualipress.errors import InputError, OutputError, QualipressError, UnsupportedError
from qualipress.film import lossless, manifest
from qualipress.film.sequence import FRAME_EXTENSIONS, find_frames, parse_name
from qualipress.io import atomic_write_bytes, find_images, sha256_bytes, sha256_file
from qualipress.io.discover import LOCK_NAME
from qualipress.io.files import exclusive_lock, remove_stale_temps, temp_prefix
from qualipress.io.readers import why_unreadable
from qualipress.pipeline.runner import run_tasks
from qualipress.pipeline.schedule import run_by_sequence, sequence_key
from qualipress.progress import announce


def source_list(inputs: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """``(absolute path, relative name)`` of every frame file in the inputs.

    Files found in a directory are named relative to it; files given directly by their name alone.
    """
    out: list[tuple[Path, str]] = []
    seen: dict[str, Path] = {}
    for item in inputs:
        root = Path(os.path.abspath(item))  # absolute: workers may run in another directory
        for p in find_frames([root]):
            rel = p.relative_to(root).as_posix() if root.is_dir() else p.name
            if rel in seen:  # as compress, which refuses inputs writing the same output name
                common = os.path.commonpath([seen[rel].parent, p.parent])
                raise InputError(f"{seen[rel]} and {p} would both be stored as {rel!r}: archive their common "
                                 f"folder {common} (names then keep their sub-folders, which restore "
                                 "recreates), or archive them into separate -o folders")
            seen[rel] = p
            out.append((p, rel))
    return out


def left_out(inputs: Iterable[str | Path], outdir: str | Path, earlier: list[Path] | None = None,
             links: list[Path] | None = None) -> list[Path]:
    """Files inside the input directories that are not frame files, so :func:`archive_paths` does not store
    them (checksum lists, notes, XML sidecars); hidden files and anything under ``outdir`` are not counted, nor
    anything inside an earlier qualipress output folder that discovery skipped (:func:`qualipress.io.find_images`:
    those folders are added to ``earlier`` when given). File links to frames, which discovery takes once, under
    their targets' names, go to ``links`` when given (:func:`frame_links` records them).

    One discovery pass names the frames and the skipped folders; one more walk of each input directory, which
    does not enter ``outdir`` nor the skipped folders, lists the other files."""
    inputs = list(inputs)
    skipped: list[Path] = []
    # by real path: a link to a frame that is archived by its own path is not a left-out file
    found_frames = find_images(inputs, suffixes=FRAME_EXTENSIONS, skipped_outputs=skipped)
    frames = {os.path.realpath(f.path) for f in found_frames}
    own = {str(f.path) for f in found_frames}
    if earlier is not None:
        earlier += skipped
    ignored = {os.path.abspath(outdir), *(os.path.abspath(d) for d in skipped)}
    extra: list[Path] = []
    for item in inputs:
        root = os.path.abspath(item)
        if not os.path.isdir(root):
            continue
        found: list[Path] = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if os.path.join(folder, d) not in ignored]
            found += [p for name in files if not name.startswith(".")
                      and os.path.realpath(p := Path(folder, name)) not in frames and p.is_file()]
            if links is not None:
                links += sorted(p for name in files if (p := Path(folder, name)).is_symlink()
                                and str(p) not in own and os.path.realpath(p) in frames)
        extra += sorted(found)
    return extra


def frame_links(inputs: Iterable[str | Path], links: list[Path], names: dict[str, Path],
                earlier: dict[str, dict[str, Any]] | None = None
                ) -> tuple[list[dict[str, Any]], list[tuple[Path, str]]]:
    """Split the links to frames that discovery took once, under their targets' names (``links``, from
    :func:`left_out`), into link records (``status`` :data:`manifest.LINK`: the link's relative name and its
    ``readlink`` text) for those whose relative target names, inside the archived folder, a frame archived by its
    own name or another such link (``names``: the archived relative names, and their paths) that is the link's
    own target, and ``(path, relative name)`` of the others (an absolute target, one that climbs out of the folder
    or passes through a linked folder), which are archived as frames of their own, a copy of their target's
    content: restore writes them as regular files. A link named on the command line is named by its file name, as
    the frames named there (qa20film: ``archive shot/*.dpx`` copied the links that ``archive shot`` records). A
    target archived by an earlier run and not among the inputs (``earlier``: the archive's records by relative
    name) counts as archived when the file it was archived from is still there as it was (:func:`_archived_as_is`;
    rev20b: a later run that named only the link turned its record into a copy, and the next full run back into a
    link, encoding it each time). A link whose relative name is already taken
    (``names``, or a link of another input) raises InputError."""
    roots = [Path(os.path.abspath(i)) for i in inputs]
    found, seen = [], dict(names)
    for p in links:
        root = next(r for r in roots if p.is_relative_to(r))
        rel = p.relative_to(root).as_posix() if root != p else p.name  # a link named on the command line
        if seen.get(rel) == p:  # rev19e: found again by a walk of an enclosing input (it clashed with itself)
            continue
        if rel in seen:  # rev19c: a link and a frame (or link) of another input: each rerun swapped which was kept
            raise InputError(f"{seen[rel]} and the link {p} would both be stored as {rel!r}: archive their "
                             "common folder, or archive them into separate -o folders")
        seen[rel] = p
        found.append((p, rel, os.readlink(p)))
    records, copies = [], []
    for p, rel, target in found:
        to = manifest.link_target(rel, target) if manifest.link_escape(rel, target) is None else None
        named = None if to is None else seen.get(to) or _archived_as_is((earlier or {}).get(to))
        if named is not None and os.path.realpath(named) == os.path.realpath(p):  # the archived file it reads
            fn = parse_name(p)
            records.append({"kind": "lossless", "status": manifest.LINK, "source": rel, "target": target,
                            "sequence": Path(rel).parent.as_posix() + "/" + fn.sequence.rsplit("/", 1)[-1],
                            "frame": fn.number, "mtime_ns": os.lstat(p).st_mtime_ns})
        else:
            copies.append((p, rel))
    return records, copies


def _archived_as_is(rec: dict[str, Any] | None) -> Path | None:
    """The file an archived frame's record ``rec`` was read from, when it is still there as it was then: a regular
    file (not a link) with the recorded size and mtime; None otherwise."""
    if not rec or rec.get("status") != "ok" or not rec.get("source_path"):
        return None
    path = Path(rec["source_path"])
    try:
        st = os.lstat(path)
    except OSError:
        return None
    same = (st.st_size, st.st_mtime_ns) == (rec.get("source_bytes"), rec.get("mtime_ns"))
    return path if stat.S_ISREG(st.st_mode) and same else None


def check_writable(outdir: Path) -> None:
    """Create ``outdir`` and prove a file can be written there.

    Raises
    ------
    OutputError
    """
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix() + "probe.", dir=outdir)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"{outdir}: output directory is not writable ({exc.strerror or exc})") from exc


def _read_source(task: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    """Stage 1 (I/O): the frame's bytes and its record so far; ``None`` and an error record when unreadable."""
    src = Path(task["path"])
    rec: dict[str, Any] = {"kind": "lossless", "source": task["rel"], "source_path": str(src)}
    if task.get("link"):  # a link archived as a copy of its target's content (frame_links)
        rec["link_copied"] = task["link"]
    fn = parse_name(src)
    rec.update(sequence=Path(task["rel"]).parent.as_posix() + "/" + fn.sequence.rsplit("/", 1)[-1],
               frame=fn.number)
    try:
        st = src.stat()
        rec.update(source_bytes=st.st_size, mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns,
                   mode=stat.S_IMODE(st.st_mode))
        data = src.read_bytes()
    except OSError as exc:
        rec.update(status="error", error=f"{src}: cannot read ({why_unreadable(src, exc)})", error_type="InputError")
        return rec, None
    return rec, data


def _encode_source(task: dict[str, Any], rec: dict[str, Any], data: bytes) -> bytes | None:
    """Stage 2 (CPU): the ``.qpl`` bytes, proven to restore; ``None`` (record updated) on failure."""
    try:
        out, info = lossless.archive_bytes(data, name=Path(task["path"]).name, codecs=tuple(task["codecs"]),
                                           effort=int(task["effort"]), select=task.get("select", "probe"),
                                           threads=int(task.get("threads") or 1))
    except QualipressError as exc:
        rec.update(status="error", error=str(exc), error_type=type(exc).__name__)
        return None
    except MemoryError:
        rec.update(status="error", error="out of memory", error_type="MemoryError")
        return None
    except Exception as exc:  # a bug or a backend failure: this frame's record, not the end of the batch
        rec.update(status="error", error=f"unexpected {type(exc).__name__}: {exc}", error_type=type(exc).__name__)
        return None
    rec.update(info)
    return out


def _write_output(task: dict[str, Any], rec: dict[str, Any], out: bytes) -> dict[str, Any]:
    """Stage 3 (I/O): write atomically, re-read, complete the record."""
    rel_out = lossless.archive_name(Path(task["rel"])).as_posix()
    dst = Path(task["outdir"]) / rel_out
    try:
        atomic_write_bytes(dst, out)
        if sha256_file(dst) != sha256_bytes(out):  # re-read what landed on disk
            raise OutputError(f"{dst}: written bytes differ from the archive in memory")
        ost = dst.stat()
    except QualipressError as exc:
        rec.update(status="error", error=str(exc), error_type=type(exc).__name__)
        return rec
    except OSError as exc:  # the written file vanished or became unreadable before it was re-read
        rec.update(status="error", error=f"{dst}: cannot re-read ({exc.strerror or exc})", error_type="OutputError")
        return rec
    rec.update(status="ok", output=rel_out, output_sha256=sha256_bytes(out), output_bytes=len(out),
               output_mtime_ns=ost.st_mtime_ns, output_ctime_ns=ost.st_ctime_ns)  # see _done
    return rec


def _archive_task(task: dict[str, Any]) -> dict[str, Any]:
    """Worker: archive one source file; always returns a record (status ok / error)."""
    rec, data = _read_source(task)
    if data is None:
        return rec
    out = _encode_source(task, rec, data)
    return rec if out is None else _write_output(task, rec, out)


def archive_stream(tasks: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Archive frames in order, overlapping I/O with encoding: while frame *k* is encoded, frame *k+1* is read
    and frame *k−1* written (by two helper threads; the coders and hashing release the GIL).

    Yields one record per task, in task order.
    """
    from concurrent.futures import ThreadPoolExecutor

    if not tasks:
        return
    with ThreadPoolExecutor(1, thread_name_prefix="qp-read") as reader, \
            ThreadPoolExecutor(1, thread_name_prefix="qp-write") as writer:
        nxt = reader.submit(_read_source, tasks[0])
        pending = None
        for k, task in enumerate(tasks):
            rec, data = nxt.result()
            if k + 1 < len(tasks):
                nxt = reader.submit(_read_source, tasks[k + 1])
            out = _encode_source(task, rec, data) if data is not None else None
            del data
            if pending is not None:
                yield pending.result()
                pending = None
            if out is None:
                yield rec
            else:
                pending = writer.submit(_write_output, task, rec, out)
            del out
        if pending is not None:
            yield pending.result()


@dataclass
class BatchResult:
    """What a batch did: records of processed frames, skipped (already done) sources, errors."""

    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: Those of :attr:`skipped` that an earlier run archived as damaged (so a resumed run still says so).
    skipped_damaged: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: Link records written by this run, and those an earlier run recorded (:func:`frame_links`).
    links: list[dict[str, Any]] = field(default_factory=list)
    links_kept: list[dict[str, Any]] = field(default_factory=list)
    #: ``"name -> target"`` of links archived as copies of their targets (absolute, or leaving the folder).
    link_copies: list[str] = field(default_factory=list)
    #: What :func:`left_out` found: files that are not frames, and earlier output folders skipped.
    left_out: list[Path] = field(default_factory=list)
    earlier: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("status") != "ok"]


def _done(rec: dict[str, Any] | None, path: Path, outdir: Path) -> tuple[bool, dict[str, Any] | None]:
    """Whether ``path`` is archived as ``rec`` says, judged on file attributes, reading a file only when they
    moved: the source has its recorded size and mtime, and, when its inode change time moved since (a frame
    replaced by a copy that kept size and mtime, ``cp -p`` or ``rsync -t``; also a chmod or a rename), the
    archived SHA-256; the output has its recorded size, and, when its mtime or inode change time moved since it
    was written (edited in place, keeping its size; also a chmod or a copy of the archive), its recorded
    SHA-256. Silent decay of the storage itself changes no attribute: ``verify`` reads every byte for that.

    With it, ``rec`` with the new times when a SHA-256 had to decide (None otherwise): appended to the manifest,
    so that a chmod or a copy of a folder costs one re-read of each file, not one per rerun."""
    if not rec or rec.get("status") != "ok":
        return False, None
    out = outdir / rec["output"]
    try:
        st, ost = path.stat(), out.stat()
    except OSError:
        return False, None
    if not (rec.get("source_bytes") == st.st_size and rec.get("mtime_ns") == st.st_mtime_ns
            and stat.S_ISREG(ost.st_mode) and ost.st_size == rec.get("output_bytes")):
        return False, None
    fresh: dict[str, Any] = {}
    try:
        # manifests before QA session 17 have no ctime_ns; before session 18 no output times (hashed once)
        if rec.get("ctime_ns") not in (None, st.st_ctime_ns):
            if sha256_file(path) != rec.get("source_sha256"):
                return False, None
            fresh["ctime_ns"] = st.st_ctime_ns
        if (rec.get("output_mtime_ns"), rec.get("output_ctime_ns")) != (ost.st_mtime_ns, ost.st_ctime_ns):
            if sha256_file(out) != rec.get("output_sha256"):
                return False, None
            fresh.update(output_mtime_ns=ost.st_mtime_ns, output_ctime_ns=ost.st_ctime_ns)
    except OSError:
        return False, None
    return True, ({**rec, **fresh} if fresh else None)


def archive_paths(inputs: Iterable[str | Path], outdir: str | Path, *, jobs: int = 1,
                  scheduler: str | None = None, codecs: tuple[str, ...] = lossless.FAST_CODECS,
                  effort: int = lossless.DEFAULT_EFFORT, select: str = "probe", threads: int = 0,
                  progress: Any = None) -> BatchResult:
    """Archive every frame of ``inputs`` losslessly into ``outdir`` (resumable).

    Frames already in ``outdir/manifest.jsonl`` with an unchanged source and an intact output are skipped;
    leftover temporary files of an interrupted run are removed first. Each finished frame is appended to the
    manifest at once; ``SHA256SUMS`` is rewritten at the end.

    Parameters
    ----------
    inputs : iterable of path
        Files and/or directories (searched recursively for frame files).
    jobs : int
        Local worker processes.
    scheduler : str, optional
        Dask scheduler address (``tcp://host:8786``).
    codecs : tuple of str
        Candidate lossless pixel codecs.
    effort : int
        JPEG XL effort.
    select : str
        ``"probe"`` (rank candidates on a sample of rows, encode once) or ``"all"`` (encode with each).
    threads : int
        Threads inside each coder; 0 = this machine's cores divided by ``jobs`` (1 on a Dask cluster).
    progress : callable, optional
        Called with each finished record (the CLI prints from it).

    Notes
    -----
    Paths are made absolute here, before anything is sent to a worker: a Dask worker runs in its own working
    directory and must never resolve a relative name. Frames are sent as per-shot chunks in frame order
    (:func:`qualipress.pipeline.schedule.run_by_sequence`): local workers take a shot's frames one at a time,
    in order, so every finished frame is recorded at once; on Dask a chunk runs as one task with reading and
    writing overlapped with encoding (:func:`archive_stream`), as do all frames without workers.

    Raises
    ------
    OutputError
        ``outdir`` cannot be written.
    InputError
        No input frame found.
    UnsupportedError
        Unknown codec or selection mode, or an effort outside 1-9 (before any work).
    """
    t0 = time.perf_counter()
    unknown = [c for c in codecs if c not in lossless.PIXEL_CODECS]
    if unknown or not codecs:
        raise UnsupportedError(f"unknown lossless pixel codec(s) {', '.join(unknown) or '(none given)'}; "
                               f"choose from {', '.join(lossless.PIXEL_CODECS)}")
    if select not in lossless.SELECT_MODES:
        raise UnsupportedError(f"unknown codec selection {select!r}; choose from {', '.join(lossless.SELECT_MODES)}")
    if not 1 <= effort <= 9:
        raise UnsupportedError(f"JPEG XL effort {effort} is outside 1-9")
    out = Path(os.path.abspath(outdir))
    srcs = source_list(inputs)
    check_writable(out)
    # one run at a time (as compress): two runs would each archive every frame into one manifest, and with other
    # --codecs leave a .qpl that need not be the one its latest record names (QA session 18)
    with exclusive_lock(out / LOCK_NAME, what=str(out)):
        remove_stale_temps(out)
        prev = manifest.archived(manifest.load(out))
        result = BatchResult()
        links: list[Path] = []
        result.left_out = left_out(inputs, out, result.earlier, links)
        named = {Path(os.path.abspath(i)) for i in inputs}  # links named one by one: as those found in folders
        direct = {p for p, _ in srcs if p in named and p.is_symlink()}
        links += sorted(direct)
        srcs = [(p, rel) for p, rel in srcs if p not in direct]
        link_recs, copies = frame_links(inputs, links, {rel: p for p, rel in srcs}, prev)
        copied = {rel: os.readlink(p) for p, rel in copies}
        result.link_copies = [f"{rel} -> {t}" for rel, t in copied.items()]
        for rec in link_recs:  # recorded once: a rerun appends a record only when the link's text changed
            old = prev.get(rec["source"]) or {}
            if old.get("status") == manifest.LINK and old.get("target") == rec["target"]:
                result.links_kept.append(rec)
            else:  # the frame this name held is superseded, as a changed frame's .qpl is replaced; removed
                if old.get("status") == "ok" and old.get("output"):  # first: stopped between the two, a rerun
                    (out / old["output"]).unlink(missing_ok=True)  # retries (rev19c: an orphan .qpl stayed)
                manifest.append(out, rec)
                result.links.append(rec)
        if threads <= 0:
            threads = 1 if scheduler else max(1, _cpu_count() // max(1, jobs))
        tasks = []
        for path, rel in [*srcs, *copies]:
            done, refreshed = _done(prev.get(rel), path, out)
            if refreshed is not None:
                manifest.append(out, refreshed)
            if done:
                result.skipped.append(rel)
                if (prev.get(rel) or {}).get("damaged"):
                    result.skipped_damaged.append(rel)
                continue
            tasks.append({"path": str(path), "rel": rel, "outdir": str(out), "codecs": list(codecs), "effort": effort,
                          "select": select, "threads": threads, "link": copied.get(rel)})

        def finish(rec: dict[str, Any]) -> None:
            manifest.append(out, rec)
            result.records.append(rec)
            if progress is not None:
                progress(rec)

        announce(progress, len(tasks))
        keys = [sequence_key(t["rel"]) for t in tasks]
        # local workers: one frame per task on the shot's lane, so each finished frame reaches the manifest at once
        # (an interruption loses none); in this process and on Dask a chunk streams with I/O overlapped
        stream = archive_stream if (scheduler or jobs <= 1) else None
        for i, rec in run_by_sequence(_archive_task, tasks, keys, jobs=jobs, scheduler=scheduler, stream=stream):
            if isinstance(rec, BaseException):
                rec = {"kind": "lossless", "source": tasks[i]["rel"], "status": "error", "error": str(rec),
                       "error_type": type(rec).__name__}
            finish(rec)
        manifest.write_sums(out, manifest.load(out))
        result.seconds = time.perf_counter() - t0
        return result


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _restore_task(task: dict[str, Any]) -> dict[str, Any]:
    src = Path(task["path"])
    rec: dict[str, Any] = {"archive": task["rel"], "output": task["out_rel"]}
    dst = Path(task["outdir"]) / task["out_rel"]
    try:
        data = src.read_bytes()
        header = lossless.container.read_header(data)
        want = header["source"]["sha256"]
        if header.get("model", {}).get("damaged"):
            rec["source_damaged"] = header["model"]["damaged"]
        if dst.exists():
            if sha256_file(dst) == want:
                # left as it is: a file of this restore got its attributes before it was renamed into place
                # (_settle), and a user's identical file keeps its own (a 0444 in the originals' folder: fix18b)
                rec.update(status="ok", sha256=want, note="already restored")
                return rec
            raise OutputError(f"{dst}: exists with other content (restore never overwrites)")
        rebuilt = lossless.restore_bytes(data, threads=int(task.get("threads") or 1))  # checks the SHA-256
        del data
        atomic_write_bytes(dst, rebuilt, overwrite=False, finish=lambda tmp: _settle(tmp, dst, want, task, rec))
        rec.update(status="ok", sha256=want, bytes=len(rebuilt))
    except OSError as exc:
        rec.update(status="error", error=f"{src}: {exc.strerror or exc}")
    except QualipressError as exc:
        msg = str(exc)
        rec.update(status="error", error=f"{task['rel']}: {msg}" if msg.startswith("damaged") else msg,
                   error_type=type(exc).__name__)
    return rec


def _settle(tmp: Path, dst: Path, want: str, task: dict[str, Any], rec: dict[str, Any]) -> None:
    """Check a restored frame's temporary file ``tmp`` against the recorded SHA-256 ``want`` and give it its
    recorded mode and mtime, before it is renamed to ``dst``: a file that does not match never lands (every rerun
    refused it as "other content": QA session 18), and one in place has its attributes (a restore stopped between
    the rename and the attributes left today's mtime and the umask's mode: QA session 18).

    Raises
    ------
    OutputError
        ``tmp`` does not match (it is removed, nothing is renamed).
    """
    if sha256_file(tmp) != want:
        raise OutputError(f"{dst}: restored file on disk does not match the recorded SHA-256 (removed)")
    _restore_attributes(tmp, task.get("attrs") or {}, rec)


def _restore_attributes(dst: Path, attrs: dict[str, Any], rec: dict[str, Any]) -> None:
    """Give a restored file the permission bits and modification time its source had when archived (as the
    manifest recorded them; archives made before these were recorded keep the umask's mode and today's time)."""
    try:
        if attrs.get("mode") is not None:
            os.chmod(dst, int(attrs["mode"]))
        if attrs.get("mtime_ns") is not None:
            os.utime(dst, ns=(int(attrs["mtime_ns"]), int(attrs["mtime_ns"])))
    except OSError as exc:
        rec["note"] = f"mode/mtime not restored ({exc.strerror or exc})"


def _restore_link(rec: dict[str, Any], out: Path, listed: str | None = None) -> dict[str, Any]:
    """Recreate a link record's symbolic link under ``out`` with its recorded text, and read it back. Refused
    (an error record, nothing written) when the link or what it names would leave ``out`` (:func:`manifest.link_escape`:
    an edited manifest), when the record differs from its ``SHA256SUMS`` line (``listed``, its
    :func:`manifest.link_digest`, when there is one), or when something else is at its name (never replaced); a
    link already there with the same text is left alone. The link is never followed: nothing is written through it."""
    rel, target = str(rec.get("source") or ""), str(rec.get("target") or "")
    res: dict[str, Any] = {"source": f"link {rel} -> {target}", "output": rel, "target": target, "link": True}
    dst = out / rel
    why = manifest.link_escape(rel, target)
    if why is None and listed not in (None, manifest.link_digest(rec)):
        why = f"its record differs from the one {manifest.SUMS} lists"
    if why is None and not Path(os.path.realpath(dst.parent)).is_relative_to(os.path.realpath(out)):
        why = "its folder in the restore folder is a link to elsewhere"
    try:
        if why is not None:
            raise OutputError(f"{rel} -> {target}: link not recreated ({why})")
        if os.path.lexists(dst):
            if not (dst.is_symlink() and os.readlink(dst) == target):
                raise OutputError(f"{dst}: exists and is not the link -> {target} (restore never overwrites)")
            res["note"] = "already restored"
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, dst)
            if os.readlink(dst) != target:
                raise OutputError(f"{dst}: the link reads back as {os.readlink(dst)!r}, recorded {target!r}")
            if rec.get("mtime_ns") is not None and os.utime in os.supports_follow_symlinks:
                try:  # the link's time, not its target's; the link is made: a failure here is a note, as a frame's
                    os.utime(dst, ns=(int(rec["mtime_ns"]),) * 2, follow_symlinks=False)  # (qa20film: "cannot
                except OSError as exc:  # create the link", error, for a link in place with its text)
                    res["note"] = f"link recreated, its mtime not restored ({exc.strerror or exc})"
        res["status"] = "ok"
    except OutputError as exc:
        res.update(status="error", error=str(exc), error_type="OutputError")
    except OSError as exc:
        res.update(status="error", error=f"{dst}: cannot create the link ({exc.strerror or exc})",
                   error_type="OutputError")
    return res


def missing_frames(root: Path, archived: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Error records for frames the archive's ``manifest.jsonl`` lists as archived whose ``.qpl`` is gone
    (``archived``: :func:`manifest.archived` of it, when the caller has read it already)."""
    out = []
    archived = manifest.archived(manifest.load(root)) if archived is None else archived
    for src, rec in sorted(archived.items()):
        if rec.get("status") == "ok" and rec.get("output") and not (root / rec["output"]).is_file():
            out.append({"archive": rec["output"], "output": src, "status": "error", "error_type": "InputError",
                        "error": f"missing from the archive: {rec['output']} (listed in {manifest.MANIFEST} "
                                 f"for {src})"})
    return out


def restore_archive(archive: str | Path, outdir: str | Path, *, jobs: int = 1, scheduler: str | None = None,
                    threads: int = 0, progress: Any = None) -> BatchResult:
    """Rebuild every archived frame (``*.qpl`` below ``archive``) byte for byte under ``outdir``.

    Each restored file is checked against the SHA-256 recorded at archive time; an existing identical file is
    left alone (so an interrupted restore can be rerun), a different one is never overwritten. A frame the
    archive's manifest lists but whose ``.qpl`` is gone is an error record naming it; a ``.qpl`` whose header or
    a section fails its hash is an error record saying "damaged" and naming the section. ``threads`` go to the
    decoders that take them (0 = cores ÷ ``jobs``; 1 on a Dask cluster).

    Raises
    ------
    InputError
        No ``.qpl`` file in ``archive`` and none listed in its manifest.
    OutputError
        ``outdir`` cannot be written, or another restore is writing there.
    """
    t0 = time.perf_counter()
    root = Path(os.path.abspath(archive))  # absolute: workers may run in another directory
    # the last record per name: a link recorded after its name held a frame stands for that name (its old .qpl
    # is not restored); manifests from before link records have none
    archived = manifest.archived(manifest.load(root))  # read once: a 100,000-frame manifest is not small
    listed: dict[str, str] = {}
    manifest.read_sums(root, listed)  # link records' digests (qa20film)
    links = [r for r in archived.values() if r.get("status") == manifest.LINK]
    linked = {lossless.archive_name(Path(str(r["source"]))).as_posix() for r in links  # one restore refuses
              if not manifest.link_escape(str(r.get("source") or ""), str(r.get("target") or ""))}  # has no name
    files = sorted(p for p in root.rglob("*" + lossless.SUFFIX) if not p.name.startswith(".")
                   and p.relative_to(root).as_posix() not in linked)
    missing = missing_frames(root, archived)
    if not files and not missing and not links:
        raise InputError(f"{root}: no archived frames (*{lossless.SUFFIX})")
    out = Path(os.path.abspath(outdir))
    check_writable(out)
    # two restores into one folder: each frame twice. The folder itself is locked: a lock file would be one file
    # more than the originals there, and make the folder an output folder that runs over its parent skip
    with exclusive_lock(out, what=str(out)):
        remove_stale_temps(out)
        attrs = {r["output"]: {"mode": r.get("mode"), "mtime_ns": r.get("mtime_ns")}
                 for r in archived.values() if r.get("status") == "ok" and r.get("output")}
        if threads <= 0:
            threads = 1 if scheduler else max(1, _cpu_count() // max(1, jobs))
        tasks = []
        for p in files:
            rel = p.relative_to(root).as_posix()
            tasks.append({"path": str(p), "rel": rel, "outdir": str(out), "out_rel": rel[: -len(lossless.SUFFIX)],
                          "attrs": attrs.get(rel), "threads": threads})
        result = BatchResult()
        announce(progress, len(missing) + len(tasks) + len(links))
        for rec in missing:
            result.records.append(rec)
            if progress is not None:
                progress(rec)
        for i, rec in run_tasks(_restore_task, tasks, jobs=jobs, scheduler=scheduler):
            if isinstance(rec, BaseException):
                rec = {"archive": tasks[i]["rel"], "status": "error", "error": str(rec)}
            result.records.append(rec)
            if progress is not None:
                progress(rec)
        for link in links:  # after the frames they name
            rec = _restore_link(link, out, listed.get(str(link.get("source"))))
            result.records.append(rec)
            if progress is not None:
                progress(rec)
        result.seconds = time.perf_counter() - t0
        return result


__all__ = ["FRAME_EXTENSIONS", "BatchResult", "archive_paths", "archive_stream", "check_writable", "missing_frames",
           "restore_archive", "source_list"]
