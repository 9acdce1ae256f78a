"""Peak memory of one lossy JPEG XL encode of a grainy 2K 10-bit frame, by encoder path and setting.

Usage (from the repository root)::

    python benchmarks/film_jxl_encode_memory.py --out /tmp/qp-jxl-encode-memory

The frame is the first of ``film_archive_speed.make_frames`` (one shot of one frame). Each configuration runs in
a fresh process: it loads the frame, encodes a 64×64 crop once (so the libraries' code is paged in), resets the
peak (``/proc/self/clear_refs``), encodes the frame once and reports the peak resident set over the resident set
before the encode, in MB and × the frame as 16-bit RGB (2048×1080×3×2 bytes), with the bytes, a digest of the
codestream and the encode's CPU seconds. Paths: ``imagecodecs`` (``jpegxl_encode``, what the ``jpegxl`` codec
uses for film frames) with ``--threads`` of libjxl's pool, an effort, or float32 input (samples ÷ 1023); ``api``
(libjxl's encoder API through :mod:`qualipress.codecs.jxlapi`, RGB tagged linear as imagecodecs tags it) with
``JXL_ENC_FRAME_SETTING_BUFFERING`` set to a value. Writes ``results.json``. Linux only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import hashlib, json, sys, time
import numpy as np
import imagecodecs
from qualipress.codecs import jxlapi
from qualipress.io import read_image

cfg = json.loads(sys.argv[2])
px = np.ascontiguousarray(read_image(sys.argv[1]).pixels)
effort, distance, threads = cfg.get("effort", 7), cfg["distance"], cfg.get("threads", 2)
imagecodecs.jpegxl_encode(px[:64, :64].copy(), lossless=False, distance=distance, effort=effort,
                          numthreads=threads, bitspersample=10)

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024

src = px.astype(np.float32) / 1023 if cfg.get("float") else px
if cfg["path"] == "api":
    lib = jxlapi._libs()[0]
    plain = lib.JxlEncoderFrameSettingsSetOption

    def with_buffering(frame, key, value):  # set the buffering mode next to the effort
        status_ = plain(frame, key, value)
        if key == 0:
            assert plain(frame, 34, cfg["buffering"]) == 0
        return status_

    lib.JxlEncoderFrameSettingsSetOption = with_buffering
    jxlapi.encode(px[:64, :64].copy(), bits=10, colour_space="rgb", transfer=8, distance=distance, effort=effort)
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS")
c0 = time.process_time()
if cfg["path"] == "api":
    data = jxlapi.encode(px, bits=10, colour_space="rgb", transfer=8, distance=distance, effort=effort)
else:
    data = imagecodecs.jpegxl_encode(src, lossless=False, distance=distance, effort=effort, numthreads=threads,
                                     bitspersample=None if cfg.get("float") else 10)
cpu = time.process_time() - c0
peak = status("VmHWM") - before
print(json.dumps({**cfg, "peak_mb": round(peak, 1), "x_frame": round(peak / (px.size * 2 / 2**20), 2),
                  "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()[:16], "cpu_s": round(cpu, 2)}))
"""

CONFIGS = [
    {"path": "imagecodecs", "threads": 2},
    {"path": "imagecodecs", "threads": 1},
    {"path": "imagecodecs", "threads": 2, "effort": 5},
    {"path": "imagecodecs", "threads": 2, "effort": 3},
    {"path": "imagecodecs", "threads": 2, "float": True},
    {"path": "api", "buffering": -1},
    {"path": "api", "buffering": 2},
    {"path": "api", "buffering": 3},
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qp-jxl-encode-memory"))
    ap.add_argument("--distance", type=float, default=0.4342)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from film_archive_speed import fresh_frames

    frame = fresh_frames(args.out, args.source, 1, 1)[0]
    rows = []
    for cfg in CONFIGS:
        run = subprocess.run([sys.executable, "-c", CHILD, str(frame), json.dumps({**cfg, "distance": args.distance})],
                             capture_output=True, text=True)
        if run.returncode:
            sys.exit(run.stderr)
        rows.append(json.loads(run.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"{json.dumps(cfg)}: +{r['peak_mb']} MB = {r['x_frame']}x the frame, {r['bytes']:,} B "
              f"sha256 {r['sha256']}, {r['cpu_s']} CPU-s", flush=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
