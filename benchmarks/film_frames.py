"""Per-frame view of a ``film_profiles.py`` run: worst per-frame ratio and cold vs warm-start encodes.

Usage (after ``benchmarks/film_profiles.py --out /tmp/qp-film-profiles``)::

    .venv/bin/python benchmarks/film_frames.py /tmp/qp-film-profiles

For each profile: the per-frame compression ratio (DPX bytes / output bytes) of the best codec per frame
(smallest output that met the target, the ``--codec auto`` rule): minimum, median, and how many frames beat the
seed's 6:1; SSIM minimum. For each profile and codec: mean encodes of each shot's first frame (cold start) and
of its later frames (warm start from the previous frame).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/qp-film-profiles")
    for prof_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        per_input: dict[str, list[dict]] = {}
        print(f"## {prof_dir.name}")
        for codec_dir in sorted(p for p in prof_dir.iterdir() if p.is_dir()):
            recs = [json.loads(ln) for ln in (codec_dir / "qualipress-report.jsonl").read_text().splitlines()
                    if ln.strip()]
            ok = [r for r in recs if not r.get("error")]
            first: dict[str, str] = {}
            for r in sorted(ok, key=lambda r: r["input"]):
                first.setdefault(str(Path(r["input"]).parent), r["input"])
                per_input.setdefault(r["input"], []).append(r)
            cold = [r["encodes"] for r in ok if first[str(Path(r["input"]).parent)] == r["input"]]
            warm = [r["encodes"] for r in ok if first[str(Path(r["input"]).parent)] != r["input"]]
            print(f"{codec_dir.name:>9}: encodes first frame {np.mean(cold):.2f}, later frames {np.mean(warm):.2f}")
        best = []
        for rs in per_input.values():
            met = [r for r in rs if r["target_met"]] or rs
            best.append(min(met, key=lambda r: r["bytes"]))
        ratios = np.array([r["input_bytes"] / r["bytes"] for r in best])
        ssim = np.array([r["metrics"]["ssim"]["value"] for r in best])
        print(f"best per frame: ratio min {ratios.min():.2f}, median {np.median(ratios):.2f}, "
              f"frames > 6:1: {(ratios > 6).sum()}/{len(ratios)}; SSIM min {ssim.min():.4f}, "
              f"frames with SSIM > 0.95: {(ssim > 0.95).sum()}/{len(ssim)}")


if __name__ == "__main__":
    main()
