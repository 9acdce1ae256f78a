"""Collection manifests: ``manifest.jsonl`` (one JSON record per processed frame, appended as frames finish)
and ``SHA256SUMS`` (``sha256sum -c`` compatible list of every output file).

The manifest is the resume point of a batch: a record is appended (and fsync'ed) only after its output file has
been written atomically and checked, so after a kill the manifest lists exactly the frames that are done; a torn
last line (killed mid-append) is ignored on reading. Later records for the same source supersede earlier ones.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qualipress.io import append_jsonl, atomic_write_bytes, read_jsonl, sha256_bytes
from qualipress.io.discover import MANIFEST_NAME, SUMS_NAME
from qualipress.io.files import json_strict

MANIFEST = MANIFEST_NAME
SUMS = SUMS_NAME
#: Files of a collection directory that are not frame outputs.
COLLECTION_FILES = (MANIFEST, SUMS, "qualipress-report.jsonl", "report.html", "report.csv", "report.json",
                    "catalogue.json")


def append(outdir: Path, record: dict[str, Any]) -> None:
    """Append one record to ``outdir/manifest.jsonl`` durably (flush + fsync, torn-line safe)."""
    append_jsonl(Path(outdir) / MANIFEST, record, sort_keys=True, default=json_strict)


def load(outdir: Path) -> list[dict[str, Any]]:
    """All records of ``outdir/manifest.jsonl`` in order ([] when absent).

    A line that is not valid JSON is a record torn by a killed run (:func:`append` starts the next record on a
    fresh line); it is skipped, so that frame counts as not done and is processed again.
    """
    return read_jsonl(Path(outdir) / MANIFEST)


def latest(records: Iterable[dict[str, Any]], key: str = "source") -> dict[str, dict[str, Any]]:
    """The last record per ``key`` value."""
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        if key in r:
            out[str(r[key])] = r
    return out


def archived(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The archive's last record per source (:func:`latest` of the records that are not ``compress``'s, ``kind:
    lossy``): what ``archive`` resumes from and ``restore`` reads. A folder both write into holds compress records
    named by the same source file, written after the archive's (rev12: an archive rerun after a compress run took
    those for its frames' and archived every frame again, and restore lost the frames' mode and mtime and any
    missing ``.qpl``)."""
    return latest(r for r in records if r.get("kind") != "lossy")


def entry_key(record: dict[str, Any]) -> str:
    """What identifies a record's entry in the collection.

    ``compress`` records (``kind: lossy``) that succeeded are one per **output file**: a rerun of the same source
    with another codec, or a second stdin piped into the folder, adds a file and an entry beside the earlier one
    (both stay listed and verified); a rerun that writes the same file replaces its entry. Everything else (the
    archive's frames, failures) is one per source.
    """
    if record.get("kind") == "lossy" and record.get("status") == "ok" and record.get("output"):
        return f"output:{record['output']}"
    return f"source:{record.get('source_path') or record.get('source')}"


def current(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last record per :func:`entry_key`, in first-seen order: the entries a collection holds now."""
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        out[entry_key(r)] = r
    return list(out.values())


def write_sums(outdir: Path, records: Iterable[dict[str, Any]]) -> Path:
    """Rewrite ``SHA256SUMS`` atomically from the successful records (``output`` + ``output_sha256``), and one
    comment line per link record, ``# link <link_digest>  <name>`` (``sha256sum -c`` skips lines starting with
    ``#``): a link has no bytes to hash, so its record is hashed, and ``verify`` notices one edited or lost
    (qa20film: a link record's target could be rewritten to another frame and still verify OK)."""
    entries = current_entries(records)
    rows = sorted({(r["output"], r["output_sha256"]) for r in entries
                   if r.get("status") == "ok" and r.get("output") and r.get("output_sha256")})
    links = sorted((str(r["source"]), link_digest(r)) for r in entries if r.get("status") == LINK)
    text = b"".join(_sum_line(sha, out) for out, sha in rows)
    text += b"".join(LINK_SUM.encode() + _sum_line(d, n) for n, d in links)
    return atomic_write_bytes(Path(outdir) / SUMS, text)


#: What GNU ``sha256sum`` escapes in a name (it then starts the line with a backslash), and how.
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}


def _sum_line(digest: str, name: str) -> bytes:
    """One ``SHA256SUMS`` line as GNU ``sha256sum`` writes it: the name's bytes as the file system holds them
    (:func:`os.fsencode`: a name that is not UTF-8 stopped the run with UnicodeEncodeError, rev20b), and a name
    holding a backslash, newline or carriage return escaped, on a line that starts with a backslash (a newline
    split the entry in two, which neither ``sha256sum -c`` nor ``verify`` could read, rev20b)."""
    esc = "".join(_ESCAPES.get(c, c) for c in name)
    return ("\\" if esc != name else "").encode() + f"{digest}  ".encode() + os.fsencode(esc) + b"\n"


def _sum_entry(line: bytes) -> tuple[str, str]:
    """``(name, digest)`` of one ``SHA256SUMS`` line (:func:`_sum_line`, or ``<digest> *<name>``: binary mode).
    The digest ends at the first space; the next byte, a space or the binary mode's ``*``, is not the name's
    (rev20e: a ``sha256sum -b`` line of a name holding two spaces was split at those)."""
    escaped = line.startswith(b"\\")
    digest, _, raw = line[escaped:].partition(b" ")
    if raw[:1] in (b" ", b"*"):
        raw = raw[1:]
    name = os.fsdecode(raw)
    if escaped:
        name = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), name)
    return name, digest.decode(errors="replace").strip()


