import json

import numpy as np
import pytest

pytest.importorskip("torch")

from qualipress.errors import InputError
from qualipress.io import write_image
from qualipress.preprocess.label import LabelConfig, label_dataset
from qualipress.preprocess.model import load_model
from qualipress.preprocess.train import TrainOptions, patch_positions, train_model

from .conftest import textured

CFG = LabelConfig(codec="jpeg", quality=60, metric="psnr", pool=("bilateral", "guided"), max_combo=1)


@pytest.fixture(scope="module")
def labels(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    data = root / "data"
    data.mkdir()
    write_image(data / "big.png", textured(h=200, w=330, seed=5, noise=12))
    write_image(data / "small.png", textured(h=40, w=50, seed=6, noise=12))  # smaller than a patch
    write_image(data / "grey.png", textured(h=190, w=100, seed=7, channels=1, noise=12))
    out = root / "labels"
    s = label_dataset([data], out, CFG)
    assert s.labelled == 3, s.errors
    return out


def test_patch_positions():
    assert patch_positions(321, 481, patch_h=180, patch_w=320, stride=160) == [(0, 0), (0, 160)]
    assert patch_positions(100, 100, patch_h=180, patch_w=320, stride=160) == [(0, 0)]
    assert len(patch_positions(512, 768, patch_h=180, patch_w=320, stride=160)) == 3 * 3


def test_train_writes_model_and_record(labels, tmp_path):
    out = tmp_path / "m.pt"
    seen = []
    res = train_model([labels], out, TrainOptions(epochs=2, base=8, val_fraction=0.34, threads=1),
                      codec="jpeg", log=seen.append)
    assert [e["epoch"] for e in seen] == [1, 2]
    rec = json.loads(res.record_path.read_text())
    assert rec["labels"]["images"] == 3 and rec["labels"]["padded_small_images"] >= 1
    assert rec["labels"]["config"]["codec"] == "jpeg"
    assert len(rec["loss_curve"]) == 2 and all(np.isfinite(e["train_mse"]) for e in rec["loss_curve"])
    assert rec["stopped"] == "epochs"
    model = load_model(out)
    assert model.arch["base"] == 8


def test_training_reduces_loss(labels, tmp_path):
    res = train_model([labels], tmp_path / "m.pt",
                      TrainOptions(epochs=6, base=8, val_fraction=0.0, lr=1e-3, threads=1, flips=False))
    curve = [e["train_mse"] for e in res.record["loss_curve"]]
    assert curve[-1] < curve[0]


def test_time_budget_stops_early(labels, tmp_path):
    res = train_model([labels], tmp_path / "m.pt", TrainOptions(epochs=50, base=8, max_minutes=0.0, threads=1))
    assert res.record["epochs_run"] == 1
    assert "budget" in res.record["stopped"]


def test_refuses_other_codec_and_mixed_dirs(labels, tmp_path):
    with pytest.raises(InputError, match="made for codec 'jpeg', not 'webp'"):
        train_model([labels], tmp_path / "m.pt", TrainOptions(epochs=1, base=8), codec="webp")
    data = tmp_path / "d"
    data.mkdir()
    write_image(data / "a.png", textured(h=40, w=40))
    other = tmp_path / "other"
    label_dataset([data], other, LabelConfig(codec="jpeg", quality=90, metric="psnr", pool=CFG.pool, max_combo=1))
    with pytest.raises(InputError, match="disagree"):
        train_model([labels, other], tmp_path / "m.pt", TrainOptions(epochs=1, base=8))


def test_empty_or_missing_label_dir(tmp_path):
    with pytest.raises(InputError):
        train_model([tmp_path], tmp_path / "m.pt", TrainOptions(epochs=1, base=8))
    with pytest.raises(InputError):
        train_model([], tmp_path / "m.pt")
