"""Why does a variable-rate learned model's quality flatten at high rates? (issue 16)

For one model file this measures, on whole images (padded to a multiple of 64 like the codec does):

* the **transform ceiling**: PSNR of ``g_s(g_a(x))`` without any quantisation, in float32 and under bfloat16
  autocast (the training precision with ``--bf16``) -- no quantisation step can give more than this;
* **real coding** (``ops.compress`` / ``ops.decompress``, actual bytes) at the model's eight quality steps and at
  steps below the trained range (0.25, 0.18, 0.12, 0.06), to see whether a wider step range at inference extends
  the curve without retraining.

Options added for issue 16's encode-side refinement (``qualipress.learned.refine``):

* ``--refine N`` codes every step with ``N`` refinement iterations (the codec's ``refine=N``);
* ``--steps 0.35,0.25`` restricts the coded steps (refinement costs about one decoder training step per
  iteration);
* ``--decoder-ceiling N``: the **synthesis ceiling** -- PSNR of ``g_s(y*)`` where ``y*`` is ``g_a(x)`` improved by
  ``N`` Adam steps on the MSE alone (no rate, no quantisation). If it is well above the transform ceiling, the
  analysis transform (encoder) caps the quality and encode-side optimisation can lift it; if not, the synthesis
  transform (decoder) does.

Run from the repository root (one thread; Kodak is only evaluated, never trained on)::

    python benchmarks/learned_ceiling.py src/qualipress/learned/models/bmshj2018-hyperprior-small.pt \
        --images ../shared/data/kodak --limit 6

Writes ``results/learned_ceiling/<model stem>.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from _paths import DATA, ROOT

OUT = ROOT / "results" / "learned_ceiling"
EXTRA_STEPS = [0.25, 0.18, 0.12, 0.06]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * math.log10(255.0**2 / max(mse, 1e-12))


def _decoder_ceiling(model: object, x: object, region: tuple[int, int], img: np.ndarray, iterations: int) -> float:
    """PSNR of ``g_s(y)`` after ``iterations`` Adam steps on ``y`` (from ``g_a(x)``) for the MSE alone."""
    import torch

    from qualipress.learned.ops import _cl

    h, w = region
    with torch.no_grad():
        y = model.g_a(_cl(x)).contiguous()
    y = y.clone().requires_grad_(True)
    opt = torch.optim.Adam([y], lr=0.05)
    target = x[..., :h, :w]
    for _ in range(iterations):
        with torch.enable_grad():
            with torch.autocast("cpu", dtype=torch.bfloat16):
                xh = model.g_s(_cl(y))[..., :h, :w].float()
            (y.grad,) = torch.autograd.grad(torch.mean((xh - target) ** 2), [y])
        opt.step()
    with torch.no_grad():
        xh = model.g_s(_cl(y.detach())).clamp(0, 1)[0, :, :h, :w]
    return _psnr(img, (xh.numpy().transpose(1, 2, 0) * 255).round())


def main() -> int:
    import torch

    from qualipress.io import dataset_images, read_image
    from qualipress.learned import ops
    from qualipress.learned._compressai import compressai
    from qualipress.learned.weights import load_file

    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--images", default=str(DATA / "kodak"))
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--refine", type=int, default=0, help="refinement iterations for every coded step")
    ap.add_argument("--steps", help="comma-separated steps to code (default: the trained ones + EXTRA_STEPS)")
    ap.add_argument("--decoder-ceiling", type=int, default=0, help="Adam steps of MSE-only latent optimisation")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    compressai()
    loaded = load_file(args.model, "bmshj2018-hyperprior")
    model = loaded.model.eval()
    steps_table = loaded.steps or {}
    steps = sorted({float(v) for v in steps_table.values()} | set(EXTRA_STEPS), reverse=True)
    if args.steps:
        steps = sorted((float(v) for v in args.steps.split(",")), reverse=True)
    lam = float(loaded.meta.get("lmbda") or 0.013)
    files = dataset_images([args.images])[: args.limit]
    per_step: dict[float, list[tuple[float, float]]] = {s: [] for s in steps}
    ceil32, ceil16, ceil_dec = [], [], []
    with torch.no_grad():
        for f in files:
            img = np.asarray(read_image(f).pixels)[..., :3]
            h, w = img.shape[:2]
            ph, pw = (-h) % 64, (-w) % 64
            padded = np.pad(img, ((0, ph), (0, pw), (0, 0)), mode="edge")
            x = torch.from_numpy(padded.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)
            for ceil, bf16 in ((ceil32, False), (ceil16, True)):
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    xh = model.g_s(model.g_a(x)).float()
                rec = (xh.clamp(0, 1)[0, :, :h, :w].numpy().transpose(1, 2, 0) * 255).round()
                ceil.append(_psnr(img, rec))
            if args.decoder_ceiling:
                ceil_dec.append(_decoder_ceiling(model, x, (h, w), img, args.decoder_ceiling))
            for s in steps:
                latents = None
                if args.refine:
                    from qualipress.learned.refine import refine_latents

                    with torch.enable_grad():
                        y, z, _ = refine_latents(model, x, s, iterations=args.refine, lmbda=lam, region=(h, w))
                    latents = (y, z)
                strings, shape = ops.compress(model, x, s, latents=latents)
                nbytes = sum(len(b) for group in strings for b in group)
                xh = ops.decompress(model, strings, shape, s)
                rec = (xh[0, :, :h, :w].numpy().transpose(1, 2, 0) * 255).round()
                per_step[s].append((8 * nbytes / (h * w), _psnr(img, rec)))
            dec = f", synthesis ceiling {ceil_dec[-1]:.2f}" if ceil_dec else ""
            print(f"{f.name}: ceiling {ceil32[-1]:.2f} dB (bf16 {ceil16[-1]:.2f}){dec}", file=sys.stderr, flush=True)
    result = {
        "model": str(args.model),
        "fingerprint": loaded.fingerprint.hex(),
        "images": [f.name for f in files],
        "ceiling_psnr_fp32": float(np.mean(ceil32)),
        "ceiling_psnr_bf16": float(np.mean(ceil16)),
        "synthesis_ceiling_psnr": float(np.mean(ceil_dec)) if ceil_dec else None,
        "decoder_ceiling_iterations": args.decoder_ceiling,
        "refine": args.refine,
        "trained_steps": sorted(float(v) for v in steps_table.values()),
        "curve": [
            {"step": s, "bpp": float(np.mean([b for b, _ in v])), "psnr": float(np.mean([p for _, p in v]))}
            for s, v in per_step.items()
        ],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    tag = (f"-refine{args.refine}" if args.refine else "") + (f"-dec{args.decoder_ceiling}" if args.decoder_ceiling
                                                               else "")
    (OUT / f"{Path(args.model).stem}{tag}.json").write_text(json.dumps(result, indent=1))
    if ceil_dec:
        print(f"synthesis ceiling ({args.decoder_ceiling} Adam steps on y for MSE): "
              f"{result['synthesis_ceiling_psnr']:.2f} dB")
    print(f"{len(files)} images; transform ceiling (no quantisation): {result['ceiling_psnr_fp32']:.2f} dB fp32, "
          f"{result['ceiling_psnr_bf16']:.2f} dB bf16")
    print("| step | in trained range | bpp | PSNR (dB) |\n|---:|---|---:|---:|")
    lo = min(result["trained_steps"], default=0.0)
    for row in result["curve"]:
        print(f"| {row['step']:.3f} | {'yes' if row['step'] >= lo - 1e-9 else 'no'} | {row['bpp']:.3f} | "
              f"{row['psnr']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
