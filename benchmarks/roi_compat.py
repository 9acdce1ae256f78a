"""Decoder compatibility of jpeg-roi outputs: Pillow, OpenCV, imagecodecs and headless Chromium.

Every image of ../shared/data/people (and Kodak with --kodak) is encoded with jpeg-roi at quality 85 (ROI 85,
background 38), in 4:4:4 and 4:2:0, then decoded by each decoder; the table reports failures and the largest
pixel difference to libjpeg-turbo (imagecodecs).

    python benchmarks/roi_compat.py [--kodak]

Writes results/roi/compat.json.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from _paths import DATA, ROOT


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kodak", action="store_true")
    args = ap.parse_args()
    from qualipress.io import read_image
    from qualipress.roi import RoiJpegCodec
    from qualipress.roi.compat import compare_decoders, decode_chromium

    paths = sorted(p for p in (DATA / "people").rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    if args.kodak:
        paths += sorted((DATA / "kodak").glob("*.png"))
    codec = RoiJpegCodec()
    files: list[tuple[str, bytes]] = []
    for p in paths:
        img = read_image(p)
        for sub in ("444", "420"):
            files.append((f"{p.name}:{sub}", codec.encode(img, quality=85, subsampling=sub)))
    try:
        chrome = decode_chromium([d for _, d in files])
        chrome_error = None
    except Exception as exc:  # report, do not hide
        chrome = [None] * len(files)
        chrome_error = str(exc)
    rows = []
    worst: dict[str, int] = {}
    for (name, data), ch in zip(files, chrome, strict=True):
        rep = compare_decoders(data, chromium=ch)
        rep["file"] = name
        rep["bytes"] = len(data)
        rows.append(rep)
        for dec in ("pillow", "opencv", "imagecodecs", "chromium"):
            if dec in rep and rep[dec]["max_abs_diff"] is not None:
                worst[dec] = max(worst.get(dec, 0), rep[dec]["max_abs_diff"])
            elif dec in rep:
                worst[dec] = 999
    summary = {
        "command": "python benchmarks/roi_compat.py " + " ".join(sys.argv[1:]),
        "files": len(files),
        "chromium_error": chrome_error,
        "max_abs_diff_vs_libjpeg_turbo": worst,
        "all_same_size": all(all(r[d]["same_size"] for d in r if isinstance(r[d], dict)) for r in rows),
        "mean_bytes": float(np.mean([r["bytes"] for r in rows])),
    }
    out = ROOT / "results" / "roi"
    out.mkdir(parents=True, exist_ok=True)
    (out / "compat.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
