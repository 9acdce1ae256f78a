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
