"""Colour grain kept vs luma grain kept, per codec and setting, on grainy film frames (issue 18, grain10).

Usage (from the repository root)::

    python benchmarks/film_colour_grain.py -o /tmp/cg [--codecs jpegxl,avif,htj2k] [--real 2] [--synthetic 10,12]
    python benchmarks/film_colour_grain.py -o /tmp/cg-time --time-figures   # CPU cost of the two figures

Material, all with grain independent in R, G and B (per dye layer), so it has colour grain:

* ``synthetic``: the known-truth shot of ``film_known_grain_cli.py`` (640×360 log-like gradients + a highlight,
  Gaussian grain σ = 6 10-bit codes per channel), first frame, at each bit depth given;
* ``real``: the first frame of the first ``--real`` shots of ``film_archive_speed.make_frames`` (EXRs of
  ``../shared/data/hdr_film`` in ACEScct, 2048×1080 10-bit, grain blurred 0.7 px at RMS 3–6 codes).

Every frame is encoded at a fixed sweep of settings per codec (the codec's own defaults, as a probe is), decoded
like the source, and measured with the film checks' figures: luma grain kept (:func:`fidelity.grain_kept`) and
colour grain kept (:func:`fidelity.colour_grain_kept`, the weaker of B − Y and R − Y), beside bytes and SSIM.
Prints one Markdown row per encode and writes ``OUT/results.json``; the floors of the profiles are chosen from
these rows (docs/film.md § colour grain).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

#: Settings swept per codec (coarse → fine).
SWEEP = {
    "jpegxl": [3.0, 2.0, 1.5, 1.0, 0.7, 0.5, 0.35, 0.25, 0.15],
    "avif": [60, 70, 80, 85, 90, 93, 95, 97, 99],
    "htj2k": [0.02, 0.01, 0.006, 0.004, 0.003, 0.002, 0.0015, 0.001, 0.0006],
    "jpeg2000": [40, 44, 48, 50, 52, 54, 56, 60],
    "heif": [80, 85, 88, 90, 92, 94, 96, 98],
}


def synthetic_frame(bits: int) -> Any:
    """Frame 0 of ``film_known_grain_cli``'s shot at ``bits`` bits, as an Image (log transfer)."""
    from film_known_grain_cli import SIGMA10, H, W, clean_plate

    from qualipress.io import Image

    maxv = (1 << bits) - 1
    rng = np.random.default_rng(20261201 + bits)
    sigma = SIGMA10 * (1 << (bits - 10))
    px = np.clip(np.rint(clean_plate(0, maxv) + rng.normal(0, sigma, (H, W, 3))), 0, maxv).astype(np.uint16)
    return Image(px, bits, transfer="log")


def sweep(name: str, image: Any, codec_name: str) -> list[dict[str, Any]]:
    """Encode ``image`` at every setting of :data:`SWEEP`, measure the grain figures of each output."""
    from qualipress import codecs, metrics
    from qualipress.film import decisions, fidelity
    from qualipress.film.hooks import frame_options

    codec = codecs.get(codec_name)
    info = decisions._ref_info(image)
    opts = frame_options([codec_name], image).get(codec_name, {})
    rows = []
    for q in SWEEP[codec_name]:
        t0 = time.perf_counter()
        data = codec.encode(image, quality=q, **opts)
        dec = codecs.decode_like(codec, data, image)
        secs = time.perf_counter() - t0
        g = fidelity.grain_kept(info.fid, analysis_luma(dec))
        c = fidelity.colour_grain_kept(info.fid, dec)
        ssim = float(metrics.measure(image, dec, ("ssim",))["ssim"].value)
        row = {"frame": name, "codec": codec_name, "setting": q, "bytes": len(data), "ssim": round(ssim, 5),
               "luma_corr": g["corr"], "luma_energy": g["energy"], "colour_corr": c["corr"],
               "colour_energy": c["energy"], "directions": c.get("directions"), "seconds": round(secs, 2)}
        rows.append(row)
        print(f"| {name} | {codec_name} | {q} | {len(data):,} | {ssim:.4f} | {g['corr']} / {g['energy']} | "
              f"{c['corr']} / {c['energy']} |", flush=True)
    return rows


def time_figures(name: str, image: Any, codec_name: str, repeat: int = 5) -> dict[str, Any]:
    """CPU seconds of the luma and the colour grain figure of one decoded probe (median of ``repeat``; the source
    side, made once per frame, timed apart)."""
    from qualipress import codecs
    from qualipress.film import decisions, fidelity

    codec = codecs.get(codec_name)
    info = decisions._ref_info(image)
    dec = codecs.decode_like(codec, codec.encode(image, quality=SWEEP[codec_name][len(SWEEP[codec_name]) // 2]),
                             image)
    t0 = time.process_time()
    fidelity.colour_grain_kept(info.fid, dec)  # the first call also makes the source's colour blocks
    first = time.process_time() - t0
    luma, colour = [], []
    for _ in range(repeat):
        t0 = time.process_time()
        fidelity.grain_kept(info.fid, fidelity.flat_luma(info.fid, analysis_luma(dec)))
        luma.append(time.process_time() - t0)
        t0 = time.process_time()
        fidelity.colour_grain_kept(info.fid, dec)
        colour.append(time.process_time() - t0)
    row = {"frame": name, "pixels": image.width * image.height, "luma_s": round(float(np.median(luma)), 4),
           "colour_s": round(float(np.median(colour)), 4), "colour_first_s": round(first, 4)}
    print(f"{name} ({image.width}x{image.height}): luma grain figure {row['luma_s']} CPU-s (incl. the probe's "
          f"luma), colour grain figure {row['colour_s']} CPU-s (first call of the frame {row['colour_first_s']})")
    return row


def analysis_luma(image: Any) -> np.ndarray:
    from qualipress.film import analysis

    return analysis.code_luma(image)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--codecs", default="jpegxl,avif,htj2k")
    ap.add_argument("--synthetic", default="10,12", help="bit depths of the synthetic frame ('' for none)")
    ap.add_argument("--real", type=int, default=2, help="real shots (hdr_film EXRs) to take one frame of")
    ap.add_argument("--time-figures", action="store_true",
                    help="only time the luma and colour grain figures of one JPEG XL probe per frame")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from qualipress.io import read_image

    frames: list[tuple[str, Any]] = [(f"synthetic{b}", synthetic_frame(int(b)))
                                     for b in args.synthetic.split(",") if b]
    if args.real:
        from film_archive_speed import make_frames

        from qualipress.film.testset import default_source

        paths = make_frames(default_source(), args.out / "frames", args.real, 1)
        frames += [(p.parent.name, read_image(p)) for p in paths]
    args.out.mkdir(parents=True, exist_ok=True)
    if args.time_figures:
        timed = [time_figures(name, image, "jpegxl") for name, image in frames]
        (args.out / "timing.json").write_text(json.dumps(timed, indent=1))
        return
    print("| frame | codec | setting | bytes | SSIM | luma grain corr / energy | colour grain corr / energy |")
    print("|---|---|---:|---:|---:|---|---|")
    rows: list[dict[str, Any]] = []
    for name, image in frames:
        for codec_name in args.codecs.split(","):
            if codec_name in ("avif", "heif") and image.bit_depth > 12:
                continue
            rows += sweep(name, image, codec_name)
    (args.out / "results.json").write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
