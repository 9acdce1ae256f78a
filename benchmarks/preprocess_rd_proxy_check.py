"""How well the differentiable JPEG proxy (``preprocess/jpegproxy.py``) matches the real encoder.

Usage::

    python benchmarks/preprocess_rd_proxy_check.py [--qualities 35,55,75,88] [--codec jpeg|jpegli]
    python benchmarks/preprocess_rd_proxy_check.py --codec jpegli --deadzones 0.5,0.6,0.7   # calibrate DEADZONE
    python benchmarks/preprocess_rd_proxy_check.py --model kuchen-rd [--codec jpegli]  # does the proxy see the
                                                                # edit's bit and MSE change as the encoder does?

Images: BSD300-test every 25th and Urban100 every 50th file of ``../shared/data/train`` (6 images, never Kodak),
cropped to a multiple of 16. Per image and quality: real bits vs proxy bits, PSNR of the real and of the proxy
decode against the original, and PSNR between the two decodes; finally the correlation of log bits.
"""

from __future__ import annotations

import argparse
import glob
from pathlib import Path
from typing import Any

import numpy as np
from _paths import DATA


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qualities", default="35,55,75,88")
    ap.add_argument("--codec", default="jpeg", help="jpeg (libjpeg-turbo) or jpegli")
    ap.add_argument("--deadzones", default="", help="try these zero thresholds instead of the proxy's own; "
                    "prints the mean |PSNR proxy - PSNR real| and the log-bits correlation of each")
    ap.add_argument("--model", default="", help="compare the change a preprocessor makes: real vs proxy "
                    "Δ ln bits and Δ ln MSE per image and quality")
    ap.add_argument("--data", default=str(DATA / "train"))
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from qualipress import codecs

    codec = codecs.get(args.codec)
    if args.deadzones:
        return _calibrate(args, codec, [float(v) for v in args.deadzones.split(",")])
    if args.model:
        return _deltas(args, codec)
    files = _files(args.data)
    real, proxy = [], []

    def psnr(mse: float) -> float:
        return 10 * np.log10(255.0**2 / max(mse, 1e-9))

    print("| image | q | real bits | proxy bits | PSNR real | PSNR proxy | proxy vs real decode |")
    print("|---|---|---|---|---|---|---|")
    for fn in files:
        im = _image(fn)
        px = im.pixels
        for q in _qualities(args):
            bits, dec = _real(codec, im, q)
            dp, pbits = _proxy(im, q, args.codec)
            real.append(bits)
            proxy.append(pbits)
            print(f"| {Path(fn).name} | {q:g} | {real[-1]} | {proxy[-1]:.0f} | {psnr(((dec - px) ** 2).mean()):.2f} | "
                  f"{psnr(((dp - px) ** 2).mean()):.2f} | {psnr(((dp - dec) ** 2).mean()):.1f} |")
    r = np.corrcoef(np.log(real), np.log(proxy))[0, 1]
    ratio = np.asarray(proxy) / np.asarray(real)
    print(f"log-bits correlation r = {r:.4f}; proxy/real bits {ratio.min():.2f}..{ratio.max():.2f}")
    return 0


def _files(data: str) -> list[str]:
    return (sorted(glob.glob(f"{data}/bsd300_test100/*.png"))[::25]
            + sorted(glob.glob(f"{data}/urban100_x2hr/*.png"))[::50])


def _qualities(args: argparse.Namespace) -> list[float]:
    return [float(v) for v in args.qualities.split(",")]


