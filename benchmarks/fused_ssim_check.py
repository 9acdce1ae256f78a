"""The fused SSIM kernels (``qualipress.metrics.fused``) against the OpenCV path: values, speed, cold-process cost.

Usage::

    PYTHONPATH=src python benchmarks/fused_ssim_check.py ../shared/data/kodak --limit 24 --json /tmp/fused.json

For each image and JPEG quality (a probe), both paths measure the same reference and probe: the largest
differences of the whole-image SSIM, the 256-px tile SSIM, the per-pixel SSIM map and PSNR are reported, with each
path's largest per-pixel and whole-image error against the float64 definition (``Reference.precise``). Speed:
CPU milliseconds (``time.process_time``, best of 5) of preparing a reference and of measuring one probe
(``Reference.reduced``, the full-image probes' call; ``Reference.maps``, the mosaic's), per path. Cold process:
fresh interpreters measuring one probe with each path, split into importing ``qualipress.metrics``, importing
numba and the kernels (numba's on-disk cache already written), and the first measurement (the kernels' cache load).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _timing import best_of

from qualipress import codecs as _codecs
from qualipress.io import IMAGE_SUFFIXES, read_image
from qualipress.metrics import core

QUALITIES = (30, 50, 70, 85, 95)

_COLD = r"""
import sys, time
t0 = time.perf_counter()
from qualipress.io import read_image
from qualipress.metrics import core
core.USE_FUSED = sys.argv[2] == "fused"
img = read_image(sys.argv[1])
dis = img.with_pixels((img.pixels // 4) * 4)
t1 = time.perf_counter()
if core.USE_FUSED:
    core._fused()
t2 = time.perf_counter()
core.Reference(img).reduced(dis)
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def _best(f: Callable[[], Any], n: int = 5) -> float:
    return best_of(f, n) * 1e3


def _with(fused: bool, f: Callable[[], Any]) -> Any:
    old, core.USE_FUSED = core.USE_FUSED, fused
    try:
        return f()
    finally:
        core.USE_FUSED = old


def compare(files: list[Path]) -> dict[str, Any]:
    """Largest differences between the paths and against float64, over every probe of every image."""
    codec = _codecs.get("jpeg")
    worst: dict[str, float] = {}
    probes = 0

    def note(key: str, value: float) -> None:
        worst[key] = max(worst.get(key, 0.0), float(value))

    for f in files:
        img = read_image(f)
        fused = core.Reference(img)
        plain = _with(False, lambda img=img: core.Reference(img))
        exact = fused.precise()
        for q in QUALITIES:
            dis = _codecs.decode_like(codec, codec.encode(img, quality=q), img)
            a = fused.reduced(dis)
            b = _with(False, lambda dis=dis, plain=plain: plain.reduced(dis))
            e = exact.reduced(dis)
            mb = _with(False, lambda dis=dis, plain=plain: plain.maps(dis)[0])
            ma, me = fused.maps(dis)[0], exact.maps(dis)[0]
            note("ssim: fused - opencv", abs(a[0] - b[0]))
            note("ssim 256-px tiles: fused - opencv", np.abs(a[1] - b[1]).max())
            note("ssim per pixel: fused - opencv", np.abs(ma - mb).max())
            note("psnr dB: fused - opencv", abs(core._psnr_from_mse(a[2]) - core._psnr_from_mse(b[2])))
            note("ssim: fused - float64", abs(a[0] - e[0]))
            note("ssim: opencv - float64", abs(b[0] - e[0]))
            note("ssim per pixel: fused - float64", np.abs(ma - me).max())
            note("ssim per pixel: opencv - float64", np.abs(mb - me).max())
            probes += 1
    return {"probes": probes, "max_abs": worst}


def speed(files: list[Path]) -> dict[str, float]:
    """Median over images of the best-of-5 CPU ms per call, per path."""
    codec = _codecs.get("jpeg")
    rows: dict[str, list[float]] = {}
    for f in files:
        img = read_image(f)
        dis = _codecs.decode_like(codec, codec.encode(img, quality=85), img)
        for fused in (False, True):
            name = "fused" if fused else "opencv"
            ref = _with(fused, lambda img=img: core.Reference(img))
            rows.setdefault(f"reference preparation, {name}", []).append(
                _with(fused, lambda img=img: _best(lambda: core.Reference(img))))
            rows.setdefault(f"probe reduced(), {name}", []).append(
                _with(fused, lambda ref=ref, dis=dis: _best(lambda: ref.reduced(dis))))
            rows.setdefault(f"probe maps(), {name}", []).append(
                _with(fused, lambda ref=ref, dis=dis: _best(lambda: ref.maps(dis))))
    return {k: round(float(np.median(v)), 2) for k, v in rows.items()}


def cold(image: Path, rounds: int = 3) -> dict[str, list[float]]:
    """Seconds (wall) of fresh processes: import, kernels import, first measurement; per path, median of rounds."""
    out: dict[str, list[float]] = {}
    for mode in ("opencv", "fused"):
        runs = []
        for _ in range(rounds):
            res = subprocess.run([sys.executable, "-c", _COLD, str(image), mode], capture_output=True, text=True,
                                 check=True)
            runs.append([float(v) for v in res.stdout.split()])
        out[mode] = [round(float(np.median(col)), 3) for col in zip(*runs, strict=True)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--limit", type=int, default=24)
    ap.add_argument("--speed-limit", type=int, default=6, help="images timed (default 6)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    files = sorted(p for p in args.dataset.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[: args.limit]
    report = {"values": compare(files), "cpu_ms": speed(files[: args.speed_limit]),
              "cold_s [import qualipress.metrics, import numba + kernels, first probe]": cold(files[0])}
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
