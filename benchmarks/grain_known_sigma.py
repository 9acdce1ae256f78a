"""The film analysis' grain σ against grain of known σ: flat ramps and textured photographs, 10-bit log codes.

Usage::

    python benchmarks/grain_known_sigma.py ../shared/data/train/bsd300_test100 --limit 4 [--bits 16] [--blur 1]

Independent Gaussian grain of σ codes is added to each of R, G, B; the analysis measures luma (Rec. 709
weights), whose grain is 0.749 σ. Flat frames: a smooth ramp (400-500 codes). Textured frames: photographs
mapped to Cineon-like log codes (685 + 300 log10 of linear light, at least 95, Cineon black: the grain is
not clipped away in the shadows). ``--bits 16`` writes the same codes scaled
to 16 bits; ``--blur`` blurs the grain by a Gaussian of that many px (renormalised to σ), like scanned grain.
σ = 0 rows give the reading of grain-free frames (codes; the ratio column is empty).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from scipy.ndimage import gaussian_filter

from qualipress.film.analysis import analyse
from qualipress.io import IMAGE_SUFFIXES
from qualipress.io.image import Image

LUMA = float(np.sqrt(0.2126**2 + 0.7152**2 + 0.0722**2))  # σ of Rec. 709 luma of independent channels, per σ


def _frame(codes: np.ndarray, sigma: float, rng: np.random.Generator, bits: int = 10, blur: float = 0.0) -> Image:
    noise = rng.normal(0, 1, codes.shape)
    if blur > 0:
        noise = gaussian_filter(noise, (blur, blur, 0))
        noise /= noise.std()
    top = (1 << bits) - 1
    c = np.clip(np.round((codes + sigma * noise) * top / 1023), 0, top).astype(np.uint16)
    return Image(c, bits, "log", "unknown", {})


def _log_codes(srgb: np.ndarray) -> np.ndarray:
    return np.maximum(95.0, 685 + 300 * np.log10(np.clip(srgb, 1e-3, None) ** 2.2))


def run(folder: Path, limit: int, sigmas: tuple[float, ...] = (0.0, 2.0, 6.0, 12.0), bits: int = 10,
        blur: float = 0.0) -> str:
    rng = np.random.default_rng(3)
    rows = ["| content | σ per channel (codes) | true luma σ | measured grain σ (codes) | measured / true "
            "| frames read 0 (no flat block; not in the mean) |", "|---|---|---|---|---|---|"]
    ramp = np.broadcast_to((400 + 100 * np.linspace(0, 1, 480))[None, :, None], (270, 480, 3))
    photos = [np.asarray(PILImage.open(p).convert("RGB"))[:270, :480].astype(np.float64) / 255
              for p in sorted(q for q in folder.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES)[:limit]]
    for sigma in sigmas:
        for name, bases in (("flat ramp", [ramp]),
                            (f"{len(photos)} photographs (mean)", [_log_codes(p) for p in photos])):
            read = [analyse(_frame(b, sigma, rng, bits, blur))["grain"]["sigma"] * 1023 for b in bases]
            seen = [r for r in read if r > 0] if sigma > 0 else read  # a frame with no flat block reads 0
            got = float(np.mean(seen)) if seen else 0.0
            ratio = f"{got / (LUMA * sigma):.2f}" if sigma > 0 else "—"
            rows.append(f"| {name} | {sigma:g} | {LUMA * sigma:.2f} | {got:.2f} | {ratio} | {read.count(0.0)} |")
    return "\n".join(rows)


def time_2k(repeats: int = 5) -> str:
    """CPU seconds of :func:`qualipress.film.analysis.grain` on one 2048×1080 grainy luma plane."""
    import time

    from qualipress.film import analysis

    y = (0.4 + 0.005 * np.random.default_rng(0).standard_normal((1080, 2048))).astype(np.float32)
    stats = analysis.block_stats(y)
    analysis.grain(y, stats)  # warm-up (the grain model's tables)
    t = time.process_time()
    for _ in range(repeats):
        analysis.grain(y, stats)
    return f"grain(): {(time.process_time() - t) / repeats:.3f} CPU s per 2K frame"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--limit", type=int, default=4)
    ap.add_argument("--bits", type=int, choices=(10, 16), default=10)
    ap.add_argument("--blur", type=float, default=0.0)
    ap.add_argument("--time-2k", action="store_true", help="also time the grain measure on a 2K frame")
    args = ap.parse_args()
    if args.time_2k:
        print(time_2k())
    print(run(args.folder, args.limit, bits=args.bits, blur=args.blur))


if __name__ == "__main__":
    main()
