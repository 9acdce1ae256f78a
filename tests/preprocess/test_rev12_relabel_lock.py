"""rev12: a relabel run (rescore_labels) writes into a label folder under the lock `preprocess label` takes."""

from __future__ import annotations

import pytest

from qualipress.errors import OutputError
from qualipress.io import write_image
from qualipress.io.discover import LOCK_NAME
from qualipress.io.files import exclusive_lock
from qualipress.preprocess.label import LabelConfig, label_dataset, rescore_labels

from .conftest import textured

SMALL = LabelConfig(codec="jpeg", quality=75, metric="psnr", pool=("bilateral", "detail"), max_combo=1)


def test_a_relabel_run_into_a_folder_another_run_writes_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_image(data / "img0.png", textured(seed=0, h=40, w=56))
    first, second = tmp_path / "labels", tmp_path / "rescored"
    label_dataset([data], first, SMALL)
    second.mkdir()
    # before: no lock, so a relabel and a label run (or two relabels) into one folder each wrote every record
    with exclusive_lock(second / LOCK_NAME, what=str(second)), pytest.raises(OutputError, match="another qualipress"):
        rescore_labels(first, second, score="zscore")
    assert not list(second.rglob("*.json"))  # not even the manifest: the folder is opened under the lock
