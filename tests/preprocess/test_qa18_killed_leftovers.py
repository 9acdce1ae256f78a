"""QA session 18: a record a killed ``preprocess label`` left as a temporary file is not a label."""

from __future__ import annotations

import os
import subprocess

from qualipress.io import TEMP_PREFIX, write_image
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
    stale = out / "records" / f"{TEMP_PREFIX}{_dead_pid()}.abcd1234.{rec.name}"
    stale.write_bytes(rec.read_bytes())
    live = out / "records" / f"{TEMP_PREFIX}{os.getpid()}.efgh5678.{rec.name}"
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
