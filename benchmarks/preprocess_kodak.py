"""Kodak evaluation of preprocessing before standard codecs (resumable; results cached line by line).

For every codec, preprocessing choice and Kodak image: preprocess once, encode at every setting of a sweep, decode,
measure PSNR / MS-SSIM / SSIMULACRA2 against the ORIGINAL image. Reports BD-rate at equal quality (PCHIP, per
image then averaged, and on the mean curve), and at the reference setting the size change, compression-ratio
change and quality change versus no preprocessing.

Choices: ``none``, each pool method, ``oracle`` (the group Algorithm 1 with the "rd" score picks for that image,
codec and reference setting: what the labels of the shipped model's training set look like), ``oracle-z`` (the
same with the paper's z-score rule), ``kuchen`` (the shipped network) or a ``.pt`` path.

Usage::

    python benchmarks/preprocess_kodak.py --codecs jpeg \
        --methods none,nlm,bilateral,guided,deblock,detail,oracle,kuchen
    python benchmarks/preprocess_kodak.py --codecs webp,heif,avif --methods none,bilateral,oracle,kuchen

Writes ``benchmarks/preprocess_kodak_results.json`` and ``.md`` and ``docs/img/preprocess_rd_<codec>.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from _paths import DATA, ROOT

#: Sweep settings and the reference setting (the labelling setting for JPEG) per codec.
SWEEPS = {
    "jpeg": ([30, 45, 60, 75, 85, 92], 75),
    "webp": ([30, 45, 60, 75, 85, 92], 75),
    "heif": ([30, 45, 60, 75, 85, 92], 75),
    "avif": ([30, 45, 60, 75, 85, 92], 75),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codecs", default="jpeg")
    ap.add_argument("--methods", default="none,nlm,bilateral,guided,deblock,detail,oracle,kuchen")
    ap.add_argument("--images", type=int, default=24, help="first N Kodak images")
    ap.add_argument("--only", default="", help="compute only these images (comma-separated indices 1..24); "
                    "the report still covers the first --images")
    ap.add_argument("--extra-cache", nargs="*", default=[], help="more cache files to read (parallel runs)")
    ap.add_argument("--cache", default="/tmp/qualipress_preprocess_kodak.jsonl")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "preprocess_kodak_results"))
    ap.add_argument("--plots", default=str(ROOT / "docs" / "img"))
    ap.add_argument("--report-only", action="store_true", help="only summarise the cache")
    ap.add_argument("--bd-settings", default="", help="restrict the BD-rate to these sweep settings, e.g. 60,75,85")
    args = ap.parse_args(argv)

    import cv2

    cv2.setNumThreads(1)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    from dataclasses import asdict

    from qualipress.io import append_jsonl, read_image, read_jsonl
    from qualipress.preprocess import get_preprocessor
    from qualipress.preprocess.evaluate import Point, sweep
    from qualipress.preprocess.label import LabelConfig, _finite, score_image

    kodak = sorted((DATA / "kodak").glob("kodim*.png"))[: args.images]
    if not kodak:
        print(f"no Kodak images under {DATA / 'kodak'}", file=sys.stderr)
        return 2
    codecs = [c.strip() for c in args.codecs.split(",") if c.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    cache_path = Path(args.cache)
    cache = {rec["key"]: rec for cp in [*args.extra_cache, cache_path] for rec in read_jsonl(cp)}
    todo = [kodak[int(i) - 1] for i in args.only.split(",") if i.strip()] if args.only else kodak

    def put(rec: dict) -> None:
        cache[rec["key"]] = rec
        append_jsonl(cache_path, rec)

    timings: dict[str, list[float]] = {}
    if not args.report_only:
        images: dict[str, object] = {}
        for codec in codecs:  # method-major, so the first methods are complete for all images first
            qualities, ref_q = SWEEPS[codec]
            for method in methods:
                for path in todo:
                    key = f"{codec}|{method}|{path.name}"
                    if key in cache:
                        continue
                    if path.name not in images:
                        images[path.name] = read_image(path)
                    img = images[path.name]
                    t0 = time.time()
                    if method in ("oracle", "oracle-z"):
                        okey = f"{method}-choice|{codec}|{ref_q}|{path.name}"
                        if okey not in cache:
                            # one scoring gives both rules: "rd" scores and the paper's z-scores
                            res = score_image(img, LabelConfig(codec=codec, quality=ref_q, score="rd"))
                            zbest = max(res.scores, key=lambda s: s.z_quality - s.z_bpp).group
                            put({"key": f"oracle-choice|{codec}|{ref_q}|{path.name}", "group": res.best,
                                 "scores": [_finite(asdict(s)) for s in res.scores]})
                            put({"key": f"oracle-z-choice|{codec}|{ref_q}|{path.name}", "group": zbest})
                        name = cache[okey]["group"]
                    else:
                        name = method
                    pre = get_preprocessor(name)(img)
                    dt = time.time() - t0
                    pts = sweep(img, pre, codec, qualities)
                    put({"key": key, "codec": codec, "method": method, "image": path.name, "group": name,
                         "preprocess_seconds": dt, "points": [p.to_dict() for p in pts]})
                    timings.setdefault(method, []).append(dt)
                    print(f"{codec} {method:10s} {path.name} {name} pre {dt:.2f}s", flush=True)

    # -- report --------------------------------------------------------------------------------------------
    from qualipress.preprocess.evaluate import at_setting, mean_bd_rate

    def points(codec: str, method: str) -> list[list[Point]] | None:
        out = []
        for path in kodak:
            rec = cache.get(f"{codec}|{method}|{path.name}")
            if rec is None:
                return None
            out.append([Point(p["quality"], p["nbytes"], p["bpp"],
                              {k: p[k] for k in ("psnr", "ms-ssim", "ssimulacra2")}) for p in rec["points"]])
        return out

    report: dict = {"machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores",
                    "python": platform.python_version(), "images": [p.name for p in kodak], "codecs": {}}
    lines = [f"Kodak, {len(kodak)} images; quality measured against the original image.", ""]
    for codec in codecs:
        qualities, ref_q = SWEEPS[codec]
        base = points(codec, "none")
        if base is None:
            continue
        creport: dict = {"qualities": qualities, "reference_setting": ref_q, "methods": {},
                         "bd_settings": args.bd_settings or None}
        bd_range = args.bd_settings or ",".join(map(str, qualities))
        lines += [f"### {codec} (BD-rate over settings {bd_range}; reference setting {ref_q})", "",
                  "| preprocessing | BD-rate SSIMULACRA2 (mean / median / mean curve; images < 0) | BD-rate MS-SSIM "
                  "| BD-rate PSNR "
                  f"| size at q{ref_q} | ratio at q{ref_q} | ΔSSIMULACRA2 | ΔMS-SSIM | ΔPSNR dB |",
                  "|---|---|---|---|---|---|---|---|---|"]
        curves = {}
        for method in methods:
            pts = points(codec, method)
            if pts is None:
                continue
            curves[method] = pts
            keep = {float(x) for x in args.bd_settings.split(",") if x.strip()}

            def sub(sw: list[list[Point]], keep: set[float] = keep) -> list[list[Point]]:
                return [[p for p in s if not keep or p.quality in keep] for s in sw]

            bd = {m: mean_bd_rate(sub(base), sub(pts), m) for m in ("ssimulacra2", "ms-ssim", "psnr")}
            a = [at_setting(s, ref_q) for s in base]
            b = [at_setting(s, ref_q) for s in pts]
            size = (sum(p.nbytes for p in b) / sum(p.nbytes for p in a) - 1) * 100
            ratio_a = 24.0 / np.mean([p.bpp for p in a])
            ratio_b = 24.0 / np.mean([p.bpp for p in b])
            dq = {m: float(np.mean([y.metrics[m] - x.metrics[m] for x, y in zip(a, b, strict=True)]))
                  for m in ("ssimulacra2", "ms-ssim", "psnr")}
            groups = [cache[f"{codec}|{method}|{p.name}"]["group"] for p in kodak]
            creport["methods"][method] = {"bd_rate": bd, "size_change_percent": size,
                                          "ratio": [ratio_a, ratio_b], "quality_change": dq,
                                          "groups": groups if method.startswith("oracle") else None}
            s2 = bd["ssimulacra2"]
            lines.append(
                f"| {method} | {s2['mean']:+.2f}% / {s2['median']:+.2f}% / {s2['mean_curve']:+.2f}% "
                f"({s2['n_negative']} of {s2['n']} < 0) "
                f"| {bd['ms-ssim']['mean']:+.2f}% | {bd['psnr']['mean']:+.2f}% | {size:+.2f}% "
                f"| {ratio_a:.2f}→{ratio_b:.2f} | {dq['ssimulacra2']:+.2f} | {dq['ms-ssim']:+.4f} "
                f"| {dq['psnr']:+.2f} |"
            )
        for om in ("oracle", "oracle-z"):
            if om in creport["methods"]:
                g = creport["methods"][om]["groups"]
                counts = {k: g.count(k) for k in sorted(set(g), key=lambda k: -g.count(k))}
                lines += ["", f"{om} groups chosen ({codec}, q{ref_q}): {counts}"]
        lines.append("")
        report["codecs"][codec] = creport
        _plot(codec, curves, Path(args.plots))
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1))
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def _plot(codec: str, curves: dict, outdir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for method, pts in curves.items():
        n = len(pts[0])
        x = [np.mean([s[i].bpp for s in pts]) for i in range(n)]
        y = [np.mean([s[i].metrics["ssimulacra2"] for s in pts]) for i in range(n)]
        style = "-" if method in ("none", "kuchen", "oracle") else ":"
        ax.plot(x, y, style, marker="o", ms=3, label=method, lw=2 if method in ("none", "kuchen") else 1)
    ax.set_xlabel("bits per pixel (mean over Kodak)")
    ax.set_ylabel("SSIMULACRA2 vs original (mean)")
    ax.set_title(f"{codec}: preprocessing before encoding")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(outdir / f"preprocess_rd_{codec}.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
