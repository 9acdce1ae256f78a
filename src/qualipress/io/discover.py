"""Input discovery: the one place that turns files, directories and glob patterns into image paths.

Directories are searched recursively and glob patterns support ``**``; symbolic links to directories are
followed once (a link back to a directory already visited — a loop — is not entered again); hidden files and
directories (name starting with ``.``) are skipped unless named directly; trees listed in ``exclude`` (e.g. the
output directory of the run) are never entered, nor are **earlier output folders** found inside an input directory
(a folder holding one of :data:`OUTPUT_MARKERS`, or both :data:`MANIFEST_NAME` and :data:`SUMS_NAME`), so a run
over a parent folder does not compress an earlier run's outputs again; the caller is told which were skipped. A link
does not lead around either rule: a link whose target lies in an excluded tree, or in an earlier output folder that
does not hold the input, is not followed (under a directory walk, any glob pattern and a frame pattern alike).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from qualipress.errors import InputError
from qualipress.io.readers import IMAGE_SUFFIXES

#: Image formats users bring that qualipress does not read: found in a directory they are counted (so a run can
#: say it skipped them) instead of passing unnoticed like any other non-image file.
UNREAD_IMAGE_SUFFIXES = frozenset({".bmp", ".ico", ".psd", ".tga", ".svg", ".dng", ".cr2", ".cr3", ".nef",
                                   ".arw", ".raf", ".orf", ".rw2"})


#: The report ``compress`` writes into its output directory (also the resume point).
REPORT_NAME = "qualipress-report.jsonl"
#: Folder in an output directory holding one marker per output being written.
PENDING_DIR = ".qualipress-pending"
#: Lock file in an output directory: one run at a time writes there.
LOCK_NAME = ".qualipress-lock"
#: Collection manifest and checksum list (``compress`` with the film hooks, ``archive``).
MANIFEST_NAME = "manifest.jsonl"
SUMS_NAME = "SHA256SUMS"
#: Marker file in the picture folder of a collection report (``report_files/``: PNG crops, not photos).
PICTURES_MARKER = ".qualipress-report-pictures"
#: A directory holding any of these was written by qualipress.
OUTPUT_MARKERS = (REPORT_NAME, PENDING_DIR, LOCK_NAME, PICTURES_MARKER)


def is_output_dir(directory: str | Path) -> bool:
    """True when ``directory`` is a qualipress output folder (an output marker, or manifest + checksums)."""
    d = Path(directory)
    return (any(os.path.lexists(d / m) for m in OUTPUT_MARKERS)
            or ((d / MANIFEST_NAME).is_file() and (d / SUMS_NAME).is_file()))


class Found(NamedTuple):
    """One image file found by :func:`find_images`."""

    #: Absolute path (symlinks not resolved, so reports stay readable and valid from any working directory).
    path: Path
    #: Path relative to the directory or pattern root it was found under (the name for a file given directly).
    rel: Path


def find_images(
    inputs: Iterable[str | Path],
    *,
    suffixes: Collection[str] = IMAGE_SUFFIXES,
    exclude: Iterable[str | Path] = (),
    unread: list[Path] | None = None,
    skipped_outputs: list[Path] | None = None,
) -> list[Found]:
    """Files, directories (recursive) and glob patterns → image files, in input order, each file once.

    Parameters
    ----------
    inputs : iterable of str or Path
        A file is taken whatever its suffix; directories and patterns yield files whose lower-case suffix is in
        ``suffixes``.
    suffixes : collection of str
        Lower-case suffixes with the dot (default: every format :func:`~qualipress.io.read_image` reads).
    exclude : iterable of str or Path
        Directories whose trees are skipped when reached inside an input directory (the output directory, so a
        rerun never re-ingests its outputs); an input that *is* such a directory is still searched.
    unread : list of Path, optional
        Filled with the files found in directories and patterns whose suffix is an image format qualipress does
        not read (:data:`UNREAD_IMAGE_SUFFIXES`), so the caller can say they were skipped.
    skipped_outputs : list of Path, optional
        Filled with the earlier output folders (:func:`is_output_dir`) met inside input directories and patterns
        and not entered. An input that *is* an output folder is still searched (the user named it).

    Raises
    ------
    InputError
        An input that names nothing (missing path, pattern matching no file).
    """
    walker = _Walker({s.lower() for s in suffixes}, {os.path.realpath(e) for e in exclude},
                     unread if unread is not None else [],
                     skipped_outputs if skipped_outputs is not None else [])
    out: list[Found] = []
    seen: dict[str, int] = {}

    def add(path: Path, rel: Path) -> None:
        key = os.path.realpath(path)
        if key not in seen:
            seen[key] = len(out)
            out.append(Found(Path(os.path.abspath(path)), rel))
        elif os.path.islink(out[seen[key]].path) and not os.path.islink(path):
            # the file itself, not a link to it met first (`s.1000.dpx -> s.1004.dpx` in `analyse shot/*.dpx`),
            # as a folder's walk takes it: else the file's own frame number is reported missing
            out[seen[key]] = Found(Path(os.path.abspath(path)), rel)

    for raw in inputs:
        text = str(raw)
        p = Path(text)
        if p.is_dir():
            for f in walker.files(p):
                add(f, f.relative_to(p))
        elif p.is_file():
            add(p, Path(p.name))
        elif (frames := _frame_pattern(p)) is not None:
            walker._begin(p.parent)
            matches = sorted(Path(e.path) for e in walker._entries(p.parent)
                             if frames.fullmatch(e.name) and e.is_file() and not walker._link_into_output(e))
            if not matches:
                raise InputError(f"{text}: frame pattern matches no file")
            for m in matches:
                add(m, Path(m.name))
        elif glob.has_magic(text):
            root = pattern_root(text)
            matches = list(walker.match(root, list(p.parts[len(root.parts):]))) if root.is_dir() else []
            if not matches:
                raise InputError(f"{text}: pattern matches no file")
            for m in matches:
                add(m, m.relative_to(root))
        else:
            raise InputError(f"{text}: no such file or directory")
    return out


def pattern_root(text: str | Path) -> Path:
    """The folder a glob pattern is searched from: its parts before the first one with a wildcard (``.`` when
    the first part has one); a frame pattern's folder (``shot.%04d.dpx``); the path itself otherwise."""
    p = Path(str(text))
    if os.path.lexists(p):
        return p
    if _frame_pattern(p) is not None:
        return p.parent
    n = next((i for i, part in enumerate(p.parts) if glob.has_magic(part)), None)
    return p if n is None else (Path(*p.parts[:n]) if n else Path("."))


