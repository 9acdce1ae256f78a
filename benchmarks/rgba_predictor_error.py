"""Predicted grid index against the index each codec's own search proves, on the RGBA files of
``benchmarks/rgba_race_cost.py`` (issue 13, QA session 10 finding 7).

One standalone (non-race) ``search`` per file x codec (AVIF, JPEG XL, WebP) at a profile's target; prints, per
file, ``codec:predicted->proven`` (``LL``: the lossless file won) and per codec the mean and mean absolute error in
grid steps, and the geometric mean (and range) of the proven file's bytes over the size the predictor's curve gives at
the proven setting (``size x``: 1 = exact; issue 13 found 2-3.5 on soft alpha). Run with another checkout's ``src`` on
``PYTHONPATH`` to compare versions.

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
    sizes: dict[str, list[float]] = {}
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
            if pred.size_curve is not None:
                bpp = 10 ** float(np.interp(idx, *pred.size_curve))
                sizes.setdefault(name, []).append(len(res.data) / (bpp * image.width * image.height / 8))
        print(*row, flush=True)
    for name, e in errors.items():
        a = np.asarray(e)
        r = np.asarray(sizes.get(name, [np.nan]))
        print(f"{name}: mean error {a.mean():+.2f} steps, mean |error| {np.abs(a).mean():.2f}; size x "
              f"{np.exp(np.log(r).mean()):.2f} ({r.min():.2f}-{r.max():.2f})")


if __name__ == "__main__":
    main()
