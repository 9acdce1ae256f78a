"""Grain kept by ``compress`` on synthetic log frames whose clean plate and grain are known exactly (qa10).

Usage (from the repository root)::

    python benchmarks/film_known_grain_cli.py -o /tmp/kg [--bits 10,12,16] [--frames 5] [--profile C1] [--codec C]

Builds, per bit depth, a shot of smooth log-like gradients with one bright highlight, slowly panning, plus
independent Gaussian grain of σ = 6 10-bit codes (scaled with the depth) in each of R, G and B, new in every
frame. 10- and 12-bit frames are DPX written by OpenImageIO (transfer "Logarithmic", an independent writer),
16-bit frames are zlib TIFFs written by tifffile. Then one ``qualipress compress SHOT -o OUT --profile P
--json`` process per shot (the CLI as a user runs it), and for every output, against the known truth:

* luma (Rec. 709 weights): σ of ``output − clean`` and ``source − clean`` and their correlation; ``kept`` =
  correlation × σ ratio, the share of the source's own grain amplitude that survives (the decision check's
  ``corr`` and ``energy`` are printed beside it);
* the same per colour channel (mean over R, G, B), and on the colour differences B − Y and R − Y (mean of the
  two: ``colour kept``), the directions the colour-grain check (``film.colour_grain``) measures.

Prints one Markdown row per frame and writes ``OUT/results.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

W, H = 640, 360
#: Grain σ in 10-bit code values (scaled by 2**(bits-10) for deeper frames).
SIGMA10 = 6.0
LUMA = np.array([0.2126, 0.7152, 0.0722])


def clean_plate(t: int, maxv: int) -> np.ndarray:
    """Frame ``t`` of the shot without grain: gradients, a highlight, 3 px of pan per frame (float code values)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    x = x + 3 * t
    base = 0.15 + 0.55 * (x / W) + 0.1 * np.sin(y / 70.0)
    img = np.stack([base, base * 0.95 + 0.03 * np.cos(x / 90.0), base * 0.9 + 0.05 * (y / H)], -1)
    img += 0.35 * np.exp(-((np.hypot(x - 450, y - 120) / 25.0) ** 2))[..., None]
    return np.clip(img, 0, 1) * maxv


