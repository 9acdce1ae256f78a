"""Predicted grid index against the index each codec's own search proves, on the RGBA files of
``benchmarks/rgba_race_cost.py`` (issue 13, QA session 10 finding 7).

One standalone (non-race) ``search`` per file x codec (AVIF, JPEG XL, WebP) at a profile's target; prints, per
file, ``codec:predicted->proven`` (``LL``: the lossless file won) and per codec the mean and mean absolute error in
grid steps. Run with another checkout's ``src`` on ``PYTHONPATH`` to compare feature versions.

    python benchmarks/rgba_predictor_error.py OUT/in [--limit 12] [--profile C1]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from qualipress.codecs import get
from qualipress.io.readers import read_image
from qualipress.profiles import get_profile
from qualipress.search import predict as pr
from qualipress.search import search


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--limit", type=int, default=12)
    ap.add_argument("--profile", default="C1")
    args = ap.parse_args()
    target = get_profile(args.profile).target
    model = pr.load()
    if model is None:
        raise SystemExit("no predictor model")
    errors: dict[str, list[float]] = {}
    for f in sorted(args.folder.glob("*.png"))[: args.limit]:
        image = read_image(f)
        feats = pr.image_features(image)
        row = [f.name]
        for name in ("avif", "jpegxl", "webp"):
            codec = get(name)
            grid = np.asarray(codec.info.quality.grid)
            pred = model.predict(name, len(grid), target, feats)
            res = search(image, codec, target)
            if pred is None:
                row.append(f"{name}:-")
                continue
            if res.setting is None:
                row.append(f"{name}:{pred.index:.1f}->LL")
                continue
            idx = int(np.argmin(np.abs(grid - res.setting)))
            row.append(f"{name}:{pred.index:.1f}->{idx}")
            errors.setdefault(name, []).append(pred.index - idx)
        print(*row, flush=True)
    for name, e in errors.items():
        a = np.asarray(e)
        print(f"{name}: mean error {a.mean():+.2f} steps, mean |error| {np.abs(a).mean():.2f}")


if __name__ == "__main__":
    main()
