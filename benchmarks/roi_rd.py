"""RD benchmark of jpeg-roi vs uniform JPEG (libjpeg-turbo 4:2:0 and 4:4:4) and jpegli, plus block thresholds.

For every image the ROI (default: faces,persons,text, refined) is detected once on the original; every codec
and setting is then encoded, decoded and measured on the same ROI pixels: ROI PSNR/SSIM, background
PSNR/SSIM, whole-image PSNR/SSIM (qualipress.metrics; PSNR over RGB samples). Per image, each metric is
interpolated at 0.5 / 0.8 / 1.0 bpp (linear in log bpp, only inside the measured range) and averaged over the
images where every codec covers that rate.

    python benchmarks/roi_rd.py --set people            # ../shared/data/people (38 images)
    python benchmarks/roi_rd.py --set kodak --roi faces,persons,text,saliency
    python benchmarks/roi_rd.py --set people --grid-offset 3   # sources cropped by 3 px, see below

``--grid-offset N`` crops N pixels from the top and left of every source first. The people photos are JPEGs;
re-encoding one with libjpeg-turbo at a quality near its own lands back on its 8×8 grid and quantiser and gives
a PSNR no fresh encode gets (the uniform codecs profit, an ROI encode with other tables does not). Shifting the
grid by an odd number of pixels removes that advantage without changing the picture's scale.

The summary also splits the images by ROI fraction (``by_roi_fraction``): at equal file size, an ROI that covers
most of the picture cannot gain much.

Writes results/roi/rd_<set>.json (all rows), results/roi/summary_<set>.json (tables) and
docs/img/roi_rd_<set>.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _paths import DATA, ROOT

OUT = ROOT / "results" / "roi"
RATES = (0.5, 0.8, 1.0)

UNIFORM_Q = [15, 25, 35, 45, 55, 65, 75, 85, 92, 97]
ROI_Q = [30, 40, 50, 60, 70, 80, 90, 95]


def images(which: str) -> list[Path]:
    if which == "people":
        base = DATA / "people"
        return sorted(p for p in base.rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    return sorted((DATA / "kodak").glob("*.png"))


def load_rgb8(path: Path, grid_offset: int = 0) -> Any:
    """The image as 8-bit RGB, with ``grid_offset`` pixels cropped from the top and left."""
    from qualipress.io import read_image

    img = read_image(path)
    if img.n_channels != 3 or img.bit_depth != 8:
        img = img.with_pixels(np.ascontiguousarray(np.repeat(img.color().pixels[..., :1], 3, 2)))
    if grid_offset:
        img = img.with_pixels(np.ascontiguousarray(img.pixels[grid_offset:, grid_offset:]))
    return img


def codecs_for(threshold_variants: bool, ratios: list[float], deadzone: float = 0.5, explore: bool = False) -> dict:
    import imagecodecs
    import pyjpegli

    from qualipress.roi import RoiJpegCodec

    roi = RoiJpegCodec()

    def turbo(sub):
        return lambda px, q, an: bytes(imagecodecs.jpeg8_encode(px, level=q, subsampling=sub, optimize=True))

    def jpegli(px, q, an):
        rgb = np.ascontiguousarray(px)
        return bytes(pyjpegli.encode(rgb.tobytes(), rgb.shape[1], rgb.shape[0], int(q)))

    def roi_codec(threshold, ratio=None, mode="rdo", sub="444", fine_rdo=None):
        def enc(px, q, an):
            from qualipress.io import as_image

            bg = None if ratio is None else max(5, round(ratio * q))
            return roi.encode_roi(
                as_image(px), quality=q, bg_quality=bg, analysis=an, block_threshold=threshold, deadzone=deadzone,
                bg_mode=mode, subsampling=sub, fine_rdo=fine_rdo,
            ).data

        return enc

    out = {
        "jpeg-roi": (roi_codec(0.5), ROI_Q),
        **({"jpeg-roi-multiples": (roi_codec(0.5, mode="multiples"), ROI_Q),
            "jpeg-roi-420": (roi_codec(0.5, sub="420"), ROI_Q),
            "jpeg-roi-nofinerdo": (roi_codec(0.5, fine_rdo=0.0), ROI_Q)} if explore else {}),
        **{f"jpeg-roi-r{r:.2f}": (roi_codec(0.5, r), ROI_Q) for r in ratios},
        "turbo-420": (turbo("420"), UNIFORM_Q),
        "turbo-444": (turbo("444"), UNIFORM_Q),
        "jpegli": (jpegli, UNIFORM_Q),
    }
    if threshold_variants:
        out["jpeg-roi-t25"] = (roi_codec(0.25), ROI_Q)
        out["jpeg-roi-t75"] = (roi_codec(0.75), ROI_Q)
    return out


def measure_row(ref: np.ndarray, dec: np.ndarray, mask: np.ndarray) -> dict:
    from qualipress.metrics import measure

    row = {f"whole_{k}": v.value for k, v in measure(ref, dec, ("psnr", "ssim")).items()}
    if mask.any():
        row.update({f"roi_{k}": v.value for k, v in measure(ref, dec, ("psnr", "ssim"), mask=mask).items()})
    if (~mask).any():
        row.update({f"bg_{k}": v.value for k, v in measure(ref, dec, ("psnr", "ssim"), mask=~mask).items()})
    return row


def interp(rows: list[dict], key: str, rate: float) -> float | None:
    pts = sorted((r["bpp"], r[key]) for r in rows if key in r)
    if len(pts) < 2 or not pts[0][0] <= rate <= pts[-1][0]:
        return None
    x = np.log([p[0] for p in pts])
    y = np.array([p[1] for p in pts])
    # enforce increasing x for np.interp (duplicates at saturated settings)
    keep = np.concatenate([[True], np.diff(x) > 1e-9])
    return float(np.interp(np.log(rate), x[keep], y[keep]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=("people", "kodak"), default="people")
    ap.add_argument("--roi", default="faces,persons,text")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--no-thresholds", action="store_true")
    ap.add_argument("--ratios", default="", help="extra background/ROI quality ratios, e.g. 0.3,0.2")
    ap.add_argument("--deadzone", type=float, default=0.5)
    ap.add_argument("--tag", default="", help="suffix of the output files")
    ap.add_argument("--explore", action="store_true", help="also 4:2:0 and fine-RDO variants of jpeg-roi")
    ap.add_argument("--only", default="", help="comma-separated image name substrings")
    ap.add_argument("--grid-offset", type=int, default=0, help="crop this many pixels from top and left first")
    args = ap.parse_args()
    paths = images(args.set)
    if not paths:
        print(f"no images under {DATA}", file=sys.stderr)
        return 1
    if args.limit:
        paths = paths[: args.limit]
    import imagecodecs

    from qualipress.roi.mask import analyse

    OUT.mkdir(parents=True, exist_ok=True)
    ratios = [float(r) for r in args.ratios.split(",") if r]
    table = codecs_for(not args.no_thresholds, ratios, args.deadzone, args.explore)
    if args.only:
        paths = [p for p in paths if any(o in str(p) for o in args.only.split(","))]
    classes = [c for c in args.roi.split(",") if c]
    rows: list[dict] = []
    per_image: dict[str, dict] = {}
    t_start = time.time()
    for i, path in enumerate(paths):
        img = load_rgb8(path, args.grid_offset)
        px = np.ascontiguousarray(img.pixels)
        an = analyse(img, classes)
        mask = an.mask
        name = str(path.relative_to(DATA))
        per_image[name] = {"roi_fraction": float(mask.mean()), "notes": an.notes,
                           "regions": len(an.regions), "size": [img.width, img.height]}
        for codec, (enc, qs) in table.items():
            for q in qs:
                data = enc(px, q, an)
                dec = imagecodecs.jpeg8_decode(data)
                row = {"image": name, "codec": codec, "q": q, "bytes": len(data),
                       "bpp": 8 * len(data) / (img.width * img.height), **measure_row(px, dec, mask)}
                rows.append(row)
        print(f"[{i + 1}/{len(paths)}] {name} roi={mask.mean():.2f} {time.time() - t_start:.0f}s", flush=True)

    tag = args.set + (f"_{args.tag}" if args.tag else "")
    (OUT / f"rd_{tag}.json").write_text(json.dumps({"images": per_image, "rows": rows}, indent=0))
    summary = summarise(rows, per_image, list(table))
    summary["command"] = "python benchmarks/roi_rd.py " + " ".join(sys.argv[1:])
    (OUT / f"summary_{tag}.json").write_text(json.dumps(summary, indent=1))
    plot(rows, per_image, list(table), ROOT / "docs" / "img" / f"roi_rd_{tag}.png", args.set)
    print(json.dumps(summary["tables"], indent=1))
    return 0


def summarise(rows: list[dict], per_image: dict, codecs: list[str]) -> dict:
    keys = ("roi_psnr", "roi_ssim", "bg_psnr", "bg_ssim", "whole_psnr", "whole_ssim")
    with_roi = [n for n, v in per_image.items() if v["roi_fraction"] > 0]
    tables: dict = {}
    for group, names in (("with_roi", with_roi), ("all", list(per_image))):
        g: dict = {"images": len(names)}
        for rate in RATES:
            per: dict[str, dict[str, list[float]]] = {c: {k: [] for k in keys} for c in codecs}
            n_used = 0
            for n in names:
                vals = {c: {k: interp([r for r in rows if r["image"] == n and r["codec"] == c], k, rate)
                            for k in keys} for c in codecs}
                if any(vals[c]["whole_psnr"] is None for c in codecs):
                    continue  # a codec does not reach / go down to this rate on this image
                n_used += 1
                for c in codecs:
                    for k in keys:
                        if vals[c][k] is not None:
                            per[c][k].append(vals[c][k])
            g[f"{rate}"] = {"images_used": n_used, **{c: {k: (round(float(np.mean(v)), 4) if v else None)
                                                          for k, v in per[c].items()} for c in codecs}}
        tables[group] = g
    mean_fraction = round(float(np.mean([v["roi_fraction"] for v in per_image.values()])), 4)
    return {"tables": tables, "by_roi_fraction": by_fraction(rows, per_image, codecs),
            "roi_fraction_mean": mean_fraction}


FRACTION_BINS = ((0.0, 0.15), (0.15, 0.3), (0.3, 0.5), (0.5, 1.01))


def by_fraction(rows: list[dict], per_image: dict, codecs: list[str], base: str = "turbo-420") -> dict:
    """Mean ROI-PSNR and background-PSNR difference of each codec to ``base`` at equal rate, per ROI-fraction bin."""
    out: dict = {}
    for lo, hi in FRACTION_BINS:
        names = [n for n, v in per_image.items() if lo < v["roi_fraction"] <= hi]
        key = f"{lo:.2f}-{min(hi, 1.0):.2f}"
        out[key] = {"images": len(names)}
        for rate in RATES:
            cell: dict = {}
            for c in codecs:
                if c == base:
                    continue
                d_roi, d_bg = [], []
                for n in names:
                    a = [r for r in rows if r["image"] == n and r["codec"] == c]
                    b = [r for r in rows if r["image"] == n and r["codec"] == base]
                    x, y = interp(a, "roi_psnr", rate), interp(b, "roi_psnr", rate)
                    xb, yb = interp(a, "bg_psnr", rate), interp(b, "bg_psnr", rate)
                    if x is None or y is None:
                        continue
                    d_roi.append(x - y)
                    if xb is not None and yb is not None:
                        d_bg.append(xb - yb)
                cell[c] = {"n": len(d_roi), "roi_psnr_gain": round(float(np.mean(d_roi)), 3) if d_roi else None,
                           "bg_psnr_change": round(float(np.mean(d_bg)), 3) if d_bg else None}
            out[key][f"{rate}"] = cell
    return out


def plot(rows: list[dict], per_image: dict, codecs: list[str], path: Path, title: str) -> None:
    """Top: per-image ROI-PSNR gain and background-PSNR change over libjpeg-turbo 4:2:0 at 0.8 bpp against
    the ROI fraction. Bottom: the same differences against bits per pixel, averaged over the images where both
    codecs reach the rate (drawn where at least a third of the images with ROI do)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n, v in per_image.items() if v["roi_fraction"] > 0]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    rate = 0.8
    for c in codecs:
        if c == "turbo-420" or not c.startswith("jpeg-roi") or c.endswith(("t25", "t75")):
            continue
        pts = []
        for n in names:
            a = [r for r in rows if r["image"] == n and r["codec"] == c]
            b = [r for r in rows if r["image"] == n and r["codec"] == "turbo-420"]
            vals = [interp(a, "roi_psnr", rate), interp(b, "roi_psnr", rate), interp(a, "bg_psnr", rate),
                    interp(b, "bg_psnr", rate)]
            if None not in vals:
                pts.append((per_image[n]["roi_fraction"], vals[0] - vals[1], vals[2] - vals[3]))
        if pts:
            f, g, bgc = np.array(pts).T
            axes[0, 0].scatter(f, g, s=18, label=c)
            axes[0, 1].scatter(f, bgc, s=18, label=c)
    for ax, label in ((axes[0, 0], "ROI PSNR gain over turbo-420 (dB)"),
                      (axes[0, 1], "background PSNR change (dB)")):
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel("ROI fraction of the image")
        ax.set_ylabel(label)
        ax.set_title(f"per image at {rate} bpp (equal file size)", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0, 0].axhline(2, color="red", lw=0.8, ls=":")
    axes[0, 0].legend(fontsize=8)
    grid = np.linspace(np.log(0.25), np.log(2.5), 40)
    panels = ((axes[1, 0], "roi_psnr", "ROI PSNR vs turbo-420 (dB)"),
              (axes[1, 1], "bg_psnr", "background PSNR vs turbo-420 (dB)"))

    def curve(n: str, c: str, key: str) -> np.ndarray:
        pts = sorted((np.log(r["bpp"]), r[key]) for r in rows if r["image"] == n and r["codec"] == c and key in r)
        if len(pts) < 2:
            return np.full(grid.shape, np.nan)
        x, y = np.array(pts).T
        return np.interp(grid, x, y, left=np.nan, right=np.nan)

    for ax, key, label in panels:
        for c in codecs:
            if c == "turbo-420" or c.endswith(("t25", "t75")):
                continue
            diffs = np.array([curve(n, c, key) - curve(n, "turbo-420", key) for n in names])
            ok = (~np.isnan(diffs)).sum(0) >= max(2, len(names) // 3)
            if ok.any():
                ax.plot(np.exp(grid[ok]), np.nanmean(diffs[:, ok], 0), label=c,
                        lw=2 if c == "jpeg-roi" else 1, ls="-" if "roi" in c else "--")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("bits per pixel")
        ax.set_ylabel(label)
        ax.set_title("mean difference at equal size, images where both reach the rate (>= 1/3)", fontsize=9)
        ax.grid(alpha=0.3)
    axes[1, 0].axhline(2, color="red", lw=0.8, ls=":")
    axes[1, 0].legend(fontsize=8)
    fig.suptitle(f"jpeg-roi vs uniform JPEG and jpegli on {title} ({len(names)} images with ROI)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    sys.exit(main())
