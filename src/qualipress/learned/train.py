"""Training a learned codec (``qualipress train-codec``).

The standard recipe (Ballé et al. 2018, CompressAI's ``examples/train.py``): loss = rate (bits per pixel from
the likelihoods) + λ·255²·MSE, additive uniform noise in place of rounding during training, a second optimiser
for the entropy bottleneck's auxiliary (quantile) loss, gradient clipping, and ``update()`` before the model is
saved so that it can entropy-code.

One addition: **variable-rate training**. With ``variable_rate=True`` every sample in a batch gets a random
quantisation step ``s`` (log-uniform in ``step_range``) and the distortion weight ``λ / s²`` (for a uniform
quantiser at high rate, the slope of the RD curve scales as ``1 / s²``). One set of weights then serves all
quality levels: quality ``q`` = 1..8 maps to log-spaced steps from ``step_range[1]`` (q=1) to ``step_range[0]``
(q=8). On a CPU budget this is what makes a full RD curve (and a BD-rate) possible from one training run.

Training is resumable: a checkpoint (model, both optimisers, step, elapsed time, RNG state, loss log) is
written atomically every ``checkpoint_seconds`` and at the end; running again with the same output resumes.
The loss curve is appended to a JSON-lines log.
"""

from __future__ import annotations

import math
import os
import platform
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError, ModelError
from qualipress.io import dataset_images
from qualipress.learned import ops
from qualipress.learned._compressai import architecture, build_model, compressai, compressai_version
from qualipress.learned.weights import fingerprint_bytes, load_file, save_model
from qualipress.pipeline.training import LoopState, choose_device, load_checkpoint, run_loop, save_checkpoint


@dataclass
class TrainConfig:
    """Every setting of a training run (recorded in the model's training record).

    Parameters
    ----------
    arch : str
        Architecture name (see :data:`qualipress.learned._compressai.ARCHITECTURES`).
    config : tuple of int
        Constructor arguments (``N, M`` for the Ballé models; ``N`` for Cheng 2020).
    lmbda : float
        λ at quantisation step 1 (MSE, on 0..255 scale ×255² as in CompressAI).
    variable_rate : bool
        Random per-sample quantisation steps (one model for all qualities).
    step_range : tuple of float
        (smallest, largest) step for variable-rate training.
    crop, batch_size : int
        Random square crops per batch.
    lr, aux_lr : float
        Adam learning rates (main and auxiliary); the main rate follows ``schedule``.
    decay_at : float
        ``schedule="step"``: fraction of the run (steps or time, whichever is further) after which the LR
        drops ×0.1.
    schedule : str
        ``"step"`` (constant, ×0.1 after ``decay_at``) or ``"cosine"`` (cosine decay from ``lr`` to
        ``lr * min_lr_frac`` over the run).
    warmup_steps : int
        Linear LR warm-up over the first steps of this run's step counter (from ``lr / 10``).
    min_lr_frac : float
        Final LR of the cosine schedule, as a fraction of ``lr``.
    bf16 : bool
        bfloat16 autocast for the transforms during training (entropy models stay float32); see
        :func:`qualipress.learned.ops.forward`.
    init : str or None
        Weights file (qualipress model or CompressAI checkpoint of the same architecture and size) to start
        from instead of random weights (warm start); ignored when resuming from a checkpoint. A training
        checkpoint (``<output>.ckpt`` of an earlier run) also gives both Adam states: a warm restart that keeps
        the optimiser's moment estimates but starts a new step counter, budget and schedule.
    steps : int or None
        Stop after this many steps.
    max_minutes : float or None
        Stop after this much training time (summed over resumed sessions).
    clip : float
        Gradient-norm clip.
    device : str
        ``"cpu"`` or ``"cuda"``.
    threads : int or None
        ``torch.set_num_threads`` (None: leave torch's default).
    log_every, val_every : int
        Steps between loss-log lines / validation runs.
    checkpoint_seconds : float
        Seconds between checkpoints.
    """

    arch: str = "bmshj2018-hyperprior"
    config: tuple[int, ...] = (64, 96)
    lmbda: float = 0.013
    variable_rate: bool = True
    step_range: tuple[float, float] = (0.35, 2.8)
    crop: int = 256
    batch_size: int = 4
    lr: float = 5e-4
    aux_lr: float = 1e-3
    decay_at: float = 0.8
    schedule: str = "step"
    warmup_steps: int = 0
    min_lr_frac: float = 0.02
    bf16: bool = False
    init: str | None = None
    steps: int | None = None
    max_minutes: float | None = 50.0
    clip: float = 1.0
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None
    log_every: int = 25
    val_every: int = 250
    checkpoint_seconds: float = 120.0
    extra: dict[str, Any] = field(default_factory=dict)


