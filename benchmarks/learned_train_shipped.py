"""Train the small model qualipress ships (``src/qualipress/learned/models/bmshj2018-hyperprior-small.pt``).

CPU budget: 50 minutes of training time on one thread (``torch.set_num_threads(1)``), about 55 minutes of
wall time including validation. Train on BSD300-train200 + Urban100 (x2 HR) from ``../shared/data/train``,
validate on 6 images of BSD300-test100; Kodak is never seen.

Run from the repository root (resumable: running it again continues from the checkpoint)::

    nohup python benchmarks/learned_train_shipped.py 50 256 4 > results/learned_train.out 2>&1 &   # first part
    nohup python benchmarks/learned_train_shipped.py 50 128 8 >> results/learned_train.out 2>&1 &  # resumed
"""

from __future__ import annotations

import json
import sys

from _paths import DATA, ROOT

from qualipress.io import dataset_images
from qualipress.learned.train import TrainConfig, train_codec

WORK = ROOT / "results" / "learned_train"


def main() -> int:
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 50.0
    # The run that produced the shipped model started with 256x256 crops, batch 4, and was switched (resumed
    # from its checkpoint) to 128x128 crops, batch 8 at step ~800: on a shared 2-core CPU the model was
    # optimisation-limited, and smaller crops give twice the updates per second.
    crop = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    cfg = TrainConfig(
        arch="bmshj2018-hyperprior",
        config=(64, 96),
        lmbda=0.013,
        variable_rate=True,
        step_range=(0.35, 2.8),
        crop=crop,
        batch_size=batch,
        lr=5e-4,
        max_minutes=minutes,
        threads=1,
        log_every=25,
        val_every=250,
        extra={"script": "benchmarks/learned_train_shipped.py", "data": "../shared/data/train",
               "schedule": "steps 1..~800: crop 256 batch 4; then resumed with crop 128 batch 8"},
    )
    train = [DATA / "train" / "bsd300_train200", DATA / "train" / "urban100_x2hr"]
    val = dataset_images([DATA / "train" / "bsd300_test100"])[:6]
    WORK.mkdir(parents=True, exist_ok=True)
    record = train_codec(train, WORK / "model.pt", cfg, validation=val)
    (WORK / "record.json").write_text(json.dumps(record, indent=1))
    print(json.dumps(record["final_validation"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
