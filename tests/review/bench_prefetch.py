"""Time-to-next-pair for 4096x2160 16-bit pairs: the first render vs prefetched ones (not a test).

python tests/review/bench_prefetch.py 4      # seconds the simulated evaluator looks at each pair
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import imagecodecs
import numpy as np
from starlette.testclient import TestClient

from qualipress.review import build_app, scan_collections

d = Path(tempfile.mkdtemp())
(d / "original").mkdir()
(d / "v").mkdir()
y, x = np.mgrid[0:2160, 0:4096]
for i in range(4):
    a = np.stack([x * 16 + i, y * 30, (x + y) * 10], 2).astype(np.uint16)
    (d / "original" / f"f{i}.png").write_bytes(imagecodecs.png_encode(a))
    (d / "v" / f"f{i}.png").write_bytes(imagecodecs.png_encode(a // 64 * 64))
c = TestClient(build_app(scan_collections([d]), d / "db.sqlite"), base_url="http://127.0.0.1")
eid = c.post("/api/evaluators", json={"name": "t"}).json()["id"]
for step in range(4):
    t0 = time.perf_counter()
    t = c.post("/api/next", json={"evaluator_id": eid}).json()["trial"]
    print(f"pair {step}: next answered in {time.perf_counter() - t0:.2f} s")
    time.sleep(float(sys.argv[1]))  # the evaluator looks at the pair
    c.post("/api/scores", json={"trial": t["token"], "evaluator_id": eid, "score": 1})
