"""train-codec: the recipe runs, checkpoints resume, bad datasets fail clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualipress.errors import InputError, ModelError


def _cfg(**kw):
    from qualipress.learned.train import TrainConfig

    base = dict(config=(16, 16), crop=64, batch_size=1, steps=2, max_minutes=None, log_every=1, val_every=2,
                threads=1)
    base.update(kw)
    return TrainConfig(**base)


def test_train_writes_a_loadable_model_with_record(tmp_path: Path, synth_dir: Path) -> None:
    from qualipress.learned.train import train_codec
    from qualipress.learned.weights import load_file

    out = tmp_path / "m.pt"
    record = train_codec([synth_dir], out, _cfg())
    assert record["steps_done"] == 2 and record["train_images"] == 3
    loaded = load_file(out, "bmshj2018-hyperprior")
    assert sorted(loaded.steps) == list(range(1, 9))
    assert loaded.steps[1] > loaded.steps[8]
    assert loaded.meta["record"]["settings"]["lmbda"] == pytest.approx(0.013)
    lines = (tmp_path / "m.pt.log.jsonl").read_text().splitlines()
    assert len(lines) == 2 and "val" in json.loads(lines[1])


def test_resume_continues_from_the_checkpoint(tmp_path: Path, synth_dir: Path) -> None:
    from qualipress.learned.train import train_codec

    out = tmp_path / "m.pt"
    train_codec([synth_dir], out, _cfg(steps=2))
    record = train_codec([synth_dir], out, _cfg(steps=3))
    assert record["steps_done"] == 3
    assert [r["step"] for r in record["history"]] == [1, 2, 3]
    record = train_codec([synth_dir], out, _cfg(steps=3), resume=False)
    assert record["steps_done"] == 3 and [r["step"] for r in record["history"]] == [1, 2, 3]


def test_checkpoint_of_another_architecture(tmp_path: Path, synth_dir: Path) -> None:
    from qualipress.learned.train import train_codec

    out = tmp_path / "m.pt"
    train_codec([synth_dir], out, _cfg(steps=1))
    with pytest.raises(ModelError, match="checkpoint"):
        train_codec([synth_dir], out, _cfg(steps=2, config=(8, 8)))


def test_empty_and_too_small_datasets(tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    from qualipress.learned.train import train_codec

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="empty"):
        train_codec([empty], tmp_path / "m.pt", _cfg())
    small = tmp_path / "small"
    small.mkdir()
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(small / "a.png")
    with pytest.raises(InputError, match="64x64"):
        train_codec([small], tmp_path / "m.pt", _cfg())


def test_variable_rate_needs_a_step_scalable_model(tmp_path: Path, synth_dir: Path) -> None:
    from qualipress.learned.train import train_codec

    with pytest.raises(ModelError, match="variable-rate"):
        train_codec([synth_dir], tmp_path / "m.pt", _cfg(arch="mbt2018-mean"))
