"""Rate–distortion training of the Kuchen U-Net through a differentiable JPEG proxy (``--objective rd``).

The second way to train the network (the first, :mod:`.train`, imitates labels). Per step:

1. draw a JPEG quality q uniformly from a range (one network serves the whole range; it gets no quality input,
   because ``compress --preprocess`` runs it *before* the quality search, when q is not yet known);
2. preprocess a batch of crops, round to 8 bit (straight-through), encode + decode it through
   :func:`.jpegproxy.jpeg_proxy` at q;
3. loss = ln MSE(decoded, original) + w · ln(1 − SSIM₂(decoded, original)) + λ · ln R, where R are the proxy bits
   (the distortion values are the exact proxy decode's; their gradients are those of the pre-edit error, see
   :func:`rd_loss`);
   λ is the slope −Δ(ln MSE + w·ln(1 − SSIM))/Δ ln R of the *unprocessed* batch's own proxy curve between q − 5
   and q + 5 (computed without gradient, per batch: a content-adaptive λ). A network that only moved along the
   codec's curve (e.g. by smoothing) therefore gains nothing; it must beat the codec at equal quality.

Quality is always against the original crop. Crops (multiples of 16, taken at multiples of 16 so the 8×8 grid and
the 4:2:0 16×16 grid of the crop match a real encode) are preloaded into RAM; flips and 90° rotations keep the grid.
A checkpoint (:func:`.model.save_model` format, usable at once with ``--preprocess PATH``) plus an optimiser state
file are written every few minutes and at the end; ``resume=True`` continues from them. A JSON-lines log records
every logging interval.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError, ModelError, UnsupportedError
from qualipress.io import atomic_write_bytes, image_paths, read_image
from qualipress.pipeline.training import STOP_TIME, LoopState, load_checkpoint, run_loop, save_checkpoint, write_log
from qualipress.preprocess.jpegproxy import (
    DEADZONE,
    NONZERO_BITS,
    PROXY_CODECS,
    STEP_WIDTH,
    jpeg_proxy,
    ssim,
    threshold_crossing,
)
from qualipress.preprocess.model import build_unet, count_parameters, environment, load_model, save_model, set_strength

#: Record format id of an RD training run.
RD_RECORD_FORMAT = "qualipress-kuchen-rd-training"


@dataclass
class RDTrainOptions:
    """Hyper-parameters of RD training."""

    steps: int = 20000
    batch: int = 8
    crop: int = 128
    lr: float = 1e-4
    q_min: float = 30.0
    q_max: float = 88.0
    ssim_weight: float = 1.0
    base: int = 16
    val_images: int = 6
    seed: int = 0
    threads: int | None = 1
    max_minutes: float | None = None
    checkpoint_minutes: float = 5.0
    log_every: int = 50
    init: str | None = None
    codec: str = "jpeg"
    crossing_weight: float = 0.0


@dataclass
class RDTrainResult:
    """Outcome of :func:`train_rd`."""

    model_path: Path
    record_path: Path
    record: dict[str, Any] = field(repr=False)


def list_images(inputs: Sequence[str | Path]) -> list[Path]:
    """PNG/TIFF/JPEG files of the inputs (directories searched recursively), sorted, Kodak refused."""
    files = sorted(image_paths(inputs))
    kodak = [f for f in files if "kodak" in str(f).lower() or f.name.lower().startswith("kodim")]
    if kodak:
        raise InputError(f"{kodak[0]}: Kodak is the test set; never train on it")
    if not files:
        raise InputError("no training images found")
    return files


def split_images(files: Sequence[Path], n_val: int) -> tuple[list[Path], list[Path]]:
    """Deterministic held-out split: every k-th file (spread over the sorted list) goes to validation.

    At most a quarter of the files are held out.
    """
    n_val = min(n_val, len(files) // 4)
    if n_val <= 0:
        return list(files), []
    k = max(1, len(files) // n_val)
    val = [f for i, f in enumerate(files) if i % k == k // 2][:n_val]
    return [f for f in files if f not in val], val


def _load_rgb8(path: Path, crop: int) -> np.ndarray | None:
    img = read_image(path).color()
    if img.bit_depth != 8 or img.is_float:
        return None
    px = img.pixels[..., :3]
    h, w = (px.shape[0] // 16) * 16, (px.shape[1] // 16) * 16
    if h < crop or w < crop:
        return None
    return np.ascontiguousarray(px[:h, :w])


def _proxy_description(codec: str) -> str:
    zero = DEADZONE[codec]
    tables = "IJG tables" if codec == "jpeg" else "jpegli's tables (read from pyjpegli)"
    return (f"jpegproxy[{codec}]: 4:2:0 baseline, {tables}, zero threshold {zero}, STE rounding, "
            f"bits = {NONZERO_BITS:g}*sigmoid((|u|-{zero})/{STEP_WIDTH}) + log2(1+|u|)")


def rd_slope(x: Any, q: float, ssim_weight: float, dq: float = 5.0, codec: str = "jpeg") -> float:
    """λ for a batch: −Δ(ln MSE + w·ln(1 − SSIM)) / Δ ln R of the unprocessed batch between q − dq and q + dq."""
    torch = __import__("torch")
    vals = []
    with torch.no_grad():
        for qq in (max(1.0, q - dq), min(100.0, q + dq)):
            dec, bits = jpeg_proxy(x, qq, codec=codec)
            d = math.log(float(((dec - x) ** 2).mean()) + 1e-12)
            d += ssim_weight * math.log(float((1.0 - ssim(dec, x)).mean()) + 1e-9)
            vals.append((d, math.log(float(bits.mean()))))
    (d0, r0), (d1, r1) = vals
    if r1 <= r0:
        return 1.0
    return float(min(20.0, max(0.05, -(d1 - d0) / (r1 - r0))))


def rd_loss(model: Any, x: Any, q: float, lam: float, ssim_weight: float,
            codec: str = "jpeg", crossing_weight: float = 0.0) -> tuple[Any, dict[str, float]]:
    """The RD loss of one batch and its parts (for the log).

    ``crossing_weight`` > 0 adds the gradient of :func:`.jpegproxy.threshold_crossing` (what crossing the
    codec's zero threshold costs in distortion) to the MSE's; the loss value is unchanged.
    """
    torch = __import__("torch")
    y = model(x)
    dec, bits = jpeg_proxy(y, q, codec=codec)
    # Values: the exact proxy decode. Gradients: of the pre-edit error alone (decoupled). The straight-through
    # gradient of the rounded decode tells every pixel to cancel its own quantisation error, which no edit can
    # do (the rounding moves with it): trained that way the network learned dithering noise that cost bits
    # *and* quality with the real encoder (measured, docs/preprocess.md).
    yc = y.clamp(0.0, 1.0)
    mse_pre = ((yc - x) ** 2).mean()
    mse = mse_pre + (((dec - x) ** 2).mean() - mse_pre).detach()
    if crossing_weight:
        cross = crossing_weight * threshold_crossing(y, x, q, codec=codec).mean()
        mse = mse + (cross - cross.detach())
    om_pre = (1.0 - ssim(yc, x)).mean()
    one_minus = om_pre + ((1.0 - ssim(dec, x)).mean() - om_pre).detach()
    rate = bits.mean()
    loss = torch.log(mse + 1e-12) + ssim_weight * torch.log(one_minus + 1e-9) + lam * torch.log(rate)
    return loss, {"mse": float(mse.detach()), "one_minus_ssim": float(one_minus.detach()),
                  "bits": float(rate.detach())}


def train_rd(
    inputs: Sequence[str | Path],
    output: str | Path,
    options: RDTrainOptions | None = None,
    *,
    resume: bool = False,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> RDTrainResult:
    """Train (or resume training) the U-Net for rate–distortion through the JPEG proxy.

    Parameters
    ----------
    inputs : sequence of path
        Training images or directories (8-bit; never Kodak).
    output : path
        Model file (``.pt``). Beside it: ``.json`` (record), ``.state.pt`` (optimiser, for resuming),
        ``.log.jsonl`` (log lines).
    resume : bool
        Continue from ``output`` and its state file (the options of the first run are kept, except the step
        count and the time budget).
    log : callable, optional
        Called with every log entry.

    Raises
    ------
    InputError
        No usable images, Kodak among them, or nothing to resume.
    """
    import torch

    out = Path(output)
    opt = options or RDTrainOptions()
    if opt.threads:
        torch.set_num_threads(int(opt.threads))
    run = _start_rd(opt, out, resume)
    _check_rd_options(run.opt)
    run.prepare(inputs)
    if not run.record:
        run.record = _rd_record(run)
    run.loop = LoopState(step=run.step)
    if run.step == 0:
        write_log({"step": 0, "val": run.validate(), "elapsed": 0.0}, run.log_path, log)
    opt = run.opt
    run_loop(run.train_step, run.loop, max_steps=opt.steps,
             session_seconds=None if opt.max_minutes is None else 60.0 * opt.max_minutes,
             log_every=opt.log_every, entry=run.entry, log_path=run.log_path, on_entry=log,
             checkpoint=run.checkpoint, checkpoint_seconds=60.0 * opt.checkpoint_minutes)
    write_log({"step": run.loop.step, "val": run.validate(), "elapsed": run.wall()}, run.log_path, log)
    return RDTrainResult(out, run.record_path, run.record)


@dataclass
class _RDRun:
    """The state of one RD training session and its steps (batch, loss step, validation, log line, checkpoint)."""

    opt: RDTrainOptions
    out: Path
    model: Any
    saved: dict[str, Any] | None = None
    optim: Any = None
    step: int = 0
    elapsed_before: float = 0.0
    record: dict[str, Any] = field(default_factory=dict)
    images: list[np.ndarray] = field(default_factory=list)
    val_imgs: list[np.ndarray] = field(default_factory=list)
    train_files: list[Path] = field(default_factory=list)
    val_files: list[Path] = field(default_factory=list)
    val_batch: Any = None
    val_qs: list[int] = field(default_factory=list)
    rng: Any = None
    pyrng: Any = None
    loop: Any = None

    def __post_init__(self) -> None:
        self.state_path, self.record_path, self.log_path = (self.out.with_suffix(s)
                                                            for s in (".state.pt", ".json", ".log.jsonl"))

    def prepare(self, inputs: Sequence[str | Path]) -> None:
        """Split and preload the images, make (or restore) the optimiser, seed the batches, fix the validation set."""
        import torch

        opt = self.opt
        self.train_files, self.val_files = split_images(list_images(inputs), opt.val_images)
        self.model.train()
        self.optim = torch.optim.Adam(self.model.parameters(), lr=opt.lr)
        if self.saved is not None:
            self.optim.load_state_dict(self.saved["optimizer"])
        self.images = [a for a in (_load_rgb8(f, opt.crop) for f in self.train_files) if a is not None]
        if not self.images:
            raise InputError("no training image is 8-bit and at least one crop large")
        self.val_imgs = [a for a in (_load_rgb8(f, opt.crop) for f in self.val_files) if a is not None]
        self.rng = np.random.default_rng(opt.seed + self.step)
        self.pyrng = random.Random(opt.seed + self.step)
        vr = np.random.default_rng(12345)
        self.val_batch = (torch.from_numpy(np.stack([np.ascontiguousarray(_crop_of(a, vr, opt.crop).transpose(2, 0, 1))
                                                     for a in self.val_imgs for _ in range(2)]).astype(np.float32)
                                           / 255.0)
                          if self.val_imgs else None)
        self.val_qs = [round(opt.q_min + (opt.q_max - opt.q_min) * t) for t in (0.15, 0.5, 0.85)]

    def batch(self) -> Any:
        """A batch of random crops, randomly flipped and rotated by multiples of 90° (the 16×16 grid kept)."""
        import torch

        xs = []
        for _ in range(self.opt.batch):
            c = _crop_of(self.images[int(self.rng.integers(len(self.images)))], self.rng, self.opt.crop)
            if self.rng.random() < 0.5:
                c = c[:, ::-1]
            c = np.rot90(c, int(self.rng.integers(4)))
            xs.append(np.ascontiguousarray(c.transpose(2, 0, 1)))
        return torch.from_numpy(np.stack(xs).astype(np.float32) / 255.0)

    def validate(self) -> dict[str, Any]:
        """Proxy gain at equal distortion on held-out crops: bits change vs identity, per quality."""
        if self.val_batch is None:
            return {}
        import torch

        opt, x = self.opt, self.val_batch
        self.model.eval()
        res = {}
        with torch.no_grad():
            y = self.model(x)
            for q in self.val_qs:
                d0, b0 = jpeg_proxy(x, q, codec=opt.codec)
                d1, b1 = jpeg_proxy(y, q, codec=opt.codec)
                lam = rd_slope(x, q, opt.ssim_weight, codec=opt.codec)
                m0, m1 = float(((d0 - x) ** 2).mean()), float(((d1 - x) ** 2).mean())
                s0, s1 = float((1 - ssim(d0, x)).mean()), float((1 - ssim(d1, x)).mean())
                dr = math.log(float(b1.mean()) / float(b0.mean()))
                dd = math.log(m1 / m0) + opt.ssim_weight * math.log(s1 / s0)
                res[f"q{q}"] = {"dlnR": round(dr, 5), "dlnMSE": round(math.log(m1 / m0), 5),
                                "dln1mSSIM": round(math.log(s1 / s0), 5), "lambda": round(lam, 4),
                                "equal_quality_bits_pct": round(100 * (math.exp(dr + dd / lam) - 1), 3)}
        self.model.train()
        return res

    def wall(self) -> float:
        """Wall seconds of all sessions so far."""
        return round(self.elapsed_before + self.loop.wall(), 1)

    def train_step(self, st: Any) -> dict[str, float]:
        """One optimiser step at a random quality with the batch's own λ."""
        opt = self.opt
        x = self.batch()
        q = float(self.pyrng.randint(int(opt.q_min), int(opt.q_max)))
        lam = rd_slope(x, q, opt.ssim_weight, codec=opt.codec)
        loss, parts = rd_loss(self.model, x, q, lam, opt.ssim_weight, codec=opt.codec,
                              crossing_weight=opt.crossing_weight)
        self.optim.zero_grad()
        loss.backward()
        self.optim.step()
        return {"loss": float(loss.detach()), "lambda": lam, **parts}

    def entry(self, st: Any, means: dict[str, float]) -> dict[str, Any]:
        """The log line: mean values, and the validation figures every tenth line."""
        line: dict[str, Any] = {"step": st.step, **means, "elapsed": self.wall()}
        if st.step % (self.opt.log_every * 10) == 0:
            line["val"] = self.validate()
        return line

    def checkpoint(self, st: Any, reason: str) -> None:
        """Model, optimiser state and record, each written atomically."""
        opt, record = self.opt, self.record
        if reason == STOP_TIME:
            reason = f"wall-time budget of {opt.max_minutes} min reached"
        record["steps_run"] = st.step
        record["wall_seconds"] = self.wall()
        record["stopped"] = reason
        save_model(self.out, self.model, record={"objective": "rd", "steps_run": st.step, "codec": opt.codec,
                                                 "q_range": [opt.q_min, opt.q_max]})
        save_checkpoint(self.state_path, {"step": st.step, "elapsed": self.elapsed_before + st.wall(),
                                          "optimizer": self.optim.state_dict()})
        atomic_write_bytes(self.record_path, json.dumps(record, indent=1).encode())


def _start_rd(opt: RDTrainOptions, out: Path, resume: bool) -> _RDRun:
    """A new run (network built or loaded from ``opt.init``), or the saved one with its first options kept."""
    state_path, record_path = out.with_suffix(".state.pt"), out.with_suffix(".json")
    step, elapsed_before, state, record = 0, 0.0, None, {}
    if resume:
        if not out.is_file() or not state_path.is_file():
            raise InputError(f"nothing to resume: {out} or {state_path} is missing")
        model = set_strength(load_model(out), 1.0)
        state = load_checkpoint(state_path, what="optimiser state")
        try:
            record = json.loads(record_path.read_text())
            step, elapsed_before = int(state["step"]), float(state["elapsed"])
        except Exception as exc:
            raise ModelError(f"{state_path}: cannot resume ({type(exc).__name__}: {exc})") from None
        keep = RDTrainOptions(**record["options"])
        keep.steps, keep.max_minutes, keep.threads = opt.steps, opt.max_minutes, opt.threads
        opt = keep
    else:
        model = set_strength(load_model(opt.init), 1.0) if opt.init else build_unet(base=opt.base)
    return _RDRun(opt, out, model, saved=state, step=step, elapsed_before=elapsed_before, record=record)


def _check_rd_options(opt: RDTrainOptions) -> None:
    """Refuse a crop, codec or quality range the proxy cannot train with."""
    if opt.crop % 16 or opt.crop < 32:
        raise UnsupportedError(f"crop must be a multiple of 16 and >= 32, got {opt.crop}")
    if opt.codec not in PROXY_CODECS:
        raise UnsupportedError(f"the RD proxy models {', '.join(PROXY_CODECS)}, not {opt.codec!r}")
    if not 1 <= opt.q_min <= opt.q_max <= 89:
        raise UnsupportedError("the proxy models 4:2:0 JPEG: quality range must lie in 1..89")


def _crop_of(a: np.ndarray, r: np.random.Generator, crop: int) -> np.ndarray:
    """A random ``crop`` × ``crop`` window of ``a`` at a multiple of 16 (the codec's grids kept)."""
    gy = (a.shape[0] - crop) // 16
    gx = (a.shape[1] - crop) // 16
    y0, x0 = 16 * int(r.integers(0, gy + 1)), 16 * int(r.integers(0, gx + 1))
    return a[y0 : y0 + crop, x0 : x0 + crop]


def _rd_record(run: _RDRun) -> dict[str, Any]:
    """The training record of a new run (architecture, options, data, proxy, environment)."""
    return {
        "format": RD_RECORD_FORMAT,
        "model": run.out.name,
        "objective": "rd",
        "architecture": dict(run.model.arch),
        "parameters": count_parameters(run.model),
        "options": asdict(run.opt),
        "data": {"train_images": len(run.images), "val_images": len(run.val_imgs),
                 "val_files": [f"{p.parent.name}/{p.name}" for p in run.val_files],
                 "sources": sorted({str(p.parent) for p in run.train_files})},
        "proxy": _proxy_description(run.opt.codec),
        "environment": environment(),
    }
