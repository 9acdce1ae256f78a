"""Contact sheet: original, preprocessed and decoded JPEG crops (with and without preprocessing) at two qualities.

Usage::

    python benchmarks/preprocess_rd_sheet.py --model kuchen-rd --codec jpeg --qualities 50,75 \
        --images kodim05,kodim19,kodim23 -o docs/img/preprocess_rd_sheet.png

Columns: original, preprocessed, their difference ×8 around grey, then per quality the decoded JPEG without and
with preprocessing. Every column is a crop (``--crop`` px, 8-aligned, shown ``--zoom`` times with nearest-neighbour
scaling) of the same place; the label under each tile gives the whole image's bpp and PSNR against the original.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _paths import DATA


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="kuchen-rd")
    ap.add_argument("--codec", default="jpeg")
    ap.add_argument("--qualities", default="50,75")
    ap.add_argument("--images", default="kodim05,kodim19,kodim23")
    ap.add_argument("--data", default=str(DATA / "kodak"))
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--zoom", type=int, default=2)
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)

    from PIL import Image as PILImage
    from PIL import ImageDraw

    from qualipress import codecs
    from qualipress import metrics as qm
    from qualipress.io import atomic_write_bytes, read_image
    from qualipress.preprocess import get_preprocessor

    pre = get_preprocessor(args.model)
    codec = codecs.get(args.codec)
    qs = [float(q) for q in args.qualities.split(",")]
    rows = []
    for stem in args.images.split(","):
        img = read_image(Path(args.data) / f"{stem}.png").color()
        p = pre(img)
        n = img.width * img.height
        g = img.pixels.astype(np.float32).mean(axis=2)
        # the crop with the most texture (8-aligned), where preprocessing has something to do
        best, pos = -1.0, (0, 0)
        for y in range(0, img.height - args.crop + 1, 64):
            for x in range(0, img.width - args.crop + 1, 64):
                v = float(np.abs(np.diff(g[y : y + args.crop, x : x + args.crop], axis=1)).mean())
                if v > best:
                    best, pos = v, (y, x)
        y0, x0 = pos
        label = Path(args.model).stem if args.model.endswith(".pt") else args.model
        diff = np.clip(128 + 8 * (p.pixels[..., :3].astype(np.int16) - img.pixels[..., :3]), 0, 255)
        tiles = [(img.pixels, f"{stem} original"), (p.pixels, f"preprocessed ({label})"),
                 (diff.astype(np.uint8), "difference x8 (grey = 0)")]
        for q in qs:
            for name, src in (("none", img), (label, p)):
                data = codec.encode(src, quality=q)
                dec = codec.decode(data)
                psnr = qm.measure(img, dec, ("psnr",))["psnr"].value
                tiles.append((dec.pixels[..., :3], f"{name} q{q:g}: {8 * len(data) / n:.2f} bpp {psnr:.2f} dB"))
        rows.append([(t[y0 : y0 + args.crop, x0 : x0 + args.crop, :3], lab) for t, lab in tiles])
    side = args.crop * args.zoom
    label_h = 16
    cols = len(rows[0])
    sheet = PILImage.new("RGB", (cols * side, len(rows) * (side + label_h)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, row in enumerate(rows):
        for c, (tile, lab) in enumerate(row):
            im = PILImage.fromarray(np.ascontiguousarray(tile)).resize((side, side), PILImage.NEAREST)
            sheet.paste(im, (c * side, r * (side + label_h)))
            draw.text((c * side + 2, r * (side + label_h) + side + 2), lab, fill="black")
    import io

    buf = io.BytesIO()
    sheet.save(buf, format="PNG", optimize=True)
    atomic_write_bytes(Path(args.output), buf.getvalue())
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
