"""Timing helper shared by the benchmark scripts (one definition of "the best of N runs")."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_of(fn: Callable[[], Any], repeats: int, clock: Callable[[], float] = time.process_time) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn`` by ``clock`` (CPU time by default; pass
    ``time.perf_counter`` for wall time): the least disturbed run on a shared machine."""
    best = float("inf")
    for _ in range(repeats):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best
