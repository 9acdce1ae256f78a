"""Cost of writing a coarse background on the header's fine grid: exact multiples vs RDO vs a real table.

kodim23, 4:4:4. A file whose blocks are all background at quality b, except one block at the header quality
(which puts the fine table in the header), is compared with a plain JPEG at quality b written by the same
encoder (one table). Bytes and whole-image PSNR.

    python benchmarks/roi_multiples.py [--image kodim23] [--header 90]

Writes results/roi/multiples.json.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from _paths import DATA, ROOT


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", default="kodim23")
    ap.add_argument("--header", type=float, default=90)
    args = ap.parse_args()
    import imagecodecs

    from qualipress.io import read_image
    from qualipress.metrics import measure
    from qualipress.roi.encoder import encode_blocks

    img = read_image(DATA / "kodak" / f"{args.image}.png").pixels
    h, w = img.shape[:2]
    rows = []
    for bq in (20, 30, 40, 50):
        lv = np.zeros((-(-h // 8), -(-w // 8)), np.uint8)
        lv[0, 0] = 1
        row = {"bg_quality": bq}
        plain, _ = encode_blocks(img, np.zeros_like(lv), {0: bq}, subsampling="444")
        for name, data in (
            ("real_table", plain),
            ("multiples", encode_blocks(img, lv, {0: bq, 1: args.header}, subsampling="444", mode="multiples")[0]),
            ("rdo", encode_blocks(img, lv, {0: bq, 1: args.header}, subsampling="444", mode="rdo")[0]),
            ("rdo+dc", encode_blocks(img, lv, {0: bq, 1: args.header}, subsampling="444", mode="rdo",
                                     dc_rdo=1.0)[0]),
        ):
            psnr = measure(img, imagecodecs.jpeg8_decode(data), ("psnr",))["psnr"].value
            row[name] = {"bytes": len(data), "bpp": round(8 * len(data) / (h * w), 4), "psnr": round(psnr, 2)}
        rows.append(row)
        print(row, flush=True)
    out = ROOT / "results" / "roi"
    out.mkdir(parents=True, exist_ok=True)
    (out / "multiples.json").write_text(json.dumps({"command": "python benchmarks/roi_multiples.py "
                                                    + " ".join(sys.argv[1:]), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
