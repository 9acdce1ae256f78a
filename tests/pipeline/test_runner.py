import os
import time

from qualipress.pipeline.runner import WorkerCrashedError, run_tasks


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
