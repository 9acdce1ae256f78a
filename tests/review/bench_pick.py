"""Cost of picking the next pair in a large review (not a test).

python tests/review/bench_pick.py 5000
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from qualipress.review.db import ReviewDB
from qualipress.review.pairs import Pair

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
tmp = Path(tempfile.mkdtemp())
db = ReviewDB(tmp / "big.sqlite")
pairs = [
    Pair(key=f"k{i}", collection=tmp, original=tmp / f"o{i}.png", compressed=tmp / f"c{i}.jpg", codec="jpeg")
    for i in range(n)
]
db.sync_items(pairs)
evaluators = [db.evaluator(f"e{i}")[0] for i in range(5)]
times = []
for _ in range(20):
    for e in evaluators:
        t0 = time.perf_counter()
        trial = db.next_trial(e, blind=True)
        times.append(time.perf_counter() - t0)
        db.submit(trial.token, evaluator_id=e, score=1)
times.sort()
print(f"{n} pairs, {len(times)} picks: median {times[len(times) // 2] * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms")
