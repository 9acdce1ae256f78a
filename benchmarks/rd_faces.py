"""Coding for machines: rate–accuracy curves for face detection on ../shared/data/people.

For each codec and setting, CenterFace (``qualipress.detect``, scores >= 0.5) runs on the original and on the
decoded image; agreement is F1 at IoU 0.5 (micro-averaged over images, plus the per-image mean).

    python benchmarks/rd_faces.py [--learned]

Writes results/rd_faces/ (JSON per codec, rows.csv, report.html) and docs/img/rd_faces.png.
"""

from __future__ import annotations

import argparse
import sys
import time

from _paths import DATA, ROOT

from qualipress.rd import html_report, plot_rd, run_rd

OUT = ROOT / "results" / "rd_faces"
LEARNED = "learned:bmshj2018-hyperprior"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--learned", action="store_true")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    people = DATA / "people"
    if not people.is_dir():
        print(f"no data at {people}", file=sys.stderr)
        return 1
    # kept short: the machine is a shared 2-core CPU (each row runs the face detector on the decoded image)
    codecs = ["jpeg", "webp"] + ([LEARNED] if args.learned else [])
    qualities = {
        "jpeg": [5.0, 10.0, 20.0, 35.0, 50.0, 75.0],
        "webp": [5.0, 10.0, 20.0, 35.0, 50.0, 75.0],
        "jpegxl": [15.0, 10.0, 6.0, 4.0, 2.5, 1.5, 1.0],
        "avif": [5.0, 15.0, 30.0, 45.0, 60.0, 75.0, 90.0],
        LEARNED: [1.0, 2.0, 4.0, 6.0, 8.0],
    }
    t0 = time.time()
    res = run_rd(people, OUT, codecs=codecs, qualities={c: qualities[c] for c in codecs}, metrics=["psnr"],
                 anchor="jpeg", task="faces", jobs=args.jobs,
                 progress=lambda d, t, label: print(f"[{d}/{t}] {label}", file=sys.stderr, flush=True))
    print(f"{res.computed} rows computed, {res.cached} cached, {len(res.errors)} errors, {time.time() - t0:.0f} s")
    for e in res.errors:
        print("error:", e)
    for name, c in res.curves.items():
        r = c["results"]
        print(f"\n{name}")
        print("| setting | bpp | PSNR | F1 faces (micro) | F1 faces (image mean) |")
        print("|---:|---:|---:|---:|---:|")
        for i in range(len(r["bpp"])):
            print(f"| {r['quality'][i]:g} | {r['bpp'][i]:.3f} | {r['psnr-rgb'][i]:.2f} | {r['f1-faces'][i]:.3f} | "
                  f"{r['f1-faces-image-mean'][i]:.3f} |")
    (ROOT / "docs" / "img").mkdir(parents=True, exist_ok=True)
    plot_rd(res.curves, ROOT / "docs" / "img" / "rd_faces.png", metrics=["f1-faces", "f1-faces-image-mean"],
            title="Face detection agreement (F1 @ IoU 0.5) vs bpp, ../shared/data/people (38 images)")
    html_report(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
