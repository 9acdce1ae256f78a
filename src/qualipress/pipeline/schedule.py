"""Sequence-aware scheduling: a shot's frames go to one worker, in frame order, so warm starts hold.

Frames of a sequence (shot) are alike, and both the lossy search (the previous frame's setting starts the next
search) and a human reading a progress log gain from processing them in order on one worker. Splitting work by
frame instead sends neighbouring frames to different workers at the same time, each starting cold.

:func:`sequence_chunks` groups items by a sequence key, keeps each group in frame order and cuts a long group into
contiguous chunks only as far as needed to keep every worker busy. Shots then run in parallel, chunks of one shot
in parallel only when there are fewer shots than workers. The caller runs each chunk on one worker, in order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

#: Longest chunk by default: bounds how long a worker holds results back (records are returned per chunk).
MAX_CHUNK = 16

_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<num>\d+)(?P<ext>\.[A-Za-z0-9]+)$")


def sequence_key(path: str | Path) -> tuple[str, int | None]:
    """``(sequence, frame number)`` of a file name: ``shot_a.0101.dpx`` → (``<dir>/shot_a.#.dpx``, 101).

    A name without a trailing number is a sequence of its own (number ``None``).
    """
    p = Path(path)
    m = _NUMBERED.match(p.name)
    if not m:
        return (p.as_posix(), None)
    return (f"{p.parent.as_posix()}/{m.group('prefix')}#{m.group('ext').lower()}", int(m.group("num")))


def sequence_chunks(keys: Sequence[tuple[str, int | None]], *, workers: int,
                    max_chunk: int = MAX_CHUNK) -> list[list[int]]:
    """Cut items into per-shot chunks, each in frame order, for ``workers`` parallel workers.

    Parameters
    ----------
    keys : sequence of (str, int or None)
        ``(sequence, frame number)`` per item (:func:`sequence_key`).
    workers : int
        Parallel workers (1: one chunk per sequence, bounded by ``max_chunk``).
    max_chunk : int
        Longest chunk.

    Returns
    -------
    list of list of int
        Item indices; every index once. Chunks of one sequence are contiguous frame ranges. Longer chunks come
        first (so the last chunks to start are short and workers finish together).

    Raises
    ------
    ValueError
        ``workers`` or ``max_chunk`` below 1.
    """
    if workers < 1 or max_chunk < 1:
        raise ValueError("workers and max_chunk must be >= 1")
    groups: dict[str, list[int]] = {}
    for i, (seq, _) in enumerate(keys):
        groups.setdefault(seq, []).append(i)
    n = len(keys)
    # as long as possible while leaving every worker a share of the work
    size = max(1, min(max_chunk, math.ceil(n / workers))) if n else 1
    chunks: list[list[int]] = []
    for seq in sorted(groups):
        idx = sorted(groups[seq], key=lambda i: (keys[i][1] is None, keys[i][1] or 0, i))
        parts = math.ceil(len(idx) / size)
        step = len(idx) / parts
        chunks.extend(idx[round(k * step):round((k + 1) * step)] for k in range(parts))
    chunks.sort(key=len, reverse=True)  # stable: equal lengths keep sequence order
    return chunks


__all__ = ["MAX_CHUNK", "sequence_chunks", "sequence_key"]