def image_paths(inputs: Iterable[str | Path], *, suffixes: Collection[str] = IMAGE_SUFFIXES,
                exclude: Iterable[str | Path] = ()) -> list[Path]:
    """The absolute paths of :func:`find_images` (input order, each file once): the list most callers want.
    ``exclude``: as :func:`find_images`'s (the caller's output folder)."""
    return [f.path for f in find_images(inputs, suffixes=suffixes, exclude=exclude)]


def dataset_images(dataset: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                   limit: int | None = None, *, exclude: Iterable[str | Path] = ()) -> list[Path]:
    """Image files of a dataset (training or RD sweep): directories searched recursively, or explicit files.

    Unlike :func:`find_images` a dataset names existing paths only (no glob patterns) and must hold images.
    ``exclude``: folders not entered (the caller's output folder inside the dataset, so a rerun does not take
    its own plots or label images for data).

    Raises
    ------
    InputError
        A missing path, or no image at all (empty dataset).
    """
    paths = [dataset] if isinstance(dataset, (str, os.PathLike)) else list(dataset)
    for p in map(Path, paths):
        if not p.exists():
            raise InputError(f"dataset {p} does not exist")
    found = [p for p in image_paths(paths, exclude=exclude) if p.exists()]  # a broken link is not a training image
    if not found:
        raise InputError(f"dataset {', '.join(map(str, paths))} holds no images (empty dataset)")
    return found[:limit] if limit else found


