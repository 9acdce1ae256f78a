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
import platform
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError, ModelError, UnsupportedError
from qualipress.io import atomic_write_bytes, read_image
from qualipress.preprocess.jpegproxy import DEADZONE, NONZERO_BITS, PROXY_CODECS, STEP_WIDTH

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
    from qualipress.preprocess.label import expand_inputs

    files = sorted(expand_inputs(inputs))
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
    from qualipress.preprocess.jpegproxy import jpeg_proxy, ssim

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
    from qualipress.preprocess.jpegproxy import jpeg_proxy, ssim

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
        from qualipress.preprocess.jpegproxy import threshold_crossing

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
    options : RDTrainOptions, optional
    resume : bool
        Continue from ``output`` and its state file (the options of the first run are kept, except the step
        count and the time budget).
    log : callable, optional
        Called with every log entry.

    Returns
    -------
    RDTrainResult

    Raises
    ------
    InputError
        No usable images, Kodak among them, or nothing to resume.
    """
    import torch

    from qualipress.pipeline.training import (
        STOP_TIME,
        LoopState,
        load_checkpoint,
        run_loop,
        save_checkpoint,
        write_log,
    )
    from qualipress.preprocess.model import build_unet, count_parameters, load_model, save_model

    opt = options or RDTrainOptions()
    out = Path(output)
    state_path, record_path, log_path = (out.with_suffix(".state.pt"), out.with_suffix(".json"),
                                         out.with_suffix(".log.jsonl"))
    if opt.threads:
        torch.set_num_threads(int(opt.threads))
    step, elapsed_before = 0, 0.0
    record: dict[str, Any]
    if resume:
        if not out.is_file() or not state_path.is_file():
            raise InputError(f"nothing to resume: {out} or {state_path} is missing")
        model = load_model(out)
        model.strength = 1.0
        model.arch["strength"] = 1.0
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
        model = load_model(opt.init) if opt.init else build_unet(base=opt.base)
        if opt.init:
            model.strength = 1.0
            model.arch["strength"] = 1.0
        state = None
        record = {}
    if opt.crop % 16 or opt.crop < 32:
        raise UnsupportedError(f"crop must be a multiple of 16 and >= 32, got {opt.crop}")
    if opt.codec not in PROXY_CODECS:
        raise UnsupportedError(f"the RD proxy models {', '.join(PROXY_CODECS)}, not {opt.codec!r}")
    if not 1 <= opt.q_min <= opt.q_max <= 89:
        raise UnsupportedError("the proxy models 4:2:0 JPEG: quality range must lie in 1..89")
    files = list_images(inputs)
    train_files, val_files = split_images(files, opt.val_images)
    model.train()
    optim = torch.optim.Adam(model.parameters(), lr=opt.lr)
    if state is not None:
        optim.load_state_dict(state["optimizer"])

    images = [a for a in (_load_rgb8(f, opt.crop) for f in train_files) if a is not None]
    if not images:
        raise InputError("no training image is 8-bit and at least one crop large")
    val_imgs = [a for a in (_load_rgb8(f, opt.crop) for f in val_files) if a is not None]
    rng = np.random.default_rng(opt.seed + step)
    pyrng = random.Random(opt.seed + step)

    def crop_of(a: np.ndarray, r: np.random.Generator) -> np.ndarray:
        gy = (a.shape[0] - opt.crop) // 16
        gx = (a.shape[1] - opt.crop) // 16
        y0, x0 = 16 * int(r.integers(0, gy + 1)), 16 * int(r.integers(0, gx + 1))
        return a[y0 : y0 + opt.crop, x0 : x0 + opt.crop]

    def batch() -> Any:
        xs = []
        for _ in range(opt.batch):
            c = crop_of(images[int(rng.integers(len(images)))], rng)
            if rng.random() < 0.5:
                c = c[:, ::-1]
            c = np.rot90(c, int(rng.integers(4)))
            xs.append(np.ascontiguousarray(c.transpose(2, 0, 1)))
        return torch.from_numpy(np.stack(xs).astype(np.float32) / 255.0)

    vr = np.random.default_rng(12345)
    val_batch = (torch.from_numpy(np.stack([np.ascontiguousarray(crop_of(a, vr).transpose(2, 0, 1))
                                            for a in val_imgs for _ in range(2)]).astype(np.float32) / 255.0)
                 if val_imgs else None)
    val_q = (opt.q_min + (opt.q_max - opt.q_min) * t for t in (0.15, 0.5, 0.85))
    val_qs = [round(v) for v in val_q]

    def validate() -> dict[str, Any]:
        """Proxy gain at equal distortion on held-out crops: bits change vs identity, per quality."""
        if val_batch is None:
            return {}
        from qualipress.preprocess.jpegproxy import jpeg_proxy, ssim

        model.eval()
        res = {}
        with torch.no_grad():
            y = model(val_batch)
            for q in val_qs:
                d0, b0 = jpeg_proxy(val_batch, q, codec=opt.codec)
                d1, b1 = jpeg_proxy(y, q, codec=opt.codec)
                lam = rd_slope(val_batch, q, opt.ssim_weight, codec=opt.codec)
                m0, m1 = float(((d0 - val_batch) ** 2).mean()), float(((d1 - val_batch) ** 2).mean())
                s0, s1 = float((1 - ssim(d0, val_batch)).mean()), float((1 - ssim(d1, val_batch)).mean())
                dr = math.log(float(b1.mean()) / float(b0.mean()))
                dd = math.log(m1 / m0) + opt.ssim_weight * math.log(s1 / s0)
                res[f"q{q}"] = {"dlnR": round(dr, 5), "dlnMSE": round(math.log(m1 / m0), 5),
                                "dln1mSSIM": round(math.log(s1 / s0), 5), "lambda": round(lam, 4),
                                "equal_quality_bits_pct": round(100 * (math.exp(dr + dd / lam) - 1), 3)}
        model.train()
        return res

    if not record:
        record = {
            "format": RD_RECORD_FORMAT,
            "model": out.name,
            "objective": "rd",
            "architecture": dict(model.arch),
            "parameters": count_parameters(model),
            "options": asdict(opt),
            "data": {"train_images": len(images), "val_images": len(val_imgs),
                     "val_files": [f"{p.parent.name}/{p.name}" for p in val_files],
                     "sources": sorted({str(p.parent) for p in train_files})},
            "proxy": _proxy_description(opt.codec),
            "environment": {"torch": torch.__version__, "python": platform.python_version(),
                            "machine": platform.machine(), "threads": torch.get_num_threads()},
        }

    loop = LoopState(step=step)

    def wall() -> float:
        return round(elapsed_before + loop.wall(), 1)

    def checkpoint(st: LoopState, reason: str) -> None:
        if reason == STOP_TIME:
            reason = f"wall-time budget of {opt.max_minutes} min reached"
        record["steps_run"] = st.step
        record["wall_seconds"] = wall()
        record["stopped"] = reason
        save_model(out, model, record={"objective": "rd", "steps_run": st.step, "codec": opt.codec,
                                       "q_range": [opt.q_min, opt.q_max]})
        save_checkpoint(state_path, {"step": st.step, "elapsed": elapsed_before + st.wall(),
                                     "optimizer": optim.state_dict()})
        atomic_write_bytes(record_path, json.dumps(record, indent=1).encode())

    def train_step(st: LoopState) -> dict[str, float]:
        x = batch()
        q = float(pyrng.randint(int(opt.q_min), int(opt.q_max)))
        lam = rd_slope(x, q, opt.ssim_weight, codec=opt.codec)
        loss, parts = rd_loss(model, x, q, lam, opt.ssim_weight, codec=opt.codec,
                              crossing_weight=opt.crossing_weight)
        optim.zero_grad()
        loss.backward()
        optim.step()
        return {"loss": float(loss.detach()), "lambda": lam, **parts}

    def entry(st: LoopState, means: dict[str, float]) -> dict[str, Any]:
        line: dict[str, Any] = {"step": st.step, **means, "elapsed": wall()}
        if st.step % (opt.log_every * 10) == 0:
            line["val"] = validate()
        return line

    if step == 0:
        write_log({"step": 0, "val": validate(), "elapsed": 0.0}, log_path, log)
    run_loop(train_step, loop, max_steps=opt.steps,
             session_seconds=None if opt.max_minutes is None else 60.0 * opt.max_minutes,
             log_every=opt.log_every, entry=entry, log_path=log_path, on_entry=log,
             checkpoint=checkpoint, checkpoint_seconds=60.0 * opt.checkpoint_minutes)
    write_log({"step": loop.step, "val": validate(), "elapsed": wall()}, log_path, log)
    return RDTrainResult(out, record_path, record)
