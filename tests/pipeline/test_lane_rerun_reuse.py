"""A task run again in the same run after its worker died (Dask reruns a whole lane ``allowed-failures`` times; the
local pool retries a crashed sibling's jobs) takes the finished record its first attempt left in its marker
instead of searching and encoding the file again (lead, session 12: before, every frame of the lane before the
crash was done again, up to three times)."""

from __future__ import annotations

import pytest

from qualipress.io import sha256_file
from qualipress.pipeline import CompressOptions, compress_paths, expand_inputs
from qualipress.pipeline import batch as batch_mod
from qualipress.search import parse_target
from tests.pipeline.test_batch import _inputs


def _first_attempt_dies_before_reporting(tmp_path, monkeypatch):
    src, _ = _inputs(tmp_path, 2)
    out = tmp_path / "out"
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    real = batch_mod.append_jsonl

    def dies(path, record):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch_mod, "append_jsonl", dies)
    with pytest.raises(KeyboardInterrupt):
        compress_paths([src], out, opts)
    monkeypatch.setattr(batch_mod, "append_jsonl", real)
    job = next(j for j in expand_inputs([src]) if j.source.name == "img0.png")
    return out, opts, job


def _never(*args, **kwargs):
    raise AssertionError("the finished file was searched and encoded again")


def test_a_rerun_task_takes_its_finished_record(tmp_path, monkeypatch):
    out, opts, job = _first_attempt_dies_before_reporting(tmp_path, monkeypatch)
    written = (out / "img0.jpg").read_bytes()
    monkeypatch.setattr(batch_mod, "process_one", _never)
    rec = batch_mod._process_task(batch_mod._Task(job, out, opts, sha256_file(job.source)))
    assert rec["recovered"] is True and rec["output"] == str(out / "img0.jpg") and rec["error"] is None
    assert (out / "img0.jpg").read_bytes() == written and rec["output_sha256"] == sha256_file(out / "img0.jpg")


@pytest.mark.parametrize("spoil", ["other settings", "other input", "output changed"])
def test_a_rerun_task_redoes_what_is_not_its_own_intact_file(tmp_path, monkeypatch, spoil):
    out, opts, job = _first_attempt_dies_before_reporting(tmp_path, monkeypatch)
    sha = sha256_file(job.source)
    if spoil == "other settings":
        opts = CompressOptions(target=parse_target("ssim>=0.97"), codec="jpeg")
    elif spoil == "other input":
        sha = "0" * 64
    else:
        (out / "img0.jpg").write_bytes(b"not the file")
    calls = []
    monkeypatch.setattr(batch_mod, "process_one", lambda *a, **k: calls.append(a) or {"error": "redone"})
    assert batch_mod._process_task(batch_mod._Task(job, out, opts, sha)) == {"error": "redone"}
    assert len(calls) == 1


def test_a_worker_dying_after_its_file_is_finished_does_not_fail_it(tmp_path, monkeypatch):
    """review (rev1): a local worker that died after finishing a file (before returning it) had the file reported
    failed ("worker process died") and then recovered at the end of the run: two contradicting report lines."""
    import os

    from qualipress.pipeline import read_report

    src, _ = _inputs(tmp_path, 4)
    sentinel = tmp_path / "crashed-once"
    real = batch_mod._mark_done

    def crash_after_done(outdir, record):
        real(outdir, record)
        if record["input"].endswith("img0.png") and not sentinel.exists():
            sentinel.write_text("x")
            os._exit(1)  # the worker dies after finishing img0, before returning it

    monkeypatch.setattr(batch_mod, "_mark_done", crash_after_done)
    out = tmp_path / "out"
    s = compress_paths([src], out, CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg", jobs=2))
    assert sentinel.exists()
    rows = [r for r in read_report(out / "qualipress-report.jsonl") if r["input"].endswith("img0.png")]
    assert len(rows) == 1 and rows[0]["error"] is None and rows[0]["recovered"] is True
    assert not s.failures


def test_an_input_named_dot_dot_png_is_written_inside_the_output_folder(tmp_path):
    """review (rev1): ``..png`` has the stem "." and its output was ``OUT/.`` + ".jpg", i.e. ``OUT.jpg`` beside the
    output folder."""
    from qualipress.io import as_image, write_image
    from tests.conftest import photo_like

    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "..png", as_image(photo_like(48, 64)))
    out = tmp_path / "out"
    s = compress_paths([src / "..png"], out, CompressOptions(target=parse_target("ssim>=0.9"), codec="jpeg"))
    assert not s.failures and len(s.records) == 1
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []
    assert s.records[0]["output"].startswith(str(out) + "/")
