"""How closely the decoder's rebuilt chroma matches the full-resolution chroma, box mean against fitted subsampling.

No quantisation: each photo (grid shifted 3 px as in ``roi_gt.py``, cropped to even sides) is turned into JFIF
YCbCr, its Cb and Cr planes are halved with ``qualipress.roi.encoder.subsample_chroma`` after 0, 1, 2, 4 and 8
fitting passes and enlarged again with ``upsample_fancy`` (libjpeg-turbo's triangle upsampling), and the RGB
picture rebuilt with the original luma is compared with the photo (PSNR over RGB samples). This isolates what
the chroma subsampling costs; the effect at equal file size is in ``docs/roi.md`` §7 *Finding the missed people*.

    python benchmarks/roi_chroma_fit.py       # Kodak kodim03, kodim23 and the 14 COCO photos of the people set
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roi_rd import DATA

PASSES = (0, 1, 2, 4, 8)


def rebuilt_psnr(px: np.ndarray, passes: int) -> float:
    """RGB PSNR of the photo rebuilt from its own luma and its chroma halved and re-enlarged."""
    from qualipress.roi.encoder import rgb_to_ycbcr, subsample_chroma, upsample_fancy

    ycc = rgb_to_ycbcr(px).astype(np.float64)
    y = ycc[..., 0]
    cb, cr = (upsample_fancy(subsample_chroma(ycc[..., i], 2, 2, passes), 2, 2).astype(np.float64) for i in (1, 2))
    rgb = np.stack([y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128),
                    y + 1.772 * (cb - 128)], -1)
    mse = float(((np.clip(np.round(rgb), 0, 255) - px) ** 2).mean())
    return 99.0 if mse <= 1e-12 else 10 * np.log10(255.0**2 / mse)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("images", nargs="*", type=Path)
    args = ap.parse_args()
    from PIL import Image

    files = args.images or [DATA / "kodak" / "kodim03.png", DATA / "kodak" / "kodim23.png",
                            *sorted((DATA / "people" / "clarifai_coco_val2017" / "images").glob("*.jpg")),
                            *sorted((DATA / "people" / "mmpose_testdata" / "coco").glob("*.jpg"))]
    print("photo " + " ".join(f"fit{n}" for n in PASSES))
    gains = []
    for f in files:
        px = np.asarray(Image.open(f).convert("RGB"))[3:, 3:]
        px = px[: px.shape[0] // 2 * 2, : px.shape[1] // 2 * 2]
        vals = [rebuilt_psnr(px, n) for n in PASSES]
        gains.append(vals[PASSES.index(2)] - vals[0])
        print(f.name, " ".join(f"{v:.2f}" for v in vals), flush=True)
    print(f"fit2 - box: mean {np.mean(gains):+.2f} dB, min {np.min(gains):+.2f}, max {np.max(gains):+.2f} "
          f"over {len(gains)} photos")
    return 0


if __name__ == "__main__":
    sys.exit(main())