def write_shot(root: Path, bits: int, frames: int, seed: int) -> Path:
    """Write the grainy frames of one shot; return its folder."""
    import OpenImageIO as oiio
    import tifffile

    rng = np.random.default_rng(seed)
    maxv = (1 << bits) - 1
    sigma = SIGMA10 * (1 << (bits - 10))
    folder = root / f"shot{bits}"
    folder.mkdir(parents=True, exist_ok=True)
    for t in range(frames):
        px = np.clip(np.rint(clean_plate(t, maxv) + rng.normal(0, sigma, (H, W, 3))), 0, maxv).astype(np.uint16)
        if bits == 16:
            tifffile.imwrite(folder / f"shot{bits}.{1001 + t}.tif", px, photometric="rgb", compression="zlib")
            continue
        path = str(folder / f"shot{bits}.{1001 + t}.dpx")
        spec = oiio.ImageSpec(W, H, 3, oiio.UINT16)
        spec.attribute("oiio:BitsPerSample", bits)
        spec.attribute("dpx:Transfer", "Logarithmic")
        out = oiio.ImageOutput.create(path)
        if not out.open(path, spec):
            raise SystemExit(f"cannot write {path}: {oiio.geterror()}")
        # OpenImageIO takes full-range 16-bit samples and rescales them to the file's bit depth
        out.write_image((px.astype(np.uint32) * 65535 // maxv).astype(np.uint16))
        out.close()
    return folder


def grain_vs_truth(src: np.ndarray, out: np.ndarray, clean: np.ndarray, maxv: int) -> dict[str, float]:
    """Luma and per-channel grain of ``out`` against the known clean plate, where nothing clips."""
    mask = ((clean > 0.05 * maxv) & (clean < 0.6 * maxv)).all(axis=-1)

    def one(s: np.ndarray, o: np.ndarray, c: np.ndarray) -> tuple[float, float, float]:
        gs, go = (s - c)[mask], (o - c)[mask]
        corr = float(np.corrcoef(gs, go)[0, 1])
        ratio = float(go.std() / gs.std())
        return corr, ratio, corr * ratio

    lc, lr, lk = one(src @ LUMA, out @ LUMA, clean @ LUMA)
    per = [one(src[..., k], out[..., k], clean[..., k]) for k in range(3)]

    def diff(a: np.ndarray, k: int) -> np.ndarray:
        return a[..., k] - a @ LUMA

    col = [one(diff(src, k), diff(out, k), diff(clean, k)) for k in (2, 0)]
    return {"luma_corr": lc, "luma_rms_ratio": lr, "luma_kept": lk,
            "rgb_corr": float(np.mean([p[0] for p in per])), "rgb_kept": float(np.mean([p[2] for p in per])),
            "colour_corr": float(np.mean([p[0] for p in col])), "colour_kept": float(np.mean([p[2] for p in col]))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--bits", default="10,12,16")
    ap.add_argument("--frames", type=int, default=5)
    ap.add_argument("--profile", default="C1")
    ap.add_argument("--codec", default=None, help="passed to compress --codec (default: the CLI's own)")
    args = ap.parse_args()
    from qualipress.io import read_image

    rows: list[dict[str, Any]] = []
    print("| frame | codec | bytes | encodes | check corr / energy | colour check corr / energy | luma corr / kept | "
          "RGB corr / kept | colour corr / kept |")
    print("|---|---|---:|---:|---|---|---|---|---|")
    for bits in (int(b) for b in args.bits.split(",")):
        shot = write_shot(args.out / "frames", bits, args.frames, seed=20261201 + bits)
        dest = args.out / f"out{bits}"
        subprocess.run([sys.executable, "-m", "qualipress.cli", "compress", str(shot), "-o", str(dest),
                        "--profile", args.profile, "--json", *(["--codec", args.codec] if args.codec else [])],
                       check=False, stdout=subprocess.DEVNULL)
        for line in (dest / "qualipress-report.jsonl").read_text().splitlines():
            rec = json.loads(line)
            if not rec.get("output"):
                print(f"| {Path(rec['input']).name} | failed: {rec.get('error')} |")
                continue
            t = int(Path(rec["input"]).name.split(".")[1]) - 1001
            maxv = (1 << bits) - 1
            src = read_image(rec["input"]).pixels.astype(np.float64)
            out = read_image(rec["output"]).pixels.astype(np.float64)
            g = grain_vs_truth(src, out, clean_plate(t, maxv), maxv)
            check = (rec.get("film") or {}).get("grain") or {}
            colour = (rec.get("film") or {}).get("colour_grain") or {}
            row = {"frame": Path(rec["input"]).name, "bits": bits, "codec": rec["codec"], "bytes": rec["bytes"],
                   "encodes": rec.get("encodes"), "check_corr": check.get("corr"), "check_energy": check.get("energy"),
                   "colour_check_corr": colour.get("corr"), "colour_check_energy": colour.get("energy"),
                   **{k: round(v, 4) for k, v in g.items()}}
            rows.append(row)
            print(f"| {row['frame']} | {row['codec']} | {row['bytes']:,} | {row['encodes']} | "
                  f"{row['check_corr']} / {row['check_energy']} | "
                  f"{row['colour_check_corr']} / {row['colour_check_energy']} | "
                  f"{row['luma_corr']:.3f} / {row['luma_kept']:.3f} | {row['rgb_corr']:.3f} / {row['rgb_kept']:.3f} | "
                  f"{row['colour_corr']:.3f} / {row['colour_kept']:.3f} |")
    for bits in sorted({r["bits"] for r in rows}):
        rs = [r for r in rows if r["bits"] == bits]
        print(f"{bits}-bit: {len(rs)} frames, mean bytes {np.mean([r['bytes'] for r in rs]):,.0f}, "
              f"encodes/frame {np.mean([r['encodes'] for r in rs]):.2f}, luma kept "
              f"{min(r['luma_kept'] for r in rs):.2f}-{max(r['luma_kept'] for r in rs):.2f}, colour kept "
              f"{min(r['colour_kept'] for r in rs):.2f}-{max(r['colour_kept'] for r in rs):.2f}")
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
