"""Check ``bench rd`` rows against an independent measurement (QA session 17).

For each image of a results directory's ``rows.csv`` and one setting per codec, encodes the image again with the
codec, compares the file size with the row's ``bytes`` (the whole file, container included) and measures PSNR
with scikit-image on the file decoded by imagecodecs' own decoder (JPEG, WebP, AVIF, JPEG XL; a learned codec
decodes through ``decode_qlc``).

    python benchmarks/rd_point_check.py results/rd_dir DATASET_DIR --setting jpeg=50 --setting webp=50 \
        --setting avif=50 --setting jpegxl=2.5 --setting learned:bmshj2018-hyperprior=4
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def main() -> None:
    import imagecodecs as ic
    from skimage.metrics import peak_signal_noise_ratio

    from qualipress import codecs
    from qualipress.io import read_image
    from qualipress.learned.codec import decode_qlc

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--setting", action="append", default=[], help="CODEC=SETTING")
    a = ap.parse_args()
    settings = {k: float(v) for k, v in (s.rsplit("=", 1) for s in a.setting)}
    decoders = {"jpeg": ic.jpeg8_decode, "webp": ic.webp_decode, "avif": ic.avif_decode, "jpegxl": ic.jpegxl_decode}
    rows = {(r["image"], r["codec"], float(r["setting"])): r
            for r in csv.DictReader((a.results / "rows.csv").read_text().splitlines())}
    print("| image | codec | setting | bytes (row) | bytes (again) | PSNR (row) | PSNR (scikit-image) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for image in sorted({k[0] for k in rows}):
        src = read_image(a.dataset / image)
        for codec, setting in settings.items():
            row = rows.get((image, codec, setting))
            if row is None:
                continue
            data = codecs.get(codec).encode(src, quality=setting, **(
                {"weights": "shipped"} if codec.startswith("learned:") else {}))
            decoded = decoders[codec](data) if codec in decoders else decode_qlc(data).pixels
            psnr = peak_signal_noise_ratio(src.pixels, decoded.reshape(src.pixels.shape), data_range=255)
            print(f"| {image} | {codec} | {setting:g} | {row['bytes']} | {len(data)} | "
                  f"{float(row['psnr-rgb']):.4f} | {psnr:.4f} |")


if __name__ == "__main__":
    main()
