"""The local runner: crashes fail one task, closing stops the workers; lanes keep a shot on one worker, in
order, with results task by task."""

import os
import time

from qualipress.pipeline.runner import WorkerCrashedError, run_lanes, run_tasks


def _square_or_die(x: int) -> int:
    if x == 5:
        os._exit(9)  # like a segfault in a codec: the worker vanishes without a word
    time.sleep(0.01)
    return x * x


def _pid(_: int) -> int:
    time.sleep(0.2)
    return os.getpid()


def test_a_dying_worker_fails_its_task_only():
    out = dict(run_tasks(_square_or_die, list(range(10)), jobs=2))
    assert set(out) == set(range(10))
    assert isinstance(out[5], WorkerCrashedError)
    assert {k: v for k, v in out.items() if k != 5} == {x: x * x for x in range(10) if x != 5}


def test_serial_run_is_in_order_in_this_process():
    assert [r for _, r in run_tasks(_pid, [0, 1], jobs=1)] == [os.getpid()] * 2


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_closing_the_runner_stops_its_workers():
    gen = run_tasks(_pid, list(range(20)), jobs=2)
    _, pid = next(gen)
    gen.close()  # what an interruption does through contextlib.closing
    deadline = time.monotonic() + 10
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid)


def _pid_after(task: tuple[int, float]) -> tuple[int, int, float]:
    i, delay = task
    time.sleep(delay)
    return i, os.getpid(), time.monotonic()


def _crash_on_three(i: int) -> int:
    if i == 3:
        os._exit(9)  # a worker dying in native code looks like this to the pool
    return i * 10


def test_each_lane_runs_in_order_on_one_worker() -> None:
    tasks = [(i, 0.02) for i in range(8)]
    lanes = [[0, 1, 2, 3], [4, 5, 6, 7]]
    got = dict(run_lanes(_pid_after, tasks, lanes, jobs=2))
    assert sorted(got) == list(range(8))
    for lane in lanes:
        pids = {got[i][1] for i in lane}
        assert len(pids) == 1, "a lane moved between workers"
        times = [got[i][2] for i in lane]
        assert times == sorted(times), "a lane's tasks ran out of order"
    assert {got[0][1]} != {got[4][1]}, "two lanes shared one worker while two were free"


def test_a_crash_fails_only_its_task_and_the_lane_goes_on() -> None:
    results = dict(run_lanes(_crash_on_three, list(range(6)), [[0, 1, 2, 3, 4, 5]], jobs=1))
    assert isinstance(results[3], WorkerCrashedError)
    assert {i: v for i, v in results.items() if i != 3} == {0: 0, 1: 10, 2: 20, 4: 40, 5: 50}


def test_results_arrive_before_the_lane_ends() -> None:
    tasks = [(i, 0.3 if i else 0.0) for i in range(3)]
    it = run_lanes(_pid_after, tasks, [[0, 1, 2]], jobs=1)
    first_index, _ = next(it)
    t_first = time.monotonic()
    rest = list(it)
    assert first_index == 0 and len(rest) == 2
    # the first result was handed over while the other two tasks (0.6 s together) were still to run
    assert max(v[2] for _, v in rest) > t_first


_MALLINFO2_FIELDS = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                     "keepcost")


def _mapped_for(nbytes: int) -> tuple[str | None, int]:
    """In the process that runs it: the trim threshold in its environment, and how many bytes glibc mapped afresh
    (``mallinfo2().hblkhd``) for an array of ``nbytes`` while it is alive."""
    import ctypes

    import numpy as np

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2_FIELDS]

    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2
    warm = np.ones(nbytes, np.uint8)  # a first frame-sized block, freed: what a worker's previous frame leaves
    del warm
    before = libc.mallinfo2().hblkhd
    frame = np.ones(nbytes, np.uint8)
    mapped = libc.mallinfo2().hblkhd - before
    del frame
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), int(mapped)


def _glibc_mallinfo2() -> bool:
    import ctypes

    try:
        return hasattr(ctypes.CDLL(None), "mallinfo2")
    except OSError:
        return False


