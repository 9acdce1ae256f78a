"""Training the Kuchen U-Net on a label directory (input = original image, target = its label).

Paper settings, kept as defaults: MSE loss, Adam with lr 1e-4, batch 4, 320×180 patches taken with stride 160.
Additions (documented in ``docs/preprocess.md``): random horizontal flips (vertical ones only when the patch
height is a multiple of 8, so the codec's 8×8 block grid stays aligned with the patch), a held-out validation split
of whole images (default 10%) whose loss is reported next to the *identity* loss (MSE between input and label, i.e.
what doing nothing scores), a wall-time budget, and a checkpoint written atomically after every epoch.
Images smaller than a patch are padded by edge replication up to the patch size.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError, UnsupportedError
from qualipress.io import atomic_write_bytes, read_image, sha256_file
from qualipress.pipeline.training import STOP_TIME, LoopState, choose_device, run_loop
from qualipress.preprocess.label import LabelConfig, load_records
from qualipress.preprocess.model import _torch, build_unet, count_parameters, environment, save_model


@dataclass
class TrainOptions:
    """Training hyper-parameters (defaults = the paper's, plus a CPU-friendly width)."""

    epochs: int = 40
    batch: int = 4
    lr: float = 1e-4
    patch_h: int = 180
    patch_w: int = 320
    stride: int = 160
    base: int = 16
    val_fraction: float = 0.1
    flips: bool = True
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None
    max_minutes: float | None = None


@dataclass
class TrainResult:
    """Outcome of :func:`train_model`."""

    model_path: Path
    record_path: Path
    record: dict[str, Any] = field(repr=False)


def _load_pair(rec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    src = Path(rec["source"])
    if not src.is_file():
        raise InputError(f"label source {src} is missing (labels refer to their source images by path)")
    if sha256_file(src) != rec["sha256"]:
        raise InputError(f"label source {src} changed since it was labelled (sha256 differs)")
    a, b = read_image(src), read_image(rec["label_path"])
    a = a.color()
    if a.pixels.shape[:2] != b.pixels.shape[:2]:
        raise InputError(f"label {rec['label_path']} does not match its source size")
    maxv = float((1 << int(rec["bit_depth"])) - 1)

    def rgb(px: np.ndarray) -> np.ndarray:
        x = px.astype(np.float32) / np.float32(maxv)
        return np.repeat(x, 3, axis=2) if x.shape[2] == 1 else x[..., :3]

    return rgb(a.pixels), rgb(b.pixels)


def _pad_to(x: np.ndarray, h: int, w: int) -> np.ndarray:
    ph, pw = max(0, h - x.shape[0]), max(0, w - x.shape[1])
    if ph or pw:
        x = np.pad(x, ((0, ph), (0, pw), (0, 0)), mode="edge")
    return x


def patch_positions(height: int, width: int, *, patch_h: int, patch_w: int, stride: int) -> list[tuple[int, int]]:
    """Top-left corners of the patches of one image (stride ``stride``; at least one patch)."""
    ys = list(range(0, max(1, height - patch_h + 1), stride))
    xs = list(range(0, max(1, width - patch_w + 1), stride))
    return [(y, x) for y in ys for x in xs]


def check_label_dirs(dirs: Sequence[str | Path], *, codec: str | None = None) -> tuple[LabelConfig, list[dict]]:
    """Load label directories and refuse a mix of codecs / settings / pools, or a codec other than ``codec``.

    Raises
    ------
    InputError
    """
    if not dirs:
        raise InputError("no label directory given")
    config: LabelConfig | None = None
    records: list[dict] = []
    for d in dirs:
        c, recs = load_records(d)
        if config is None:
            config = c
        else:
            why = config.mismatch(c)
            if why:
                raise InputError(f"{d}: label directories disagree ({why}); train on one setup at a time")
        records.extend(recs)
    assert config is not None
    if codec is not None and config.codec != codec:
        raise InputError(f"labels were made for codec {config.codec!r}, not {codec!r}")
    if not records:
        raise InputError(f"no labelled images in {', '.join(map(str, dirs))}")
    return config, records


def train_model(
    label_dirs: Sequence[str | Path],
    output: str | Path,
    options: TrainOptions | None = None,
    *,
    codec: str | None = None,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> TrainResult:
    """Train a Kuchen U-Net on label directories and write the model plus a JSON training record.

    Parameters
    ----------
    label_dirs : sequence of path
        Label directories made by :func:`qualipress.preprocess.label.label_dataset` for one setup.
    output : path
        Model file (``.pt``); the record goes to the same path with ``.json``.
    codec : str, optional
        Refuse labels made for another codec.
    log : callable, optional
        Called after every epoch with that epoch's entry of the loss curve.
    """
    torch = _torch()
    opt = options or TrainOptions()
    choose_device(opt.device, error=UnsupportedError)
    if opt.threads:
        torch.set_num_threads(int(opt.threads))
    config, records = check_label_dirs(label_dirs, codec=codec)
    out = Path(output)
    rng = random.Random(opt.seed)
    torch.manual_seed(opt.seed)
    train_ids, val_ids = _split_records(records, opt.val_fraction, rng)
    pairs, padded = _load_pairs(records, opt.patch_h, opt.patch_w)
    run = _EpochRun(opt, out, config, pairs, _patches(pairs, train_ids, opt), _patches(pairs, sorted(val_ids), opt),
                    rng, build_unet(base=opt.base).to(opt.device), log)
    run.record = _label_record(run, label_dirs, records, len(train_ids), len(val_ids), padded)
    run.model.train()
    run_loop(run.epoch_step, LoopState(), max_steps=opt.epochs,
             session_seconds=None if opt.max_minutes is None else 60.0 * opt.max_minutes,
             entry=run.entry, on_entry=run.on_entry, checkpoint=run.checkpoint, checkpoint_seconds=0.0)
    return TrainResult(out, out.with_suffix(".json"), run.record)


def _split_records(records: Sequence[dict[str, Any]], val_fraction: float,
                   rng: random.Random) -> tuple[list[int], set[int]]:
    """Record indices for training and the held-out whole images (shuffled in the order of their hashes)."""
    order = sorted(range(len(records)), key=lambda i: records[i]["sha256"])
    rng.shuffle(order)
    n_val = int(round(len(order) * val_fraction)) if len(order) > 1 else 0
    return order[n_val:], set(order[:n_val])


def _load_pairs(records: Sequence[dict[str, Any]], patch_h: int,
                patch_w: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
    """(input, label) pairs of every record, images smaller than a patch padded; and how many were."""
    pairs = [_load_pair(r) for r in records]
    padded = 0
    for i, (a, b) in enumerate(pairs):
        if a.shape[0] < patch_h or a.shape[1] < patch_w:
            padded += 1
            pairs[i] = (_pad_to(a, patch_h, patch_w), _pad_to(b, patch_h, patch_w))
    return pairs, padded


def _patches(pairs: Sequence[tuple[np.ndarray, np.ndarray]], ids: Sequence[int],
             opt: TrainOptions) -> list[tuple[int, int, int]]:
    """``(image index, top, left)`` of every patch of the images ``ids``."""
    out: list[tuple[int, int, int]] = []
    for i in ids:
        h, w = pairs[i][0].shape[:2]
        out += [(i, y, x) for y, x in patch_positions(h, w, patch_h=opt.patch_h, patch_w=opt.patch_w,
                                                     stride=opt.stride)]
    return out


@dataclass
class _EpochRun:
    """One label-training run: its patches, network and optimiser, and the steps the training harness calls."""

    opt: TrainOptions
    out: Path
    config: LabelConfig
    pairs: list[tuple[np.ndarray, np.ndarray]]
    train_p: list[tuple[int, int, int]]
    val_p: list[tuple[int, int, int]]
    rng: random.Random
    model: Any
    log: Callable[[dict[str, Any]], None] | None = None
    record: dict[str, Any] = field(default_factory=dict)
    curve: list[dict[str, Any]] = field(default_factory=list)
    t0: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        torch = _torch()
        self.optim = torch.optim.Adam(self.model.parameters(), lr=self.opt.lr)
        self.mse = torch.nn.MSELoss()

    def batch_tensors(self, items: Sequence[tuple[int, int, int]], augment: bool) -> tuple[Any, Any]:
        """Input and label tensors of the patches ``items`` (randomly flipped when ``augment``)."""
        torch, opt = _torch(), self.opt
        xs, ys = [], []
        for i, y, x in items:
            a = self.pairs[i][0][y : y + opt.patch_h, x : x + opt.patch_w]
            b = self.pairs[i][1][y : y + opt.patch_h, x : x + opt.patch_w]
            if augment and opt.flips:
                if self.rng.random() < 0.5:
                    a, b = a[:, ::-1], b[:, ::-1]
                if opt.patch_h % 8 == 0 and self.rng.random() < 0.5:  # keep the 8x8 codec grid aligned
                    a, b = a[::-1], b[::-1]
            xs.append(np.ascontiguousarray(a.transpose(2, 0, 1)))
            ys.append(np.ascontiguousarray(b.transpose(2, 0, 1)))
        return (torch.from_numpy(np.stack(xs)).to(opt.device), torch.from_numpy(np.stack(ys)).to(opt.device))

    def evaluate(self) -> tuple[float, float]:
        """Validation MSE of the network and of doing nothing (NaN without a validation split)."""
        if not self.val_p:
            return float("nan"), float("nan")
        torch = _torch()
        self.model.eval()
        tot = ident = 0.0
        with torch.inference_mode():
            for k in range(0, len(self.val_p), self.opt.batch):
                xb, yb = self.batch_tensors(self.val_p[k : k + self.opt.batch], False)
                tot += float(self.mse(self.model(xb), yb)) * len(xb)
                ident += float(self.mse(xb, yb)) * len(xb)
        self.model.train()
        return tot / len(self.val_p), ident / len(self.val_p)

    def epoch_step(self, st: Any) -> dict[str, float]:
        """One epoch over the shuffled training patches, then the validation losses."""
        self.rng.shuffle(self.train_p)
        tot, n = 0.0, 0
        te = time.time()
        for k in range(0, len(self.train_p), self.opt.batch):
            xb, yb = self.batch_tensors(self.train_p[k : k + self.opt.batch], True)
            loss = self.mse(self.model(xb), yb)
            self.optim.zero_grad()
            loss.backward()
            self.optim.step()
            tot += loss.item() * len(xb)
            n += len(xb)
        val, ident = self.evaluate()
        return {"train_mse": tot / max(1, n), "val_mse": val, "val_identity_mse": ident,
                "epoch_seconds": round(time.time() - te, 2)}

    def entry(self, st: Any, means: dict[str, float]) -> dict[str, Any]:
        """The loss-curve entry of an epoch (validation losses null without a validation split: strict JSON)."""
        clean = {k: v if math.isfinite(v) else None for k, v in means.items()}
        return {"epoch": st.step, **clean, "elapsed_seconds": round(time.time() - self.t0, 1)}

    def on_entry(self, line: dict[str, Any]) -> None:
        """Keep the entry in the record's loss curve and pass it to the caller's ``log``."""
        self.curve.append(line)
        if self.log is not None:
            self.log(line)

    def checkpoint(self, st: Any, reason: str) -> None:
        """The model (once an epoch ran in this session) and the record, written atomically."""
        record = self.record
        if reason == STOP_TIME:
            record["stopped"] = f"wall-time budget of {self.opt.max_minutes} min reached"
        elif reason != "running":
            record["stopped"] = "epochs"
        record["epochs_run"] = st.step
        record["wall_seconds"] = round(time.time() - self.t0, 1)
        if st.session_steps:
            save_model(self.out, self.model.to("cpu"), record={"epochs_run": st.step, "labels": self.config.to_dict()})
            self.model.to(self.opt.device)
        atomic_write_bytes(self.out.with_suffix(".json"), json.dumps(record, indent=1).encode())


def _label_record(run: _EpochRun, label_dirs: Sequence[str | Path], records: Sequence[dict[str, Any]],
                  n_train: int, n_val: int, padded: int) -> dict[str, Any]:
    """The training record (its ``loss_curve`` is the run's, filled as epochs end)."""
    opt = run.opt
    best_counts: dict[str, int] = {}
    for r in records:
        best_counts[r["best"]] = best_counts.get(r["best"], 0) + 1
    return {
        "format": "qualipress-kuchen-training",
        "model": run.out.name,
        "architecture": dict(run.model.arch),
        "parameters": count_parameters(run.model),
        "labels": {
            "directories": [str(Path(d)) for d in label_dirs],
            "config": run.config.to_dict(),
            "images": len(records),
            "train_images": n_train,
            "val_images": n_val,
            "train_patches": len(run.train_p),
            "val_patches": len(run.val_p),
            "padded_small_images": padded,
            "best_group_counts": dict(sorted(best_counts.items(), key=lambda kv: -kv[1])),
            "sources": sorted({str(Path(r["source"]).parent) for r in records}),
            "files": sorted(f"{Path(r['source']).parent.name}/{Path(r['source']).name}" for r in records),
        },
        "options": {k: getattr(opt, k) for k in opt.__dataclass_fields__},
        "environment": environment(),
        "loss_curve": run.curve,
    }
