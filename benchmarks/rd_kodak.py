"""Kodak RD benchmark: every conventional codec + the shipped learned model, BD tables, the JPEG sanity check.

Run from the repository root (incremental: rows are cached in results/rd_kodak/cache.jsonl)::

    python benchmarks/rd_kodak.py                 # conventional codecs + pillow-jpeg check
    python benchmarks/rd_kodak.py --learned       # + learned:bmshj2018-hyperprior (shipped model)

Writes results/rd_kodak/{*.json, rows.csv, summary.json, report.html, bd.md, jpeg_check.md} and
docs/img/rd_kodak.png (our curves with CompressAI's published JPEG and hyperprior curves dashed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from _paths import DATA, ROOT

from qualipress.rd import bd_tables, format_table, html_report, load_curves, plot_rd, run_rd

OUT = ROOT / "results" / "rd_kodak"
PUBLISHED = ROOT / "src" / "qualipress" / "rd" / "published"

CONVENTIONAL = ["pillow-jpeg", "jpeg", "jpegli", "jpeg2000", "jpegxl", "avif", "webp"]
#: HEIF (x265 through pillow-heif) took ~18 s per Kodak encode on this shared 2-core machine, so it runs on
#: the first HEIF_IMAGES images only, with its own pillow-jpeg anchor on the same images.
HEIF_IMAGES = 6
LEARNED = "learned:bmshj2018-hyperprior"


def jpeg_check(curves: dict) -> str:
    """Our pillow-jpeg vs CompressAI's published Kodak JPEG at equal quality factor."""
    pub = json.loads((PUBLISHED / "compressai-kodak-jpeg.json").read_text())["results"]
    ours = curves["pillow-jpeg"]["results"]
    lines = ["| quality | bpp ours | bpp published | PSNR ours | PSNR published | ΔPSNR (dB) | ΔMS-SSIM |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    worst = 0.0
    for i, q in enumerate(pub["quality"]):
        if float(q) not in ours["quality"]:
            continue
        j = ours["quality"].index(float(q))
        d = ours["psnr-rgb"][j] - pub["psnr-rgb"][i]
        dm = ours["ms-ssim-rgb"][j] - pub["ms-ssim-rgb"][i]
        worst = max(worst, abs(d))
        lines.append(f"| {q} | {ours['bpp'][j]:.4f} | {pub['bpp'][i]:.4f} | {ours['psnr-rgb'][j]:.3f} | "
                     f"{pub['psnr-rgb'][i]:.3f} | {d:+.3f} | {dm:+.4f} |")
    lines.append(f"\nLargest |ΔPSNR| = {worst:.3f} dB (goal: within 0.2 dB) -> {'PASS' if worst <= 0.2 else 'FAIL'}")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--learned", action="store_true", help="include the shipped learned model")
    ap.add_argument("--weights", help="weights file for the learned codec (default: shipped model)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--no-heif", action="store_true", help="skip the HEIF subset run")
    args = ap.parse_args()
    kodak = DATA / "kodak"
    if not kodak.is_dir():
        print(f"no Kodak data at {kodak}", file=sys.stderr)
        return 1
    codecs = list(CONVENTIONAL) + ([LEARNED] if args.learned else [])
    # pillow-jpeg at CompressAI's 19 quality factors (the sanity check); the other sweeps are kept short
    # because this 2-core machine is shared (6-7 points each, spanning ~0.15..2.5 bpp on Kodak)
    qualities = {"pillow-jpeg": [float(q) for q in range(5, 100, 5)],
                 "jpeg": [10.0, 20.0, 30.0, 50.0, 70.0, 80.0, 90.0, 95.0],
                 "jpegli": [10.0, 20.0, 30.0, 50.0, 70.0, 80.0, 90.0, 95.0],
                 "webp": [10.0, 20.0, 30.0, 50.0, 70.0, 80.0, 90.0, 95.0],
                 "jpeg2000": [26.0, 29.0, 32.0, 35.0, 38.0, 41.0, 44.0],
                 "jpegxl": [10.0, 5.0, 3.5, 2.5, 1.8, 1.2, 0.8],
                 "avif": [20.0, 35.0, 50.0, 65.0, 80.0, 90.0],
                 "heif": [20.0, 50.0, 80.0, 90.0]}
    if args.learned:
        qualities[LEARNED] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    opts = {LEARNED: {"weights": args.weights}} if args.weights else {}
    t0 = time.time()
    res = run_rd(kodak, OUT, codecs=codecs, qualities=qualities, metrics=["psnr", "ms-ssim"], anchor="pillow-jpeg",
                 jobs=args.jobs, limit=args.limit, encode_options=opts,
                 progress=lambda d, t, label: print(f"[{d}/{t}] {label}", file=sys.stderr, flush=True))
    print(f"{res.computed} rows computed, {res.cached} cached, {len(res.errors)} errors, {time.time() - t0:.0f} s")
    for e in res.errors:
        print("error:", e)
    published = load_curves([PUBLISHED])
    both = {**res.curves, **published}
    text = "# Kodak BD tables\n\n## Anchor: pillow-jpeg (CompressAI's JPEG)\n\n"
    text += format_table(bd_tables(both, "pillow-jpeg", ["psnr-rgb", "ms-ssim-rgb"]), "pillow-jpeg")
    text += "\n## Anchor: jpeg (qualipress codec table, imagecodecs libjpeg-turbo)\n\n"
    text += format_table(bd_tables(both, "jpeg", ["psnr-rgb", "ms-ssim-rgb"]), "jpeg")
    (OUT / "bd.md").write_text(text)
    check = jpeg_check(res.curves)
    (OUT / "jpeg_check.md").write_text(check)
    print(text)
    print(check)
    (ROOT / "docs" / "img").mkdir(parents=True, exist_ok=True)
    plot_rd(both, ROOT / "docs" / "img" / "rd_kodak.png", metrics=["psnr-rgb", "ms-ssim-rgb"],
            title="Kodak (24 images), mean over images")
    html_report(OUT)
    if not args.no_heif:
        sub = run_rd(kodak, OUT / "heif_subset", codecs=["pillow-jpeg", "heif"],
                     qualities={"pillow-jpeg": qualities["pillow-jpeg"], "heif": qualities["heif"]},
                     metrics=["psnr", "ms-ssim"], anchor="pillow-jpeg", limit=HEIF_IMAGES,
                     progress=lambda d, t, label: print(f"[{d}/{t}] {label}", file=sys.stderr, flush=True))
        text = f"# HEIF on the first {HEIF_IMAGES} Kodak images\n\n" + format_table(sub.bd, "pillow-jpeg")
        (OUT / "bd_heif_subset.md").write_text(text)
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
