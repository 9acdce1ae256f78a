"""The one parallel runner: tasks in this process, in a local process pool, or on a Dask cluster.

Local pools are built for faults:

* workers die with their parent (``PR_SET_PDEATHSIG`` on Linux, plus a check that the parent is still the one
  that started them), so a ``kill -9`` of the main process leaves no worker writing unreported files;
* workers ignore SIGINT: on Ctrl-C / SIGTERM the *parent* decides — it stops submitting, cancels what is queued
  and terminates the workers at once (what a killed worker was writing is cleaned up by the next run);
* each worker is a one-worker pool running one task at a time (a lane of tasks, :func:`run_lanes`; a task of
  its own, :func:`run_tasks`), so at most one task per worker is queued and a worker that dies (segfault in a
  codec, OOM kill) names the one task it was running: that task is reported as :class:`WorkerCrashedError`, the
  worker is replaced and the others (and the rest of the queue) go on.

Task functions must be module-level (picklable) and should return error records rather than raise; an exception
that escapes anyway is yielded in place of the result.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import functools
import itertools
import multiprocessing as mp
import os
import pickle
import queue
import signal
import sys
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from qualipress.errors import QualipressError

_PR_SET_PDEATHSIG = 1
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt() parameters

#: Blocks up to this size come from the heap on a Dask worker (glibc's own adaptive rule's ceiling on 64-bit).
HEAP_MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the heap's top kept for the next frame on a Dask worker (twice the above, as glibc's rule pairs them).
HEAP_TRIM_THRESHOLD = 2 * HEAP_MMAP_THRESHOLD
_heap_reused: bool | None = None  # None: not decided yet in this process
#: Dask event topic on which a lane hands a result over to the run waiting for it (one topic for every run, so
#: the scheduler keeps at most ``distributed.admin.low-level-log-length`` such events in all; a run reads its own).
HAND_OVER_TOPIC = "qualipress-hand-over"


class WorkerCrashedError(QualipressError):
    """A worker process died while running this task (crash in native code, out-of-memory kill, signal)."""


_CRASHED = ("worker process died while processing this file (crash in a codec or out-of-memory kill); the rest of "
            "the batch went on")


def worker_init(parent: int, init: Callable[[], None] | None = None) -> None:
    """Initializer of every local worker process: die with the parent, leave Ctrl-C to the parent, then ``init``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler inherited through fork
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(1)
    if init is not None:
        init()


def _pool(width: int, start: str = "fork", init: Callable[[], None] | None = None) -> cf.ProcessPoolExecutor:
    # fork by default: workers start at once and need no importable __main__
    ctx = mp.get_context(start if start in mp.get_all_start_methods() else "spawn")
    return cf.ProcessPoolExecutor(max_workers=width, mp_context=ctx, initializer=worker_init,
                                  initargs=(os.getpid(), init))