def current_entries(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Archive records: the last per source name (:func:`latest`); ``compress`` records: :func:`current`."""
    recs = list(records)
    lossy = [r for r in recs if r.get("kind") == "lossy"]
    return [*archived(recs).values(), *current(lossy)]


def read_sums(outdir: Path, links: dict[str, str] | None = None) -> dict[str, str]:
    """``{relative path: sha256}`` from ``SHA256SUMS`` ({} when absent); its link lines (:func:`write_sums`) go
    to ``links`` (``{name: link_digest}``) when given, other comment lines are skipped."""
    path = Path(outdir) / SUMS
    if not path.is_file():
        return {}
    out = {}
    mark = LINK_SUM.encode()
    for line in path.read_bytes().split(b"\n"):  # not splitlines(): a name may hold \f or \x1c
        line = line.removesuffix(b"\r")  # a list saved with CRLF line ends (sha256sum -c takes it; a CR in a name
        # is written escaped, \r)
        if line.startswith(b"#"):
            if line.startswith(mark) and links is not None:
                name, digest = _sum_entry(line[len(mark):])
                links[name] = digest
        elif line.strip():
            name, digest = _sum_entry(line)
            out[name] = digest
    return out


#: ``status`` of a manifest record that stands for a symbolic link to a frame of the archive (no payload).
LINK = "link"
#: How a link record's line in ``SHA256SUMS`` starts (a comment there: :func:`write_sums`).
LINK_SUM = "# link "


def link_digest(record: dict[str, Any]) -> str:
    """SHA-256 of what restore takes from a link record: its name, its text and its own mtime."""
    return sha256_bytes(json.dumps([record.get("source"), record.get("target"), record.get("mtime_ns")]).encode())


def link_escape(rel: str, target: str) -> str | None:
    """Why the link ``rel`` (a name relative to the archive's root) with the text ``target`` (as ``readlink``
    gives it) cannot be kept as a link that stays inside a restored tree; None when it can: a relative target
    that, read from the link's own folder, names a path under the root. An absolute target would point at the
    original scan folder (or, restored on another machine, at whatever is there), and one that climbs out of the
    tree at a file that is not restored."""
    if not target or posixpath.isabs(target):
        return "its target is an absolute path" if target else "it has no target"
    if "\0" in rel + target:  # an edited manifest: restore raised ValueError, and a link with no name (or ".")
        return "a NUL character in it"  # would stand for the restore folder itself, passing verify (rev19c)
    if posixpath.normpath(rel) == ".":
        return "it has no name"
    if posixpath.isabs(rel) or posixpath.normpath(rel).split("/")[0] == "..":
        return "its name leaves the restore folder"
    if posixpath.normpath(posixpath.join(posixpath.dirname(rel), target)).split("/")[0] == "..":
        return "its target leaves the archived folder"
    return None


def link_target(rel: str, target: str) -> str:
    """The name, relative to the archive's root, that the link ``rel`` -> ``target`` names (read lexically)."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