def test_dask_workers_reuse_freed_frame_buffers(tmp_path, monkeypatch):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_, which pins glibc's mmap threshold at 128 KiB: every frame-sized
    array was a fresh mapping (page faults, system time about equal to user time). A task run through the runner
    gets its arrays from the heap again."""
    import pytest

    distributed = pytest.importorskip("distributed")
    if not _glibc_mallinfo2():
        pytest.skip("needs glibc's mallinfo2")
    monkeypatch.chdir(tmp_path)
    size = 12 * 1024 * 1024  # a 2K 16-bit RGB frame is 12.7 MiB
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc, distributed.Client(lc) as client:
        trim, plain = next(iter(client.run(_mapped_for, size).values()))
        if trim is None:
            pytest.skip("this Dask configuration does not set MALLOC_TRIM_THRESHOLD_")
        assert plain >= size  # what the nanny's environment does to any code on the worker
        [(_, (trim_in_task, mapped))] = list(run_tasks(_mapped_for, [size], scheduler=lc.scheduler_address))
    assert trim_in_task == trim
    assert mapped < size


def test_own_mmap_threshold_on_a_worker_is_kept():
    """A worker started with its own MALLOC_MMAP_THRESHOLD_ keeps it; without a trim threshold in the environment
    (glibc adaptive) nothing is set."""
    import subprocess
    import sys

    import pytest

    if not _glibc_mallinfo2():
        pytest.skip("needs glibc's mallinfo2")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_runner as t; "
            "from qualipress.pipeline.runner import reuse_heap_on_dask_worker as r; "
            "print(r(), t._mapped_for(12 * 1024 * 1024)[1] >= 12 * 1024 * 1024)")
    here = os.path.dirname(os.path.abspath(__file__))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    cases = {("MALLOC_TRIM_THRESHOLD_", "65536"): "True False",
             ("MALLOC_MMAP_THRESHOLD_", "131072"): "False True"}
    for (name, value), expected in cases.items():
        extra = {"MALLOC_TRIM_THRESHOLD_": "65536", name: value}
        out = subprocess.run([sys.executable, "-c", code, here], env={**env, **extra}, capture_output=True,
                             text=True, check=True).stdout.split()
        assert " ".join(out) == expected, (extra, out)
    out = subprocess.run([sys.executable, "-c", code, here], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "False"


def _seeded(task: tuple[int, float] | tuple[int, float, int]) -> tuple[int, int | None, int]:
    time.sleep(task[1])
    return task[0], task[2] if len(task) > 2 else None, os.getpid()


def _add_seed(task: tuple[int, float], result: tuple[int, int | None, int]) -> tuple[int, float, int]:
    return (*task, result[0])


def test_a_waiting_lane_starts_after_its_seed_with_that_result() -> None:
    # lane 1 waits on task 0 (the first frame of its shot); a second worker takes the unrelated lane 2 meanwhile
    tasks = [(0, 0.3), (1, 0.0), (2, 0.0), (3, 0.0), (4, 0.0)]
    pairs = list(run_lanes(_seeded, tasks, [[0, 1], [2, 3], [4]], jobs=2, after=[None, 0, None], seed=_add_seed))
    order, got = [i for i, _ in pairs], dict(pairs)
    assert sorted(order) == list(range(5))
    assert order.index(0) < order.index(2), "the waiting lane started before the task it waits on finished"
    assert got[2][1] == 0, "the waiting lane's first task did not get the seed"
    assert got[3][1] is None and got[1][1] is None and got[4][1] is None, "only a waiting lane's first task is seeded"


def test_a_lane_waiting_on_no_task_still_runs() -> None:
    got = dict(run_lanes(_seeded, [(0, 0.0), (1, 0.0)], [[0], [1]], jobs=2, after=[None, 7], seed=_add_seed))
    assert sorted(got) == [0, 1] and got[1][1] is None


def _lead(task: tuple) -> tuple:
    return (*task[:2], "lead")


def _hand_over_or_wait(task: tuple) -> tuple[int, object, int]:
    """Task 1 (the head lane's second task) waits for the file the waiting lane's first task writes: it sees
    it only if that lane started while the head lane was still running (at most 120 s, then says so)."""
    i, flag, *rest = task
    mark = os.path.join(os.environ["QP_TEST_DIR"], "lane-started")
    if i == 2:
        open(mark, "w").close()
    if i == 1:
        deadline = time.monotonic() + 120
        while not os.path.exists(mark) and time.monotonic() < deadline:
            time.sleep(0.05)
        flag = "saw the waiting lane" if os.path.exists(mark) else "waiting lane not started"
    return i, flag if not rest else rest[0], os.getpid()


def _seed_from(task: tuple, result: tuple) -> tuple:
    return (*task, ("seed", result[0], result[1]))


def test_dask_lanes_hand_a_result_over_mid_lane(tmp_path, monkeypatch):
    """On Dask a lane is one task; the lane waiting on task 0 starts from its result as soon as task 0 is done
    (not when its lane ends), with it as seed; only the task waited on is sent as ``lead(task)``."""
    import pytest

    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("QP_TEST_DIR", str(tmp_path))
    tasks = [(0, None), (1, None), (2, None), (3, None)]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc:
        got = dict(run_lanes(_hand_over_or_wait, tasks, [[0, 1], [2, 3]], jobs=2, after=[None, 0],
                             seed=_seed_from, lead=_lead, scheduler=lc.scheduler_address))
    assert sorted(got) == [0, 1, 2, 3]
    assert got[0][1] == "lead" and got[3][1] is None, "only the task waited on is sent as lead(task)"
    assert got[1][1] == "saw the waiting lane", "the waiting lane started only when the head lane ended"
    assert got[2][1] == ("seed", 0, "lead"), "the waiting lane's first task did not start from task 0's result"
    assert got[0][2] == got[1][2] and got[2][2] == got[3][2] != got[0][2]  # a lane on one worker process


def test_a_dask_lane_whose_worker_dies_is_run_again_task_by_task(tmp_path, monkeypatch):
    import pytest

    distributed = pytest.importorskip("distributed")
    import dask

    monkeypatch.chdir(tmp_path)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as lc:
        got = dict(run_lanes(_crash_on_three, list(range(6)), [[0, 1, 2, 3, 4, 5]], jobs=1,
                             scheduler=lc.scheduler_address))
    assert sorted(got) == list(range(6))
    assert isinstance(got[3], WorkerCrashedError)  # as the local runners say it, not Dask's KilledWorker
    assert {i: v for i, v in got.items() if i != 3} == {i: i * 10 for i in range(6) if i != 3}
