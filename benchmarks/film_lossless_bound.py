"""How far below FFV1 could a lossless coder get on grainy 10-bit frames? Residual entropies of better predictors.

Usage (from the repository root, after ``benchmarks/film_archive_speed.py --out DIR``)::

    python benchmarks/film_lossless_bound.py --run /tmp/qp-archive-speed --every 4

For every ``--every``-th frame of that run (``DIR/frames/<shot>/*.dpx``, in the order of its ``results.json``) it
computes, in bits per sample, the empirical (order-0) entropy of the prediction residual of

* ``med``: the LOCO-I median edge detector per channel (JPEG-LS's predictor, no context modelling);
* ``ls``: a least-squares linear predictor fitted to the frame itself (per channel: 12 causal neighbours, and for
  the second and third channel the earlier channels' co-located sample and its four neighbours), rounded;
* ``ls+ctx``: the same residual coded with 11 contexts of local activity (the sum of the four causal neighbours'
  absolute residuals, quantised), as an adaptive context coder would;

and divides each by FFV1's and the archive's measured bits per sample from ``results.json``. Entropies are what an
ideal entropy coder would need for that model (the side information — weights, tables — is ignored, a few hundred
bytes per frame), so they are optimistic estimates of a coder built on these models, not files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

#: Causal neighbours (rows up, columns left) of the least-squares predictor.
CAUSAL = ((0, 1), (1, 0), (1, 1), (1, -1), (0, 2), (2, 0), (2, 1), (1, 2), (2, -1), (1, -2), (2, 2), (2, -2))
#: Activity bins of the context model (sum of four neighbouring absolute residuals).
ACTIVITY_BINS = (2, 4, 6, 8, 11, 14, 18, 23, 30, 40)


def entropy(values: np.ndarray) -> float:
    """Order-0 entropy (bits per value) of integer ``values``."""
    _, counts = np.unique(values, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def shifted(x: np.ndarray, offsets: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> list[np.ndarray]:
    """``x`` moved by each (rows, columns) offset (the neighbour ``offset`` up/left of each pixel), edges repeated."""
    pad = 2
    xp = np.pad(x, pad, mode="edge").astype(np.float64)
    h, w = x.shape
    return [xp[pad - dy: pad - dy + h, pad - dx: pad - dx + w] for dy, dx in offsets]


def med_bits(px: np.ndarray) -> float:
    """Bits per sample of the LOCO-I predictor's residual."""
    total = 0.0
    for c in range(px.shape[2]):
        x = px[..., c]
        a, b, d = shifted(x, [(0, 1), (1, 0), (1, 1)])
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        pred = np.where(d >= hi, lo, np.where(d <= lo, hi, a + b - d))
        total += entropy((x - pred).astype(np.int64)) * x.size
    return total / px.size


def ls_bits(px: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """Bits per sample of the least-squares predictor's residual: order 0, and with activity contexts."""
    plain = ctx = 0.0
    rng = np.random.default_rng(seed)
    for c in range(px.shape[2]):
        x = px[..., c].astype(np.float64)
        feats = shifted(px[..., c], CAUSAL)
        for c2 in range(c):
            feats += [px[..., c2].astype(np.float64), *shifted(px[..., c2], [(0, 1), (1, 0), (0, -1), (-1, 0)])]
        design = np.stack([f.ravel() for f in feats] + [np.ones(x.size)], axis=1)
        rows = rng.choice(x.size, min(x.size, 200_000), replace=False)
        weights, *_ = np.linalg.lstsq(design[rows], x.ravel()[rows], rcond=None)
        res = np.rint(x.ravel() - design @ weights).astype(np.int64)
        del design, feats
        plain += entropy(res) * x.size
        act = sum(np.abs(s) for s in shifted(res.reshape(x.shape), [(0, 1), (1, 0), (1, 1), (1, -1)]))
        bins = np.digitize(act, ACTIVITY_BINS).ravel()
        for k in np.unique(bins):
            sel = bins == k
            ctx += entropy(res[sel]) * int(sel.sum())
    return plain / px.size, ctx / px.size


def main() -> None:
    from qualipress.io import read_image

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, required=True, help="the --out folder of benchmarks/film_archive_speed.py")
    ap.add_argument("--every", type=int, default=4, help="measure every N-th frame")
    args = ap.parse_args()
    res = json.loads((args.run / "results.json").read_text())
    archive = next(v for k, v in res.items() if isinstance(v, dict) and "bytes" in v and k != "ffv1")
    frames = sorted((args.run / "frames").glob("*/*.dpx"))
    print("| frame | FFV1 bits/sample | archive ÷ FFV1 | MED ÷ FFV1 | LS ÷ FFV1 | LS + contexts ÷ FFV1 |")
    print("|---|---|---|---|---|---|")
    for i, f in enumerate(frames):
        if i % args.every:
            continue
        px = read_image(f).pixels.astype(np.int64)
        ffv1 = res["ffv1"]["bytes"][i] * 8 / px.size
        ours = archive["bytes"][i] * 8 / px.size
        med = med_bits(px)
        plain, ctx = ls_bits(px)
        ratios = " | ".join(f"{v / ffv1:.3f}" for v in (ours, med, plain, ctx))
        print(f"| {f.name} | {ffv1:.3f} | {ratios} |", flush=True)


if __name__ == "__main__":
    main()
