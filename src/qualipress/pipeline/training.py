"""One training harness for the capabilities that train a network (``learned``, ``preprocess``).

The harness owns what every training loop needs and nothing model-specific: the step / time budget,
periodic atomic checkpoints (through a callback that writes them), resuming from a checkpoint file (one
error type, :class:`~qualipress.errors.ModelError`, for a checkpoint that cannot be read), the device
choice and the JSON-lines loss log. Each capability keeps its model, data and loss and plugs in a ``step``
callback (one optimisation step, or one epoch) and, for its log lines, an ``entry`` callback (where it adds
its validation figures).

``torch`` is imported inside the functions that need it, so importing :mod:`qualipress.pipeline` stays
possible without it.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualipress.errors import ModelError
from qualipress.io import append_jsonl, atomic_write_bytes

#: Why :func:`run_loop` stopped: the step limit was reached.
STOP_STEPS = "steps"
#: Why :func:`run_loop` stopped: the time budget was spent.
STOP_TIME = "time"


@dataclass
class LoopState:
    """Progress of a training run, carried across resumed sessions.

    Attributes
    ----------
    step : int
        Steps done in all sessions (restored from a checkpoint when resuming).
    elapsed : float
        Seconds spent inside ``step`` callbacks in all sessions (restored when resuming).
    session_steps : int
        Steps done in this session.
    started : float
        ``time.monotonic()`` at the start of this session.
    """

    step: int = 0
    elapsed: float = 0.0
    session_steps: int = 0
    started: float = field(default_factory=time.monotonic)

    def wall(self) -> float:
        """Wall-clock seconds since this session started (steps, evaluations and checkpoints)."""
        return time.monotonic() - self.started


def choose_device(device: str, *, error: type[Exception] = ModelError) -> str:
    """Check a device name (``"cpu"`` or ``"cuda"``, optionally ``"cuda:N"``) and that it is usable.

    Parameters
    ----------
    error : exception type
        Raised for an unknown or unavailable device (the CLI of each capability documents its own).

    Returns
    -------
    str
        ``device``, unchanged.

    Raises
    ------
    ModelError
        (or ``error``) Unknown name, or CUDA requested but no CUDA device is available.
    """
    if device != "cpu" and device != "cuda" and not device.startswith("cuda:"):
        raise error(f"device must be 'cpu' or 'cuda', not {device!r}")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise error(f"device {device!r} requested but PyTorch sees no CUDA GPU")
    return device


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Write a ``torch.save`` checkpoint atomically (temporary file, fsync, rename).

    Raises
    ------
    OutputError
        The file cannot be written.
    """
    import torch

    buf = io.BytesIO()
    torch.save(state, buf)
    return atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | Path, *, what: str = "checkpoint") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` on the CPU (``weights_only``, no code runs).

    Parameters
    ----------
    what : str
        How the file is named in the error message.

    Returns
    -------
    dict

    Raises
    ------
    ModelError
        Missing, truncated, corrupt or not a dictionary.
    """
    import torch

    p = Path(path)
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(f"{what} {p} is unreadable: {type(exc).__name__}: {exc}") from exc
    if not isinstance(state, dict):
        raise ModelError(f"{what} {p} is unreadable: not a checkpoint dictionary")
    return state


def run_loop(
    step: Callable[[LoopState], dict[str, float] | None],
    state: LoopState,
    *,
    max_steps: int | None = None,
    max_seconds: float | None = None,
    session_seconds: float | None = None,
    log_every: int = 1,
    entry: Callable[[LoopState, dict[str, float]], dict[str, Any]] | None = None,
    log_path: str | Path | None = None,
    on_entry: Callable[[dict[str, Any]], None] | None = None,
    after_step: Callable[[LoopState, dict[str, float]], None] | None = None,
    checkpoint: Callable[[LoopState, str], None] | None = None,
    checkpoint_seconds: float = 0.0,
) -> str:
    """Run ``step`` until the step limit or the time budget is reached, logging and checkpointing.

    Parameters
    ----------
    step : callable
        ``step(state) -> values``: one training step (or epoch). Returns the values to average into the
        next log line, or None for a skipped step (not counted, its time not charged).
    state : LoopState
        Progress so far (``step`` and ``elapsed`` restored when resuming); updated in place.
    max_steps : int, optional
        Stop once ``state.step`` reaches it (steps of earlier sessions count).
    max_seconds : float, optional
        Stop once ``state.elapsed`` (step time of all sessions) reaches it.
    session_seconds : float, optional
        Stop once this session's wall-clock time reaches it (checked after each step).
    log_every : int
        Steps between log lines.
    entry : callable, optional
        ``entry(state, means) -> dict``: the log line from the mean values since the last line (default:
        ``{"step": ..., **means}``); where a capability adds elapsed time or validation figures.
    log_path : path, optional
        JSON-lines loss log the lines are appended to (durably).
    on_entry : callable, optional
        Called with every log line (history lists, progress printing).
    after_step : callable, optional
        Called after every counted step with that step's values.
    checkpoint : callable, optional
        ``checkpoint(state, reason)``: writes the checkpoint; called every ``checkpoint_seconds`` (after a
        step; 0 = after every step) with ``"running"``, and once at the end with the stop reason.

    Returns
    -------
    str
        :data:`STOP_STEPS` or :data:`STOP_TIME`.

    Raises
    ------
    ModelError
        Neither a step limit nor a time budget given (the loop would not end).
    """
    if max_steps is None and max_seconds is None and session_seconds is None:
        raise ModelError("give a step count or a time budget")
    state.started = time.monotonic()
    state.session_steps = 0
    last_ckpt = state.started
    sums: dict[str, float] = {}
    n = 0
    while (reason := _budget_spent(state, max_steps, max_seconds)) is None:
        t0 = time.perf_counter()
        values = step(state)
        if values is None:
            continue
        state.step += 1
        state.session_steps += 1
        state.elapsed += time.perf_counter() - t0
        for k, v in values.items():
            sums[k] = sums.get(k, 0.0) + v
        n += 1
        if after_step is not None:
            after_step(state, values)
        if state.step % max(1, log_every) == 0:
            means = {k: v / n for k, v in sums.items()}
            write_log(entry(state, means) if entry is not None else {"step": state.step, **means}, log_path, on_entry)
            sums, n = {}, 0
        last_step = max_steps is not None and state.step >= max_steps
        if checkpoint is not None and time.monotonic() - last_ckpt >= checkpoint_seconds:
            if not last_step:  # the final checkpoint follows at once
                checkpoint(state, "running")
            last_ckpt = time.monotonic()
        if not last_step and session_seconds is not None and state.wall() >= session_seconds:
            reason = STOP_TIME
            break
    if checkpoint is not None:
        checkpoint(state, reason)
    return reason


def _budget_spent(state: LoopState, max_steps: int | None, max_seconds: float | None) -> str | None:
    """Why the loop stops before another step (the step limit first), or None to go on."""
    if max_steps is not None and state.step >= max_steps:
        return STOP_STEPS
    if max_seconds is not None and state.elapsed >= max_seconds:
        return STOP_TIME
    return None


def write_log(line: dict[str, Any], log_path: str | Path | None = None,
              on_entry: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Append one line to the JSON-lines loss log (when given) and pass it to ``on_entry`` (when given)."""
    if log_path is not None:
        append_jsonl(log_path, line)
    if on_entry is not None:
        on_entry(line)
