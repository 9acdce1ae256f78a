"""Atomic writes and hashes: an output is either complete or absent, never half-written."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from qualipress.errors import OutputError


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of a byte string."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def atomic_write_bytes(path: str | Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory and an atomic rename.

    Parameters
    ----------
    path : str or pathlib.Path
    data : bytes
    overwrite : bool
        When False, refuse to replace an existing file.

    Returns
    -------
    pathlib.Path

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
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".part", dir=p.parent)
    except OSError as exc:
        raise OutputError(f"{p.parent}: cannot write here ({exc.strerror or exc})") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"{p}: write failed ({exc.strerror or exc})") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return p


def remove_partials(directory: str | Path) -> int:
    """Delete leftover ``.*.part`` temporaries of interrupted writes below ``directory``; return how many."""
    n = 0
    root = Path(directory)
    if not root.is_dir():
        return 0
    for tmp in root.rglob(".*.part"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            n += 1
    return n
