"""Profiles benchmark on the film test set: C0/C1/C2 x codec, plus fixed-setting JPEG 2000 / HEIF baselines.

Usage (from the repository root)::

    .venv/bin/python benchmarks/film_profiles.py --testset /tmp/qp-film-testset --out /tmp/qp-film-profiles

For every profile and codec it runs the core ``compress`` pipeline with :class:`qualipress.film.FilmHooks`
(frame analysis, warm start within each shot, banding / detail checks, seals) over the 10-bit DPX frames and
reports the ratio against the DPX files, SSIM/PSNR mean and minimum, encodes and seconds per frame. The "best"
row takes, for each frame, the smallest output among the codecs that met the target (the rule of
``--codec auto``). Baselines: the one fixed setting of JPEG 2000 (PSNR-targeted rate) and of HEIF (quality) whose
*minimum* SSIM over the frames reaches the best row's minimum SSIM (smallest such setting, found by bisection on
each codec's grid), so sizes are compared at equal minimum SSIM. Results go to ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np


def _patch_output_names() -> bool:
    """Work around the core naming frames ``a.0001.dpx`` -> ``a.jxl`` (see docs/film.md); True when patched."""
    from qualipress.pipeline import batch

    probe = batch.Job(Path("a.0001.dpx"), Path("a.0001.dpx")).out_stem(Path("o"))
    if probe.with_suffix(".jxl").name != "a.jxl":
        return False
    batch.Job.out_stem = lambda self, outdir, keep_ext=False: outdir / self.rel.parent / self.rel.name  # type: ignore[method-assign]
    return True


def run_profile(frames_dir: Path, out: Path, profile: str, codec: str) -> list[dict[str, Any]]:
    from qualipress.film.hooks import FilmHooks
    from qualipress.pipeline import CompressOptions, compress_paths
    from qualipress.profiles import get_profile

    prof = get_profile(profile)
    opts = CompressOptions(target=prof.target, codec=codec, profile=profile, hooks=FilmHooks())
    summary = compress_paths([frames_dir], out, opts)
    return list(summary.records)


def stats(recs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in recs if not r.get("error")]
    ss = [r["metrics"]["ssim"]["value"] for r in ok]
    ps = [r["metrics"]["psnr"]["value"] for r in ok]
    bin_ = sum(r["input_bytes"] for r in ok)
    bout = sum(r["bytes"] for r in ok)
    return {"frames": len(ok), "errors": len(recs) - len(ok), "target_met": sum(bool(r["target_met"]) for r in ok),
            "lossless": sum(bool((r.get("params") or {}).get("lossless")) for r in ok),
            "bytes_in": bin_, "bytes_out": bout, "ratio": round(bin_ / bout, 2) if bout else None,
            "saved_pct": round(100 * (1 - bout / bin_), 2) if bin_ else None,
            "ssim_mean": round(float(np.mean(ss)), 4) if ss else None,
            "ssim_min": round(float(np.min(ss)), 4) if ss else None,
            "psnr_mean": round(float(np.mean(ps)), 2) if ps else None,
            "psnr_min": round(float(np.min(ps)), 2) if ps else None,
            "encodes_per_frame": round(float(np.mean([r["encodes"] for r in ok])), 2) if ok else None,
            **warm_split(ok),
            "s_per_frame": round(float(np.mean([r["seconds"] for r in ok])), 2) if ok else None}


def warm_split(ok: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean encodes of each shot's first frame (cold start) vs its later frames (warm start)."""
    first: dict[str, str] = {}
    for r in sorted(ok, key=lambda r: r["input"]):
        first.setdefault(str(Path(r["input"]).parent), r["input"])
    cold = [r["encodes"] for r in ok if first[str(Path(r["input"]).parent)] == r["input"]]
    warm = [r["encodes"] for r in ok if first[str(Path(r["input"]).parent)] != r["input"]]
    return {"encodes_first_frame": round(float(np.mean(cold)), 2) if cold else None,
            "encodes_later_frames": round(float(np.mean(warm)), 2) if warm else None}


