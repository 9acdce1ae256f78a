"""Encode/decode time and peak memory per codec on this CPU (Kodak, one setting per codec).

Each codec runs in a fresh Python process so that its peak resident memory (``ru_maxrss``) is its own:
reported as the peak of the whole process and as the increase over the baseline after imports and image
loading (so model loading for the learned codec counts). Times are medians over 4 Kodak images x 2 repeats,
after one warm-up encode/decode.

    python benchmarks/rd_speed.py            # all codecs -> results/rd_speed.json and a markdown table
    python benchmarks/rd_speed.py learned:bmshj2018-hyperprior 4    # one codec, one JSON line
    python benchmarks/rd_speed.py learned:bmshj2018-hyperprior 4 refine=10   # with encoder options KEY=VALUE
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time

from _paths import DATA, ROOT

SETTINGS = {"pillow-jpeg": 75, "jpeg": 75, "jpegli": 75, "jpeg2000": 35, "jpegxl": 1.8, "avif": 65, "webp": 75,
            "heif": 65, "learned:bmshj2018-hyperprior": 4}
IMAGES = ["kodim01.png", "kodim05.png", "kodim15.png", "kodim23.png"]


def one(codec_name: str, setting: float, options: dict | None = None) -> dict:
    import numpy as np

    from qualipress.codecs import decode_like
    from qualipress.io import read_image
    from qualipress.rd.reference import get_codec

    torch_threads = None
    if codec_name.startswith("learned:"):
        import torch

        torch_threads = torch.get_num_threads()
    images = [read_image(DATA / "kodak" / n) for n in IMAGES]
    codec = get_codec(codec_name)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    options = options or {}
    decode_like(codec, codec.encode(images[0], quality=setting, **options), images[0])  # warm-up (model load)
    enc, dec, enc_cpu, dec_cpu, bpp = [], [], [], [], []
    for img in images:
        for _ in range(2):
            t0, c0 = time.perf_counter(), time.process_time()
            data = codec.encode(img, quality=setting, **options)
            t1, c1 = time.perf_counter(), time.process_time()
            decode_like(codec, data, img)
            t2, c2 = time.perf_counter(), time.process_time()
            enc.append(t1 - t0)
            dec.append(t2 - t1)
            enc_cpu.append(c1 - c0)
            dec_cpu.append(c2 - c1)
        bpp.append(len(data) * 8 / (img.width * img.height))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"codec": codec_name, "setting": setting, "options": options, "version": codec.version(),
            "encode_s": statistics.median(enc),
            "decode_s": statistics.median(dec),
            # CPU seconds of the process (all threads): on a machine loaded by other jobs, wall time is inflated
            # by waiting for a core; CPU time is not
            "encode_cpu_s": statistics.median(enc_cpu), "decode_cpu_s": statistics.median(dec_cpu),
            "bpp": float(np.mean(bpp)), "peak_rss_mb": peak / 1024,
            "peak_over_baseline_mb": (peak - base) / 1024, "torch_threads": torch_threads}


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] != "--all":
        opts = {k: int(v) if v.isdigit() else v for k, _, v in (a.partition("=") for a in sys.argv[3:])}
        print(json.dumps(one(sys.argv[1], float(sys.argv[2]), opts)))
        return 0
    rows = []
    for name, s in SETTINGS.items():
        p = subprocess.run([sys.executable, "-W", "ignore", __file__, name, str(s)], capture_output=True, text=True)
        if p.returncode != 0:
            print(f"{name}: failed: {p.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            continue
        rows.append(json.loads(p.stdout.strip().splitlines()[-1]))
    out = ROOT / "results" / "rd_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    print("| codec | setting | bpp | encode (s) | decode (s) | encode CPU (s) | decode CPU (s) | peak RSS (MB) "
          "| peak over baseline (MB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['codec']} | {r['setting']:g} | {r['bpp']:.3f} | {r['encode_s']:.3f} | {r['decode_s']:.3f} | "
              f"{r['encode_cpu_s']:.3f} | {r['decode_cpu_s']:.3f} | {r['peak_rss_mb']:.0f} | "
              f"{r['peak_over_baseline_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
