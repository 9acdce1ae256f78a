"""How well the differentiable JPEG proxy (``preprocess/jpegproxy.py``) matches the real libjpeg-turbo encoder.

Usage::

    python benchmarks/preprocess_rd_proxy_check.py [--qualities 35,55,75,88]

Images: BSD300-test every 25th and Urban100 every 50th file of ``../shared/data/train`` (6 images, never Kodak),
cropped to a multiple of 16. Per image and quality: real bits vs proxy bits, PSNR of the real and of the proxy
decode against the original, and PSNR between the two decodes; finally the correlation of log bits.
"""

from __future__ import annotations

import argparse
import glob
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qualities", default="35,55,75,88")
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[1] / "../shared/data/train"))
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from qualipress import codecs
    from qualipress.io import read_image
    from qualipress.preprocess.jpegproxy import jpeg_proxy

    codec = codecs.get("jpeg")
    files = (sorted(glob.glob(f"{args.data}/bsd300_test100/*.png"))[::25]
             + sorted(glob.glob(f"{args.data}/urban100_x2hr/*.png"))[::50])
    real, proxy = [], []

    def psnr(mse: float) -> float:
        return 10 * np.log10(255.0**2 / max(mse, 1e-9))

    print("| image | q | real bits | proxy bits | PSNR real | PSNR proxy | proxy vs real decode |")
    print("|---|---|---|---|---|---|---|")
    for fn in files:
        im = read_image(fn).color()
        px = np.ascontiguousarray(im.pixels[: im.height // 16 * 16, : im.width // 16 * 16, :3])
        im = im.with_pixels(px)
        x = torch.from_numpy(px.astype(np.float32).transpose(2, 0, 1)[None] / 255.0)
        for q in (float(v) for v in args.qualities.split(",")):
            data = codec.encode(im, quality=q)
            dec = codec.decode(data).pixels[..., :3].astype(np.float64)
            with torch.no_grad():
                d, b = jpeg_proxy(x, q)
            dp = np.rint(d[0].numpy().transpose(1, 2, 0) * 255.0)
            real.append(8 * len(data))
            proxy.append(float(b[0]))
            print(f"| {Path(fn).name} | {q:g} | {real[-1]} | {proxy[-1]:.0f} | {psnr(((dec - px) ** 2).mean()):.2f} | "
                  f"{psnr(((dp - px) ** 2).mean()):.2f} | {psnr(((dp - dec) ** 2).mean()):.1f} |")
    r = np.corrcoef(np.log(real), np.log(proxy))[0, 1]
    ratio = np.asarray(proxy) / np.asarray(real)
    print(f"log-bits correlation r = {r:.4f}; proxy/real bits {ratio.min():.2f}..{ratio.max():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
