"""Build the QA session 10 material: web-pipeline sources and bad inputs from unseen BSD300-test photos.

Usage (from the repository root)::

    python benchmarks/qa_material.py ../shared/data/train/bsd300_test100 -o /tmp/qa-material

Writes ``OUT/web/`` (what a photo pipeline meets) and ``OUT/bad/`` (what it must refuse or survive), from
BSD300-test ``img_084``–``img_096`` (the setting predictor trained on BSD300-train and Urban100; nothing was
tuned on these). Every file is made with Pillow, imagecodecs, tifffile or OpenImageIO, not with qualipress:

* ``web/``: JPEG q75/q90/q95 4:2:0 with an sRGB ICC profile (``jN_qQ.jpg``); an RGBA PNG whose corners are
  fully transparent; a greyscale PNG; a 16-bit RGB PNG; a JPEG stored rotated with EXIF orientation 6 and an ICC
  profile (its upright original goes to ``OUT/truth/``).
* ``bad/``: truncated JPEG / PNG, an empty file, a PNG named ``.jpg`` and a JPEG named ``.png``, text named
  ``.png``, PNG / JPEG / TIFF / OpenEXR headers claiming 400-10,000 Mpixel, an EXR with NaN and ±Inf, 1×1, 3×5,
  17×1 and 319×241 images, palette PNGs with and without transparency, a CMYK JPEG, an EXIF orientation of 9, a
  16-bit grey+alpha PNG, a two-page TIFF, an animated WebP and GIF, a file name with a space and a non-ASCII
  letter.
"""

from __future__ import annotations

import argparse
import struct
import zlib
from pathlib import Path

import numpy as np


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_claiming(width: int, height: int, depth: int = 8) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 4096))
            + _png_chunk(b"IEND", b""))


def _tiff_claiming(width: int, height: int) -> bytes:
    """A little-endian 8-bit grey TIFF header for ``width`` × ``height`` with a 100-byte strip."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8 + 2 + 12 * 9 + 4), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, 100)]
    head = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", len(entries))
    return head + b"".join(struct.pack("<HHII", *e) for e in entries) + struct.pack("<I", 0) + b"\0" * 100


def _exr(path: Path, px: np.ndarray, window: tuple[int, int] | None = None) -> None:
    """Half-float EXR of ``px``; ``window`` rewrites the header's data window to claim that size."""
    import OpenImageIO as oiio

    spec = oiio.ImageSpec(px.shape[1], px.shape[0], px.shape[2], oiio.HALF)
    out = oiio.ImageOutput.create(str(path))
    out.open(str(path), spec)
    out.write_image(px.astype(np.float32))
    out.close()
    if window:
        data = bytearray(path.read_bytes())
        at = data.find(b"dataWindow\0box2i\0") + len(b"dataWindow\0box2i\0") + 4
        data[at:at + 16] = struct.pack("<4i", 0, 0, window[0] - 1, window[1] - 1)
        path.write_bytes(bytes(data))


def web_material(src: Path, out: Path) -> None:
    """The web-pipeline sources (module docstring)."""
    import imagecodecs
    from PIL import Image, ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

    def photo(n: int) -> Image.Image:
        return Image.open(src / f"img_{n:03d}.png").convert("RGB")

    web, truth = out / "web", out / "truth"
    web.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    for n, q in ((84, 75), (85, 90), (86, 95), (92, 75), (93, 90), (94, 95)):
        photo(n).save(web / f"j{n}_q{q}.jpg", quality=q, subsampling=2, icc_profile=srgb)
    rgb = np.asarray(photo(88))
    h, w = rgb.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    alpha = np.clip((1.3 - np.hypot(x - w / 2, y - h / 2) / (0.5 * min(w, h))) * 255, 0, 255).astype(np.uint8)
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(web / "alpha88.png")
    photo(89).convert("L").save(web / "grey89.png")
    deep = np.asarray(photo(90)).astype(np.float64) * 257
    deep += 100 * np.sin(np.arange(deep.shape[1]) / 7.0)[None, :, None]
    (web / "deep90.png").write_bytes(imagecodecs.png_encode(np.clip(np.rint(deep), 0, 65535).astype(np.uint16)))
    upright = photo(91)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90° clockwise: store the pixels rotated 90° counter-clockwise
    upright.transpose(Image.Transpose.ROTATE_90).save(web / "orient6_91.jpg", quality=90, subsampling=2,
                                                       icc_profile=srgb, exif=exif.tobytes())
    upright.save(truth / "orient6_91.upright.png")


