"""How close jpegli (through pyjpegli) can get to a source: PSNR at quality 100 against libjpeg-turbo 4:4:4.

Usage::

    python benchmarks/jpegli_ceiling.py ../shared/data/train/urban100_x2hr --limit 10

pyjpegli takes quality only and always writes 4:2:0 chroma, so its PSNR stops well under what a 4:4:4 JPEG
reaches; targets above that ceiling (C0's 42 dB, C1's 38 dB on colourful detail) fall back to PNG.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from skimage.metrics import peak_signal_noise_ratio

from qualipress.io import IMAGE_SUFFIXES


def run(folder: Path, limit: int) -> str:
    import pyjpegli

    rows = ["| image | jpegli q100 sampling | jpegli q100 PSNR dB | libjpeg-turbo q100 4:4:4 PSNR dB |",
            "|---|---|---|---|"]
    ours, turbo = [], []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]:
        rgb = np.asarray(PILImage.open(path).convert("RGB"))
        data = pyjpegli.encode(rgb.tobytes(), rgb.shape[1], rgb.shape[0], 100)
        with PILImage.open(io.BytesIO(data)) as im:
            h, v = im.layer[0][1:3]  # luma sampling factors: 2x2 = 4:2:0
            a = peak_signal_noise_ratio(rgb, np.asarray(im))
        buf = io.BytesIO()
        PILImage.fromarray(rgb).save(buf, "JPEG", quality=100, subsampling=0)
        b = peak_signal_noise_ratio(rgb, np.asarray(PILImage.open(buf)))
        ours.append(a)
        turbo.append(b)
        rows.append(f"| {path.name} | {'4:2:0' if (h, v) == (2, 2) else f'{h}x{v}'} | {a:.2f} | {b:.2f} |")
    rows.append(f"| **min / mean / max** | | {min(ours):.2f} / {np.mean(ours):.2f} / {max(ours):.2f} | "
                f"{min(turbo):.2f} / {np.mean(turbo):.2f} / {max(turbo):.2f} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--limit", type=int, default=10)
    args = ap.parse_args()
    print(run(args.folder, args.limit))


if __name__ == "__main__":
    main()
