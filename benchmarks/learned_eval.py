"""Kodak RD of one or more learned-codec weights files against Pillow JPEG (CompressAI's JPEG), BD-rate.

Used to pick the model qualipress ships (issue 16). Every model runs through ``qualipress.rd.run_rd`` on the 24
Kodak images at qualities 1..8, with PSNR-RGB and MS-SSIM-RGB, against ``pillow-jpeg`` at CompressAI's 19
quality factors (5..95), the anchor of ``docs/learned.md`` section 4. The JPEG rows are computed once
(``results/learned_eval/anchor``) and reused through the row cache.

Run from the repository root; a training checkpoint (``*.ckpt``) is exported to a model file first::

    python benchmarks/learned_eval.py shipped=src/qualipress/learned/models/bmshj2018-hyperprior-small.pt \
        run1=results/learned16/run1/model.pt.ckpt [--limit N] [--refine N]

Writes ``results/learned_eval/<label>/`` (run_rd outputs) and ``results/learned_eval/summary.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from _paths import DATA, ROOT

OUT = ROOT / "results" / "learned_eval"
LEARNED = "learned:bmshj2018-hyperprior"
ANCHOR = "pillow-jpeg"
JPEG_QUALITIES = [float(q) for q in range(5, 100, 5)]
LEVELS = [float(q) for q in range(1, 9)]


def _progress(done: int, total: int, label: str) -> None:
    print(f"[{done}/{total}] {label}", file=sys.stderr, flush=True)


def main() -> int:
    from qualipress.rd import bd_tables, run_rd

    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+", help="label=path of a model file or a training checkpoint (.ckpt)")
    ap.add_argument("--limit", type=int, help="first N Kodak images only")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--refine", type=int, default=0,
                    help="encode-side latent refinement iterations (codec option refine=N; label gets -refineN)")
    args = ap.parse_args()
    kodak = DATA / "kodak"
    if not kodak.is_dir():
        print(f"no Kodak data at {kodak}", file=sys.stderr)
        return 1
    suffix = f"-first{args.limit}" if args.limit else ""
    anchor_dir = OUT / f"anchor{suffix}"
    run_rd(kodak, anchor_dir, codecs=[ANCHOR], qualities={ANCHOR: JPEG_QUALITIES}, metrics=["psnr", "ms-ssim"],
           anchor=None, limit=args.limit, jobs=args.jobs, progress=_progress)
    lines = [f"# Learned models vs {ANCHOR} on Kodak{suffix} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
             "", "| model | steps | BD-rate PSNR (pchip) | overlap PSNR | BD-PSNR (dB) | BD-rate MS-SSIM (pchip) | "
             "overlap MS-SSIM | PSNR range (dB) | bpp range | encode s (mean) |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|---:|"]
    curves_txt = []
    for spec in args.models:
        label, _, path_s = spec.partition("=")
        path = Path(path_s)
        if path.suffix == ".ckpt":
            from qualipress.learned.train import export_checkpoint

            exported = OUT / f"{label}.pt"
            export_checkpoint(path, exported)
            path = exported
        from qualipress.learned.weights import load_file

        record = load_file(path, "bmshj2018-hyperprior").meta.get("record") or {}
        if args.refine:
            label = f"{label}-refine{args.refine}"
        outdir = OUT / f"{label}{suffix}"
        outdir.mkdir(parents=True, exist_ok=True)
        if not (outdir / "cache.jsonl").exists():
            shutil.copyfile(anchor_dir / "cache.jsonl", outdir / "cache.jsonl")
        opts = {"weights": str(path)} | ({"refine": args.refine} if args.refine else {})
        res = run_rd(kodak, outdir, codecs=[ANCHOR, LEARNED], qualities={ANCHOR: JPEG_QUALITIES, LEARNED: LEVELS},
                     metrics=["psnr", "ms-ssim"], anchor=ANCHOR, limit=args.limit, jobs=args.jobs,
                     encode_options={LEARNED: opts}, progress=_progress)
        for e in res.errors:
            print("error:", e, file=sys.stderr)
        bd = bd_tables(res.curves, ANCHOR, ["psnr-rgb", "ms-ssim-rgb"])
        p, m = bd["psnr-rgb"][LEARNED]["pchip"], bd["ms-ssim-rgb"][LEARNED]["pchip"]
        r = res.curves[LEARNED]["results"]
        lines.append(
            f"| {label} | {record.get('steps_done', '?')} | {p['bd_rate']:+.1f} % | {100 * p['overlap']:.0f} % | "
            f"{p['bd_metric']:+.2f} | {m['bd_rate']:+.1f} % | {100 * m['overlap']:.0f} % | "
            f"{min(r['psnr-rgb']):.2f}-{max(r['psnr-rgb']):.2f} | {min(r['bpp']):.3f}-{max(r['bpp']):.3f} | "
            f"{sum(r['encoding_time']) / len(r['encoding_time']):.2f} |"
        )
        curves_txt += [f"\n{label}: quality | bpp | PSNR-RGB | MS-SSIM-RGB",
                       *(f"  {q:g} | {b:.3f} | {ps:.2f} | {ms:.4f}" for q, b, ps, ms in
                         zip(r["quality"], r["bpp"], r["psnr-rgb"], r["ms-ssim-rgb"], strict=True))]
        (outdir / "bd.json").write_text(json.dumps(bd, indent=1))
    text = "\n".join(lines + curves_txt) + "\n"
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"summary{suffix}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
