"""Frame sequences: discover files, parse frame numbers, group them into sequences, report gaps.

A frame file is one of :data:`FRAME_EXTENSIONS` (case-insensitive); its number is read by
:func:`qualipress.io.discover.frame_number` (``<prefix><sep><digits>.<ext>``, e.g. ``reel1.0001234.dpx``), the rule
the batch scheduler uses too. Files sharing the directory, prefix, separator and extension form one sequence; a
file without a number is a sequence of one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualipress.errors import InputError
from qualipress.io.discover import frame_number, image_paths

FRAME_EXTENSIONS = (".dpx", ".tif", ".tiff", ".exr", ".cin")

@dataclass(frozen=True)
class FrameName:
    """A parsed frame file name."""

    path: Path
    sequence: str  # display key: "<dir>/<prefix><sep>#.<ext>"
    number: int | None
    padding: int


def parse_name(path: Path) -> FrameName:
    """Split a frame file name into its sequence key and frame number (the one rule,
    :func:`qualipress.io.discover.frame_number`)."""
    fn = frame_number(path.name)
    if fn is None:
        return FrameName(path, str(path.parent / path.name), None, 0)
    return FrameName(path, f"{path.parent}/{fn.pattern}", fn.number, fn.padding)


def _fits(frame: FrameName, padding: int) -> bool:
    """Whether a ``%0{padding}d`` pattern names ``frame`` (its number written with that many digits or more)."""
    return frame.number is not None and frame.padding == max(padding, len(str(frame.number)))


@dataclass
class Sequence:
    """Frames of one sequence, sorted by number, with what is missing or odd."""

    key: str
    frames: list[FrameName] = field(default_factory=list)

    @property
    def numbers(self) -> list[int]:
        return [f.number for f in self.frames if f.number is not None]

    @property
    def first(self) -> int | None:
        return min(self.numbers) if self.numbers else None

    @property
    def last(self) -> int | None:
        return max(self.numbers) if self.numbers else None

    def gaps(self) -> list[tuple[int, int]]:
        """Missing frame ranges ``(first_missing, last_missing)``, inclusive."""
        nums = sorted(set(self.numbers))
        return [(a + 1, b - 1) for a, b in itertools.pairwise(nums) if b - a > 1]

    def missing_count(self) -> int:
        return sum(b - a + 1 for a, b in self.gaps())

    def duplicates(self) -> list[int]:
        """Frame numbers given by more than one file (``f.001.dpx`` and ``f.0001.dpx``)."""
        seen: dict[int, int] = {}
        for n in self.numbers:
            seen[n] = seen.get(n, 0) + 1
        return sorted(n for n, c in seen.items() if c > 1)

    def padding(self) -> int:
        """Digits of the zero-padded numbers: the width (among those the names use) that fits the most frames, a
        number fitting width ``p`` when it is written with ``max(p, its own digits)`` digits, so ``shot.1001``
        fits 4 as well as ``shot.0999`` does (wider on a tie); 0 when no number has a leading zero (unpadded
        numbering)."""
        named = [f for f in self.frames if f.number is not None]
        if not any(f.padding > len(str(f.number)) for f in named):
            return 0
        return max({f.padding for f in named}, key=lambda p: (sum(_fits(f, p) for f in named), p))

    def pattern(self) -> str:
        """The frame pattern that names this sequence's frames where ``compress``, ``archive`` or ``analyse`` take
        inputs: one ``#`` per digit of :meth:`padding` (``shot.#######.dpx``; ``shot.#.dpx`` unpadded), or the
        file itself for a frame without a number. The key's single ``#`` means "any number" and, given back as an
        input, names only unpadded numbers (qa20readme)."""
        if not self.frames or self.frames[0].number is None:
            return self.key
        head, _, tail = self.key.rpartition("#")
        return f"{head}{'#' * max(self.padding(), 1)}{tail}"

    def misnumbered(self) -> list[FrameName]:
        """Frames whose number is not written with :meth:`padding` digits (``g_00005`` or ``g_7`` among
        ``g_0001`` …): a ``%04d`` pattern of other tools misses them. A number that outgrows the padding
        (``r.1000`` after ``r.0999``) is not misnumbered."""
        pad = self.padding()
        return [f for f in self.frames if f.number is not None and not _fits(f, pad)]

    def summary(self) -> dict[str, Any]:
        return {
            "sequence": self.key,
            "pattern": self.pattern(),
            "frames": len(self.frames),
            "first": self.first,
            "last": self.last,
            "gaps": [list(g) for g in self.gaps()],
            "missing": self.missing_count(),
            "duplicates": self.duplicates(),
            "padding": self.padding(),
            "misnumbered": [f.path.name for f in self.misnumbered()],
        }


def find_frames(inputs: Iterable[str | Path], *, extensions: tuple[str, ...] = FRAME_EXTENSIONS) -> list[Path]:
    """Files named directly plus frame files found (recursively) in named directories, deduplicated.

    :func:`qualipress.io.image_paths` with film's own two rules: frame suffixes only, sorted by folder, sequence
    and frame number (``shot_2`` before ``shot_10``), and finding no frame is an error.

    Raises
    ------
    InputError
        An input that does not exist, or no frame file found at all.
    """
    found = image_paths(inputs, suffixes=extensions)
    if not found:
        raise InputError("no frame files (" + ", ".join(extensions) + ") found in the inputs")
    return sorted(found, key=lambda q: (str(q.parent), parse_name(q).sequence, parse_name(q).number or 0, q.name))


def group(paths: Iterable[Path]) -> list[Sequence]:
    """Group frame paths into sequences sorted by key; frames sorted by number."""
    seqs: dict[str, Sequence] = {}
    for p in paths:
        fn = parse_name(Path(p))
        seqs.setdefault(fn.sequence, Sequence(fn.sequence)).frames.append(fn)
    for s in seqs.values():
        s.frames.sort(key=lambda f: (f.number if f.number is not None else -1, f.path.name))
    return [seqs[k] for k in sorted(seqs)]