def quality_steps(step_range: tuple[float, float], levels: int = 8) -> dict[int, float]:
    """Quality level (1 = lowest) -> quantisation step, log-spaced over ``step_range``."""
    lo, hi = step_range
    if not 0 < lo < hi:
        raise ModelError(f"step_range must be 0 < low < high, got {step_range}")
    return {
        q: float(math.exp(math.log(hi) + (math.log(lo) - math.log(hi)) * (q - 1) / (levels - 1)))
        for q in range(1, levels + 1)
    }



def _load_rgb(path: Path, crop: int) -> np.ndarray | None:
    """``path`` as 8-bit RGB, or None when it is unreadable or smaller than ``crop`` on a side."""
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as im:
            arr = np.asarray(im.convert("RGB"))
    except Exception:
        return None
    return None if arr.shape[0] < crop or arr.shape[1] < crop else np.ascontiguousarray(arr)


class CropSampler:
    """Random crops (with random horizontal flip) from images held in memory."""

    def __init__(self, files: Sequence[Path], crop: int, rng: random.Random) -> None:
        self.images: list[np.ndarray] = []
        self.skipped: list[str] = []
        for f in files:
            arr = _load_rgb(f, crop)
            if arr is None:
                self.skipped.append(str(f))
                continue
            self.images.append(arr)
        if not self.images:
            raise InputError(f"no readable training image is at least {crop}x{crop} pixels")
        self.crop = crop
        self.rng = rng

    def batch(self, n: int) -> np.ndarray:
        out = np.empty((n, 3, self.crop, self.crop), dtype=np.float32)
        for i in range(n):
            img = self.images[self.rng.randrange(len(self.images))]
            y = self.rng.randrange(img.shape[0] - self.crop + 1)
            x = self.rng.randrange(img.shape[1] - self.crop + 1)
            c = img[y : y + self.crop, x : x + self.crop]
            if self.rng.random() < 0.5:
                c = c[:, ::-1]
            out[i] = c.transpose(2, 0, 1) / 255.0
        return out


def _center_crops(files: Sequence[Path], crop: int) -> np.ndarray:
    crops = []
    for f in files:
        if (arr := _load_rgb(f, crop)) is None:
            continue
        y, x = (arr.shape[0] - crop) // 2, (arr.shape[1] - crop) // 2
        crops.append(arr[y : y + crop, x : x + crop].transpose(2, 0, 1) / 255.0)
    return np.asarray(crops, dtype=np.float32)


def _rd_terms(out: dict[str, Any], x: Any) -> tuple[Any, Any]:
    """Per-sample bpp and MSE tensors."""
    import torch

    n_pixels = x.shape[2] * x.shape[3]
    bits = sum(torch.log(lik).flatten(1).sum(1) for lik in out["likelihoods"].values()) / -math.log(2)
    bpp = bits / n_pixels
    mse = ((out["x_hat"] - x) ** 2).flatten(1).mean(1)
    return bpp, mse


def evaluate(model: Any, crops: np.ndarray, step: float, device: str = "cpu") -> dict[str, float]:
    """Estimated bpp (from the likelihoods, rounding quantisation) and PSNR on validation crops."""
    import torch

    model.eval()
    bpps, psnrs = [], []
    with torch.no_grad():
        for i in range(len(crops)):
            x = torch.from_numpy(crops[i : i + 1]).to(device)
            out = ops.forward(model, x, step)
            out["x_hat"] = out["x_hat"].clamp(0, 1)
            bpp, mse = _rd_terms(out, x)
            bpps.append(float(bpp))
            psnrs.append(float(10 * math.log10(1.0 / max(float(mse), 1e-12))))
    model.train()
    return {"step_size": step, "bpp": float(np.mean(bpps)), "psnr": float(np.mean(psnrs))}


