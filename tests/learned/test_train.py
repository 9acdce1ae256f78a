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


def test_lr_schedules_warm_up_and_decay() -> None:
    from qualipress.learned.train import lr_factor

    cos = _cfg(schedule="cosine", warmup_steps=10, min_lr_frac=0.05)
    assert lr_factor(cos, 0, 0.0) == pytest.approx(0.1)  # warm-up starts at lr / 10
    assert lr_factor(cos, 5, 0.0) == pytest.approx(0.55)
    assert lr_factor(cos, 10, 0.0) == pytest.approx(1.0)
    assert lr_factor(cos, 100, 0.5) == pytest.approx(0.525)
    assert lr_factor(cos, 100, 1.0) == pytest.approx(0.05)
    values = [lr_factor(cos, 100, f / 10) for f in range(11)]
    assert values == sorted(values, reverse=True)
    step = _cfg(schedule="step", decay_at=0.8)
    assert lr_factor(step, 0, 0.79) == 1.0 and lr_factor(step, 0, 0.8) == pytest.approx(0.1)
    with pytest.raises(ModelError, match="schedule"):
        lr_factor(_cfg(schedule="linear"), 0, 0.0)


def test_warm_start_bf16_cosine_and_export_of_a_running_checkpoint(tmp_path: Path, synth_dir: Path,
                                                                     tiny_hyperprior: Path) -> None:
    import torch

    from qualipress.learned.train import export_checkpoint, train_codec
    from qualipress.learned.weights import load_file

    start = load_file(tiny_hyperprior, "bmshj2018-hyperprior")
    out = tmp_path / "m.pt"
    cfg = _cfg(init=str(tiny_hyperprior), bf16=True, schedule="cosine", warmup_steps=1, steps=1)
    record = train_codec([synth_dir], out, cfg)
    assert record["init_fingerprint"] == start.fingerprint.hex()
    # one step from the warm start: close to the starting weights, but trained (not equal, not random)
    got = load_file(out, "bmshj2018-hyperprior").model.state_dict()
    key = "g_a.0.weight"
    diff = (got[key] - start.model.state_dict()[key]).abs().max().item()
    assert 0 < diff < 0.05
    # the checkpoint (as a still-running training leaves it) exports to a model that codes
    exported = tmp_path / "exported.pt"
    rec = export_checkpoint(out.with_name(out.name + ".ckpt"), exported)
    assert rec["steps_done"] == 1 and rec["init_fingerprint"] == start.fingerprint.hex()
    model = load_file(exported, "bmshj2018-hyperprior")
    assert sorted(model.steps) == list(range(1, 9))
    assert torch.equal(model.model.state_dict()[key], got[key])
    with pytest.raises(ModelError, match="unreadable"):
        export_checkpoint(tiny_hyperprior, tmp_path / "x.pt")  # a model file is not a checkpoint


def test_warm_start_from_weights_of_another_size_is_refused(tmp_path: Path, synth_dir: Path,
                                                            tiny_hyperprior: Path) -> None:
    from qualipress.learned.train import train_codec

    with pytest.raises(ModelError, match="do not fit"):
        train_codec([synth_dir], tmp_path / "m.pt", _cfg(config=(8, 8), init=str(tiny_hyperprior)))


def test_warm_restart_from_a_training_checkpoint_keeps_the_adam_state(tmp_path: Path, synth_dir: Path,
                                                                       tiny_hyperprior: Path) -> None:
    import torch

    from qualipress.learned.train import train_codec
    from qualipress.learned.weights import fingerprint_bytes

    ckpt = tiny_hyperprior.with_name(tiny_hyperprior.name + ".ckpt")
    before = torch.load(ckpt, weights_only=True)
    adam_steps = float(before["opt"]["state"][0]["step"])
    out = tmp_path / "m.pt"
    cfg = _cfg(init=str(ckpt), schedule="cosine", warmup_steps=1, min_lr_frac=0.0, steps=1, lr=1e-4)
    record = train_codec([synth_dir], out, cfg)
    # a new run (its own step counter and schedule) that continues the checkpoint's weights and Adam moments
    assert record["steps_done"] == 1 and [r["step"] for r in record["history"]] == [1]
    assert record["init_fingerprint"] == fingerprint_bytes(ckpt.read_bytes()).hex()
    after = torch.load(out.with_name(out.name + ".ckpt"), weights_only=True)
    assert float(after["opt"]["state"][0]["step"]) == adam_steps + 1
    assert after["opt"]["param_groups"][0]["lr"] == pytest.approx(1e-5)  # warm-up step 0: lr / 10
    key = "g_a.0.weight"
    diff = (after["model"][key] - before["model"][key]).abs().max().item()
    assert 0 < diff < 1e-3
    assert torch.load(ckpt, weights_only=True)["step"] == before["step"]  # the source is only read
    with pytest.raises(ModelError, match="checkpoint is for"):
        train_codec([synth_dir], tmp_path / "n.pt", _cfg(config=(8, 8), init=str(ckpt)))
    with pytest.raises(ModelError, match="min_lr_frac"):
        train_codec([synth_dir], tmp_path / "n.pt", _cfg(min_lr_frac=1.5))
    with pytest.raises(ModelError, match="step_range"):
        train_codec([synth_dir], tmp_path / "n.pt", _cfg(step_range=(3.0, 1.0)))
    assert not (tmp_path / "n.pt.ckpt").exists()  # refused before the first step


def test_step_range_sets_the_quality_table(tmp_path: Path, synth_dir: Path) -> None:
    """Issue 16: ``--step-range`` widens the rate range; quality 1 is the coarsest step, 8 the finest."""
    from qualipress.learned.train import train_codec
    from qualipress.learned.weights import load_file

    out = tmp_path / "wide.pt"
    train_codec([synth_dir], out, _cfg(steps=1, step_range=(0.25, 9.0)))
    steps = load_file(out, "bmshj2018-hyperprior").steps
    assert steps[1] == pytest.approx(9.0) and steps[8] == pytest.approx(0.25)
    assert all(steps[q] > steps[q + 1] for q in range(1, 8))


def test_resume_and_init_refuse_another_config_with_one_message(tmp_path: Path, synth_dir: Path) -> None:
    """Review: the resume and ``--init`` checks that a checkpoint fits the run were two copies with two messages."""
    from qualipress.learned.train import train_codec

    out = tmp_path / "m.pt"
    train_codec([synth_dir], out, _cfg(steps=1))
    ckpt = out.with_name(out.name + ".ckpt")
    with pytest.raises(ModelError) as resumed:
        train_codec([synth_dir], out, _cfg(config=(8, 8), steps=2))  # resumes the (16, 16) checkpoint
    with pytest.raises(ModelError) as warm:
        train_codec([synth_dir], tmp_path / "n.pt", _cfg(config=(8, 8), init=str(ckpt)))
    tail = " is for bmshj2018-hyperprior [16, 16], not bmshj2018-hyperprior (8, 8)"
    assert str(resumed.value) == f"checkpoint {ckpt}{tail}"
    assert str(warm.value) == f"--init {ckpt}: checkpoint{tail}"