def best_of(per_codec: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    by_input: dict[str, list[dict[str, Any]]] = {}
    for recs in per_codec.values():
        for r in recs:
            if not r.get("error"):
                by_input.setdefault(r["input"], []).append(r)
    out = []
    for rs in by_input.values():
        met = [r for r in rs if r["target_met"]] or rs
        best = dict(min(met, key=lambda r: r["bytes"]))
        best["encodes"] = sum(r["encodes"] for r in rs)
        best["seconds"] = sum(r["seconds"] for r in rs)
        out.append(best)
    return out


class Fixed:
    """Encodes every frame at one setting of a codec; caches (setting -> sizes, SSIMs)."""

    def __init__(self, codec: str, frames: list[Path]) -> None:
        from qualipress import codecs
        from qualipress.io import read_image

        self.codec = codecs.get(codec)
        self.images = [read_image(p) for p in frames]
        self.cache: dict[float, tuple[int, float, float]] = {}

    def at(self, setting: float) -> tuple[int, float, float]:
        from qualipress import codecs, metrics

        if setting not in self.cache:
            total, ss, ps = 0, [], []
            for img in self.images:
                data = self.codec.encode(img, quality=setting)
                dec = codecs.decode_like(self.codec, data, img)
                m = metrics.measure(img, dec, ("ssim", "psnr"))
                total += len(data)
                ss.append(m["ssim"].value)
                ps.append(m["psnr"].value)
            self.cache[setting] = (total, float(min(ss)), float(np.mean(ss)))
        return self.cache[setting]

    def smallest_reaching(self, min_ssim: float) -> dict[str, Any] | None:
        grid = list(self.codec.info.quality.grid)  # lowest quality first
        lo, hi = 0, len(grid) - 1
        if self.at(grid[hi])[1] < min_ssim:
            return None
        while lo < hi:
            mid = (lo + hi) // 2
            if self.at(grid[mid])[1] >= min_ssim:
                hi = mid
            else:
                lo = mid + 1
        total, mn, mean = self.at(grid[lo])
        return {"setting": grid[lo], "bytes_out": total, "ssim_min": round(mn, 4), "ssim_mean": round(mean, 4),
                "encodes_total": len(self.cache) * len(self.images)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--testset", type=Path, default=Path("/tmp/qp-film-testset"))
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-film-profiles"))
    ap.add_argument("--profiles", default="C0,C1,C2")
    ap.add_argument("--codecs", default="jpegxl,jpeg2000,avif,heif")
    ap.add_argument("--baselines", default="jpeg2000,heif")
    args = ap.parse_args()
    from qualipress.film.testset import default_source, make_testset

    if not (args.testset / "testset.json").is_file():
        make_testset(default_source(), args.testset)
    patched = _patch_output_names()
    frames_dir = args.testset / "dpx"
    frames = sorted(frames_dir.rglob("*.dpx"))
    if args.out.exists():
        shutil.rmtree(args.out)
    results: dict[str, Any] = {"patched_output_names": patched, "frames": len(frames), "profiles": {}}
    fixed = {c: Fixed(c, frames) for c in args.baselines.split(",") if c}
    for profile in args.profiles.split(","):
        per_codec = {}
        rows = {}
        for codec in args.codecs.split(","):
            t0 = time.perf_counter()
            recs = run_profile(frames_dir, args.out / profile / codec, profile, codec)
            per_codec[codec] = recs
            rows[codec] = stats(recs) | {"wall_s": round(time.perf_counter() - t0, 1)}
            print(profile, codec, rows[codec], flush=True)
        best = best_of(per_codec)
        rows["best"] = stats(best) | {"codec_wins": {c: sum(r["codec"] == c for r in best) for c in per_codec}}
        print(profile, "best", rows["best"], flush=True)
        base = {}
        for c, fx in fixed.items():
            b = fx.smallest_reaching(rows["best"]["ssim_min"])
            if b is not None:
                b["ratio"] = round(rows["best"]["bytes_in"] / b["bytes_out"], 2)
                b["adaptive_vs_fixed"] = round(rows["best"]["bytes_out"] / b["bytes_out"], 4)
            base[c] = b
            print(profile, "fixed", c, b, flush=True)
        results["profiles"][profile] = {"rows": rows, "fixed_baselines": base}
        (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print("| profile | codec | ratio vs DPX | % saved | SSIM mean | SSIM min | PSNR mean | PSNR min | target met "
          "| encodes/frame | s/frame |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for profile, pr in results["profiles"].items():
        for codec, r in pr["rows"].items():
            print(f"| {profile} | {codec} | {r['ratio']}:1 | {r['saved_pct']} | {r['ssim_mean']} | {r['ssim_min']} | "
                  f"{r['psnr_mean']} | {r['psnr_min']} | {r['target_met']}/{r['frames']} | {r['encodes_per_frame']} | "
                  f"{r['s_per_frame']} |")
        for c, b in pr["fixed_baselines"].items():
            if b:
                print(f"| {profile} | fixed {c} @ {b['setting']} | {b['ratio']}:1 | | {b['ssim_mean']} | "
                      f"{b['ssim_min']} | | | | {b['encodes_total']} total | |")


if __name__ == "__main__":
    main()
