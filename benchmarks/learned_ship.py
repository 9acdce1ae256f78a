"""Copy the trained model into the package and write its training record + loss-curve plot.

    python benchmarks/learned_ship.py [results/learned_train/model.pt]

Writes src/qualipress/learned/models/bmshj2018-hyperprior-small.{pt,json} and docs/img/rd_learned_training.png.
Checks the model loads, round-trips an image and stays under 10 MB. A different model already shipped is kept
as ``bmshj2018-hyperprior-small.v<N>.{pt,json}`` so that files written with it still decode.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
from _paths import ROOT

MODELS = ROOT / "src" / "qualipress" / "learned" / "models"
NAME = "bmshj2018-hyperprior-small"


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from qualipress.io import atomic_write_bytes
    from qualipress.learned.codec import make_codec
    from qualipress.learned.weights import load_file

    src = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "results" / "learned_train" / "model.pt"
    loaded = load_file(src, "bmshj2018-hyperprior")
    size = src.stat().st_size
    if size >= 10 * 1024 * 1024:
        print(f"{src} is {size / 2**20:.1f} MiB, over the 10 MB limit", file=sys.stderr)
        return 1
    record = dict(loaded.meta["record"])
    record["file"] = f"{NAME}.pt"
    record["bytes"] = size
    record["fingerprint"] = loaded.fingerprint.hex()
    record["parameters"] = int(sum(p.numel() for p in loaded.model.parameters()))
    MODELS.mkdir(parents=True, exist_ok=True)
    current = MODELS / f"{NAME}.pt"
    data = src.read_bytes()
    if current.is_file() and (shipped := current.read_bytes()) != data:
        kept_files = list(MODELS.glob(f"{NAME}.v*.pt"))
        if shipped not in {f.read_bytes() for f in kept_files}:
            # the next number above the highest kept one (v4 was never shipped, so a count would reuse .v7)
            numbered = (re.fullmatch(rf"{re.escape(NAME)}\.v(\d+)\.pt", f.name) for f in kept_files)
            n = 1 + max((int(m.group(1)) for m in numbered if m), default=0)
            shutil.copyfile(current, MODELS / f"{NAME}.v{n}.pt")
            if (MODELS / f"{NAME}.json").is_file():
                shutil.copyfile(MODELS / f"{NAME}.json", MODELS / f"{NAME}.v{n}.json")
            print(f"kept the previous model as {NAME}.v{n}.pt")
    atomic_write_bytes(MODELS / f"{NAME}.pt", data)
    (MODELS / f"{NAME}.json").write_text(json.dumps(record, indent=1) + "\n")
    # sanity: the shipped copy is what the codec uses by default and it round-trips
    codec = make_codec("bmshj2018-hyperprior")
    x = (np.random.default_rng(0).random((64, 96, 3)) * 255).astype(np.uint8)
    assert codec.decode(codec.encode(x, quality=4)).pixels.shape == x.shape
    hist = record["history"]
    steps = [h["step"] for h in hist]
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    ax[0].plot(steps, [h["loss"] for h in hist], label="loss (bpp + λ/s²·255²·MSE)")
    ax[0].plot(steps, [h["bpp"] for h in hist], label="bpp (estimated, noisy quantisation)")
    ax[0].set_yscale("log")
    ax[0].set_xlabel("step")
    ax[0].legend(fontsize=8)
    vals = [h for h in hist if "val" in h]
    for k, lab in enumerate(["largest step (q=1)", "step 1", "smallest step (q=8)"]):
        ax[1].plot([h["step"] for h in vals], [h["val"][k]["psnr"] for h in vals], marker="o", label=lab)
    ax[1].set_xlabel("step")
    ax[1].set_ylabel("validation PSNR (dB), BSD300-test crops")
    ax[1].legend(fontsize=8)
    start = f", warm start from {record['init_fingerprint']}" if record.get("init_fingerprint") else ""
    fig.suptitle(f"{NAME}: {record['steps_done']} steps, {record['train_seconds'] / 60:.0f} min CPU (1 thread){start}")
    fig.tight_layout()
    (ROOT / "docs" / "img").mkdir(parents=True, exist_ok=True)
    fig.savefig(ROOT / "docs" / "img" / "rd_learned_training.png", dpi=100)
    # a model exported from a training checkpoint has no final validation (the run had not ended)
    print(json.dumps({k: record.get(k) for k in ("steps_done", "train_seconds", "crops_seen", "bytes", "parameters",
                                                 "fingerprint", "final_validation")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
