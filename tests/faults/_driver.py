"""Run the ``qualipress`` CLI in a real process, with faults injected into the batch for the fault suite.

Environment: ``QP_TRACE`` (file: each job appends "PID NAME" when it starts, so the test knows the workers),
``QP_SLOW`` (seconds each job sleeps first, so a signal lands mid-batch), ``QP_CRASH`` (a file name: the worker
processing it kills itself with SIGKILL, like a segfault or an OOM kill).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

from qualipress.pipeline import batch


def _inject() -> None:
    real = batch.process_one
    trace = os.environ.get("QP_TRACE")
    slow = float(os.environ.get("QP_SLOW", "0"))
    crash = os.environ.get("QP_CRASH")

    def process_one(job: Any, *args: Any, **kwargs: Any) -> Any:
        if trace:
            with open(trace, "a") as fh:
                fh.write(f"{os.getpid()} {job.source.name}\n")
        if crash and job.source.name == crash:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(slow)
        return real(job, *args, **kwargs)

    batch.process_one = process_one


if __name__ == "__main__":
    _inject()
    from qualipress.cli import main

    sys.exit(main(sys.argv[1:]))
