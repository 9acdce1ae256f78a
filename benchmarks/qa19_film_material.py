"""Build the QA session 19 film material: odd-width 16/12-bit DPX, orientation, very dark log, duplicated and
linked frames, a zero-byte frame, a TIFF shot of mixed depths with a gap, an EXR shot with one NaN frame, RLE and
signed DPX headers, upper-case extensions.

Usage (from the repository root)::

    python benchmarks/qa19_film_material.py -o /tmp/qa19film/m

Pixels come from :mod:`qa17_film_material` (grainy Cineon-log scene, σ R/G/B 5/7/10 codes, correlation 0.8) and
are written by its SMPTE 268M writer, ``tifffile`` and the OpenEXR bindings (never by qualipress);
``OUT/truth/<set>/<stem>.npy`` holds the code values.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import qa17_film_material as m

W, H = 384, 216


def _truth(out: Path, sub: str, stem: str, code: np.ndarray) -> None:
    p = out / "truth" / sub
    p.mkdir(parents=True, exist_ok=True)
    np.save(p / f"{stem}.npy", code)


def _patch(path: Path, off: int, fmt: str, *vals: object) -> None:
    raw = bytearray(path.read_bytes())
    e = ">" if raw[:4] == b"SDPX" else "<"
    struct.pack_into(e + fmt, raw, off, *vals)
    path.write_bytes(bytes(raw))


def build(out: Path, big: bool) -> None:
    rng = np.random.default_rng(19)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    def code(bits: int = 10, w: int = W, h: int = H, **kw: object) -> np.ndarray:
        return m.frame(rng, w, h, bits=bits, **kw)[0]

    # odd widths: 2047×857 16-bit both byte orders, 12-bit filled method A, 10-bit method B little-endian
    ow, oh = (2047, 857) if big else (511, 213)
    d = out / "odd"
    for name, bits, kw in (("odd16be", 16, {"packing": 0}), ("odd16le", 16, {"packing": 0, "big": False}),
                           ("odd12a", 12, {"packing": 1}), ("odd10b_le", 10, {"packing": 2, "big": False})):
        c = code(bits, ow, oh)
        m.write_dpx(d / f"{name}.dpx", c, bits=bits, **kw)
        _truth(out, "odd", name, c)

    # orientation 2 (bottom to top) and 1 (right to left): the same stored pixels as plain.dpx
    d = out / "orient"
    c = code()
    for name, o in (("plain", 0), ("bottomup", 2), ("rightleft", 1)):
        m.write_dpx(d / f"{name}.dpx", c)
        _patch(d / f"{name}.dpx", 768, "H", o)
    _truth(out, "orient", "stored", c)

    # very dark log: clean plate 64-100 codes (gradient + a patch at 70), grain σ 5/7/10 × 0.4
    d = out / "dark"
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    for n in range(1001, 1006):
        clean = 64.0 + 36.0 * (x / W) * (0.5 + 0.5 * y / H)
        clean = np.repeat(clean[..., None], 3, -1)
        clean[60:140, 40:160] = 70.0
        g = m.grain(rng, W, H, scale=0.4)
        c = np.clip(np.rint(clean + g), 0, 1023).astype(np.uint16)
        m.write_dpx(d / f"dark.{n}.dpx", c, frame_no=n)
        _truth(out, "dark", f"dark.{n}", c)

    # a shot with frame 1004 a byte-for-byte copy of 1003 (a duplicated scan frame)
    d = out / "dup"
    for n in (1001, 1002, 1003, 1005, 1006):
        m.write_dpx(d / f"dup.{n}.dpx", code(), frame_no=n)
    shutil.copyfile(d / "dup.1003.dpx", d / "dup.1004.dpx")

    # links: 1003 a relative symlink to 1002, 1004 a hard link of 1001, 1005 a dangling symlink
    d = out / "links"
    for n in (1001, 1002):
        m.write_dpx(d / f"lk.{n}.dpx", code(), frame_no=n)
    os.symlink("lk.1002.dpx", d / "lk.1003.dpx")
    os.link(d / "lk.1001.dpx", d / "lk.1004.dpx")
    os.symlink("gone/lk.1005.dpx", d / "lk.1005.dpx")

    # a zero-byte frame in the middle of a shot
    d = out / "zero"
    for n in (1001, 1003):
        m.write_dpx(d / f"z.{n}.dpx", code(), frame_no=n)
    (d / "z.1002.dpx").write_bytes(b"")

    # TIFF shot: 16-bit 0001-0003, 8-bit 0004, (0005 missing), float32 0006, 16-bit 0007
    import tifffile

    d = out / "tiffmix"
    d.mkdir()
    for n in (1, 2, 3, 7):
        c = code(16)
        tifffile.imwrite(d / f"tm.{n:04d}.tif", c, photometric="rgb")
        _truth(out, "tiffmix", f"tm.{n:04d}", c)
    c8 = (code(10) >> 2).astype(np.uint8)
    tifffile.imwrite(d / "tm.0004.tif", c8, photometric="rgb")
    _truth(out, "tiffmix", "tm.0004", c8)
    cf = (code(10) / 1023.0).astype(np.float32)
    tifffile.imwrite(d / "tm.0006.tif", cf, photometric="rgb")
    _truth(out, "tiffmix", "tm.0006", cf)

    # EXR shot, half, frame 1003 with NaN and +Inf
    import OpenEXR

    d = out / "exrshot"
    d.mkdir()
    for n in range(1001, 1005):
        lin = (m.scene(W, H) * (1 + 0.02 * rng.standard_normal((H, W, 1)))).astype(np.float32)
        if n == 1003:
            lin[10:12, 10:30] = np.nan
            lin[20:21, 10:30] = np.inf
        ch = {c: np.ascontiguousarray(lin[..., i].astype(np.float16)) for i, c in enumerate("RGB")}
        OpenEXR.File({"compression": OpenEXR.PIZ_COMPRESSION, "type": OpenEXR.scanlineimage}, ch).write(
            str(d / f"ex.{n}.exr"))

    # headers a reader must refuse or handle: RLE encoding, signed data, upper-case extensions
    d = out / "hdr"
    c = code()
    m.write_dpx(d / "rle.dpx", c)
    _patch(d / "rle.dpx", 806, "H", 1)
    m.write_dpx(d / "signed.dpx", c)
    _patch(d / "signed.dpx", 780, "I", 1)
    m.write_dpx(d / "UPPER.1001.DPX", c)
    tifffile.imwrite(d / "UPPER.1001.TIFF", code(16), photometric="rgb")
    (d / "._UPPER.1001.DPX").write_bytes(b"\0\5\26\7" + bytes(4092))   # an AppleDouble resource fork


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--big", action="store_true", help="2047×857 odd frames (else 511×213)")
    a = ap.parse_args()
    build(a.out, a.big)


if __name__ == "__main__":
    main()