def lr_factor(cfg: TrainConfig, step: int, fraction: float) -> float:
    """Learning-rate multiplier at ``step`` (0-based) when ``fraction`` of the budget is spent.

    Parameters
    ----------
    cfg : TrainConfig
        Uses ``schedule``, ``decay_at``, ``warmup_steps`` and ``min_lr_frac``.
    step : int
        Steps done so far.
    fraction : float
        Spent fraction of the run (0..1; steps or time, whichever is further).

    Returns
    -------
    float
        Factor applied to ``cfg.lr``.

    Raises
    ------
    ModelError
        For an unknown schedule name.
    """
    f = min(max(fraction, 0.0), 1.0)
    if cfg.schedule == "step":
        factor = 0.1 if f >= cfg.decay_at else 1.0
    elif cfg.schedule == "cosine":
        factor = cfg.min_lr_frac + (1.0 - cfg.min_lr_frac) * 0.5 * (1.0 + math.cos(math.pi * f))
    else:
        raise ModelError(f"unknown learning-rate schedule {cfg.schedule!r} (step or cosine)")
    if cfg.warmup_steps and step < cfg.warmup_steps:
        factor *= 0.1 + 0.9 * step / cfg.warmup_steps
    return factor


def train_codec(
    dataset: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    cfg: TrainConfig,
    *,
    validation: Sequence[str | os.PathLike[str]] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    log: str | os.PathLike[str] | None = None,
    resume: bool = True,
    progress: Callable[[int, int | None, dict[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Train a model and write it (with its training record) to ``output``.

    Parameters
    ----------
    dataset : sequence of path
        Directories / files of training images (at least ``cfg.crop`` pixels on each side).
    output : path
        Model file to write (qualipress model format, see :mod:`qualipress.learned.weights`).
    validation : sequence of path, optional
        Held-out images (centre crops) for the validation curve; default: 4 training images.
    checkpoint : path, optional
        Resumable checkpoint (default ``<output>.ckpt``).
    log : path, optional
        JSON-lines loss log (default ``<output>.log.jsonl``).
    resume : bool
        Continue from ``checkpoint`` when it exists.
    progress : callable, optional
        Called as ``progress(step, total_steps_or_None, latest_values)`` after each step.

    Returns
    -------
    dict
        The training record that is also stored in the model file.

    Raises
    ------
    InputError
        Empty dataset / no usable image.
    ModelError
        Bad configuration, CUDA requested but unavailable, or a checkpoint of another architecture.
    """
    compressai()
    import torch

    arch = _check_config(cfg)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out_path = Path(output)
    ckpt_path = Path(checkpoint) if checkpoint else out_path.with_name(out_path.name + ".ckpt")
    log_path = Path(log) if log else out_path.with_name(out_path.name + ".log.jsonl")

    files = dataset_images(dataset)
    rng = random.Random(cfg.seed)
    torch.manual_seed(cfg.seed)
    sampler = CropSampler(files, cfg.crop, rng)
    val_files = dataset_images(validation) if validation else files[:4]
    val_crops = _center_crops(val_files, cfg.crop)

    run = _TrainRun(cfg, arch.name, ckpt_path, sampler, rng, val_crops, progress)
    resuming = resume and ckpt_path.is_file()
    if cfg.init and not resuming:
        run.init_from(cfg.init)
    run.model = run.model.to(cfg.device)
    run.make_optimisers()
    if resuming:
        run.resume()
    run.model.train()

    run_loop(run.train_step, run.state, max_steps=cfg.steps or None,
             max_seconds=None if not cfg.max_minutes else 60 * cfg.max_minutes,
             log_every=cfg.log_every, entry=run.entry, log_path=log_path, on_entry=run.history.append,
             after_step=run.after_step, checkpoint=run.save, checkpoint_seconds=cfg.checkpoint_seconds)

    run.model.eval()
    steps_table = quality_steps(cfg.step_range) if cfg.variable_rate else None
    final_val = [evaluate(run.model, val_crops, st, cfg.device) for st in (steps_table or {1: 1.0}).values()]
    run.model.to("cpu")
    record = _training_record(run, files, val_files, final_val, steps_table)
    save_model(
        out_path, run.model, arch=arch.name, config=tuple(cfg.config), steps=steps_table, lmbda=cfg.lmbda,
        record=record,
    )
    return record


def _check_config(cfg: TrainConfig) -> Any:
    """Refuse a configuration that cannot train before any data is loaded; return the architecture."""
    arch = architecture(cfg.arch)
    if cfg.steps is None and cfg.max_minutes is None:
        raise ModelError("give a step count or a time budget (steps or max_minutes)")
    choose_device(cfg.device)
    if cfg.variable_rate and not arch.step_scaling:
        raise ModelError(f"variable-rate training needs a factorized or hyperprior model, not {arch.name!r}")
    lr_factor(cfg, 0, 0.0)  # refuses an unknown schedule before any data is loaded
    if not 0.0 <= cfg.min_lr_frac <= 1.0:
        raise ModelError(f"min_lr_frac must be within 0..1, not {cfg.min_lr_frac}")
    quality_steps(cfg.step_range)  # refuses 0 < low < high violations up front, not after the run
    return arch


class _TrainRun:
    """The model, optimisers and loop state of one training session, with the loop's callbacks.

    Parameters
    ----------
    arch : str
        Architecture name.
    ckpt_path : Path
        Checkpoint file (read by :meth:`resume`, written by :meth:`save`).
    rng : random.Random
        The sampler's RNG (its state goes into the checkpoint).
    val_crops : numpy.ndarray
        Validation crops.
    progress : callable or None
        ``progress(step, total_steps_or_None, latest_values)`` after each step.
    """

    def __init__(
        self,
        cfg: TrainConfig,
        arch: str,
        ckpt_path: Path,
        sampler: CropSampler,
        rng: random.Random,
        val_crops: np.ndarray,
        progress: Callable[[int, int | None, dict[str, float]], None] | None,
    ) -> None:
        self.cfg, self.arch, self.ckpt_path = cfg, arch, ckpt_path
        self.sampler, self.rng, self.val_crops, self.progress = sampler, rng, val_crops, progress
        self.model = build_model(arch, tuple(cfg.config))
        self.init_fingerprint: str | None = None
        self.init_optimisers: tuple[Any, Any] | None = None
        self.state = LoopState()
        self.history: list[dict[str, Any]] = []
        self.tries = {"session": 0, "bad": 0}

    def init_from(self, init: str | os.PathLike[str]) -> None:
        """Start from the weights of the model file ``init``, or from a training checkpoint (warm restart)."""
        ck = _training_checkpoint(Path(init))
        if ck is not None:
            _check_fits(ck, self.arch, self.cfg.config, f"--init {init}: checkpoint")
            state, self.init_optimisers = ck["model"], (ck["opt"], ck["aux_opt"])
            fingerprint = fingerprint_bytes(Path(init).read_bytes())
        else:
            start = load_file(init, self.arch)
            state, fingerprint = start.model.state_dict(), start.fingerprint
        try:
            self.model.load_state_dict(state)
        except Exception as exc:
            raise ModelError(
                f"--init {init}: weights do not fit {self.arch} {tuple(self.cfg.config)}: {exc}"
            ) from exc
        self.init_fingerprint = fingerprint.hex()

    def make_optimisers(self) -> None:
        """The main optimiser (all but the quantiles) and the auxiliary one (the quantiles)."""
        import torch

        named = list(self.model.named_parameters())
        self.main_params = [p for n, p in named if not n.endswith(".quantiles")]
        aux_params = [p for n, p in named if n.endswith(".quantiles")]
        self.opt = torch.optim.Adam(self.main_params, lr=self.cfg.lr)
        self.aux_opt = torch.optim.Adam(aux_params, lr=self.cfg.aux_lr)
        if self.init_optimisers is not None:
            # warm restart from a checkpoint: its moment estimates; the LR is set by the schedule each step
            self.opt.load_state_dict(self.init_optimisers[0])
            self.aux_opt.load_state_dict(self.init_optimisers[1])
            for g in self.aux_opt.param_groups:
                g["lr"] = self.cfg.aux_lr
            self.init_optimisers = None

    def resume(self) -> None:
        """Restore model, optimisers, step, time, RNGs and history from the checkpoint."""
        import torch

        cfg, ckpt_path = self.cfg, self.ckpt_path
        # on the CPU: the RNG state must stay a CPU tensor; the optimisers move their state to the parameters
        ck = load_checkpoint(ckpt_path)
        _check_fits(ck, self.arch, cfg.config, f"checkpoint {ckpt_path}")
        try:
            self.model.load_state_dict(ck["model"])
            self.opt.load_state_dict(ck["opt"])
            self.aux_opt.load_state_dict(ck["aux_opt"])
            self.state.step, self.state.elapsed = int(ck["step"]), float(ck["elapsed"])
            self.rng.setstate(ck["py_rng"])
            torch.set_rng_state(ck["torch_rng"])
        except Exception as exc:
            raise ModelError(f"checkpoint {ckpt_path} is unreadable: {type(exc).__name__}: {exc}") from exc
        self.history = list(ck.get("history", []))
        self.init_fingerprint = ck.get("init_fingerprint")

    def fraction(self) -> float:
        """How far the run is, by steps or by time (whichever is further)."""
        cfg, f = self.cfg, 0.0
        if cfg.steps:
            f = max(f, self.state.step / cfg.steps)
        if cfg.max_minutes:
            f = max(f, self.state.elapsed / (60 * cfg.max_minutes))
        return f

    def save(self, st: Any, reason: str) -> None:
        """Write the checkpoint (``run_loop``'s ``checkpoint`` callback)."""
        import torch

        save_checkpoint(
            self.ckpt_path,
            {
                "arch": self.arch,
                "config": list(self.cfg.config),
                "model": self.model.state_dict(),
                "opt": self.opt.state_dict(),
                "aux_opt": self.aux_opt.state_dict(),
                "step": st.step,
                "elapsed": st.elapsed,
                "history": self.history,
                "py_rng": self.rng.getstate(),
                "torch_rng": torch.get_rng_state(),
                "cfg": asdict(self.cfg),
                "init_fingerprint": self.init_fingerprint,
            },
        )

    def train_step(self, st: Any) -> dict[str, float] | None:
        """One optimisation step on a fresh batch; None for a skipped non-finite batch."""
        import torch

        cfg, model, opt, aux_opt, tries = self.cfg, self.model, self.opt, self.aux_opt, self.tries
        lo, hi = cfg.step_range
        for g in opt.param_groups:
            g["lr"] = cfg.lr * lr_factor(cfg, tries["session"], self.fraction())
        tries["session"] += 1
        x = torch.from_numpy(self.sampler.batch(cfg.batch_size)).to(cfg.device)
        if cfg.variable_rate:
            u = torch.rand(cfg.batch_size, 1, 1, 1, generator=None)
            s = torch.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * u).to(cfg.device)
        else:
            s = torch.ones(cfg.batch_size, 1, 1, 1, device=cfg.device)
        lam = cfg.lmbda / s.flatten() ** 2
        out = ops.forward(model, x, s, bf16=cfg.bf16)
        bpp, mse = _rd_terms(out, x)
        loss = (bpp + lam * 255.0**2 * mse).mean()
        lval = float(loss.detach())
        if not math.isfinite(lval):
            # one bad batch (e.g. a bf16 overflow) is skipped; a run of them means divergence
            tries["bad"] += 1
            if tries["bad"] >= 20:
                raise ModelError(f"training diverged at step {st.step} (loss {lval}); lower --lr")
            return None
        tries["bad"] = 0
        opt.zero_grad()
        loss.backward()
        if cfg.clip:
            torch.nn.utils.clip_grad_norm_(self.main_params, cfg.clip)
        opt.step()
        aux = model.aux_loss()
        aux_opt.zero_grad()
        aux.backward()
        aux_opt.step()
        # normalise distortion to step 1 for a comparable curve: mse * λ(s)/λ
        return {"loss": lval, "bpp": float(bpp.detach().mean()),
                "mse1": float((mse.detach() * lam / cfg.lmbda).mean()), "aux": float(aux.detach())}

    def entry(self, st: Any, means: dict[str, float]) -> dict[str, Any]:
        """A loss-log row (with the validation points every ``val_every`` steps)."""
        cfg = self.cfg
        lo, hi = cfg.step_range
        row: dict[str, Any] = {"step": st.step, "elapsed_s": round(st.elapsed, 1), "lr": self.opt.param_groups[0]["lr"]}
        row.update(means)
        if st.step % cfg.val_every == 0 and len(self.val_crops):
            row["val"] = [evaluate(self.model, self.val_crops, step_size, cfg.device) for step_size in (hi, 1.0, lo)]
        return row

    def after_step(self, st: Any, values: dict[str, float]) -> None:
        """Report progress."""
        if self.progress is not None:
            self.progress(st.step, self.cfg.steps, {"loss": values["loss"], "bpp": values["bpp"]})


def _check_fits(ck: dict[str, Any], arch: str, config: Sequence[int], what: str) -> None:
    """The one check that a training checkpoint (``--init`` warm restart or this run's own, resumed) is for this
    run's architecture and configuration.

    Raises
    ------
    ModelError
        ``"{what} is for ARCH CONFIG, not ARCH CONFIG"``.
    """
    if ck.get("arch") != arch or tuple(ck.get("config", ())) != tuple(config):
        raise ModelError(f"{what} is for {ck.get('arch')} {ck.get('config')}, not {arch} {tuple(config)}")


def _training_checkpoint(path: Path) -> dict[str, Any] | None:
    """The content of ``path`` if it is a checkpoint written by :func:`train_codec`, else None."""
    try:
        ck = load_checkpoint(path, what="--init file")
    except ModelError:
        return None
    return ck if {"arch", "config", "model", "opt", "aux_opt"} <= set(ck) else None


def _training_record(
    run: _TrainRun,
    files: Sequence[Path],
    val_files: Sequence[Path],
    final_val: list[Any],
    steps_table: dict[int, float] | None,
) -> dict[str, Any]:
    """The training record stored in the model file."""
    import torch

    cfg, step = run.cfg, run.state.step
    return {
        "arch": run.arch,
        "config": list(cfg.config),
        "settings": {k: v for k, v in asdict(cfg).items() if k != "extra"} | cfg.extra,
        "train_images": len(run.sampler.images),
        "train_skipped": run.sampler.skipped,
        "train_files_sha256": _files_digest(files),
        "validation_images": [str(f) for f in val_files],
        "steps_done": step,
        "train_seconds": round(run.state.elapsed, 1),
        "crops_seen": step * cfg.batch_size,
        "final_validation": final_val,
        "quality_steps": steps_table,
        "torch": str(torch.__version__),
        "compressai": compressai_version(),
        "machine": f"{platform.machine()} {platform.processor() or ''} ({os.cpu_count()} cpus)".strip(),
        "device": cfg.device,
        "init_fingerprint": run.init_fingerprint,
        "history": run.history,
    }


def _files_digest(files: Sequence[Path]) -> str:
    import hashlib

    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(str(f.stat().st_size).encode())
    return h.hexdigest()


def export_checkpoint(checkpoint: str | os.PathLike[str], output: str | os.PathLike[str]) -> dict[str, Any]:
    """Write a model file from a training checkpoint, e.g. to evaluate a run that is still going.

    The checkpoint is only read (training can go on writing it); the model's entropy-coding tables are
    rebuilt (``update(force=True)``) before it is written, exactly as at the end of :func:`train_codec`.

    Parameters
    ----------
    checkpoint : path
        A ``<output>.ckpt`` file written by :func:`train_codec`.
    output : path
        Model file to write (atomically).

    Returns
    -------
    dict
        The training record stored in the model (settings, steps and seconds so far, loss log).

    Raises
    ------
    ModelError
        Unreadable checkpoint or one that does not fit its architecture.
    """
    compressai()
    import torch

    path = Path(checkpoint)
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
        settings = dict(ck["cfg"])
        arch = architecture(str(ck["arch"]))
        config = tuple(int(v) for v in ck["config"])
        model = build_model(arch.name, config)
        model.load_state_dict(ck["model"])
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"checkpoint {path} is unreadable or does not fit its architecture: {exc}") from exc
    steps_table = quality_steps(tuple(settings["step_range"])) if settings.get("variable_rate") else None
    record = {
        "arch": arch.name,
        "config": list(config),
        "settings": {k: v for k, v in settings.items() if k != "extra"} | dict(settings.get("extra") or {}),
        "steps_done": int(ck["step"]),
        "train_seconds": round(float(ck["elapsed"]), 1),
        "crops_seen": int(ck["step"]) * int(settings.get("batch_size", 0)),
        "quality_steps": steps_table,
        "from_checkpoint": path.name,
        "init_fingerprint": ck.get("init_fingerprint"),
        "torch": str(torch.__version__),
        "compressai": compressai_version(),
        "history": list(ck.get("history", [])),
    }
    model.eval()
    save_model(output, model, arch=arch.name, config=config, steps=steps_table, lmbda=float(settings["lmbda"]),
               record=record)
    return record
