"""Sequence-aware scheduling: a shot's frames go to one worker, in frame order, so warm starts hold.

Frames of a sequence (shot) are alike, and both the lossy search (the previous frame's setting starts the next
search) and a human reading a progress log gain from processing them in order on one worker. Splitting work by
frame instead sends neighbouring frames to different workers at the same time, each starting cold.

:func:`sequence_chunks` groups items by a sequence key, keeps each group in frame order and cuts a long group into
contiguous chunks only as far as needed to keep every worker busy. Shots then run in parallel, chunks of one shot
in parallel only when there are fewer shots than workers. The caller runs each chunk on one worker, in order.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from qualipress.io.discover import frame_number
from qualipress.pipeline.runner import each_task, run_lanes, run_tasks

#: Longest chunk by default: bounds how long a worker holds results back (records are returned per chunk).
MAX_CHUNK = 16

def sequence_key(path: str | Path) -> tuple[str, int | None]:
    """``(sequence, frame number)`` of a file name: ``shot_a.0101.dpx`` → (``<dir>/shot_a.#.dpx``, 101).

    A name without a trailing number is a sequence of its own (number ``None``).
    """
    p = Path(path)
    fn = frame_number(p.name)  # the one rule, shared with film.sequence (io.discover)
    if fn is None:
        return (p.as_posix(), None)
    return (f"{p.parent.as_posix()}/{fn.pattern}", fn.number)


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
        idx = sorted(groups[seq], key=lambda i: _by_number(keys, i))
        parts = math.ceil(len(idx) / size)
        step = len(idx) / parts
        chunks.extend(idx[round(k * step):round((k + 1) * step)] for k in range(parts))
    chunks.sort(key=len, reverse=True)  # stable: equal lengths keep sequence order
    return chunks


def frame_order(keys: Sequence[tuple[str, int | None]]) -> list[int]:
    """Item indices in the order one worker runs them: sequences in the order they first appear, each in frame
    order (by number, not by name: ``g_0001`` before ``g_00005``, ``f_2`` before ``f_10``), unnumbered items where
    they stand."""
    first: dict[str, int] = {}
    for i, (seq, _) in enumerate(keys):
        first.setdefault(seq, i)
    return sorted(range(len(keys)), key=lambda i: (first[keys[i][0]], *_by_number(keys, i)))


def _by_number(keys: Sequence[tuple[str, int | None]], i: int) -> tuple[bool, int, int]:
    """Sort key of item ``i`` within its sequence: frame number, then unnumbered items, ties in input order."""
    return keys[i][1] is None, keys[i][1] or 0, i


def seeded_after(chunks: Sequence[Sequence[int]], keys: Sequence[tuple[str, int | None]]) -> list[int | None]:
    """Per chunk, the task it waits on: the first frame of its shot when the shot was cut into several chunks
    and this chunk does not start with that frame, else None.

    Parameters
    ----------
    chunks : sequence of sequence of int
        :func:`sequence_chunks`' result.
    keys : sequence of (str, int or None)
        :func:`sequence_key` of each task.

    Returns
    -------
    list of (int or None)
        One entry per chunk (``after`` of :func:`qualipress.pipeline.runner.run_lanes`).
    """
    first: dict[str, int] = {}
    for chunk in chunks:
        for i in chunk:
            seq, num = keys[i]
            j = first.get(seq)
            if num is not None and (j is None or (keys[j][1], j) > (num, i)):
                first[seq] = i
    out: list[int | None] = []
    for chunk in chunks:
        head = first.get(keys[chunk[0]][0]) if chunk else None
        out.append(None if head is None or head in chunk else head)
    return out


def run_chunk(args: tuple[Callable[[Any], Any], list[Any], Callable[[list[Any]], Any] | None]
              ) -> list[tuple[bool, Any]]:
    """Worker side of :func:`run_by_sequence`: ``fn`` on each task of one chunk, in order, in this process.

    With a ``stream`` function (third item) the chunk is handed to it whole instead (it yields one result per
    task, in order: e.g. a pipeline that reads the next frame while encoding this one).

    Returns ``(ok, result or exception)`` per task, so one failing task does not hide the others' results.
    """
    fn, tasks, stream = args
    if stream is not None:
        return [(True, r) for r in stream(tasks)]
    return list(each_task(fn, tasks))


def run_by_sequence(fn: Callable[[Any], Any], tasks: Sequence[Any], keys: Sequence[tuple[str, int | None]], *,
                    jobs: int = 1, scheduler: str | None = None, max_chunk: int = MAX_CHUNK,
                    stream: Callable[[list[Any]], Any] | None = None,
                    runner: Callable[..., Iterator[tuple[int, Any]]] | None = None,
                    seed: Callable[[Any, Any], Any] | None = None,
                    lead: Callable[[Any], Any] | None = None) -> Iterator[tuple[int, Any]]:
    """Like :func:`qualipress.pipeline.runner.run_tasks`, but a shot's tasks run on one worker, in frame order.

    Tasks are cut by :func:`sequence_chunks`; each chunk is one task of the runner (so warm state a worker
    keeps from one frame to the next, like the lossy search's hint, stays within the shot). Local workers run
    each chunk as a lane (:func:`qualipress.pipeline.runner.run_lanes`), so results come back frame by frame and
    Ctrl-C loses no finished frame; on Dask (and with ``stream``) results come back per chunk. When a chunk's
    worker dies there (the runner yields an exception for the whole chunk), its tasks are run again one by one,
    so only the task that crashes is reported failed.

    Parameters
    ----------
    fn : callable
        Module-level function of one task.
    tasks : sequence
    keys : sequence of (str, int or None)
        :func:`sequence_key` of each task.
    jobs, scheduler
        As for the runner. With one local job and no scheduler the tasks simply run here, in :func:`frame_order`.
    stream : callable, optional
        Module-level function running a whole chunk (a list of tasks) and returning one result per task, in
        order; used instead of ``fn`` for chunks, also here when there are no workers.
    runner : callable, optional
        The task runner (default :func:`qualipress.pipeline.runner.run_tasks`).
    seed : callable, optional
        ``seed(task, result)``: a shot cut into several chunks runs its first frame before its other chunks
        start, and each of them starts with ``seed(its first task, that frame's result)`` (the frame's warm
        start, so one cold search per shot instead of one per chunk: :func:`seeded_after`), on local workers and
        on Dask alike (:func:`qualipress.pipeline.runner.run_lanes`). Without it (and with ``stream``) the chunks
        of a shot start at once, each cold.
    lead : callable, optional
        ``lead(task)`` is sent instead of a shot's first frame that seeds other chunks (e.g. a task that also
        returns its warm start); every other task is sent as it is, so only what seeds travels back.

    Yields
    ------
    (int, object)
        Task index and its result, or the exception it raised.
    """
    if runner is None:
        runner = run_tasks
    if not tasks:
        return
    if not scheduler and jobs <= 1:
        order = frame_order(keys)
        if stream is not None:
            yield from zip(order, stream([tasks[i] for i in order]), strict=True)
            return
        with contextlib.closing(runner(fn, [tasks[i] for i in order], jobs=1)) as results:
            for j, res in results:
                yield order[j], res
        return
    workers = max(2, jobs) if scheduler else jobs
    chunks = sequence_chunks(keys, workers=workers, max_chunk=max_chunk)
    if stream is None and runner is run_tasks and (not scheduler or seed is not None):
        # each chunk is a lane of one worker (locally results still come back frame by frame); a shot's later
        # chunks start from its first frame's result
        after = seeded_after(chunks, keys) if seed is not None else None
        yield from run_lanes(fn, tasks, chunks, jobs=jobs, after=after, seed=seed, lead=lead, scheduler=scheduler)
        return
    retry: list[int] = []
    # closing: when the caller stops early (Ctrl-C), the runner stops its workers at once
    with contextlib.closing(runner(run_chunk, [(fn, [tasks[i] for i in chunk], stream) for chunk in chunks],
                                   jobs=jobs, scheduler=scheduler)) as results:
        for c, res in results:
            if isinstance(res, BaseException):
                retry.extend(chunks[c])
                continue
            for i, (_, value) in zip(chunks[c], res, strict=True):
                yield i, value
    if retry:
        with contextlib.closing(runner(fn, [tasks[i] for i in retry], jobs=jobs, scheduler=scheduler)) as again:
            for k, value in again:
                yield retry[k], value


def shot_encodes(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per shot, encodes of cold frames (first of a chain on a worker) vs warm ones (the previous frame of the
    shot was processed just before on the same worker), from ``compress`` report records.

    A frame is warm when its ``analysis.sequence_position`` (set by the film hooks) is above 0. Records without
    it (no film hooks) count as cold.

    Returns
    -------
    list of dict
        ``{"sequence", "frames", "cold", "warm", "cold_encodes_mean", "warm_encodes_mean", "warm_encodes_max"}``.
    """
    shots: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        if r.get("error") or not r.get("input"):
            continue
        shots.setdefault(sequence_key(r["input"])[0], []).append(r)
    out = []
    for seq, recs in sorted(shots.items()):
        warm = [int(r.get("encodes") or 0) for r in recs if (r.get("analysis") or {}).get("sequence_position", 0)]
        cold = [int(r.get("encodes") or 0) for r in recs
                if not (r.get("analysis") or {}).get("sequence_position", 0)]
        out.append({"sequence": seq, "frames": len(recs), "cold": len(cold), "warm": len(warm),
                    "cold_encodes_mean": round(sum(cold) / len(cold), 2) if cold else None,
                    "warm_encodes_mean": round(sum(warm) / len(warm), 2) if warm else None,
                    "warm_encodes_max": max(warm) if warm else None})
    return out


__all__ = ["MAX_CHUNK", "run_by_sequence", "run_chunk", "seeded_after", "sequence_chunks", "sequence_key",
           "shot_encodes"]
