"""Strength calibration of an RD-trained Kuchen checkpoint on its held-out training images (never Kodak).

Usage::

    python benchmarks/preprocess_rd_calibrate.py rdrun/rd2.pt --strengths 0.4,0.6,0.8,1.0 --images 6 \
        --metrics psnr,ms-ssim
    python benchmarks/preprocess_rd_calibrate.py rdrun/rd2.pt --strengths 0.6,0.8 --images 3 \
        --metrics psnr,ssimulacra2

The held-out images are the checkpoint's validation split (``split_images`` of the training folder, the same
files the training record lists). For each strength s (output = input − s·d) every image is encoded with the real
codec at q 30, 45, 60, 75, 85 with and without preprocessing; BD-rate (``qualipress.rd.bd`` through
``preprocess.evaluate``) per image, then the mean, is printed.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _paths import DATA


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--strengths", default="0.4,0.6,0.8,1.0")
    ap.add_argument("--images", type=int, default=6)
    ap.add_argument("--metrics", default="psnr,ms-ssim")
    ap.add_argument("--codec", default="jpeg")
    ap.add_argument("--data", default=str(DATA / "train"))
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from qualipress.io import read_image
    from qualipress.preprocess import get_preprocessor
    from qualipress.preprocess.evaluate import mean_bd_rate, sweep
    from qualipress.preprocess.model import load_model, save_model, set_strength
    from qualipress.preprocess.rdtrain import list_images, split_images

    metrics = tuple(args.metrics.split(","))
    qs = [30, 45, 60, 75, 85]
    files = split_images(list_images([args.data]), 6)[1][: args.images]
    imgs = [read_image(f).color() for f in files]
    base = [sweep(img, img, args.codec, qs, metrics=metrics) for img in imgs]
    print(f"{len(imgs)} held-out images: {', '.join(f.name for f in files)}; {args.codec}, q {qs}")
    print("| strength | " + " | ".join(f"BD {m}" for m in metrics) + " |")
    print("|---" * (len(metrics) + 1) + "|")
    with tempfile.TemporaryDirectory() as tmp:
        for s in (float(v) for v in args.strengths.split(",")):
            model = load_model(args.model)
            set_strength(model, s)
            path = Path(tmp) / f"s{s}.pt"
            save_model(path, model, record=model.record)
            pre = get_preprocessor(str(path))
            test = [sweep(img, pre(img), args.codec, qs, metrics=metrics) for img in imgs]
            cells = [f"{mean_bd_rate(base, test, m)['mean']:+.2f} %" for m in metrics]
            print(f"| {s:g} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
