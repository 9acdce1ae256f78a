"""rev19f: an output folder moved (or copied) next to another input folder that holds files of the same names,
then resumed from the inputs it was made from: ``compress a/in -o a/out``, ``mv a/out b/out`` where ``b/in`` holds
other photos named as ``a/in``'s, then ``compress a/in -o b/out``. A record naming ``a/in/p0.png`` was read as one of
``b/in/p0.png`` (the rule for a folder copied around its output folder, rev14: ``a`` for ``a/out`` now ``b/out``, and
``b/in/p0.png`` exists), so the rerun found no record of ``a/in/p0.png`` and refused every output as "not made by
this run's settings"; a stopped run's marker had its record's input read the same way since struct19."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from qualipress.io import as_image, write_image
from qualipress.pipeline import CompressOptions, batch, compress_paths
from qualipress.search import parse_target
from tests.conftest import photo_like


def _photos(folder: Path, seed: int) -> None:
    folder.mkdir(parents=True)
    for i in (0, 1):
        write_image(folder / f"p{i}.png", as_image(photo_like(48, 64, seed=seed + i)))


def test_a_moved_folders_report_names_the_inputs_it_was_made_from(tmp_path: Path) -> None:
    _photos(tmp_path / "a" / "in", 0)
    _photos(tmp_path / "b" / "in", 10)  # other photos, same names
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    compress_paths([tmp_path / "a" / "in"], tmp_path / "a" / "out", opts)
    shutil.move(tmp_path / "a" / "out", tmp_path / "b" / "out")
    again = compress_paths([tmp_path / "a" / "in"], tmp_path / "b" / "out", opts)
    assert not again.failures, [r.get("error") for r in again.failures]
    assert not again.records  # both resumed, nothing compressed again
    assert sorted(Path(r["output"]).name for r in again.skipped) == ["p0.jpg", "p1.jpg"]


def test_a_moved_folders_marker_recovers_the_job_of_the_input_it_was_made_from(tmp_path: Path) -> None:
    # killed after p1's file was written and its marker completed, before its report line; then the same move
    _photos(tmp_path / "a" / "in", 0)
    _photos(tmp_path / "b" / "in", 10)
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    out = tmp_path / "a" / "out"
    compress_paths([tmp_path / "a" / "in"], out, opts)
    report = out / batch.REPORT_NAME
    lines = report.read_text().splitlines()
    last = json.loads(lines[-1])
    report.write_text("\n".join(lines[:-1]) + "\n")
    batch._mark_pending(out, Path(last["output"]), [Path(last["output"])])
    batch._mark_done(out, last)
    shutil.move(out, tmp_path / "b" / "out")
    again = compress_paths([tmp_path / "a" / "in"], tmp_path / "b" / "out", opts)
    assert not again.failures, [r.get("error") for r in again.failures]
    assert not again.records  # p1 recovered from its marker, p0 resumed: nothing compressed again
    assert [Path(r["input"]).name for r in again.skipped if r.get("recovered")] == ["p1.png"]
    assert all(r["input"].startswith(str(tmp_path / "a" / "in")) for r in [*again.records, *again.skipped])


def test_a_moved_markers_input_is_hashed_once_when_the_output_folder_is_the_input_folder(tmp_path: Path,
                                                                                        monkeypatch) -> None:
    # review of rev19f (rev19h): with -o = the input folder, discovery reads the pending markers for their paths and
    # the run settles them later; the SHA-256 check of a moved marker's input ran in both (a film frame hashed twice
    # more than the job's own hash, once is enough)
    from collections import Counter

    _photos(tmp_path / "in", 0)
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    out = tmp_path / "in"
    compress_paths([out], out, opts)
    report = out / batch.REPORT_NAME
    lines = report.read_text().splitlines()
    last = json.loads(lines[-1])
    report.write_text("\n".join(lines[:-1]) + "\n")
    batch._mark_pending(out, Path(last["output"]), [Path(last["output"])])
    batch._mark_done(out, last)
    shutil.move(out, tmp_path / "in2")
    calls: Counter[str] = Counter()
    sha = batch.sha256_file
    monkeypatch.setattr(batch, "sha256_file", lambda p, *a, **k: calls.update([Path(p).name]) or sha(p, *a, **k))
    again = compress_paths([tmp_path / "in2"], tmp_path / "in2", opts)
    assert not again.failures and not again.records
    assert [Path(r["input"]).name for r in again.skipped if r.get("recovered")] == [Path(last["input"]).name]
    assert calls[Path(last["input"]).name] == 2  # the job's own hash and the marker's check


def test_a_moved_marker_beside_an_unreadable_namesake_does_not_stop_the_run(tmp_path: Path, monkeypatch) -> None:
    # review of rev19f (rev19h): the marker's SHA-256 check read b/in/p1.png, a file this run does not name; where it
    # could not be read (EACCES: simulated, the tests run as root) the whole run stopped with PermissionError
    _photos(tmp_path / "a" / "in", 0)
    _photos(tmp_path / "b" / "in", 10)
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    out = tmp_path / "a" / "out"
    compress_paths([tmp_path / "a" / "in"], out, opts)
    report = out / batch.REPORT_NAME
    lines = report.read_text().splitlines()
    last = json.loads(lines[-1])
    report.write_text("\n".join(lines[:-1]) + "\n")
    batch._mark_pending(out, Path(last["output"]), [Path(last["output"])])
    batch._mark_done(out, last)
    shutil.move(out, tmp_path / "b" / "out")
    namesake, sha = tmp_path / "b" / "in" / Path(last["input"]).name, batch.sha256_file

    def denied(p, *a, **k):
        if Path(p) == namesake:
            raise PermissionError(13, "Permission denied", str(p))
        return sha(p, *a, **k)

    monkeypatch.setattr(batch, "sha256_file", denied)
    again = compress_paths([tmp_path / "a" / "in"], tmp_path / "b" / "out", opts)
    assert not again.failures and not again.records
    assert [Path(r["input"]).name for r in again.skipped if r.get("recovered")] == [namesake.name]