def _close(pool: cf.ProcessPoolExecutor, *, kill: bool) -> None:
    """Shut a pool down; with ``kill`` terminate its workers first instead of letting queued work finish."""
    if kill:
        # the executor has no public way to stop running tasks; its worker table is the only handle
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                proc.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], *, jobs: int = 1, scheduler: str | None = None,
              start: str = "fork", init: Callable[[], None] | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, result)`` as tasks finish (completion order when parallel).

    Each task is a lane of its own (:func:`run_lanes`), so one worker per task slot and one Dask runner serve
    both. What differs: a task whose local worker died while others ran is run again alone before it is blamed
    (so a worker killed for memory the others took gets a second chance), workers that keep dying between tasks
    stop the run, and on Dask a task's own error (``KilledWorker`` when Dask gave up on it) comes back as it is.

    Parameters
    ----------
    fn : callable
        Module-level function of one argument.
    tasks : sequence
        Arguments, one per task.
    jobs : int
        Local worker processes (1 = run in this process, in order).
    scheduler : str, optional
        Address of a Dask distributed scheduler; overrides ``jobs``.
    start : str
        How local workers start (``multiprocessing`` start method; ``spawn`` where the parent's state must not be
        inherited, e.g. a torch thread pool that has run).
    init : callable, optional
        Module-level function each local worker runs once after starting.

    Yields
    ------
    (int, object)
        Task index and its result, or the exception it raised (:class:`WorkerCrashedError` when its worker died).

    Raises
    ------
    QualipressError
        The scheduler cannot be reached or ``dask.distributed`` is not installed, or local workers keep dying
        before they run anything.
    """
    if not tasks:
        return
    if not scheduler and (jobs <= 1 or len(tasks) == 1):
        for i, (_, res) in enumerate(each_task(fn, tasks)):
            yield i, res
        return
    plan = _Lanes(tasks, [(i,) for i in range(len(tasks))], None, None, None)
    if scheduler:
        yield from _run_dask(fn, plan, scheduler, solo=True)
    else:
        yield from _run_local(fn, plan, jobs, solo=True, start=start, init=init)


class _Lanes:
    """Lanes not started yet, and the rule by which they start (one rule for local workers and Dask).

    A lane with an ``after`` task waits until that task's result is in (:meth:`done`), then starts with
    ``seed(its first task, that result)``; a task another lane waits on is sent as ``lead(task)`` (so only such a
    task need return what seeds). A lane waiting on a task of no lane would wait for ever: :meth:`release`.
    """

    def __init__(self, tasks: Sequence[Any], lanes: Sequence[Sequence[int]], after: Sequence[int | None] | None,
                 seed: Callable[[Any, Any], Any] | None, lead: Callable[[Any], Any] | None) -> None:
        self.tasks, self.lanes = tasks, lanes
        self.deps = {k: d for k, d in enumerate(after or []) if d is not None and k < len(lanes) and lanes[k]}
        self.waiting: deque[int] = deque(k for k, lane in enumerate(lanes) if lane)  # lane numbers, in order
        self.awaited = set(self.deps.values())
        self.finished: dict[int, Any] = {}  # results of the tasks a lane waits on
        self.seed, self.lead = seed, lead

    def task(self, i: int) -> Any:
        """Task ``i`` as it is sent (``lead(task)`` when a lane waits on it)."""
        t = self.tasks[i]
        return self.lead(t) if self.lead is not None and i in self.awaited else t

    def done(self, i: int, result: Any) -> None:
        """Task ``i`` finished with ``result`` (or the exception it raised); the first result counts."""
        if i in self.awaited:
            self.finished.setdefault(i, result)

    def next_lane(self) -> tuple[deque[int], Any] | None:
        """The first waiting lane that may start, with its first task (seeded when it waited on a result)."""
        for pos, k in enumerate(self.waiting):
            d = self.deps.get(k)
            if d is None or d in self.finished:
                del self.waiting[pos]
                lane = deque(self.lanes[k])
                first = self.task(lane[0])
                if d is not None and self.seed is not None:
                    first = self.seed(first, self.finished[d])
                return lane, first
        return None

    def release(self) -> None:
        """What the waiting lanes wait on will not come (not a task of any lane, or lost): they may all start."""
        self.deps.clear()


def run_lanes(fn: Callable[[Any], Any], tasks: Sequence[Any], lanes: Sequence[Sequence[int]], *,
              jobs: int, after: Sequence[int | None] | None = None,
              seed: Callable[[Any, Any], Any] | None = None, lead: Callable[[Any], Any] | None = None,
              scheduler: str | None = None) -> Iterator[tuple[int, Any]]:
    """Run each lane (task indices, in order) on one worker process, one task at a time.

    What a worker keeps between tasks (the search's warm start) therefore follows the lane, e.g. a shot's frames
    in order (:mod:`qualipress.pipeline.schedule`). Local workers: results still come back task by task, so an
    interruption loses no finished task and stops the rest at once; ``jobs`` workers take lanes in the given
    order as they free up; a worker that dies fails only the task it was running (:class:`WorkerCrashedError`),
    it is replaced and its lane goes on. On Dask (``scheduler``) a lane is one task: its results come back when
    it ends, but a task another lane waits on hands its result over as soon as it is done (a Dask event), so
    the waiting lane starts then, as locally; a lane whose worker keeps dying is run again task by task, so
    only the task that crashes fails.

    Parameters
    ----------
    fn : callable
        Module-level function of one task.
    tasks : sequence
    lanes : sequence of sequence of int
        Every task index once.
    jobs : int
        Worker processes (local; ignored on Dask).
    after : sequence of (int or None), optional
        Per lane, a task of another lane that must finish before this lane starts (None: starts at once). A free
        worker takes the first waiting lane that may start; it waits when none may. A lane that waits must not
        depend on a task of a lane that itself waits on it.
    seed : callable, optional
        ``seed(task, result)`` gives the task a waiting lane starts with, from its own first task and the
        ``after`` task's result (or the exception it raised): e.g. the first frame of a shot hands its warm start
        to the shot's other chunks. Without it the first task is sent as it is.
    lead : callable, optional
        ``lead(task)`` is what is sent for a task some lane waits on (e.g. asks it to return its warm start too);
        other tasks are sent as they are.
    scheduler : str, optional
        Address of a Dask distributed scheduler to run the lanes on instead of local workers.

    Yields
    ------
    (int, object)
        Task index and its result, or the exception it raised.
    """
    plan = _Lanes(tasks, lanes, after, seed, lead)
    if scheduler:
        yield from _run_dask(fn, plan, scheduler, solo=False)
    else:
        yield from _run_local(fn, plan, jobs, solo=False)


def _died_at(running: dict[cf.Future[Any], tuple[int, int, Any, int]], failed: tuple[int, int, Any, int],
             again: deque[tuple[int, Any]]) -> tuple[int, Any]:
    """The ``(index, task)`` a dead one-worker pool was running: the oldest sent of ``failed`` (a future of that
    pool that failed) and the pool's futures still in ``running`` without a result. Those leave ``running``; all
    but the oldest (queued behind it) go to the front of ``again``."""
    slot = failed[0]
    lost = [f for f, v in running.items() if v[0] == slot
            and not (f.done() and not isinstance(f.exception(), BrokenProcessPool))]
    (_, i, task, _), *waited = sorted([failed, *(running.pop(f) for f in lost)], key=lambda v: v[3])
    again.extendleft((j, t) for _, j, t, _ in reversed(waited))
    return i, task


def _run_local(fn: Callable[[Any], Any], plan: _Lanes, jobs: int, *, solo: bool, start: str = "fork",
               init: Callable[[], None] | None = None) -> Iterator[tuple[int, Any]]:
    """``plan``'s lanes on local workers, each worker a one-worker pool that runs its tasks in the order sent.

    A lane's tasks are sent one at a time. A worker that dies fails the one task it was running (the oldest it
    was sent); tasks queued behind it are sent again. With ``solo`` (independent tasks, one per lane): each worker
    has a second task queued (no idle gap between short tasks); a task whose worker died while other workers
    ran is run again alone (once those are done, before any other starts) and fails only if it dies again; and
    a third worker found dead between tasks (since the last task failed) stops the run.
    """
    width, ahead = max(1, min(jobs, len(plan.waiting))), 2 if solo else 1  # ahead: tasks sent to a worker at most
    pools = [_pool(1, start, init) for _ in range(width)]
    rest: list[deque[int]] = [deque() for _ in range(width)]  # the lane each worker is on: its tasks not sent yet
    running: dict[cf.Future[Any], tuple[int, int, Any, int]] = {}  # future -> (slot, task index, task sent, order)
    again: deque[tuple[int, Any]] = deque()  # (index, task) queued on a worker that died before running them
    suspects: deque[tuple[int, int, Any]] = deque()  # died beside others: each runs again alone, then leaves
    order = itertools.count()  # of sending: a one-worker pool runs what it was sent in this order
    idle_breaks, clean = 0, False

    def send(slot: int, i: int, task: Any) -> None:
        nonlocal idle_breaks
        try:
            fut = pools[slot].submit(fn, task)
        except BrokenProcessPool:
            if any(v[0] == slot for v in running.values()):  # died at a task: that task's failure renews it
                again.append((i, task))
                return
            _close(pools[slot], kill=True)  # the worker died between tasks: a fresh one takes the task
            pools[slot] = _pool(1, start, init)
            idle_breaks += 1
            if solo and idle_breaks >= 3:
                raise QualipressError("worker processes keep dying before they run anything (out of memory?)") \
                    from None
            fut = pools[slot].submit(fn, task)
        running[fut] = (slot, i, task, next(order))

    def feed(slot: int, depth: int) -> None:
        if suspects or sum(v[0] == slot for v in running.values()) >= depth:
            return
        task = None
        if again:
            i, task = again.popleft()
        else:
            if not rest[slot]:
                got = plan.next_lane()
                if got is None:
                    return
                rest[slot], task = got
            i = rest[slot].popleft()
        send(slot, i, plan.task(i) if task is None else task)

    try:
        while True:
            if suspects and not running:
                send(*suspects[0])
            for depth, slot in itertools.product(range(1, ahead + 1), range(width)):  # idle workers first: a
                feed(slot, depth)  # lane may start now that a result it waited on is in; then one queued each
            if not running:
                if not plan.waiting and not again:
                    break
                plan.release()  # what the waiting lanes wait on will not come (not a task of any lane)
                continue
            beside = len({v[0] for v in running.values()}) > 1
            for fut in cf.wait(running, return_when=cf.FIRST_COMPLETED)[0]:
                if fut not in running:  # queued behind a task whose worker died: sent again
                    continue
                slot, i, task, n = running.pop(fut)
                if suspects and suspects[0][1] == i:
                    suspects.popleft()
                exc = fut.exception()
                if isinstance(exc, BrokenProcessPool):
                    i, task = _died_at(running, (slot, i, task, n), again)
                    _close(pools[slot], kill=True)
                    pools[slot] = _pool(1, start, init)
                    if solo and beside:
                        suspects.append((slot, i, task))
                        continue
                    idle_breaks = 0
                    res: Any = WorkerCrashedError(_CRASHED)
                else:
                    res = exc if exc is not None else fut.result()
                plan.done(i, res)
                yield i, res
        clean = True
    finally:
        for pool in pools:
            _close(pool, kill=not clean)


def reuse_heap_on_dask_worker() -> bool:
    """Let this Dask worker process reuse freed frame buffers instead of mapping fresh pages for every array.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (``distributed.nanny.pre-spawn-environ``).
    Setting any glibc threshold turns off glibc's adaptive rule, so the mmap threshold stays at 128 KiB: every
    array above it (a 2K frame, a decoded probe, each metric's strip buffers) is a fresh ``mmap`` whose pages are
    faulted in and zeroed by the kernel, then unmapped when freed. A lossy 2K frame then cost twice its CPU
    (about as much system time as user time). This restores what glibc's adaptive rule reaches in a local worker
    (thresholds :data:`HEAP_MMAP_THRESHOLD` / :data:`HEAP_TRIM_THRESHOLD`), once per process.

    Only when ``MALLOC_TRIM_THRESHOLD_`` is in the environment and ``MALLOC_MMAP_THRESHOLD_`` is not: a worker
    started with its own mmap threshold keeps it. No-op off glibc.

    Returns
    -------
    bool
        Whether the thresholds were set (by this call or an earlier one in this process).
    """
    global _heap_reused
    if _heap_reused is None:
        _heap_reused = False
        if "MALLOC_TRIM_THRESHOLD_" in os.environ and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
            with contextlib.suppress(OSError, AttributeError, TypeError):  # TypeError: CDLL(None) on Windows
                libc = ctypes.CDLL(None)
                _heap_reused = (libc.mallopt(_M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD) == 1
                                and libc.mallopt(_M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD) == 1)
    return _heap_reused


def _on_dask_worker(fn: Callable[[Any], Any], task: Any) -> Any:
    """What a Dask worker runs per task: the heap set-up (once per process), then ``fn``."""
    reuse_heap_on_dask_worker()
    return fn(task)


def _dask_client(scheduler: str) -> Any:
    """A client of the Dask scheduler at ``scheduler``.

    Raises
    ------
    QualipressError
        The scheduler cannot be reached or ``dask.distributed`` is not installed.
    """
    try:
        from distributed import Client
    except ImportError as exc:
        raise QualipressError("--scheduler needs dask.distributed: pip install 'qualipress[film]'") from exc
    try:
        return Client(scheduler, timeout="10s")
    except Exception as exc:  # OSError / TimeoutError from the comm layer
        raise QualipressError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc


def _dask_lane(fn: Callable[[Any], Any], indices: Sequence[int], tasks: Sequence[Any], hand_over: Sequence[int],
               run: str) -> list[tuple[bool, Any]]:
    """What a Dask worker runs per lane: ``fn`` on each task in order, ``(ok, result or exception)`` per task.

    The result of each task in ``hand_over`` (one another lane waits on) is also sent at once, pickled, as a
    Dask event of run ``run`` on :data:`HAND_OVER_TOPIC` (:func:`_run_dask` starts the waiting lane from it);
    should that fail, the lane's own result still carries it."""
    reuse_heap_on_dask_worker()
    out: list[tuple[bool, Any]] = []
    for i, (ok, res) in zip(indices, each_task(fn, tasks), strict=True):
        out.append((ok, res))
        if i in hand_over:
            with contextlib.suppress(Exception):  # not picklable, or not on a worker: handed over with the lane
                from distributed import get_worker

                get_worker().log_event(HAND_OVER_TOPIC, {"run": run, "task": i, "result": pickle.dumps(res)})
    return out


def each_task(fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[bool, Any]]:
    """``fn`` on each task in order, in this process: ``(ok, result or exception)`` per task, as each ends, so one
    failing task does not hide the others' results."""
    for task in tasks:
        try:
            yield True, fn(task)
        except Exception as exc:
            yield False, exc


def _run_dask(fn: Callable[[Any], Any], plan: _Lanes, scheduler: str, *, solo: bool) -> Iterator[tuple[int, Any]]:
    """``plan``'s lanes on Dask: each lane one Dask task, started by ``plan``'s rule as results come in.

    A lane whose worker kept dying (Dask gives up on it with ``KilledWorker``) is run again one task at a time,
    in order, each task alone, so only the task that crashes fails (as the local pool does), with
    :class:`WorkerCrashedError`. Before giving up, Dask itself reruns the whole lane
    ``distributed.scheduler.allowed-failures`` times (default 3), so the tasks before a crashing one run again
    each time; a batch task then takes the record its first attempt left instead of doing its file again
    (``batch._finished_earlier``). With ``solo`` (independent tasks, one per lane) each task is sent alone at
    once and its error, ``KilledWorker`` included, comes back as it is."""
    client = _dask_client(scheduler)
    run = uuid.uuid4().hex
    news: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()  # the one place this loop waits on
    running: dict[Any, tuple[list[tuple[int, Any]], bool]] = {}  # future -> ((index, task sent) per task, alone)

    def submit(lanes: list[list[tuple[int, Any]]], alone: bool) -> None:
        """Send ``lanes`` in one go (one graph for a whole batch); ``alone``: each lane's first task only."""
        if not lanes:
            return
        if alone:  # the rest of such a lane follows its first task one by one
            futs = client.map(functools.partial(_on_dask_worker, fn), [lane[0][1] for lane in lanes], pure=False)
        else:
            indices = [[i for i, _ in lane] for lane in lanes]
            futs = client.map(functools.partial(_dask_lane, fn, run=run), indices,
                              [[t for _, t in lane] for lane in lanes],
                              [[i for i in ix if i in plan.awaited] for ix in indices], pure=False)
        for fut, lane in zip(futs, lanes, strict=True):
            running[fut] = (lane, alone)
            fut.add_done_callback(lambda f: news.put(("done", f)))

    def start_lanes() -> None:
        ready = []
        while (got := plan.next_lane()) is not None:
            lane, first = got
            ready.append([(lane[0], first), *((i, plan.task(i)) for i in list(lane)[1:])])
        submit(ready, solo)

    try:
        if plan.awaited:
            client.subscribe_topic(HAND_OVER_TOPIC, lambda event: news.put(("hand-over", event[1])))
        start_lanes()
        while running or plan.waiting:
            if not running:  # what the waiting lanes wait on will not come
                plan.release()
                start_lanes()
                continue
            kind, item = news.get()
            if kind == "hand-over":
                if isinstance(item, dict) and item.get("run") == run:  # not another run's on this scheduler
                    with contextlib.suppress(Exception):
                        plan.done(int(item["task"]), pickle.loads(item["result"]))
                    start_lanes()
                continue
            if item not in running:
                continue
            lane, alone = running.pop(item)
            try:
                value = item.result()
            except Exception as exc:  # the lane's worker kept dying (KilledWorker), or the lone task raised
                if not alone:
                    submit([lane], True)
                    continue
                if not solo and type(exc).__name__ == "KilledWorker":  # what the local runners report
                    exc = WorkerCrashedError(f"worker process died while processing this file ({exc})")
                pairs: list[tuple[bool, Any]] = [(False, exc)]
            else:
                pairs = [(True, value)] if alone else value
            if alone and len(lane) > 1:
                submit([lane[1:]], True)
            for (i, _), (_, res) in zip(lane, pairs, strict=False):
                plan.done(i, res)
                yield i, res
            start_lanes()
    finally:
        if plan.awaited:
            with contextlib.suppress(Exception):
                client.unsubscribe_topic(HAND_OVER_TOPIC)
        with contextlib.suppress(Exception):
            client.cancel(list(running))
        client.close()
