"""Cold single-photo ``compress`` runs as a user makes them, re-measured independently.

One ``qualipress compress PHOTO --codec C (--target T | --profile P) --json`` process per photo x codec x target;
then the output is decoded with Pillow (JPEG, PNG, WebP; EXIF orientation applied) or imagecodecs (AVIF, JPEG XL)
and measured against the upright source with scikit-image's SSIM (Gaussian window, σ 1.5, population
covariances: the project's definition), its per-pixel map's worst 256-px tile, and a NumPy PSNR. A run misses when
the independent values break the target (``ssim>=V``, ``psnr>=V``, ``ssim@min>=V`` are checked).

    python benchmarks/cold_compress_check.py DIR --limit 8 --codecs jpeg,jpegxl,avif \
        --targets "ssim>=0.95;C1" -o OUT [--src PATH_TO_SRC]

Prints one Markdown row per codec x target (report's encodes, probes of the requested codec, misses, largest SSIM
difference to the report, outputs larger than the input, process CPU) and writes OUT/rows.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from _paths import ROOT

SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp")


def _decode(path: Path) -> np.ndarray:
    from PIL import Image, ImageOps

    if path.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"):
        with Image.open(path) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    import imagecodecs

    return np.asarray(imagecodecs.imread(path.read_bytes()))[..., :3]


def _independent(ref: np.ndarray, out: np.ndarray) -> dict[str, float]:
    from skimage.metrics import structural_similarity

    value, smap = structural_similarity(ref, out, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                        use_sample_covariance=False, data_range=255, full=True)
    m = smap.mean(axis=2)
    tiles = [m[y:y + 256, x:x + 256].mean() for y in range(0, m.shape[0], 256) for x in range(0, m.shape[1], 256)]
    mse = float(np.mean((ref.astype(np.float64) - out.astype(np.float64)) ** 2))
    return {"ssim": float(value), "ssim@min": float(min(tiles)),
            "psnr": 100.0 if mse == 0 else float(10 * np.log10(255.0**2 / mse))}


def _constraints(target: str) -> list[tuple[str, float]]:
    """``(key, threshold)`` of a target or a built-in profile name (``ssim``, ``ssim@min``, ``psnr``; others are
    left out of the independent check)."""
    from qualipress.profiles import builtin_profiles
    from qualipress.search import parse_target

    profiles = builtin_profiles()
    parsed = profiles[target].target if target in profiles else parse_target(target)
    out = []
    for c in parsed.constraints:
        key = c.metric if c.stat == "mean" else f"{c.metric}@{c.stat}"
        if c.scope is None and c.op == ">=":
            out.append((key, float(c.value)))
    return out


def _run(photo: Path, codec: str, target: str, out: Path, env: dict[str, str]) -> dict[str, Any]:
    from qualipress.profiles import builtin_profiles

    how = ["--profile", target] if target in builtin_profiles() else ["--target", target]
    cmd = [sys.executable, "-m", "qualipress.cli", "compress", str(photo), "-o", str(out), "--codec", codec, *how,
           "--json", "--overwrite"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    row: dict[str, Any] = {"photo": photo.name, "codec": codec, "target": target, "rc": proc.returncode,
                           "cpu": after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime}
    try:
        summary = json.loads(proc.stdout)
        entry = summary["per_file"][0]
        rec = [json.loads(line) for line in Path(summary["report"]).read_text().splitlines()][-1]
    except (ValueError, KeyError, IndexError):
        row["error"] = proc.stderr[-400:]
        return row
    probes = rec.get("probes") or []
    row.update(out_codec=entry["codec"], bytes=entry["bytes"], input_bytes=entry["input_bytes"],
               encodes=rec["encodes"], codec_probes=sum(p["codec"] == codec for p in probes),
               report_ssim=rec["metrics"]["ssim"]["value"])
    measured = _independent(_decode(photo), _decode(Path(entry["output"])))
    row["measured"] = measured
    row["miss"] = any(measured[key] < value for key, value in _constraints(target) if key in measured)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=8)
    ap.add_argument("--codecs", default="jpeg,jpegxl,avif")
    ap.add_argument("--targets", default="ssim>=0.95;C1")
    ap.add_argument("--src", default=str(ROOT / "src"), help="qualipress sources to run (e.g. an older commit's)")
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=args.src, COLUMNS="200")
    photos = sorted(p for p in args.dataset.absolute().iterdir() if p.suffix.lower() in SUFFIXES)[: args.limit]
    rows = []
    for photo in photos:
        for codec in args.codecs.split(","):
            for target in args.targets.split(";"):
                safe = target.replace(">=", "ge").replace("@", "_")
                rows.append(_run(photo, codec, target, args.output / f"{codec}_{safe}", env))
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "rows.json").write_text(json.dumps(rows, indent=1))
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["codec"], row["target"])].append(row)
    print("| codec | target | runs | errors | encodes (report) mean / max | codec probes mean / max | misses "
          "| max abs dSSIM | outputs > input | process CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (codec, target), group in groups.items():
        ok = [r for r in group if "error" not in r]
        if not ok:
            print(f"| {codec} | {target} | {len(group)} | {len(group)} | | | | | | |")
            continue
        enc = [r["encodes"] for r in ok]
        cp = [r["codec_probes"] for r in ok]
        print(f"| {codec} | {target} | {len(group)} | {len(group) - len(ok)} | {statistics.mean(enc):.2f} / "
              f"{max(enc)} | {statistics.mean(cp):.2f} / {max(cp)} | {sum(r['miss'] for r in ok)} | "
              f"{max(abs(r['measured']['ssim'] - r['report_ssim']) for r in ok):.1e} | "
              f"{sum(r['bytes'] > r['input_bytes'] for r in ok)} | "
              f"{statistics.mean(r['cpu'] for r in ok):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
