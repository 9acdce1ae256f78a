"""struct19: ``compress in -o in/out`` killed after p1's file was written, verified and its marker completed, before
its report line; then ``mv in in2`` and the same run into ``in2/out``. The marker's record was read with its output
in ``in2/out`` but its input still ``in/p1.png`` (a report's record is read with both moved, rev14), so the rerun
found no record of ``in2/p1.png`` and refused its own recovered output as "not made by this run's settings"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from qualipress.io import as_image, write_image
from qualipress.pipeline import CompressOptions, batch, compress_paths
from qualipress.search import parse_target
from tests.conftest import photo_like


def test_a_moved_folder_with_its_output_inside_recovers_the_job_its_marker_holds(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in (0, 1):
        write_image(src / f"p{i}.png", as_image(photo_like(48, 64, seed=i)))
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    compress_paths([src], src / "out", opts)
    report = src / "out" / batch.REPORT_NAME
    lines = report.read_text().splitlines()
    last = json.loads(lines[-1])
    report.write_text("\n".join(lines[:-1]) + "\n")
    batch._mark_pending(src / "out", Path(last["output"]), [Path(last["output"])])
    batch._mark_done(src / "out", last)
    moved = tmp_path / "in2"
    shutil.move(src, moved)
    again = compress_paths([moved], moved / "out", opts)
    assert not again.failures, [r.get("error") for r in again.failures]
    assert not [r for r in again.records if not r.get("recovered")]
    assert sorted(Path(r["output"]).name for r in [*again.records, *again.skipped]) == ["p0.jpg", "p1.jpg"]
    assert all(r["input"].startswith(str(moved)) for r in [*again.records, *again.skipped])
