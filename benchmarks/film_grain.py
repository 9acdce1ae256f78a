"""Grain, motion and tone fidelity of the film profiles on grainy frames with clean plates (issue 17).

Usage (from the repository root)::

    qualipress film make-testset -o /tmp/ff-2k --grain --encoding cineon --size 2048x1080 \\
        --shots GoldenGate,Desk,CrissyField --frames-per-shot 3 --no-tiff
    python benchmarks/film_grain.py --testset /tmp/ff-2k --out /tmp/ff-bench --runs C1:jpegxl,C1:jpeg2000

For every ``PROFILE:CODEC`` run it compresses the selected DPX frames with the core pipeline and
:class:`qualipress.film.FilmHooks` (one process, frames of a shot in order) and reports, per frame and per run:

* ratio (DPX bytes / output bytes), target met, encodes and wall seconds;
* grain kept as the decision check measures it (no clean plate: decoded vs source high-pass in the flattest
  blocks) **and against truth**: correlation of ``output − clean plate`` with ``source − clean plate`` (luma)
  in the flattest quarter of 16-px blocks of the clean plate — the figure issue 17 measured;
* temporal ratio, highlight / shadow shift in stops, display-rendered SSIM, SSIM/PSNR;
* the grain estimator against truth: the analysed σ vs the RMS of the added grain and vs the RMS of the added
  grain together with the clean plate's own fine structure (the EXR photographs are not noise-free).

Results go to ``OUT/results.json``; a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np


def _luma(path: Path | bytes, like: Any = None, codec: str | None = None) -> np.ndarray:
    from qualipress import codecs
    from qualipress.film import analysis
    from qualipress.io import read_image, to_perceptual

    if isinstance(path, bytes):
        img = codecs.decode_like(codecs.get(codec or "jpegxl"), path, like)
    else:
        img = read_image(path)
    return analysis.luma(np.asarray(to_perceptual(img), np.float32)).astype(np.float64)


def truth(src: Path, clean: Path, output: Path, codec: str) -> dict[str, Any]:
    """Grain kept against the clean plate, and the estimator's inputs (see module docstring)."""
    from qualipress.film import analysis
    from qualipress.io import read_image

    image = read_image(src)
    ys, yc = _luma(src), _luma(clean)
    yo = _luma(output.read_bytes(), image, codec)
    b = analysis.BLOCK
    cstats = analysis.block_stats(yc.astype(np.float32))
    flat = cstats.residual <= np.quantile(cstats.residual, 0.25)
    g_src = analysis.block_view(ys - yc, b)[flat]
    g_out = analysis.block_view(yo - yc, b)[flat]
    den = float(np.sqrt((g_src**2).sum() * (g_out**2).sum()))
    corr = float((g_src * g_out).sum() / den) if den > 0 else 0.0
    # the estimator's blocks: chosen on the source, as analyse() does
    sstats = analysis.block_stats(ys.astype(np.float32))
    est = analysis.grain(ys.astype(np.float32), sstats)
    m = analysis.flat_blocks(sstats)
    added = float(np.sqrt((analysis.plane_residual(analysis.block_view(ys - yc, b)[m]) ** 2).mean()))
    own = float(np.sqrt((analysis.plane_residual(analysis.block_view(yc, b)[m]) ** 2).mean()))
    return {"grain_corr_true": round(corr, 4),
            "grain_energy_true": round(float(np.sqrt((g_out**2).sum() / max((g_src**2).sum(), 1e-20))), 4),
            "sigma_est": round(est["sigma"] * 1023, 3), "sigma_white": round(est["sigma_white"] * 1023, 3),
            "sigma_added": round(added * 1023, 3), "sigma_plate_own": round(own * 1023, 3)}


#: The decision checks before issue 17 (``PROFILE:CODEC:pre17`` runs use only these, for comparison).
PRE17_CHECKS = ("worst-tile", "banding", "detail")


