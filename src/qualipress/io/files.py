"""File primitives every batch uses: atomic writes, durable JSON-lines, hashes and temp-file cleanup.

An output is either complete or absent, never half-written. Temporary files carry :data:`TEMP_PREFIX`, the id
of the process that made them and a tag of its host, so cleanup removes only qualipress's own leftovers of this
host's processes that are gone (never a user's ``.something.part`` file, never a temp file of a run still working,
here or on another host sharing the storage).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError, OutputError
from qualipress.io.discover import LOCK_NAME

#: Name prefix of every temporary file and folder qualipress creates:
#: ``.qualipress-tmp.<pid>.<host tag>.<random>[.<final name>]`` (:func:`temp_prefix`).
TEMP_PREFIX = ".qualipress-tmp."
#: A temporary name: its process id and its host's tag (a name without a tag does not match and is left alone:
#: whose host made it is unknown).
_TEMP_RE = re.compile(re.escape(TEMP_PREFIX) + r"(\d+)\.([0-9a-f]{8})\.")


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of a byte string."""
    return hashlib.sha256(data).hexdigest()


def pixel_digest(pixels: np.ndarray) -> bytes:
    """SHA-256 of a pixel array's dtype, shape and buffer (C order): equal digests, equal arrays.

    Parameters
    ----------
    pixels : numpy.ndarray
        Any array (copied only when it is not C-contiguous).

    Returns
    -------
    bytes
        The 32-byte digest.
    """
    h = hashlib.sha256(f"{pixels.dtype.str}{pixels.shape}".encode())
    h.update(np.ascontiguousarray(pixels).data)
    return h.digest()


