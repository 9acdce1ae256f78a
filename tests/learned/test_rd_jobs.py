"""``run_rd(jobs=2)`` with a learned codec after torch has run in the parent (issue 16: it used to hang)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import json, sys
import torch
torch.set_num_threads(2)
(torch.randn(256, 256) @ torch.randn(256, 256)).sum()  # the parent's thread pool has run before the pool starts
from qualipress.rd import run_rd
codec = "learned:bmshj2018-hyperprior"
res = run_rd(sys.argv[1], sys.argv[2], codecs=[codec], qualities={codec: [1.0, 8.0]}, metrics=["psnr"],
             anchor=None, jobs=2, encode_options={codec: {"weights": sys.argv[3]}})
print(json.dumps({"errors": res.errors, "results": res.curves[codec]["results"]}))
"""


def test_two_workers_after_torch_give_the_in_process_rows(tmp_path: Path, synth_dir: Path,
                                                          tiny_hyperprior: Path) -> None:
    from qualipress.rd import run_rd
    from qualipress.rd.sweep import WORKER_START_METHOD

    assert WORKER_START_METHOD == "spawn"
    codec = "learned:bmshj2018-hyperprior"
    alone = run_rd(synth_dir, tmp_path / "one", codecs=[codec], qualities={codec: [1.0, 8.0]}, metrics=["psnr"],
                   anchor=None, jobs=1, encode_options={codec: {"weights": str(tiny_hyperprior)}})
    try:
        proc = subprocess.run([sys.executable, "-c", SCRIPT, str(synth_dir), str(tmp_path / "two"),
                               str(tiny_hyperprior)], capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("run_rd(jobs=2) did not finish in 10 minutes (workers hung)")
    assert proc.returncode == 0, proc.stderr[-2000:]
    two = json.loads(proc.stdout.strip().splitlines()[-1])
    assert two["errors"] == [] and alone.errors == []
    ref = alone.curves[codec]["results"]
    assert two["results"]["bpp"] == pytest.approx(ref["bpp"], rel=1e-12)
    assert two["results"]["psnr-rgb"] == pytest.approx(ref["psnr-rgb"], abs=1e-6)
