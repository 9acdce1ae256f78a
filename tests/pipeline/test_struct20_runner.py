"""run_tasks over the lane runner keeps its own crash rules: a task whose worker died beside others runs again
alone before it is blamed, and on Dask a task Dask gave up on comes back as Dask's ``KilledWorker``."""

import os
import time

from qualipress.pipeline.runner import WorkerCrashedError, run_tasks


def _dies_beside_zero(task: tuple[int, str]) -> int:
    """Task 0 runs for a while with a mark file; task 1 dies the first time it runs, beside task 0."""
    i, folder = task
    mark = os.path.join(folder, "zero-running")
    if i == 0:
        open(mark, "w").close()
        time.sleep(0.5)
        os.remove(mark)
    elif i == 1 and not os.path.exists(mark + ".seen"):  # its first run: once task 0 runs, its worker dies
        deadline = time.monotonic() + 10
        while not os.path.exists(mark) and time.monotonic() < deadline:
            time.sleep(0.01)
        open(mark + ".seen", "w").close()
        os._exit(9)  # killed while another task ran (as the OOM killer does)
    return i * 10


def test_a_task_whose_worker_died_beside_others_runs_again_alone(tmp_path):
    out = dict(run_tasks(_dies_beside_zero, [(i, str(tmp_path)) for i in range(4)], jobs=2))
    assert (tmp_path / "zero-running.seen").exists(), "task 1's worker never died"
    assert out == {0: 0, 1: 10, 2: 20, 3: 30}, "a task that runs alone was blamed for a crash beside others"


def _crash_on_three(i: int) -> int:
    if i == 3:
        os._exit(9)
    return i * 10


def test_run_tasks_on_dask_yields_what_dask_says(tmp_path, monkeypatch):
    import pytest

    distributed = pytest.importorskip("distributed")
    import dask

    monkeypatch.chdir(tmp_path)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as lc:
        got = dict(run_tasks(_crash_on_three, list(range(6)), scheduler=lc.scheduler_address))
    assert sorted(got) == list(range(6))
    assert type(got[3]).__name__ == "KilledWorker" and not isinstance(got[3], WorkerCrashedError)
    # a task Dask had given that worker may share its fate (Dask's rule); none is reported as a local crash
    assert not any(isinstance(v, WorkerCrashedError) for v in got.values())
    assert all(v == i * 10 for i, v in got.items() if not isinstance(v, BaseException))