def _image(fn: str) -> Any:
    """The image's colour planes cropped to a multiple of 16 (whole 4:2:0 MCUs), as an ``Image``."""
    from qualipress.io import read_image

    im = read_image(fn).color()
    return im.with_pixels(np.ascontiguousarray(im.pixels[: im.height // 16 * 16, : im.width // 16 * 16, :3]))


def _real(codec: Any, im: Any, q: float) -> tuple[int, np.ndarray]:
    """Bits of the real encode at ``q`` and its decoded pixels (float64)."""
    data = codec.encode(im, quality=q)
    return 8 * len(data), codec.decode(data).pixels[..., :3].astype(np.float64)


def _proxy(im: Any, q: float, codec: str) -> tuple[np.ndarray, float]:
    """The proxy's decoded pixels (rounded to code values) and its bit estimate at ``q``."""
    import torch

    from qualipress.preprocess.jpegproxy import jpeg_proxy

    x = torch.from_numpy(im.pixels[..., :3].astype(np.float32).transpose(2, 0, 1)[None] / 255.0)
    with torch.no_grad():
        d, b = jpeg_proxy(x, q, codec=codec)
    return np.rint(d[0].numpy().transpose(1, 2, 0) * 255.0), float(b[0])


def _calibrate(args: argparse.Namespace, codec: object, zeros: list[float]) -> int:
    from qualipress.preprocess import jpegproxy

    rows = []  # (real bits, real mse, {zero: (proxy bits, proxy mse)})
    for fn in _files(args.data):
        im = _image(fn)
        px = im.pixels
        for q in _qualities(args):
            bits, dec = _real(codec, im, q)
            per = {}
            for z in zeros:
                jpegproxy.DEADZONE[args.codec] = z
                dp, pbits = _proxy(im, q, args.codec)
                per[z] = (pbits, float(((dp - px) ** 2).mean()))
            rows.append((bits, float(((dec - px) ** 2).mean()), per))
    print(f"{args.codec}: {len(rows)} encodes; per zero threshold: mean |PSNR proxy - PSNR real| (dB), "
          "mean PSNR proxy - real, log-bits r, proxy/real bits")
    for z in zeros:
        dpsnr = np.array([10 * np.log10(r[1] / r[2][z][1]) for r in rows])
        rb = np.log([r[0] for r in rows])
        pb = np.log([r[2][z][0] for r in rows])
        r = np.corrcoef(rb, pb)[0, 1]
        print(f"zero {z:.2f}: {np.abs(dpsnr).mean():.3f} dB, {dpsnr.mean():+.3f} dB, r = {r:.4f}, "
              f"{np.exp(pb - rb).mean():.2f}")
    return 0


def _deltas(args: argparse.Namespace, codec: object) -> int:
    from qualipress.preprocess import get_preprocessor

    pre = get_preprocessor(args.model)
    print(f"{args.codec}, {args.model}: change made by the preprocessor, real encoder vs proxy")
    print("| image | q | Δ ln bits real | Δ ln bits proxy | Δ ln MSE real | Δ ln MSE proxy |")
    print("|---|---|---|---|---|---|")
    rows = []
    for fn in _files(args.data):
        im = _image(fn)
        ed = pre(im)
        pxf = im.pixels.astype(np.float64)
        for q in _qualities(args):
            vals = []
            for src in (im, ed):
                bits, dec = _real(codec, src, q)
                dp, pbits = _proxy(src, q, args.codec)
                vals.append((bits, pbits, ((dec - pxf) ** 2).mean(), ((dp - pxf) ** 2).mean()))
            (r0, p0, m0, n0), (r1, p1, m1, n1) = vals
            row = (np.log(r1 / r0), np.log(p1 / p0), np.log(m1 / m0), np.log(n1 / n0))
            rows.append(row)
            print(f"| {Path(fn).name} | {q:g} | " + " | ".join(f"{v:+.4f}" for v in row) + " |", flush=True)
    a = np.asarray(rows)
    print(f"mean: Δ ln bits real {a[:, 0].mean():+.4f}, proxy {a[:, 1].mean():+.4f}; "
          f"Δ ln MSE real {a[:, 2].mean():+.4f}, proxy {a[:, 3].mean():+.4f}; "
          f"r(bits) = {np.corrcoef(a[:, 0], a[:, 1])[0, 1]:.3f}, r(MSE) = {np.corrcoef(a[:, 2], a[:, 3])[0, 1]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
