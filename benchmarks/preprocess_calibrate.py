"""Calibrate the inference strength s of a Kuchen model (output = input − s·d) on held-out TRAINING images.

Never on Kodak: the images are BSD300-test100 ("BSD100") from ``../shared/data/train``, which the shipped model's
labels do not use. For each s, the BD-rate at equal SSIMULACRA2 against no preprocessing is measured over JPEG
settings 60, 75, 85 (the neighbourhood of the labelling setting q75); the best s is stored in the model and in
its JSON training record (``calibration``).

Usage::

    python benchmarks/preprocess_calibrate.py src/qualipress/preprocess/models/kuchen_jpeg.pt --images 6
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from _paths import DATA


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--images", type=int, default=6)
    ap.add_argument("--strengths", default="0.25,0.5,0.75,1.0")
    ap.add_argument("--settings", default="60,75,85")
    ap.add_argument("--dry-run", action="store_true", help="measure only, do not write the model")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from qualipress.io import atomic_write_bytes, read_image
    from qualipress.preprocess.evaluate import mean_bd_rate, sweep
    from qualipress.preprocess.model import apply_network, load_model, save_model, set_strength

    files = sorted((DATA / "train" / "bsd300_test100").glob("*.png"))[: args.images]
    qs = [float(q) for q in args.settings.split(",")]
    strengths = [float(s) for s in args.strengths.split(",")]
    model = load_model(args.model)
    record = dict(getattr(model, "record", {}) or {})
    imgs = [read_image(f) for f in files]
    base = [sweep(img, img, "jpeg", qs) for img in imgs]
    results = {}
    for s in strengths:
        set_strength(model, s)
        test = [sweep(img, apply_network(model, img), "jpeg", qs) for img in imgs]
        results[s] = {m: mean_bd_rate(base, test, m)["mean"] for m in ("ssimulacra2", "ms-ssim", "psnr")}
        print(f"strength {s}: BD-rate " + ", ".join(f"{k} {v:+.2f}%" for k, v in results[s].items()), flush=True)
    best = min(strengths, key=lambda s: results[s]["ssimulacra2"])
    calibration = {"images": [f"{f.parent.name}/{f.name}" for f in files], "codec": "jpeg", "settings": qs,
                   "metric": "ssimulacra2", "bd_rate_by_strength": {str(k): v for k, v in results.items()},
                   "chosen_strength": best}
    print(f"chosen strength {best}")
    if not args.dry_run:
        set_strength(model, best)
        record["calibration"] = calibration
        save_model(args.model, model, record=record)
        rec_path = Path(args.model).with_suffix(".json")
        if rec_path.is_file():
            full = json.loads(rec_path.read_text())
            full["calibration"] = calibration
            full["architecture"] = dict(model.arch)
            atomic_write_bytes(rec_path, json.dumps(full, indent=1).encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
