"""Reproduce the shipped Kuchen model: label a training subset for JPEG q75, train on the CPU, plot the loss.

Steps (each resumable):

1. ``label``: Algorithm 1 over the files listed in the training record of the shipped model (or ``--files``),
   JPEG q75, SSIMULACRA2, default pool, k = 2, ``--score rd``;
2. ``train``: U-Net width 16, MSE, Adam (lr 5e-4 here: the paper's 1e-4 is the CLI default, but a CPU budget
   gives ~10x fewer steps than a GPU run), batch 4, 320×180 patches stride 160, one CPU thread, within a
   wall-time budget (``--max-minutes``);
3. ``plot``: the loss curve to ``docs/img/preprocess_loss.png``.

Usage::

    python benchmarks/preprocess_train_shipped.py label --labels /tmp/kuchen_labels
    python benchmarks/preprocess_train_shipped.py train --labels /tmp/kuchen_labels --max-minutes 50 \
        -o src/qualipress/preprocess/models/kuchen_jpeg.pt
    python benchmarks/preprocess_train_shipped.py plot -o src/qualipress/preprocess/models/kuchen_jpeg.pt
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _paths import DATA, ROOT

SHIPPED = ROOT / "src" / "qualipress" / "preprocess" / "models" / "kuchen_jpeg.pt"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=["label", "train", "plot"])
    ap.add_argument("--labels", default="/tmp/kuchen_labels")
    ap.add_argument("-o", "--output", default=str(SHIPPED))
    ap.add_argument("--files", nargs="*", help="training images (default: those of the shipped record)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--max-minutes", type=float, default=50.0)
    ap.add_argument("--lr", type=float, default=5e-4, help="Adam lr (paper 1e-4; see docs/preprocess.md)")
    args = ap.parse_args(argv)

    if args.step == "label":
        from qualipress.preprocess.label import LabelConfig, label_dataset

        if args.files:
            files = [Path(f) for f in args.files]
        else:
            record = json.loads(SHIPPED.with_suffix(".json").read_text())
            files = [DATA / "train" / f for f in record["labels"]["files"]]
        t0 = time.time()
        s = label_dataset(files, args.labels, LabelConfig(score="rd"), jobs=args.jobs,
                          progress=lambda st: print(f"{time.time() - t0:7.1f}s {st}", flush=True))
        print(s)
        return 0 if not s.errors else 1
    if args.step == "train":
        from qualipress.preprocess.train import TrainOptions, train_model

        def log(e: dict) -> None:
            print(json.dumps(e), flush=True)

        opt = TrainOptions(epochs=args.epochs, threads=1, max_minutes=args.max_minutes, lr=args.lr)
        res = train_model([args.labels], args.output, opt, codec="jpeg", log=log)
        print(f"wrote {res.model_path} ({res.record['stopped']})")
        return 0
    plot_loss(Path(args.output).with_suffix(".json"), ROOT / "docs" / "img" / "preprocess_loss.png")
    return 0


def plot_loss(record_path: Path, out: Path) -> None:
    """Training and validation MSE per epoch, with the validation 'identity' MSE (doing nothing) for scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rec = json.loads(record_path.read_text())
    curve = rec["loss_curve"]
    ep = [e["epoch"] for e in curve]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.semilogy(ep, [e["train_mse"] for e in curve], label="train MSE")
    ax.semilogy(ep, [e["val_mse"] for e in curve], label="validation MSE")
    ax.semilogy(ep, [e["val_identity_mse"] for e in curve], "--", label="validation MSE of doing nothing")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE (pixels in [0, 1])")
    ax.set_title(f"Kuchen U-Net training ({rec['labels']['images']} images, CPU, 1 thread)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