def sha256_file(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def new_file_mode() -> int:
    """Permission bits a plain ``open(path, "w")`` would give a new file under the current umask."""
    mask = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                mask = int(line.split()[1], 8)
    if mask is None:  # no procfs: read the umask by setting it (and putting it back at once)
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


#: Bytes of the target's name a temporary file keeps (its end, so the extension shows): with the prefix, the
#: process id, the host tag and mkstemp's 8 characters the temporary name (at most 16 + 7 + 1 + 8 + 1 + 8 + 1 + 80 =
#: 122 bytes) stays far below the usual 255-byte name limit.
TEMP_NAME_TAIL = 80


def _name_tail(name: str) -> str:
    """The end of ``name`` in at most :data:`TEMP_NAME_TAIL` bytes as the file system stores it, cut between
    characters (80 *characters* of a Japanese name are 240 bytes)."""
    tail = name[-TEMP_NAME_TAIL:]
    while len(os.fsencode(tail)) > TEMP_NAME_TAIL:
        tail = tail[1:]
    return tail


@contextlib.contextmanager
def atomic_path(path: str | Path, *, overwrite: bool = True,
                finish: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on a clean exit it is renamed over ``path`` atomically (and the folder
    fsynced, where the platform allows it).

    For libraries that write by file name (the temp name ends with ``path``'s name, so its extension is kept).
    The file gets the mode a normal write would (umask respected; an overwritten file keeps its mode). ``finish``,
    when given, is called with the temporary file once written and given that mode, before the rename: a check of
    what landed on disk, or attributes to set, so the file is never in place without them; what it raises stops
    the write (the temporary file is removed).

    Raises
    ------
    OutputError
        Directory not writable, disk full, or the file exists and ``overwrite`` is False.
    """
    p = Path(path)
    if not overwrite and p.exists():
        raise OutputError(f"{p}: exists (use --overwrite to replace it)")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), suffix="." + _name_tail(p.name),
                                   dir=p.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"{p.parent}: cannot write here ({exc.strerror or exc})") from exc
    try:
        yield Path(tmp)
        try:
            mode = stat.S_IMODE(p.stat().st_mode)
        except OSError:
            mode = new_file_mode()
        os.chmod(tmp, mode)
        if finish is not None:
            finish(Path(tmp))
        os.replace(tmp, p)
    except OSError as exc:
        raise OutputError(f"{p}: write failed ({exc.strerror or exc})") from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    fsync_dir(p.parent)  # the rename itself durable: without it a power cut can leave the old file, or none


#: Seconds a file's last change must lie before it is looked at for :func:`file_state` to vouch for it: a write in
#: the same timestamp tick as that look would keep every attribute (2 s: FAT's tick; coarse kernel clocks).
_SETTLED_S = 2


def file_state(path: str | Path) -> tuple[int, ...] | None:
    """``path``'s attributes (device, inode, size, mtime and inode change time) when it is taken before a hash, for
    :func:`require_unchanged`; None when the file changed too recently for them to tell a later write (then the
    check re-hashes), or cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if max(st.st_mtime_ns, st.st_ctime_ns) > time.time_ns() - _SETTLED_S * 10**9:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def require_unchanged(source: str | Path, sha: str, state: tuple[int, ...] | None = None) -> None:
    """Refuse to go on when ``source`` is no longer the file whose SHA-256 ``sha`` a run took before reading it.

    Called once every read of the source is done, before anything made from it is written: a file replaced or
    rewritten meanwhile (a rescan landing mid-run) would give an output made from other bytes than the record's
    hash names. The rerun then takes the file as it is. With ``state``, :func:`file_state` taken
    before the hash, the file is re-hashed only when its attributes moved (a write, a replacement, even one keeping
    size and mtime, moves the inode or its change time); a re-hash costs ~25 ms per 12 MB film frame.

    Raises
    ------
    InputError
        The source changed or disappeared.
    """
    if state is not None and state == file_state(source):
        return
    try:
        now = sha256_file(source)
    except OSError as exc:
        raise InputError(f"{source}: disappeared while it was being processed ({exc.strerror or exc}); nothing "
                         "written") from None
    if now != sha:
        raise InputError(f"{source}: changed while it was being processed (its SHA-256 is not the one read at the "
                         "start); nothing written: rerun to take it as it is now")


def check_name_length(path: str | Path) -> None:
    """Refuse a file name longer than its folder's file system allows (``NAME_MAX``, 255 bytes on most).

    An output name grows from its source's (``.dpx`` → ``.avif``, a ``.xmp`` sidecar), so a source name near the
    limit gives an output name over it.

    Raises
    ------
    OutputError
        The name, encoded as the file system stores it, is over the limit.
    """
    p = Path(path)
    size = len(os.fsencode(p.name))
    try:
        limit = os.pathconf(p.parent, "PC_NAME_MAX")
    except (OSError, ValueError):  # folder not made yet, or no such setting on this system
        limit = 255
    if size > limit:
        raise OutputError(f"{p.parent}: output name {p.name!r} is {size} bytes, over this file system's {limit}-byte "
                          "limit: give the source a shorter name")


def atomic_write_bytes(path: str | Path, data: bytes, *, overwrite: bool = True,
                       finish: Callable[[Path], None] | None = None) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory, fsync and an atomic rename.

    Parameters
    ----------
    overwrite : bool
        When False, refuse to replace an existing file.
    finish : callable, optional
        Called with the written temporary file before the rename (:func:`atomic_path`).

    Raises
    ------
    OutputError
        Directory not writable, disk full, or the file exists and ``overwrite`` is False.
    """
    p = Path(path)
    with atomic_path(p, overwrite=overwrite, finish=finish) as tmp, tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return p


def atomic_write_text(path: str | Path, text: str, *, overwrite: bool = True) -> Path:
    """:func:`atomic_write_bytes` of UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def json_default(obj: Any) -> Any:
    """``json.dumps(default=...)`` of reports and markers: numpy scalars and arrays as numbers, the rest as text."""
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():  # numpy scalar
        return obj.item()
    if hasattr(obj, "tolist"):  # numpy array
        return obj.tolist()
    return str(obj)


def json_strict(obj: Any) -> Any:
    """Like :func:`json_default` for numpy values and paths, but ``TypeError`` for anything else: for records
    that are read back as state (film manifests), where an object turned into text would pass unnoticed."""
    if isinstance(obj, Path) or hasattr(obj, "tolist"):
        return json_default(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def append_jsonl(path: str | Path, record: dict[str, Any], *, sort_keys: bool = False,
                 default: Callable[[Any], Any] | None = None) -> None:
    """Append one JSON record as a line, durably (flush + fsync), torn-line safe.

    A last line torn by a killed writer (no final newline) is left as it is and the record starts on a fresh
    line, so only the torn record is lost (:func:`read_jsonl` skips it), never the next one.

    Raises
    ------
    OutputError
        The record could not be written (disk full, file-size limit, no permission).
    """
    p = Path(path)
    line = json.dumps(record, sort_keys=sort_keys, default=default or json_default) + "\n"
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with p.open("a+b") as fh:
            created = fh.seek(0, os.SEEK_END) == 0
            if not created:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    line = "\n" + line
            fh.write(line.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:  # disk full, file-size limit, read-only: a torn last line is skipped when read
        raise OutputError(f"{p}: could not append a record ({exc.strerror or exc})") from exc
    if created:  # the record is written: the directory entry's fsync is best effort (it never fails the append)
        fsync_dir(p.parent)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file in order ([] when absent); torn or non-object lines are skipped."""
    p = Path(path)
    if not p.is_file():
        return []
    out = []
    for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:  # torn by an interrupted append (or too deep / too long to be ours)
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def fsync_dir(directory: str | Path) -> None:
    """Make a rename or a new file in ``directory`` durable (best effort; not every platform allows it)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep its files
    return True


def remove_stale_temps(directory: str | Path) -> int:
    """Delete qualipress's temporary files below ``directory`` that this host's gone processes left; return how many.

    Only names made by :func:`atomic_path` (:func:`temp_prefix`) are considered, and only when the host tag is
    this host's and that process no longer exists, so a concurrent writer's temp file, here or on another host
    sharing the storage (whose process id means nothing here), and any user file are left alone. A subfolder
    holding its own :data:`~qualipress.io.discover.LOCK_NAME` is another run's output folder (``bench rd -o``
    above other runs' folders, a nested ``compress`` output): its cleanup is that run's, under its lock, and it is
    not walked into. Symbolic links to directories are not followed. A :func:`make_work_dir` folder of such a
    process is removed whole (a killed ``-o FILE`` run into this tree left its lock, its report and its partial
    output there). Names without a host tag and ``.NAME.PID.tmp`` files are left: which host, even which program,
    made them is unknown.
    """
    n = 0
    root = Path(directory)
    if not root.is_dir():
        return 0
    host = _host_tag()
    for base, dirs, files in os.walk(root):
        for d in [d for d in dirs if _left_by_dead_run(d, host) and not os.path.islink(os.path.join(base, d))]:
            shutil.rmtree(os.path.join(base, d), ignore_errors=True)
            dirs.remove(d)
            n += 1
        dirs[:] = [d for d in dirs if not os.path.lexists(os.path.join(base, d, LOCK_NAME))]
        for name in files:
            if _left_by_dead_run(name, host):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(base, name))
                    n += 1
    return n


def _left_by_dead_run(name: str, host: str) -> bool:
    """Whether ``name`` is a temporary name (:func:`temp_prefix`) that a process of the host tagged ``host`` made and
    that process is gone."""
    m = _TEMP_RE.match(name)
    return bool(m) and m.group(2) == host and not _alive(int(m.group(1)))


def _host_tag() -> str:
    """Eight hex digits naming this host (of its host name): a process id means nothing on another host."""
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def temp_prefix() -> str:
    """The name prefix of a temporary file or folder this process makes: :data:`TEMP_PREFIX`, the process id and
    this host's tag, so :func:`remove_stale_temps` and :func:`remove_stale_work_dirs` tell a killed run's leftover
    on this host from a live run's, here or on another host."""
    return f"{TEMP_PREFIX}{os.getpid()}.{_host_tag()}."


def make_work_dir(parent: str | Path) -> Path:
    """A new private folder in ``parent`` named as :func:`atomic_path`'s temporary files are (:func:`temp_prefix`),
    so :func:`remove_stale_work_dirs` can tell one a killed run on this host left from a live one."""
    return Path(tempfile.mkdtemp(prefix=temp_prefix(), dir=parent))


def remove_stale_work_dirs(parent: str | Path) -> int:
    """Delete the :func:`make_work_dir` folders directly in ``parent`` that this host made and whose process is
    gone; return how many.

    Only ``parent``'s own entries are looked at (it is a user's folder, not an output tree), never a link. A folder
    another host made is left alone whatever its process id (it may be running there), as is one named without a
    host tag.
    """
    n = 0
    host = _host_tag()
    with contextlib.suppress(OSError):
        for entry in os.scandir(parent):
            if entry.is_dir(follow_symlinks=False) and _left_by_dead_run(entry.name, host):
                shutil.rmtree(entry.path, ignore_errors=True)
                n += 1
    return n


@contextlib.contextmanager
def exclusive_lock(path: str | Path, *, what: str = "this directory") -> Iterator[Path]:
    """Hold an exclusive advisory lock on the file ``path`` (created if needed) for the ``with`` block.

    The lock is released by the kernel when the process dies, so a killed run never leaves a stale lock. The
    lock file itself is left in place (removing it would let two runs lock two different files). On platforms
    without ``fcntl`` the block runs unlocked. ``path`` may be an existing folder, locked itself where its file
    system allows (``restore``, whose output folder holds only the originals); elsewhere (NFS) the block runs
    unlocked.

    Raises
    ------
    OutputError
        Another process holds the lock (the message names its process id).
    """
    p = Path(path)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield p
        return
    folder = p.is_dir()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_RDONLY if folder else os.O_RDWR | os.O_CREAT, new_file_mode())
    except OSError as exc:
        raise OutputError(f"{p}: cannot create lock file ({exc.strerror or exc})") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if folder and exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):  # a folder cannot be locked here
                yield p
                return
            holder = "?" if folder else os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise OutputError(f"another qualipress run (pid {holder}) is writing to {what}; wait for it to "
                              f"finish or choose another output directory (lock: {p})") from None
        if not folder:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield p
    finally:
        os.close(fd)
