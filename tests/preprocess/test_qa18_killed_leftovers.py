"""QA session 18: a record a killed ``preprocess label`` left as a temporary file is not a label."""

from __future__ import annotations

import os
import subprocess

import pytest

from qualipress.errors import OutputError
from qualipress.io import TEMP_PREFIX, sha256_file, write_image
from qualipress.io.discover import LOCK_NAME
from qualipress.io.files import _host_tag, exclusive_lock
from qualipress.preprocess.label import LabelConfig, label_dataset, load_records

from .conftest import textured

SMALL = LabelConfig(codec="jpeg", quality=75, metric="psnr", pool=("bilateral", "detail"), max_combo=1)


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_temp_records_of_a_killed_run_are_neither_loaded_nor_kept(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(2):
        write_image(data / f"img{i}.png", textured(seed=i, h=40, w=56))
    out = tmp_path / "labels"
    label_dataset([data], out, SMALL)
    rec = next((out / "records").glob("*.json"))
    # killed after writing a record's temporary file, before its rename; and a run still writing one
    stale = out / "records" / f"{TEMP_PREFIX}{_dead_pid()}.{_host_tag()}.abcd1234.{rec.name}"
    stale.write_bytes(rec.read_bytes())
    live = out / "records" / f"{TEMP_PREFIX}{os.getpid()}.{_host_tag()}.efgh5678.{rec.name}"
    live.write_bytes(rec.read_bytes())
    _, recs = load_records(out)
    assert len(recs) == 2  # before: 4, the same image twice more in the training set
    again = label_dataset([data], out, SMALL)
    assert again.skipped == 2 and not stale.exists() and live.exists()


def test_label_folder_inside_the_input_folder_is_not_labelled_on_the_rerun(tmp_path):
    """QA session 18: ``preprocess label data/ -o data/labels`` run twice labelled its own label images."""
    data = tmp_path / "data"
    data.mkdir()
    write_image(data / "img0.png", textured(seed=0, h=40, w=56))
    out = data / "labels"
    label_dataset([data], out, SMALL)
    again = label_dataset([data], out, SMALL)
    assert again.labelled == 0 and again.skipped == 1 and not again.errors
    assert len(load_records(out)[1]) == 1


def test_a_source_replaced_between_label_runs_keeps_only_its_new_record(tmp_path):
    """QA session 18: the old record stayed next to the new one, and training stopped on it ("changed since it
    was labelled") until it was found and deleted by hand."""
    data = tmp_path / "data"
    data.mkdir()
    for i in range(2):
        write_image(data / f"img{i}.png", textured(seed=i, h=40, w=56))
    out = tmp_path / "labels"
    label_dataset([data], out, SMALL)
    write_image(data / "img1.png", textured(seed=5, h=40, w=56))  # rescanned
    again = label_dataset([data], out, SMALL)
    assert again.labelled == 1 and again.skipped == 1
    _, recs = load_records(out)
    assert len(recs) == 2 and len(list((out / "images").iterdir())) == 2
    assert {r["sha256"] for r in recs} == {sha256_file(data / "img0.png"), sha256_file(data / "img1.png")}


def test_a_source_rewritten_while_it_is_labelled_gets_no_record(tmp_path, monkeypatch):
    """QA session 18: the record named the SHA-256 taken before the read, for a label made from the new bytes."""
    from qualipress.preprocess import label as label_mod

    data = tmp_path / "data"
    data.mkdir()
    write_image(data / "img0.png", textured(seed=0, h=40, w=56))
    real = label_mod.read_image

    def rewritten(path, **kw):
        write_image(path, textured(seed=3, h=40, w=56))
        return real(path, **kw)

    monkeypatch.setattr(label_mod, "read_image", rewritten)
    s = label_dataset([data], tmp_path / "labels", SMALL)
    assert s.labelled == 0 and "changed while it was being processed" in s.errors[0][1]
    assert not list((tmp_path / "labels" / "records").glob("*.json"))


def test_a_second_label_run_into_the_same_folder_is_refused(tmp_path):
    """QA session 18: two runs into one label folder each labelled every image (compress and archive refuse)."""
    data = tmp_path / "data"
    data.mkdir()
    write_image(data / "img0.png", textured(seed=0, h=40, w=56))
    out = tmp_path / "labels"
    out.mkdir()
    with exclusive_lock(out / LOCK_NAME, what=str(out)), pytest.raises(OutputError, match="another qualipress run"):
        label_dataset([data], out, SMALL)
    assert label_dataset([data], out, SMALL).labelled == 1