class _Walker:
    """Directory traversal that follows directory links at most once per directory (loop-safe).

    A link to something inside the walk's root is left to its target's own path while the root is walked (found
    first in name order, it would otherwise stand in for the real files, whose folder is then never entered). It is
    kept in :attr:`later` and taken through the link once the walk is done: its target may be a hidden folder, or
    a name a glob does not match, which the walk never reaches (the link is then the only way to it); a target the
    walk did reach is not walked again (its folder's inode was visited; its files are found already).
    """

    def __init__(self, suffixes: set[str], excluded: set[str], unread: list[Path], outputs: list[Path]) -> None:
        self.suffixes = suffixes
        self.excluded = excluded
        self.unread = unread
        self.outputs = outputs
        #: The current input's real path, the excluded trees below it or beside it, and those holding it (set by
        #: :meth:`_begin`).
        self.top = ""
        self.skip: list[str] = []
        self.around: list[str] = []
        #: Links left to their targets: (entry, glob parts still to match or None under a plain walk, visited).
        self.later: list[tuple[os.DirEntry[str], list[str] | None, set[tuple[int, int]]]] = []

    def _begin(self, root: Path) -> str:
        """Start a walk from ``root``; its real path. An excluded tree that holds ``root`` does not apply to its
        folders (outputs written next to their inputs: the input's own folders are still walked), only to itself."""
        self.top = top = os.path.realpath(root)
        self.skip = [e for e in self.excluded if not _within(top, e)]
        self.around = [e for e in self.excluded if _within(top, e)]
        return top

    def _skipped(self, real: str) -> bool:
        """``real`` (a real path) lies in an excluded tree, reached through a link or not; or it is an excluded
        tree that holds the input (``-o IN`` with the input ``IN/scan``: a link ``IN/scan/up -> IN`` is not a way to
        this run's outputs)."""
        return any(_within(real, e) for e in self.skip) or (real != self.top and real in self.around)

    def _in_output(self, real: str) -> bool:
        """A link's target ``real`` lies in an excluded tree or in an earlier output folder that does not hold the
        input (``latest -> out/shot_a``, inside the input or not): the link is not followed (the earlier output
        folder is noted once)."""
        if self._skipped(real):
            return True
        d = real if os.path.isdir(real) else os.path.dirname(real)
        while not _within(self.top, d):
            if is_output_dir(d):
                self._note_output(Path(d))
                return True
            if os.path.dirname(d) == d:
                break
            d = os.path.dirname(d)
        return False

    def _link_into_output(self, entry: os.DirEntry[str]) -> bool:
        """``entry`` is a link whose target lies in an output folder (:meth:`_in_output`)."""
        try:
            return entry.is_symlink() and self._in_output(os.path.realpath(entry.path))
        except OSError:
            return False

    def _earlier_output(self, directory: Path) -> bool:
        """An output folder of an earlier run (not excluded already): noted once and not entered."""
        if os.path.realpath(directory) in self.excluded or not is_output_dir(directory):
            return False
        self._note_output(Path(os.path.abspath(directory)))
        return True

    def _note_output(self, directory: Path) -> None:
        """List an earlier output folder not entered, once however it was reached (its own path or a link's)."""
        real = os.path.realpath(directory)
        if all(os.path.realpath(o) != real for o in self.outputs):
            self.outputs.append(directory)

    def _entries(self, directory: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(directory) as it:
                return sorted(it, key=lambda e: e.name)
        except OSError:
            return []

    def _enter(self, directory: Path, visited: set[tuple[int, int]], *, root: bool = False) -> bool:
        """True the first time a directory (by device and inode) is reached and it is not excluded (a root
        given by the user is entered even when excluded: outputs written next to their inputs)."""
        try:
            st = directory.stat()
        except OSError:
            return False
        key = (st.st_dev, st.st_ino)
        if key in visited or (not root and (self._skipped(os.path.realpath(directory))
                                            or self._earlier_output(directory))):
            return False
        visited.add(key)
        return True

    def _wanted(self, entry: os.DirEntry[str]) -> bool:
        suffix = os.path.splitext(entry.name)[1].lower()
        try:
            if self._link_into_output(entry):
                return False  # a link into an output folder: one of this (or an earlier) run's outputs
            if not entry.is_file():
                # a link to nothing with an image name is kept, so the batch reports it as a failed input
                return suffix in self.suffixes and entry.is_symlink() and not os.path.exists(entry.path)
        except OSError:  # a link loop (ELOOP) is no file either: kept like a link to nothing, to be reported
            return suffix in self.suffixes and entry.is_symlink()
        if suffix in UNREAD_IMAGE_SUFFIXES and suffix not in self.suffixes:
            self.unread.append(Path(entry.path))
        return suffix in self.suffixes

    def _own_path_inside(self, entry: os.DirEntry[str], top: str) -> bool:
        """A link to a folder, or to an image file, inside the walk's root ``top`` (a real path): left to
        :attr:`later`."""
        if not entry.is_symlink():
            return False
        target = os.path.realpath(entry.path)
        if not os.path.exists(target) or os.path.commonpath([target, top]) != top:
            return False
        return os.path.isdir(target) or os.path.splitext(target)[1].lower() in self.suffixes

    def files(self, root: Path, visited: set[tuple[int, int]] | None = None,
              top: str | None = None) -> Iterator[Path]:
        """Image files below ``root``, sorted by path; a link to something inside ``root`` is left to its target
        (and taken after the walk when the walk did not reach the target)."""
        first = visited is None
        visited = set() if visited is None else visited
        if first:
            top = self._begin(root)
        top = os.path.realpath(root) if top is None else top
        if not self._enter(root, visited, root=first):
            return
        for e in self._entries(root):
            if e.name.startswith("."):
                continue
            if self._own_path_inside(e, top):
                self.later.append((e, None, visited))
            elif _is_dir(e):
                if not self._link_into_output(e):
                    yield from self.files(Path(e.path), visited, top)
            elif self._wanted(e):
                yield Path(e.path)
        if first:
            yield from self._links_left(top)

    def _links_left(self, top: str) -> Iterator[Path]:
        """The links of :attr:`later`, taken through the link: a folder not entered yet is walked (or matched
        against the glob parts left), an image file is yielded (the caller drops a file it has found already)."""
        while self.later:
            e, parts, visited = self.later.pop(0)
            path = Path(e.path)
            if self._in_output(os.path.realpath(path)):
                continue
            if parts is None:
                if _is_dir(e):
                    yield from self.files(path, visited, top)
                elif self._wanted(e):
                    yield path
            elif parts:
                if (_is_dir(e) and not self._skipped(os.path.realpath(path))
                        and not self._earlier_output(path)):
                    yield from self._match(path, parts, visited, top)
            elif self._wanted(e):
                yield path

    def match(self, root: Path, parts: list[str], visited: set[tuple[int, int]] | None = None,
              top: str | None = None) -> Iterator[Path]:
        """Image files below ``root`` matching the glob ``parts`` (``**`` = any number of directories); below a
        ``**`` (whose root is ``top``), a link to something inside ``top`` is left to its target, as in
        :meth:`files`. The pattern's own root is searched even when it is an output folder (the user named it, as
        a directory input)."""
        first = visited is None
        visited = set() if visited is None else visited
        if first:
            self._begin(root)
        yield from self._match(root, parts, visited, top, named=first)
        if first:
            yield from self._links_left(top or os.path.realpath(root))

    def _match(self, root: Path, parts: list[str], visited: set[tuple[int, int]], top: str | None, *,
               named: bool = False) -> Iterator[Path]:
        head, rest = parts[0], parts[1:]
        if head == "**":
            top = os.path.realpath(root) if top is None else top
            if not rest:  # the pattern's own root: walked as a directory input is
                yield from self.files(root, None if named else visited, top)
                return
            if not self._enter(root, visited, root=named):
                return
            yield from self._match(root, rest, set(), top)
            for e in self._entries(root):
                if e.name.startswith(".") or not _is_dir(e):
                    continue
                if self._own_path_inside(e, top):
                    self.later.append((e, parts, visited))
                elif not self._link_into_output(e):
                    yield from self._match(Path(e.path), parts, visited, top)
            return
        for e in self._entries(root):
            if e.name.startswith(".") and not head.startswith("."):
                continue
            if not fnmatch.fnmatchcase(e.name, head):
                continue
            if top is not None and self._own_path_inside(e, top):
                self.later.append((e, rest, visited))
                continue
            if rest:
                if (_is_dir(e) and not self._skipped(os.path.realpath(e.path))
                        and not self._link_into_output(e) and not self._earlier_output(Path(e.path))):
                    yield from self._match(Path(e.path), rest, visited, top)
            elif self._wanted(e):
                yield Path(e.path)


#: A numbered file name ``<prefix><sep><digits>.<ext>``: the last run of digits before the extension is the frame
#: number (``shot.1001.dpx``, ``shot_1001.dpx``, ``shot1001.dpx``, ``shot.v2.1001.exr``: 1001). A ``-`` right
#: after a ``.`` or ``_`` separator is the number's sign (``shot.-001.exr``, pre-roll frames as Nuke writes them:
#: -1); ``shot-001.exr`` is frame 1 with the separator ``-``. Digits are ASCII ``0-9`` only: ``\d`` also takes
#: other scripts' digits (``shot.١٢٣.dpx``), which no printf ``%04d`` writes nor reads (rev20c: frame 123 of
#: ``shot.#.dpx``, a duplicate of ``shot.0123.dpx``).
_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<sign>(?<=[._])-)?(?P<num>[0-9]+)(?P<ext>\.[A-Za-z0-9]+)$")