def run(frames: list[Path], testset: Path, out: Path, profile: str, codec: str,
        checks: tuple[str, ...] | None = None) -> dict[str, Any]:
    from qualipress.film.hooks import FilmHooks
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.profiles import get_profile

    FilmHooks.sequences.clear()
    hooks = FilmHooks() if checks is None else FilmHooks(checks=checks)
    opts = CompressOptions(target=get_profile(profile).target, codec=codec, profile=profile, hooks=hooks)
    t0 = time.perf_counter()
    summary = compress_paths(frames, out, opts)
    wall = time.perf_counter() - t0
    rows = []
    for r in summary.records:
        src = Path(r["input"])
        row: dict[str, Any] = {"frame": src.name, "error": r.get("error")}
        if not r.get("error"):
            film = r.get("film") or {}
            clean = testset / "clean" / src.parent.name / src.name
            row.update({
                "ratio": r["ratio"], "bytes": r["bytes"], "input_bytes": r["input_bytes"],
                "met": r["target_met"], "encodes": r["encodes"], "seconds": r["seconds"],
                "setting": next(iter((r.get("params") or {}).values()), None),
                "ssim": r["metrics"]["ssim"]["value"], "psnr": r["metrics"]["psnr"]["value"],
                "grain_corr": film.get("grain", {}).get("corr"), "grain_energy": film.get("grain", {}).get("energy"),
                "temporal": film.get("temporal", {}).get("ratio"),
                "tonal_hi": film.get("tonal", {}).get("highlights"), "tonal_lo": film.get("tonal", {}).get("shadows"),
                "display_ssim": film.get("display_ssim"),
                "worst_tile": (film.get("worst_tile") or {}).get("ssim"),
            })
            if clean.exists():
                row.update(truth(src, clean, Path(r["output"]), r["codec"]))
        rows.append(row)
    ok = [x for x in rows if not x["error"]]

    def agg(key: str, fn: Any) -> float | None:
        vals = [x[key] for x in ok if x.get(key) is not None]
        return round(float(fn(vals)), 4) if vals else None

    bin_, bout = sum(x["input_bytes"] for x in ok), sum(x["bytes"] for x in ok)
    return {"profile": profile, "codec": codec, "checks": "all" if checks is None else ",".join(checks),
            "frames": len(ok), "errors": len(rows) - len(ok),
            "met": sum(bool(x["met"]) for x in ok), "ratio": round(bin_ / bout, 2) if bout else None,
            "grain_corr_min": agg("grain_corr", min), "grain_corr_mean": agg("grain_corr", np.mean),
            "grain_corr_true_min": agg("grain_corr_true", min), "grain_corr_true_mean": agg("grain_corr_true", np.mean),
            "grain_energy_mean": agg("grain_energy", np.mean),
            "temporal_min": agg("temporal", min), "temporal_max": agg("temporal", max),
            "tonal_hi_worst": agg("tonal_hi", lambda v: max(v, key=abs)),
            "tonal_lo_worst": agg("tonal_lo", lambda v: max(v, key=abs)),
            "display_ssim_min": agg("display_ssim", min), "ssim_min": agg("ssim", min), "psnr_min": agg("psnr", min),
            "encodes_per_frame": agg("encodes", np.mean), "seconds_per_frame": round(wall / max(len(rows), 1), 1),
            "wall_seconds": round(wall, 1), "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--testset", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--runs", default="C0:jpegxl,C1:jpegxl,C1:jpeg2000,C2:jpegxl",
                    help="PROFILE:CODEC[:pre17],... (pre17: only the checks that existed before issue 17)")
    ap.add_argument("--shots", default=None, help="comma-separated shots (default: all)")
    ap.add_argument("--frames", type=int, default=2, help="frames per shot (the first N)")
    args = ap.parse_args()
    meta = json.loads((args.testset / "testset.json").read_text())
    shots = args.shots.split(",") if args.shots else sorted({f["shot"] for f in meta["frames"]})
    frames = []
    for shot in shots:
        frames += sorted((args.testset / "dpx" / shot).glob("*.dpx"))[: args.frames]
    results = []
    for spec in args.runs.split(","):
        profile, codec, *mode = spec.split(":")
        pre = mode == ["pre17"]
        out = args.out / f"{profile}-{codec}{'-pre17' if pre else ''}"
        res = run(frames, args.testset, out, profile, codec, PRE17_CHECKS if pre else None)
        results.append(res)
        (args.out / "results.json").write_text(json.dumps({"testset": meta.get("grain"), "size": meta.get("size"),
                                                           "encoding": meta.get("encoding"), "results": results},
                                                          indent=1))
        label = f"{codec} (pre-17 checks)" if pre else codec
        print(f"| {profile} | {label} | {res['frames']} | {res['met']} | {res['ratio']}:1 | "
              f"{res['grain_corr_min']} / {res['grain_corr_mean']} | {res['grain_corr_true_min']} / "
              f"{res['grain_corr_true_mean']} | {res['temporal_min']}–{res['temporal_max']} | "
              f"{res['tonal_hi_worst']} / {res['tonal_lo_worst']} | {res['display_ssim_min']} | {res['ssim_min']} | "
              f"{res['encodes_per_frame']} | {res['seconds_per_frame']} |", flush=True)


if __name__ == "__main__":
    main()
