"""The shipped JPEG predictor's error on JPEG sources: training photographs saved as JPEG, with and without noise.

Usage::

    python benchmarks/jpeg_source_bias.py ../shared/data/train/bsd300_train200 --count 10 --quality 90 --sigma 0,3
    python benchmarks/jpeg_source_bias.py ../shared/data/people/clarifai_coco_val2017/images --as-is

Each image (every ``len/count``-th of the folder) gets Gaussian noise of each ``--sigma`` (8-bit levels) added
and is saved as a 4:2:0 JPEG at ``--quality`` in a temporary folder (``--as-is``: the files are read as they are,
for folders of JPEG sources). The file is then swept at every JPEG quality; per SSIM threshold the table gives the
mean and mean absolute difference between the grid position where the threshold is first met (the training
code's ``crossing``) and the predictor's. Positive: the image needs more than predicted.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from qualipress.bench.predictor_train import crossing, sweep_image
from qualipress.io import IMAGE_SUFFIXES, read_image
from qualipress.search import parse_target
from qualipress.search import predict as pr

THRESHOLDS = (0.90, 0.95, 0.99)


def errors(files: list[Path], cache: Path) -> dict[float, list[float]]:
    """Crossing minus prediction per SSIM threshold, over ``files`` (JPEG sources)."""
    model = pr.load()
    if model is None:
        raise SystemExit("no shipped predictor")
    out: dict[float, list[float]] = {t: [] for t in THRESHOLDS}
    for f in files:
        sw = sweep_image(f, "jpeg", cache, stride=1)
        assert sw is not None
        img = read_image(f)
        feats = pr.image_features(img, jpeg_quality=pr.jpeg_source_quality(img))
        for t in THRESHOLDS:
            c = crossing(sw["rows"], "ssim", t)
            p = model.predict("jpeg", len(sw["rows"]), parse_target(f"ssim>={t}"), feats)
            if c is not None and p is not None:
                out[t].append(c[0] - p.index)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--quality", type=int, default=90)
    ap.add_argument("--sigma", default="0,3", help="noise σ values in 8-bit levels, comma-separated")
    ap.add_argument("--as-is", action="store_true", help="use the folder's JPEG files unchanged")
    args = ap.parse_args()
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.as_is:
            rows.append(("as is", errors([f for f in files if f.suffix.lower() in (".jpg", ".jpeg")],
                                         Path(tmp) / "cache")))
        else:
            picks = files[:: max(1, len(files) // args.count)][: args.count]
            rng = np.random.default_rng(0)
            for sigma in (float(s) for s in args.sigma.split(",")):
                made = []
                for f in picks:
                    with PILImage.open(f) as im:
                        px = np.asarray(im.convert("RGB"), dtype=np.float64)
                    px = np.clip(np.rint(px + rng.normal(0, sigma, px.shape)), 0, 255) if sigma else px
                    dst = Path(tmp) / f"{f.stem}-n{sigma:g}.jpg"
                    PILImage.fromarray(px.astype(np.uint8)).save(dst, "JPEG", quality=args.quality, subsampling=2)
                    made.append(dst)
                rows.append((f"q{args.quality}, noise σ {sigma:g}", errors(made, Path(tmp) / "cache")))
    print("| images | " + " | ".join(f"ssim>={t} bias / MAE" for t in THRESHOLDS) + " |")
    print("|---" * (len(THRESHOLDS) + 1) + "|")
    for name, err in rows:
        cells = [f"{np.mean(v):+.1f} / {np.mean(np.abs(v)):.1f} (n={len(v)})" if v else "–"
                 for v in (err[t] for t in THRESHOLDS)]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
