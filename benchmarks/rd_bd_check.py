"""Recompute a ``bench rd`` result's BD tables with the ``bjontegaard`` package directly (QA session 17).

Reads ``summary.json`` and the curve files of a results directory, converts SSIM / MS-SSIM to dB of their error
exactly as written here (independently of ``qualipress.metrics``), calls ``bjontegaard.bd_rate`` / ``bd_psnr``
on the same points and prints both figures side by side with the largest absolute difference.

    python benchmarks/rd_bd_check.py results/rd_dir

A curve that is not strictly increasing is refused by bjontegaard ("ERR"); qualipress then computes on the
upper envelope and names the points it left out in the note.
"""

from __future__ import annotations

import argparse
import json
import math
import warnings
from pathlib import Path

import numpy as np


def _axis(metric: str, values: list[float]) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return -10.0 * np.log10(1.0 - v) if "ssim" in metric and "ssimulacra" not in metric else v


def _direct(anchor: dict, test: dict, metric: str, method: str) -> tuple[float, float] | str:
    import bjontegaard as bjd

    args = (anchor["bpp"], _axis(metric, anchor[metric]), test["bpp"], _axis(metric, test[metric]))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return (float(bjd.bd_rate(*args, method=method, require_matching_points=False)),
                    float(bjd.bd_psnr(*args, method=method, require_matching_points=False)))
    except ValueError as exc:
        return f"ERR {exc}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path)
    a = ap.parse_args()
    summary = json.loads((a.results / "summary.json").read_text())
    curves = {}
    for f in a.results.glob("*.json"):
        if f.name != "summary.json":
            obj = json.loads(f.read_text())
            curves[obj["name"]] = obj["results"]
    anchor = curves[summary["anchor"]]
    worst = 0.0
    print("| metric | codec | method | qualipress BD-rate | bjontegaard BD-rate | qualipress BD-metric | "
          "bjontegaard BD-metric |")
    print("|---|---|---|---:|---:|---:|---:|")
    for metric, table in summary["bd"].items():
        for codec, res in table.items():
            for method in ("pchip", "akima"):
                q = res[method]
                d = _direct(anchor, curves[codec], metric, method)
                qr, qm = (math.nan if q[k] is None else q[k] for k in ("bd_rate", "bd_metric"))
                if isinstance(d, str):
                    print(f"| {metric} | {codec} | {method} | {qr:+.4f} % | {d} | {qm:+.4f} | |")
                    continue
                if math.isfinite(qr) and math.isfinite(d[0]):
                    worst = max(worst, abs(qr - d[0]), abs(qm - d[1]))
                print(f"| {metric} | {codec} | {method} | {qr:+.4f} % | {d[0]:+.4f} % | {qm:+.4f} | {d[1]:+.4f} |")
    print(f"\nlargest absolute difference: {worst:.3g}")


if __name__ == "__main__":
    main()
