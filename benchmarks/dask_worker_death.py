"""A Dask worker killed in the middle of a shot: how much of the shot is done again?

Usage (from the repository root)::

    python benchmarks/dask_worker_death.py --out /tmp/qp-dask-death [--frames 8] [--kill-after 4]

Writes ``--frames`` 640×960 photo-like PNG frames of one shot (``shot.0001.png`` …, so they form one lane on one
worker), starts a ``LocalCluster`` with one worker process, runs ``compress_paths`` (JPEG, ssim ≥ 0.95) on it in
a thread and, as soon as ``--kill-after`` frames are finished (their pending markers hold a record), kills the
worker process (SIGKILL, as a node dying). Dask reruns the lane on the restarted worker
(``distributed.scheduler.allowed-failures``). Prints how many frames were recovered from their first attempt
(``"recovered": true`` in the report) and the encodes and wall time of the whole run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--kill-after", type=int, default=4)
    a = ap.parse_args()

    import distributed
    from tests.conftest import photo_like

    from qualipress.io import as_image, write_image
    from qualipress.io.discover import PENDING_DIR
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.search import parse_target

    shutil.rmtree(a.out, ignore_errors=True)
    src, out = a.out / "frames", a.out / "out"
    src.mkdir(parents=True)
    for i in range(a.frames):
        write_image(src / f"shot.{i + 1:04d}.png", as_image(photo_like(640, 960, seed=i)))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc, distributed.Client(lc) as client:
        opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg", scheduler=lc.scheduler_address)
        box: dict = {}
        t0 = time.perf_counter()
        th = threading.Thread(target=lambda: box.update(s=compress_paths([src], out, opts)))
        th.start()
        killed = None
        while th.is_alive() and killed is None:
            done = 0
            for m in (out / PENDING_DIR).glob("*.json") if (out / PENDING_DIR).is_dir() else []:
                with contextlib.suppress(OSError, ValueError):
                    done += "record" in json.loads(m.read_text())
            if done >= a.kill_after:
                pid = next(iter(client.run(os.getpid).values()))
                os.kill(pid, signal.SIGKILL)
                killed = done
            time.sleep(0.05)
        th.join()
        wall = time.perf_counter() - t0
    recs = [json.loads(line) for line in (out / "qualipress-report.jsonl").read_text().splitlines()]
    print(json.dumps({"frames": a.frames, "killed_after_finished": killed, "records": len(recs),
                      "recovered": sum(bool(r.get("recovered")) for r in recs),
                      "failed": sum(bool(r.get("error")) for r in recs),
                      "encodes_reported": sum(int(r.get("encodes") or 0) for r in recs),
                      "wall_s": round(wall, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
