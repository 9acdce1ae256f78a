"""The coding-for-machines thresholds are written with the results (QA session 17, researcher: summary.json and
the report named the task but not the score threshold, the IoU or how F1 is averaged)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qualipress.rd.report import html_report
from qualipress.rd.sweep import TASK_IOU, TASK_MIN_SCORE, run_rd


def test_summary_and_report_state_the_task_thresholds(dataset: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from qualipress.detect import Region
    from qualipress.rd import sweep

    seen: list[float] = []

    def fake_match(ref, cand, *, iou_threshold):
        seen.append(iou_threshold)
        return real_match(ref, cand, iou_threshold=iou_threshold)

    real_match = sweep.match_regions
    monkeypatch.setattr(sweep, "_task_regions", lambda image, task: [Region("persons", (1, 1, 9, 9), 0.9)])
    monkeypatch.setattr(sweep, "match_regions", fake_match)
    monkeypatch.setattr(sweep, "TASK_IOU", 0.7)
    out = tmp_path / "r"
    run_rd(dataset, out, codecs=["jpeg"], qualities={"jpeg": [50.0]}, metrics=["psnr"], task="persons",
           anchor=None)
    assert seen and set(seen) == {0.7}
    ts = json.loads((out / "summary.json").read_text())["task_settings"]
    assert ts["min_score"] == TASK_MIN_SCORE and ts["iou"] == 0.7 and ts["detector"] == "persons"
    assert "IoU >= 0.7" in ts["f1"] and "micro" in ts["f1"]
    page = html_report(out).read_text()
    assert "IoU &gt;= 0.7" in page and f"scoring &gt;= {TASK_MIN_SCORE}" in page
    assert np.isclose(TASK_IOU, 0.5)
