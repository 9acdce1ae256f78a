"""The film analysis' grain σ against grain of known σ: flat ramps and textured photographs, 10-bit log codes.

Usage::

    python benchmarks/grain_known_sigma.py ../shared/data/train/bsd300_test100 --limit 4

Independent Gaussian grain of σ codes is added to each of R, G, B; the analysis measures luma (Rec. 709
weights), whose grain is 0.749 σ. Flat frames: a smooth ramp (400-500 codes). Textured frames: photographs
mapped to Cineon-like log codes (685 + 300 log10 of linear light).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from qualipress.film.analysis import analyse
from qualipress.io import IMAGE_SUFFIXES
from qualipress.io.image import Image

LUMA = float(np.sqrt(0.2126**2 + 0.7152**2 + 0.0722**2))  # σ of Rec. 709 luma of independent channels, per σ


def _frame(codes: np.ndarray, sigma: float, rng: np.random.Generator) -> Image:
    c = np.clip(np.round(codes + rng.normal(0, sigma, codes.shape)), 0, 1023).astype(np.uint16)
    return Image(c, 10, "log", "unknown", {})


def run(folder: Path, limit: int, sigmas: tuple[float, ...] = (2.0, 6.0, 12.0)) -> str:
    rng = np.random.default_rng(3)
    rows = ["| content | σ per channel (codes) | true luma σ | measured grain σ (codes) | measured / true |",
            "|---|---|---|---|---|"]
    ramp = np.broadcast_to((400 + 100 * np.linspace(0, 1, 480))[None, :, None], (270, 480, 3))
    photos = [np.asarray(PILImage.open(p).convert("RGB"))[:270, :480].astype(np.float64) / 255
              for p in sorted(q for q in folder.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES)[:limit]]
    for sigma in sigmas:
        for name, bases in (("flat ramp", [ramp]),
                            (f"{len(photos)} photographs (mean)", [685 + 300 * np.log10(np.clip(p, 1e-3, None) ** 2.2)
                                                                   for p in photos])):
            got = np.mean([analyse(_frame(b, sigma, rng))["grain"]["sigma"] * 1023 for b in bases])
            rows.append(f"| {name} | {sigma:g} | {LUMA * sigma:.2f} | {got:.2f} | {got / (LUMA * sigma):.2f} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--limit", type=int, default=4)
    args = ap.parse_args()
    print(run(args.folder, args.limit))


if __name__ == "__main__":
    main()
