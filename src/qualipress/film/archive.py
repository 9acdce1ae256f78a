"""Batch lossless archive, restore and their resume logic (``qualipress archive`` / ``qualipress restore``)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualipress.errors import InputError, OutputError, QualipressError
from qualipress.film import lossless, manifest
from qualipress.film.parallel import run_tasks
from qualipress.film.sequence import FRAME_EXTENSIONS, expand_inputs, parse_name
from qualipress.io import atomic_write_bytes, sha256_bytes, sha256_file
from qualipress.io.files import TEMP_PREFIX, remove_stale_temps


def source_list(inputs: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """``(path, relative name)`` of every frame file in the inputs.

    Files found in a directory are named relative to it; files given directly by their name alone.
    """
    out: list[tuple[Path, str]] = []
    seen: set[str] = set()
    for item in inputs:
        root = Path(item)
        for p in expand_inputs([root]):
            rel = p.relative_to(root).as_posix() if root.is_dir() else p.name
            if rel in seen:
                raise InputError(f"two inputs would be stored as {rel!r}; archive them separately")
            seen.add(rel)
            out.append((p, rel))
    return out


def check_writable(outdir: Path) -> None:
    """Create ``outdir`` and prove a file can be written there.

    Raises
    ------
    OutputError
    """
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}.", suffix=".probe", dir=outdir)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"{outdir}: output directory is not writable ({exc.strerror or exc})") from exc


def _archive_task(task: dict[str, Any]) -> dict[str, Any]:
    """Worker: archive one source file; always returns a record (status ok / error)."""
    src = Path(task["path"])
    rec: dict[str, Any] = {"kind": "lossless", "source": task["rel"], "source_path": str(src.resolve())}
    fn = parse_name(src)
    rec.update(sequence=Path(task["rel"]).parent.as_posix() + "/" + fn.sequence.rsplit("/", 1)[-1],
               frame=fn.number)
    try:
        st = src.stat()
        rec.update(source_bytes=st.st_size, mtime_ns=st.st_mtime_ns)
        try:
            data = src.read_bytes()
        except OSError as exc:
            raise InputError(f"{src}: cannot read ({exc.strerror or exc})") from exc
        out, info = lossless.archive_bytes(data, name=src.name, codecs=tuple(task["codecs"]),
                                           effort=int(task["effort"]))
        rel_out = lossless.archive_name(Path(task["rel"])).as_posix()
        dst = Path(task["outdir"]) / rel_out
        atomic_write_bytes(dst, out)
        if sha256_file(dst) != sha256_bytes(out):  # re-read what landed on disk
            raise OutputError(f"{dst}: written bytes differ from the archive in memory")
        rec.update(info, status="ok", output=rel_out, output_sha256=sha256_bytes(out), output_bytes=len(out))
    except QualipressError as exc:
        rec.update(status="error", error=str(exc), error_type=type(exc).__name__)
    except MemoryError:
        rec.update(status="error", error="out of memory", error_type="MemoryError")
    return rec


@dataclass
class BatchResult:
    """What a batch did: records of processed frames, skipped (already done) sources, errors."""

    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("status") != "ok"]


def _done(rec: dict[str, Any] | None, path: Path, outdir: Path) -> bool:
    if not rec or rec.get("status") != "ok":
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    out = outdir / rec["output"]
    return (rec.get("source_bytes") == st.st_size and rec.get("mtime_ns") == st.st_mtime_ns
            and out.is_file() and out.stat().st_size == rec.get("output_bytes"))


def archive_paths(inputs: Iterable[str | Path], outdir: str | Path, *, jobs: int = 1,
                  scheduler: str | None = None, codecs: tuple[str, ...] = lossless.PIXEL_CODECS,
                  effort: int = 5, progress: Any = None) -> BatchResult:
    """Archive every frame of ``inputs`` losslessly into ``outdir`` (resumable).

    Frames already in ``outdir/manifest.jsonl`` with an unchanged source and an intact output are skipped;
    leftover temporary files of an interrupted run are removed first. Each finished frame is appended to the
    manifest at once; ``SHA256SUMS`` is rewritten at the end.

    Parameters
    ----------
    inputs : iterable of path
        Files and/or directories (searched recursively for frame files).
    outdir : path
    jobs : int
        Local worker processes.
    scheduler : str, optional
        Dask scheduler address (``tcp://host:8786``).
    codecs : tuple of str
        Lossless pixel codecs to try.
    effort : int
        JPEG XL effort.
    progress : callable, optional
        Called with each finished record (the CLI prints from it).

    Returns
    -------
    BatchResult

    Raises
    ------
    OutputError
        ``outdir`` cannot be written.
    InputError
        No input frame found.
    """
    t0 = time.perf_counter()
    out = Path(outdir)
    srcs = source_list(inputs)
    check_writable(out)
    remove_stale_temps(out)
    prev = manifest.latest(manifest.load(out))
    result = BatchResult()
    tasks = []
    for path, rel in srcs:
        if _done(prev.get(rel), path, out):
            result.skipped.append(rel)
            continue
        tasks.append({"path": str(path), "rel": rel, "outdir": str(out), "codecs": list(codecs), "effort": effort})
    for i, rec in run_tasks(_archive_task, tasks, jobs=jobs, scheduler=scheduler):
        if isinstance(rec, BaseException):
            rec = {"kind": "lossless", "source": tasks[i]["rel"], "status": "error", "error": str(rec),
                   "error_type": type(rec).__name__}
        manifest.append(out, rec)
        result.records.append(rec)
        if progress is not None:
            progress(rec)
    manifest.write_sums(out, manifest.load(out))
    result.seconds = time.perf_counter() - t0
    return result


def _restore_task(task: dict[str, Any]) -> dict[str, Any]:
    src = Path(task["path"])
    rec: dict[str, Any] = {"archive": task["rel"], "output": task["out_rel"]}
    dst = Path(task["outdir"]) / task["out_rel"]
    try:
        data = src.read_bytes()
        header = lossless.container.read_header(data)
        want = header["source"]["sha256"]
        if dst.exists():
            if sha256_file(dst) == want:
                rec.update(status="ok", sha256=want, note="already restored")
                return rec
            raise OutputError(f"{dst}: exists with other content (restore never overwrites)")
        info = lossless.restore_file(src, dst)
        if sha256_file(dst) != want:
            raise OutputError(f"{dst}: restored file on disk does not match the recorded SHA-256")
        rec.update(status="ok", sha256=info["sha256"], bytes=info["bytes"])
    except OSError as exc:
        rec.update(status="error", error=f"{src}: {exc.strerror or exc}")
    except QualipressError as exc:
        rec.update(status="error", error=str(exc), error_type=type(exc).__name__)
    return rec


def restore_archive(archive: str | Path, outdir: str | Path, *, jobs: int = 1, scheduler: str | None = None,
                    progress: Any = None) -> BatchResult:
    """Rebuild every archived frame (``*.qpl`` below ``archive``) byte for byte under ``outdir``.

    Each restored file is checked against the SHA-256 recorded at archive time; an existing identical file is
    left alone (so an interrupted restore can be rerun), a different one is never overwritten.

    Raises
    ------
    InputError
        No ``.qpl`` file in ``archive``.
    OutputError
        ``outdir`` cannot be written.
    """
    t0 = time.perf_counter()
    root = Path(archive)
    files = sorted(p for p in root.rglob("*" + lossless.SUFFIX) if not p.name.startswith("."))
    if not files:
        raise InputError(f"{root}: no archived frames (*{lossless.SUFFIX})")
    out = Path(outdir)
    check_writable(out)
    remove_stale_temps(out)
    tasks = []
    for p in files:
        rel = p.relative_to(root).as_posix()
        tasks.append({"path": str(p), "rel": rel, "outdir": str(out), "out_rel": rel[: -len(lossless.SUFFIX)]})
    result = BatchResult()
    for i, rec in run_tasks(_restore_task, tasks, jobs=jobs, scheduler=scheduler):
        if isinstance(rec, BaseException):
            rec = {"archive": tasks[i]["rel"], "status": "error", "error": str(rec)}
        result.records.append(rec)
        if progress is not None:
            progress(rec)
    result.seconds = time.perf_counter() - t0
    return result


__all__ = ["FRAME_EXTENSIONS", "BatchResult", "archive_paths", "check_writable", "restore_archive", "source_list"]
