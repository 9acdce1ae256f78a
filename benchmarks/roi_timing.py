"""Encode-time breakdown of jpeg-roi (detection, refinement, DCT/quantisation, entropy coding) vs plain JPEG.

Runs on the landscape 768x512 Kodak images (models loaded and the compiled trellis loaded once first; both cold
loads are reported apart). Each stage is the median over ``--repeat`` runs per image, then the median (and the max)
over images; the two totals are also given as wall and CPU seconds (``process_time``: every thread of the process)
with the slowest single run. The machine's load average is recorded: on a shared 2-core machine other jobs inflate
every wall-clock number.

    python benchmarks/roi_timing.py [--repeat 3] [--classes faces,persons,text]

Writes results/roi/timing_<classes>[_<tag>].json. ``--scales 1`` times person detection without tiles.
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


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--classes", default="faces,persons,text")
    ap.add_argument("--limit", type=int, default=8)
    ap.add_argument("--scales", default="", help="person tile scales, e.g. 1 (whole image only); default 1,2")
    ap.add_argument("--fine-scale", type=int, default=None,
                    help="scale of the person fine pass (default: the library's 4; 0 = no fine pass)")
    ap.add_argument("--no-face-crops", action="store_true",
                    help="person segmentation without the crops framed on unexplained faces (session 8 and before)")
    ap.add_argument("--person-min-mean", type=float, default=None,
                    help="smallest mean probability of a kept person component (default: the library's; 0 = session 9)")
    ap.add_argument("--tag", default="", help="suffix of the output file")
    ap.add_argument("--options", default="{}", help='JSON of encode_roi options, e.g. \'{"trellis": "off"}\'')
    ap.add_argument("--quality", type=float, default=85.0)
    args = ap.parse_args()
    if args.no_face_crops:
        from qualipress.detect import api

        api.FACE_HINTED = frozenset()
    if args.scales or args.fine_scale is not None or args.person_min_mean is not None:
        from functools import partial

        from qualipress.detect import api
        from qualipress.detect.persons import detect_persons_mediapipe

        tiles: dict = {}
        if args.scales:
            tiles["scales"] = tuple(int(k) for k in args.scales.split(","))
        if args.fine_scale is not None:
            tiles["fine_scale"] = args.fine_scale or None
        if args.person_min_mean is not None:
            tiles["min_mean"] = args.person_min_mean
        api.BACKENDS["persons"]["mediapipe"] = partial(detect_persons_mediapipe, **tiles)
    import imagecodecs
    import pyjpegli

    from qualipress.detect import detect_report
    from qualipress.io import read_image
    from qualipress.roi import RoiJpegCodec
    from qualipress.roi.mask import analyse

    paths = [p for p in sorted((DATA / "kodak").glob("*.png"))]
    imgs = []
    for p in paths:
        im = read_image(p)
        if (im.width, im.height) == (768, 512):
            imgs.append((p.name, im))
    imgs = imgs[: args.limit]
    if not imgs:
        print("no 768x512 Kodak images found", file=sys.stderr)
        return 1
    classes = [c for c in args.classes.split(",") if c]
    options = json.loads(args.options)
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    detect_report(imgs[0][1], classes)
    cold = time.perf_counter() - t0
    codec = RoiJpegCodec()
    first = analyse(imgs[0][1], classes)
    t0 = time.perf_counter()
    codec.encode_roi(imgs[0][1], quality=args.quality, analysis=first, **options)
    cold_encode = time.perf_counter() - t0  # first encode: loads numba and the cached trellis kernels
    slowest: dict[str, float] = {}
    per: dict[str, list[float]] = {}

    def add(k: str, v: float) -> None:
        per.setdefault(k, []).append(v)

    for _name, im in imgs:
        runs: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            t, c0 = time.perf_counter(), time.process_time()
            an = analyse(im, classes)
            t_an, c_an = time.perf_counter() - t, time.process_time() - c0
            t, c = time.perf_counter(), time.process_time()
            enc = codec.encode_roi(im, quality=args.quality, analysis=an, **options)
            t_enc, c_enc = time.perf_counter() - t, time.process_time() - c
            runs.setdefault("jpeg-roi total incl. detection, CPU seconds (process_time)", []).append(c_an + c_enc)
            for k, v in (("wall", t_an + t_enc), ("cpu", c_an + c_enc)):
                slowest[k] = max(slowest.get(k, 0.0), v)
            # CPU seconds of the encode (all threads of the process): close to the idle wall time when other jobs
            # load the machine (the encode itself is single-threaded numpy and libjpeg)
            runs.setdefault("encode total, CPU seconds (process_time)", []).append(c_enc)
            for k, v in an.seconds.items():
                runs.setdefault(f"detect:{k}", []).append(v)
            runs.setdefault("detect+refine total", []).append(t_an)
            runs.setdefault("per-image traits (adapt: chroma energy)", []).append(enc.stats.seconds.get("traits", 0.0))
            runs.setdefault("dct+quantise", []).append(enc.stats.seconds["dct_quant"])
            runs.setdefault("entropy coding + write (libjpeg)", []).append(enc.stats.seconds["entropy_write"])
            runs.setdefault("encode total (block map + DCT + entropy)", []).append(t_enc)
            runs.setdefault("jpeg-roi total incl. detection", []).append(t_an + t_enc)
            t = time.perf_counter()
            imagecodecs.jpeg8_encode(im.pixels, level=85, optimize=True, subsampling="420")
            runs.setdefault("plain JPEG libjpeg-turbo q85", []).append(time.perf_counter() - t)
            t = time.perf_counter()
            px = np.ascontiguousarray(im.pixels)
            pyjpegli.encode(px.tobytes(), im.width, im.height, 85)
            runs.setdefault("jpegli q85", []).append(time.perf_counter() - t)
        for k, v in runs.items():
            add(k, float(np.median(v)))
    summary = {
        "command": "python benchmarks/roi_timing.py " + " ".join(sys.argv[1:]),
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "loadavg_start": [round(x, 2) for x in load0],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "images": [n for n, _ in imgs],
        "classes": classes,
        "quality": args.quality,
        "options": options,
        "cold_model_load_and_first_detect_s": round(cold, 3),
        "cold_first_encode_s": round(cold_encode, 3),
        "median_seconds": {k: round(float(np.median(v)), 4) for k, v in per.items()},
        "max_seconds": {k: round(float(np.max(v)), 4) for k, v in per.items()},
        "slowest_single_run_incl_detection_s": {k: round(v, 4) for k, v in slowest.items()},
    }
    out = ROOT / "results" / "roi"
    out.mkdir(parents=True, exist_ok=True)
    suffix = f"_{args.tag}" if args.tag else ""
    (out / f"timing_{'-'.join(classes)}{suffix}.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))
    med, mx = summary["median_seconds"], summary["max_seconds"]
    wall, cpu = "jpeg-roi total incl. detection", "jpeg-roi total incl. detection, CPU seconds (process_time)"
    print(f"jpeg-roi incl. detection, {len(imgs)} images x {args.repeat}: wall median {med[wall]:.3f} s, max "
          f"{mx[wall]:.3f} s (slowest run {slowest['wall']:.3f}); CPU median {med[cpu]:.3f} s, max {mx[cpu]:.3f} s "
          f"(slowest run {slowest['cpu']:.3f}); load average {summary['loadavg_start'][0]} -> "
          f"{summary['loadavg_end'][0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
