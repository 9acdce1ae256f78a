"""Digital letterbox bars on a grainy 2K frame: does the C1 grain check still apply?

Usage (from the repository root)::

    python benchmarks/film_frame_cpu.py --out /tmp/qp-fc --codec htj2k --frames 3 --frames-dir /tmp/qp-frames
    python benchmarks/film_letterbox.py --frame /tmp/qp-frames/Bonita/Bonita.0086400.dpx --out /tmp/qp-letterbox

Writes two copies of ``--frame`` (a grainy 10-bit DPX, e.g. the first frame ``film_archive_speed.make_frames``
writes) with constant black bars (code 64) over 25.6 % of the rows (2.39:1 scope in a 16:9 container) and 44 %
(scope in 4:3), then runs ``qualipress compress DIR -o OUT --profile C1 --codec htj2k`` on each and prints the
output bytes, encodes and the report's grain and colour-grain figures (whether the check applied, on how many
blocks). Run it once per version of ``src`` (``PYTHONPATH``) to compare.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from qualipress.io import dpx, read_image

BARS = {"scope169": 0.256, "scope43": 0.44}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frame", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--codec", default="htj2k")
    a = ap.parse_args()
    px = read_image(a.frame).pixels
    h = px.shape[0]
    for name, frac in BARS.items():
        n = int(round(h * frac / 2))
        boxed = px.copy()
        boxed[:n] = 64
        boxed[h - n:] = 64
        src = a.out / "frames" / name / f"{name}.0086400.dpx"
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_bytes(dpx.encode_dpx(boxed, bit_size=10, frame_rate=24, frame=86400))
        out = a.out / "out" / name
        subprocess.run([sys.executable, "-m", "qualipress", "compress", str(src.parent), "-o", str(out),
                        "--profile", "C1", "--codec", a.codec], check=True, capture_output=True)
        for line in (out / "qualipress-report.jsonl").read_text().splitlines():
            r = json.loads(line)
            film = r.get("film") or {}
            if "grain" not in film:
                continue
            g, c = film["grain"], film["colour_grain"]
            print(f"{name}: bars {frac:.1%}, {r.get('bytes')} B, {r.get('encodes')} encodes; grain applies "
                  f"{g['applies']} on {g['blocks']} blocks (corr {g['corr']}); colour grain applies {c['applies']}"
                  + (f" ({g['why']})" if g.get("why") else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
