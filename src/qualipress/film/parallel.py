"""Run independent frame tasks in-process, in a local process pool, or on a Dask distributed cluster.

Task functions must be module-level (picklable) and should return error records rather than raise, so that one
bad frame never stops a batch; an exception that escapes anyway is yielded in place of the result.
With ``scheduler="tcp://host:8786"`` the frames are sent to an existing cluster: every worker must see the same
paths (shared storage) and have qualipress installed.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from qualipress.errors import QualipressError


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], *, jobs: int = 1,
              scheduler: str | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, result)`` as tasks finish (completion order).

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

    Yields
    ------
    (int, object)
        Task index and its result, or the exception it raised.

    Raises
    ------
    QualipressError
        The scheduler cannot be reached or ``dask.distributed`` is not installed.
    """
    if not tasks:
        return
    if scheduler:
        yield from _run_dask(fn, tasks, scheduler)
        return
    if jobs <= 1:
        for i, t in enumerate(tasks):
            try:
                yield i, fn(t)
            except Exception as exc:
                yield i, exc
        return
    # fork: workers start at once and need no importable __main__; the parent only schedules and appends
    # records, so no library threads are running when it forks.
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futs = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
        for fut in cf.as_completed(futs):
            try:
                yield futs[fut], fut.result()
            except Exception as exc:
                yield futs[fut], exc


def _run_dask(fn: Callable[[Any], Any], tasks: Sequence[Any], scheduler: str) -> Iterator[tuple[int, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise QualipressError("--scheduler needs dask.distributed: pip install 'qualipress[film]'") from exc
    try:
        client = Client(scheduler, timeout="10s")
    except Exception as exc:  # OSError / TimeoutError from the comm layer
        raise QualipressError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    try:
        futures = client.map(fn, list(tasks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            try:
                yield index[fut.key], fut.result()
            except Exception as exc:
                yield index[fut.key], exc
    finally:
        client.close()
