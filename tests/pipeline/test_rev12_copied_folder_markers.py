"""rev12: a compress folder copied while it held a stopped run's pending markers (absolute paths into the old
folder) must never make a run into the copy delete or take files in the old folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qualipress.io import as_image, sha256_file, write_image
from qualipress.pipeline import CompressOptions, batch, compress_paths
from qualipress.search import parse_target
from tests.conftest import photo_like


def _killed_before_report(out: Path, opts: CompressOptions, src: Path, *, legacy: bool = True) -> None:
    """``out`` as a kill -9 leaves it: p1's output written, its marker naming it, no report line (``legacy``: a
    marker as written before it named its folder)."""
    compress_paths([src], out, opts)
    report = out / batch.REPORT_NAME
    lines = report.read_text().splitlines()
    last = json.loads(lines[-1])
    report.write_text("\n".join(lines[:-1]) + "\n")
    if legacy:
        marker = batch._marker_path(out, Path(last["output"]))
        marker.parent.mkdir(exist_ok=True)  # a finished run removes the empty pending folder (link19)
        marker.write_text(json.dumps({"paths": [last["output"]]}))
    else:
        batch._mark_pending(out, Path(last["output"]), [Path(last["output"])])


@pytest.mark.parametrize("legacy", [True, False])
def test_a_copy_with_a_stopped_runs_marker_leaves_the_old_folder_alone(tmp_path: Path, legacy: bool) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    for i in (0, 1):
        write_image(src / f"p{i}.png", as_image(photo_like(48, 64, seed=i)))
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    first, copy = tmp_path / "out", tmp_path / "copy"
    _killed_before_report(first, opts, src, legacy=legacy)
    shutil.copytree(first, copy)
    compress_paths([src], first, opts)  # the old folder settles its marker and finishes p1
    kept = {p.name: sha256_file(p) for p in first.glob("p*.jpg")}
    assert sorted(kept) == ["p0.jpg", "p1.jpg"]
    again = compress_paths([src], copy, opts)  # the copy settles its own copy of the marker
    assert not again.failures
    # before: the copy's marker named out/p1.jpg and the run into the copy deleted it (the old folder's finished,
    # reported output)
    assert {p.name: sha256_file(p) for p in first.glob("p*.jpg")} == kept
    assert sorted(p.name for p in copy.glob("p*.jpg")) == ["p0.jpg", "p1.jpg"]
    assert all(str(r["output"]).startswith(str(copy)) for r in [*again.records, *again.skipped])


def test_a_moved_folder_recovers_a_finished_job_its_marker_holds(tmp_path: Path) -> None:
    # killed after p1's file was written, verified and its marker completed, before its report line; then `mv`
    src = tmp_path / "photos"
    src.mkdir()
    for i in (0, 1):
        write_image(src / f"p{i}.png", as_image(photo_like(48, 64, seed=i)))
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    first, moved = tmp_path / "out", tmp_path / "moved"
    compress_paths([src], first, opts)
    report = first / batch.REPORT_NAME
    lines = report.read_text().splitlines()
    last = json.loads(lines[-1])
    report.write_text("\n".join(lines[:-1]) + "\n")
    marker = batch._marker_path(first, Path(last["output"]))
    marker.parent.mkdir(exist_ok=True)  # a finished run removes the empty pending folder (link19)
    marker.write_text(json.dumps({"paths": [last["output"]],
                                                                           "record": last}))
    shutil.move(first, moved)
    again = compress_paths([src], moved, opts)
    # before: the marker named out/p1.jpg (gone), so moved/p1.jpg was refused as "not made by this run's settings"
    assert not again.failures and not again.records and len(again.skipped) == 2
    (rec,) = [r for r in again.skipped if r["input"].endswith("p1.png")]
    assert rec.get("recovered") and rec["output"] == str(moved / "p1.jpg")


def test_a_moved_folder_names_its_own_stale_output_when_the_source_changed(tmp_path: Path) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    write_image(src / "p0.png", as_image(photo_like(48, 64, seed=0)))
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    first, moved = tmp_path / "out", tmp_path / "moved"
    compress_paths([src], first, opts)
    shutil.move(first, moved)
    write_image(src / "p0.png", as_image(photo_like(48, 64, seed=1)))  # rescanned since
    (fail,) = compress_paths([src], moved, opts).failures
    # before: "moved/p0.jpg: exists and was not made by this run's settings (... rerun with the same --report ...)"
    assert "changed since these settings made" in fail["error"], fail["error"]
    assert fail["blocking_output"] == str(moved / "p0.jpg")