def bad_material(src: Path, out: Path) -> None:
    """The bad inputs (module docstring)."""
    import tifffile
    from PIL import Image

    bad = out / "bad"
    bad.mkdir(parents=True, exist_ok=True)
    jpg = (out / "web" / "j84_q75.jpg").read_bytes()
    png = (src / "img_095.png").read_bytes()
    (bad / "trunc.jpg").write_bytes(jpg[: len(jpg) // 2])
    (bad / "trunc.png").write_bytes(png[: len(png) // 2])
    (bad / "zero.png").write_bytes(b"")
    (bad / "png_named.jpg").write_bytes(png)
    (bad / "jpeg_named.png").write_bytes(jpg)
    (bad / "text.png").write_bytes(b"hello, I am not an image\n" * 10)
    (bad / "bomb.png").write_bytes(_png_claiming(100_000, 100_000))
    (bad / "big400.png").write_bytes(_png_claiming(20_000, 20_000, 16))
    (bad / "bomb.tif").write_bytes(_tiff_claiming(100_000, 100_000))
    sof = jpg.find(b"\xff\xc0")
    (bad / "bomb.jpg").write_bytes(jpg[: sof + 5] + struct.pack(">HH", 60_000, 60_000) + jpg[sof + 9:])
    _exr(bad / "bomb.exr", np.zeros((16, 16, 3)), window=(100_000, 100_000))
    nan = np.full((64, 96, 3), 0.18)
    nan[10, 10, 0], nan[20, 20, 1], nan[30, 30, 2] = np.nan, np.inf, -np.inf
    _exr(bad / "naninf.exr", nan)
    rgb = np.asarray(Image.open(src / "img_095.png").convert("RGB"))
    for name, crop in (("one", rgb[:1, :1]), ("odd3x5", rgb[:5, :3]), ("row17x1", rgb[:1, :17]),
                       ("odd319x241", rgb[:241, :319])):
        Image.fromarray(np.ascontiguousarray(crop)).save(bad / f"{name}.png")
    pal = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    pal.save(bad / "palette.png")
    pal.save(bad / "palette_trns.png", transparency=0)
    other = np.asarray(Image.open(src / "img_096.png").convert("RGB"))
    Image.fromarray(other).convert("CMYK").save(bad / "cmyk.jpg", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 9  # not a valid orientation
    Image.fromarray(other).save(bad / "orient9.jpg", exif=exif.tobytes(), quality=90)
    import imagecodecs

    grey_alpha = np.dstack([other[..., 0].astype(np.uint16) * 257, np.full(other.shape[:2], 40000, np.uint16)])
    (bad / "la16.png").write_bytes(imagecodecs.png_encode(grey_alpha))
    tifffile.imwrite(bad / "twopage.tif", np.stack([other, other[::-1]]), photometric="rgb")
    frames = [Image.fromarray(other), Image.fromarray(np.ascontiguousarray(other[::-1]))]
    for ext in ("gif", "webp"):
        frames[0].save(bad / f"anim.{ext}", save_all=True, append_images=frames[1:], duration=100)
    Image.fromarray(other).save(bad / "sp ace ü.png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path, help="the BSD300-test folder (bsd300_test100)")
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    web_material(args.src, args.out)
    bad_material(args.src, args.out)
    for sub in ("web", "bad"):
        print(sub, sorted(p.name for p in (args.out / sub).iterdir()))


if __name__ == "__main__":
    main()
