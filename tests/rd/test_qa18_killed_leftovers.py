"""QA session 18: what a killed ``bench rd`` leaves (a temporary file of an atomic write) is not a result."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from qualipress.io import TEMP_PREFIX
from qualipress.io.files import _host_tag
from qualipress.rd.report import html_report, load_curves, plot_rd
from qualipress.rd.sweep import run_rd

Q = {"jpeg": [30.0, 60.0, 90.0], "pillow-jpeg": [30.0, 60.0, 90.0]}


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_rerun_after_a_kill_mid_write_removes_the_torn_temp_and_reports(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    run_rd(dataset, out, codecs=["jpeg", "pillow-jpeg"], qualities=Q, metrics=["psnr"])
    whole = (out / "jpeg.json").read_text()
    # killed while writing jpeg.json (torn), and a finished write of a run still going (its own, alive)
    torn = out / f"{TEMP_PREFIX}{_dead_pid()}.{_host_tag()}.abcd1234.jpeg.json"
    torn.write_text(whole[: len(whole) // 2])
    live = out / f"{TEMP_PREFIX}{os.getpid()}.{_host_tag()}.efgh5678.webp.json"
    live.write_text(whole)
    # before: the torn file stayed for good, and every later report failed ("is not an RD results JSON")
    res = run_rd(dataset, out, codecs=["jpeg", "pillow-jpeg"], qualities=Q, metrics=["psnr"])
    assert res.computed == 0 and res.cached > 0
    assert not torn.exists() and live.exists()
    html_report(out)
    assert sorted(load_curves([out])) == ["jpeg", "pillow-jpeg"]  # the live temp is not a curve either


def test_results_folder_inside_the_dataset_is_not_benchmarked_on_the_rerun(dataset: Path) -> None:
    """QA session 18: ``bench rd ds/ -o ds/res`` run twice benchmarked its own ``rd.png`` as a third image."""
    out = dataset / "res"
    for _ in range(2):
        run_rd(dataset, out, codecs=["jpeg"], qualities={"jpeg": [40.0, 80.0]}, metrics=["psnr"])
        html_report(out)
        plot_rd(load_curves([out]), out / "rd.png", metrics=["psnr-rgb"])  # the CLI's chart, in the folder
    res = run_rd(dataset, out, codecs=["jpeg"], qualities={"jpeg": [40.0, 80.0]}, metrics=["psnr"])
    assert sorted({Path(r["image"]).name for r in res.rows}) == ["im0.png", "im1.png"] and res.computed == 0
