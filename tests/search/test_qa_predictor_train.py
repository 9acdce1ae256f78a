"""QA: retraining the setting predictor never silently destroys the model file it replaces."""

import json
import shutil

import pytest

from qualipress.bench.predictor_train import run_train_predictor
from qualipress.errors import InputError, UnsupportedError
from qualipress.io import as_image, write_image
from qualipress.search.predict import model_path
from tests.conftest import photo_like


@pytest.fixture()
def model(tmp_path):
    p = tmp_path / "predictor.json"
    shutil.copy(model_path(), p)
    return p


def test_empty_or_missing_dataset_is_refused_and_nothing_written(tmp_path, model):
    """``bench train-predictor empty/`` wrote the shipped model with no models at all ("0 models written")."""
    before = model.read_bytes()
    (tmp_path / "empty").mkdir()
    two = tmp_path / "two"
    two.mkdir()
    for k in range(2):
        write_image(two / f"{k}.png", as_image(photo_like(48, 64, seed=k)))
    for ds in (tmp_path / "empty", tmp_path / "missing", two):
        with pytest.raises(InputError):
            run_train_predictor([ds], codecs=("jpeg",), cache=tmp_path / "cache", output=model, log=lambda _: None)
    with pytest.raises(UnsupportedError):
        run_train_predictor([two], codecs=("png",), cache=tmp_path / "cache", output=model, log=lambda _: None)
    assert model.read_bytes() == before


def test_retraining_one_codec_keeps_the_other_codecs_models(tmp_path, model):
    others = {k for k in json.loads(model.read_text())["models"] if not k.startswith("jpeg|")}
    assert others, "the shipped model has codecs other than jpeg"
    ds = tmp_path / "set"
    ds.mkdir()
    for k in range(6):
        write_image(ds / f"{k}.png", as_image(photo_like(48, 64, seed=k)))
    run_train_predictor([ds], codecs=("jpeg",), cache=tmp_path / "cache", output=model, log=lambda _: None)
    models = json.loads(model.read_text())["models"]
    assert others <= set(models)
    assert any(k.startswith("jpeg|") for k in models)