class FrameNumber(NamedTuple):
    """A file name's frame number and the name of its sequence (:func:`frame_number`)."""

    pattern: str  # the name with its number as ``#`` and its extension in lower case: ``shot.#.dpx``
    number: int
    padding: int  # digits written, the sign counted (``-001``: 4), as printf's ``%04d`` writes -1


def frame_number(name: str) -> FrameNumber | None:
    """The frame number of a file name, or None when none ends its stem (``poster.png``).

    The one rule of the batch scheduler and of the film sequences (fix20film: each had its own expression). It
    holds whatever the extension: which files are film frames (DPX, TIFF, EXR, Cineon) is the film capability's
    choice, made where it finds its files, not here; a PNG sequence written by ``ffmpeg -i IN frame%04d.png`` is
    numbered like a DPX one, as :func:`find_images` expands its ``%04d`` pattern for any extension. Padding
    changes (``shot.999.dpx``, ``shot.1000.dpx``) keep the sequence: the pattern does not count digits.
    """
    m = _NUMBERED.match(name)
    if m is None:
        return None
    digits, sign = m.group("num"), bool(m.group("sign"))
    return FrameNumber(f"{m.group('stem')}#{m.group('ext').lower()}", -int(digits) if sign else int(digits),
                       len(digits) + sign)


#: A frame number in a file name as film tools write it: ``%04d`` / ``%d`` (printf: ffmpeg, RAWcooked) or ``####``
#: (one ``#`` per digit, as Nuke).
_FRAME_TOKEN = re.compile(r"%0?([0-9]*)d|#+")


def _frame_pattern(path: Path) -> re.Pattern[str] | None:
    """The file names a frame pattern in ``path``'s last part prints (``shot.%04d.dpx``: ``shot.0999.dpx``,
    ``shot.12345.dpx``, not ``shot.01002.dpx``), or None when it holds no ``%d`` / ``#`` token or names a file
    that exists."""
    name = path.name
    if not _FRAME_TOKEN.search(name) or os.path.lexists(path):
        return None
    out, pos = [], 0
    for m in _FRAME_TOKEN.finditer(name):
        width = len(m.group(0)) if m.group(0).startswith("#") else int(m.group(1) or 1)
        out += [re.escape(name[pos:m.start()]), rf"(?:[0-9]{{{width}}}|[1-9][0-9]{{{width},}})"]
        pos = m.end()
    return re.compile("".join([*out, re.escape(name[pos:])]))


def _within(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or lies below it (both real paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
