"""The training harness shared by ``learned`` and ``preprocess`` (qualipress.pipeline.training)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qualipress.errors import ModelError, UnsupportedError
from qualipress.io import read_jsonl
from qualipress.pipeline.training import (
    STOP_STEPS,
    STOP_TIME,
    LoopState,
    choose_device,
    load_checkpoint,
    run_loop,
    save_checkpoint,
)


def _counting_step(calls: list[int]):
    def step(st: LoopState) -> dict[str, float]:
        calls.append(st.step)
        return {"loss": float(st.step)}

    return step


def test_step_limit_stops_and_log_lines_are_written(tmp_path: Path) -> None:
    calls: list[int] = []
    seen: list[dict[str, Any]] = []
    log = tmp_path / "sub" / "loss.jsonl"
    reason = run_loop(_counting_step(calls), st := LoopState(), max_steps=6, log_every=2, log_path=log,
                      on_entry=seen.append)
    assert reason == STOP_STEPS
    assert st.step == 6 and st.session_steps == 6 and calls == [0, 1, 2, 3, 4, 5]
    lines = read_jsonl(log)
    assert [e["step"] for e in lines] == [2, 4, 6]
    assert [e["loss"] for e in lines] == [0.5, 2.5, 4.5]  # mean of the steps since the last line
    assert seen == lines


def test_time_budget_stops() -> None:
    calls: list[int] = []
    # a budget already spent by earlier sessions: nothing more runs
    st = LoopState(step=4, elapsed=10.0)
    assert run_loop(_counting_step(calls), st, max_steps=100, max_seconds=10.0) == STOP_TIME
    assert calls == [] and st.step == 4
    # a session budget is checked after each step: one step, then stop
    st = LoopState()
    assert run_loop(_counting_step(calls), st, max_steps=100, session_seconds=0.0) == STOP_TIME
    assert calls == [0] and st.step == 1
    # step time is charged to the budget that spans sessions
    assert st.elapsed > 0.0


def test_no_budget_is_refused() -> None:
    with pytest.raises(ModelError, match="budget"):
        run_loop(_counting_step([]), LoopState())


def test_skipped_steps_are_not_counted() -> None:
    tries: list[int] = []

    def step(st: LoopState) -> dict[str, float] | None:
        tries.append(st.step)
        return None if len(tries) % 2 else {"loss": 1.0}

    st = LoopState()
    run_loop(step, st, max_steps=3)
    assert st.step == 3 and len(tries) == 6


def test_checkpoint_callback_every_step_and_once_at_the_end() -> None:
    reasons: list[tuple[int, str]] = []
    run_loop(_counting_step([]), LoopState(), max_steps=3, checkpoint=lambda st, r: reasons.append((st.step, r)),
             checkpoint_seconds=0.0)
    assert reasons == [(1, "running"), (2, "running"), (3, STOP_STEPS)]
    reasons.clear()
    run_loop(_counting_step([]), LoopState(), max_steps=3, checkpoint=lambda st, r: reasons.append((st.step, r)),
             checkpoint_seconds=1e9)
    assert reasons == [(3, STOP_STEPS)]


def test_resume_continues_the_step_count(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    ckpt, log = tmp_path / "run.ckpt", tmp_path / "run.log.jsonl"

    def save(st: LoopState, reason: str) -> None:
        save_checkpoint(ckpt, {"step": st.step, "elapsed": st.elapsed, "reason": reason})

    first: list[int] = []
    run_loop(_counting_step(first), LoopState(), max_steps=3, log_path=log, checkpoint=save)
    ck = load_checkpoint(ckpt)
    assert ck["step"] == 3 and ck["reason"] == STOP_STEPS
    second: list[int] = []
    st = LoopState(step=int(ck["step"]), elapsed=float(ck["elapsed"]))
    run_loop(_counting_step(second), st, max_steps=5, log_path=log, checkpoint=save)
    assert second == [3, 4] and st.step == 5 and st.session_steps == 2
    assert [e["step"] for e in read_jsonl(log)] == [1, 2, 3, 4, 5]
    assert load_checkpoint(ckpt)["step"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == [ckpt.name, log.name]  # no temporary file left behind


def test_bad_checkpoints_raise_model_error(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    with pytest.raises(ModelError, match="unreadable"):
        load_checkpoint(tmp_path / "missing.ckpt")
    good = tmp_path / "good.ckpt"
    save_checkpoint(good, {"step": 7})
    data = good.read_bytes()
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="unreadable"):
        load_checkpoint(corrupt)
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ModelError, match="optimiser state"):
        load_checkpoint(garbage, what="optimiser state")
    import torch

    listed = tmp_path / "list.ckpt"
    torch.save([1, 2, 3], listed)
    with pytest.raises(ModelError, match="not a checkpoint dictionary"):
        load_checkpoint(listed)
    assert good.read_bytes() == data  # reading never modifies the file


def test_device_choice() -> None:
    assert choose_device("cpu") == "cpu"
    with pytest.raises(ModelError, match="'tpu'"):
        choose_device("tpu")
    with pytest.raises(UnsupportedError):
        choose_device("gpu", error=UnsupportedError)


def test_importing_the_harness_does_not_import_torch() -> None:
    code = "import sys, qualipress.pipeline.training; print('torch' in sys.modules)"
    src = str(Path(__file__).resolve().parents[2] / "src")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": src, "PATH": ""})
    assert out.stdout.strip() == "False"
