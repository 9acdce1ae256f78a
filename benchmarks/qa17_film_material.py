"""Build the QA session 17 film material: packed DPX, reference codes, compressed/tiled TIFF, awkward EXR, log grain.

Usage (from the repository root)::

    python benchmarks/qa17_film_material.py -o /tmp/qa17film/m            # add --big for the 2K frame

Nothing here is written by qualipress: DPX headers are written field by field from SMPTE 268M by
:func:`write_dpx`, TIFF by ``tifffile``, EXR by the OpenEXR bindings, and every pixel is known. Grainy frames
save their truth as ``OUT/truth/<set>/<stem>.npz`` (``code``, ``clean``, ``grain``, float64 code values with
``code = clip(rint(clean + grain))``).

Scene: a Cineon-style log plate (10-bit white 685 = linear 1.0, black 95, 300 codes per decade) made from a
linear scene: a sky gradient, a large flat grey card (linear 0.18, code ≈ 470) where grain is measured, a dark
patch (linear 0.01), a specular highlight at linear 8 (code ≈ 956, above white but not clipped) and a clipped
patch at the top code. Grain: Gaussian, per-channel σ ``SIGMA_RGB`` = (5, 7, 10) 10-bit codes (blue layer
coarsest, as on negative stock), pairwise R/G/B correlation ``RHO`` = 0.8, new in every frame.

Sets (``OUT/<set>/``):

* ``dpx``: 10-bit and 12-bit **packed** DPX (packing 0, a bit stream in 32-bit words) big- and little-endian at
  517×290 (lines end inside a word), a 16-bit little-endian DPX (lines not padded), a big-endian one whose header
  declares 2 bytes of end-of-line padding, a 10-bit method-A DPX whose header gives reference codes 64 / 940 and
  transfer ITU-R 709 (video range), and one with reference codes 95 / 685 and printing density;
* ``grain``: six 640×338 10-bit method-A big-endian log frames with the grain above, the scene still;
* ``shot``: ``shot.1001``-``1010`` (1006 missing): still, a dissolve to a second scene over 1003-1005, a flash
  frame (linear ×6) at 1008;
* ``tiff``: 16-bit RGB TIFF with an sRGB ICC profile: strips (16 rows), 64×64 tiles, LZW + horizontal predictor,
  deflate + predictor, big-endian, planar (one plane per channel);
* ``exr``: half and float32 RGBA with negative values, NaN, +Inf and −Inf pixels, an alpha ramp and a data
  window offset inside the display window; ``finite.1001.exr`` the half one with NaN/Inf set to 0;
* ``long``: the ``grain`` frames 1 and 2 under ten nested unicode folders, names of 200 and 236 bytes;
* ``big`` (``--big``): one 2048×1080 12-bit packed little-endian DPX.
"""

from __future__ import annotations

import argparse
import struct
from pathlib import Path

import numpy as np

W, H = 640, 338
SIGMA_RGB = np.array([5.0, 7.0, 10.0])
RHO = 0.8
_B = 10.0 ** ((95.0 - 685.0) / 300.0)


def to_cineon(lin: np.ndarray) -> np.ndarray:
    """Linear light → Cineon 10-bit code values (float), written here from the curve's definition."""
    x = np.maximum(lin, 0.0)
    return 685.0 + 300.0 * np.log10(x * (1.0 - _B) + _B)


def scene(w: int, h: int, *, which: int = 0, gain: float = 1.0) -> np.ndarray:
    """Linear-light RGB scene (float64)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    if which == 0:
        sky = 0.05 + 0.6 * (1 - y / h) + 0.1 * x / w
        lin = np.stack([sky * 0.9, sky, sky * 1.2], axis=-1)
    else:
        base = 0.08 + 0.3 * (0.5 + 0.5 * np.sin(x / 41.0)) * (y / h)
        lin = np.stack([base * 1.3, base, base * 0.7], axis=-1)
    lin[h // 3: h // 3 + h // 3, w // 10: w // 10 + w // 3] = 0.18                  # grey card
    lin[h - h // 6: h - 4, 8: w // 5] = 0.01                                          # dark patch
    cy, cx, r = h // 4, int(w * 0.7), h // 14
    lin[((y - cy) ** 2 + (x - cx) ** 2) < r * r] = 8.0                                # specular, above white
    lin[h - h // 5: h - 8, w - w // 6: w - 8] = 60.0                                  # clipped in the file
    return lin * gain


def grain(rng: np.random.Generator, w: int, h: int, *, scale: float = 1.0) -> np.ndarray:
    """Gaussian grain, σ ``SIGMA_RGB`` per channel, pairwise correlation ``RHO``."""
    shared = rng.standard_normal((h, w, 1))
    own = rng.standard_normal((h, w, 3))
    return SIGMA_RGB * scale * (np.sqrt(RHO) * shared + np.sqrt(1 - RHO) * own)


def frame(rng: np.random.Generator, w: int, h: int, *, bits: int = 10, which: int = 0, mix: float = 0.0,
          gain: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(code uint16, clean, grain) of one grainy log frame; ``mix`` dissolves towards scene 1 in linear light."""
    s = ((1 << bits) - 1) / 1023.0
    lin = scene(w, h, which=which, gain=gain)
    if mix:
        lin = (1 - mix) * lin + mix * scene(w, h, which=1, gain=gain)
    clean = to_cineon(lin) * s
    g = grain(rng, w, h, scale=s)
    code = np.clip(np.rint(clean + g), 0, (1 << bits) - 1).astype(np.uint16)
    return code, clean, g


def _bitstream(code: np.ndarray, bits: int, e: str) -> bytes:
    """Packing 0: samples one after another, least significant bit first, in 32-bit words; lines padded to a
    word. (The bit order is the one OpenImageIO's libdpx reads; the script checks it against OpenImageIO.)"""
    h = code.shape[0]
    flat = code.reshape(h, -1).astype(np.uint64)
    n = flat.shape[1]
    words_per_line = -(-(n * bits) // 32)
    out = np.zeros((h, words_per_line), np.uint64)
    pos = np.arange(n) * bits
    for k in range(n):  # one column of samples at a time, over all lines
        wi, sh = divmod(int(pos[k]), 32)
        v = flat[:, k] << np.uint64(sh)
        out[:, wi] |= v & np.uint64(0xFFFFFFFF)
        if sh + bits > 32:
            out[:, wi + 1] |= v >> np.uint64(32)
    return out.astype(np.uint32).astype(e + "u4").tobytes()


def _pixels(code: np.ndarray, bits: int, packing: int, e: str, eol: int = 0) -> bytes:
    """Element 0's bytes; 16-bit (and 12-bit filled) lines are not padded to a word unless ``eol`` > 0, as
    OpenImageIO and FFmpeg write and read them."""
    h, w = code.shape[:2]
    if packing == 0 and bits != 16:
        return _bitstream(code, bits, e)
    if bits == 10:
        c = code.reshape(h, w * 3).astype(np.uint32)
        pad = (-c.shape[1]) % 3
        c = np.pad(c, ((0, 0), (0, pad))).reshape(h, -1, 3)
        sh = (22, 12, 2) if packing == 1 else (20, 10, 0)
        return ((c[..., 0] << sh[0]) | (c[..., 1] << sh[1]) | (c[..., 2] << sh[2])).astype(e + "u4").tobytes()
    v = code.reshape(h, w * 3).astype(np.uint16)
    if bits == 12 and packing == 1:
        v = v << 4
    line = v.astype(e + "u2").tobytes()
    row = w * 3 * 2
    pad = eol
    return b"".join(line[i * row:(i + 1) * row] + b"\0" * pad for i in range(h))


def write_dpx(path: Path, code: np.ndarray, *, bits: int = 10, packing: int = 1, big: bool = True,
              transfer: int = 1, colorimetric: int = 1, ref: tuple[int, int] | None = None,
              frame_no: int = 0, eol: int = 0) -> None:
    """An RGB DPX written field by field from SMPTE 268M. ``ref`` = (reference low, high data code);
    default 0 and the top code. ``eol``: padding bytes after each 12/16-bit line, declared in the header."""
    e = ">" if big else "<"
    h, w = code.shape[:2]
    data = _pixels(code, bits, packing, e, eol)
    top = (1 << bits) - 1
    low, high = ref if ref is not None else (0, top)
    head = bytearray(2048)

    def put(fmt: str, off: int, *vals: object) -> None:
        struct.pack_into(e + fmt, head, off, *vals)

    head[0:4] = b"SDPX" if big else b"XPDS"
    put("I", 4, 2048)
    head[8:12] = b"V2.0"
    put("IIIII", 16, 2048 + len(data), 0, 1664, 384, 0)
    name = path.name.encode()[:99]
    head[36:36 + len(name)] = name
    head[160:176] = b"qa17 generator\0\0"
    put("HHII", 768, 0, 1, w, h)
    put("IIfIf", 780, 0, low, 0.0, high, 2.048)
    struct.pack_into("BBBB", head, 800, 50, transfer, colorimetric, bits)
    put("HHIII", 804, packing, 0, 2048, eol, 0)
    head[820:836] = b"qa17 element 0\0\0"
    put("I", 1712, frame_no)                 # film header: frame position in sequence
    put("f", 1724, 24.0)                     # frame rate
    put("f", 1944, 24.0)                     # TV header: temporal sampling rate
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(head) + data)


def _truth(out: Path, sub: str, stem: str, code: np.ndarray, clean: np.ndarray, g: np.ndarray) -> None:
    p = out / "truth" / sub
    p.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(p / f"{stem}.npz", code=code, clean=clean.astype(np.float32), grain=g.astype(np.float32))


def make_dpx(out: Path, rng: np.random.Generator) -> None:
    d = out / "dpx"
    w, h = 517, 290
    for bits, packing, big, name in ((12, 0, True, "p12be"), (12, 0, False, "p12le"), (10, 0, False, "p10le"),
                                     (10, 0, True, "p10be"), (16, 0, False, "d16le"), (16, 0, True, "d16eol")):
        code, clean, g = frame(rng, w, h, bits=bits)
        write_dpx(d / f"{name}.1001.dpx", code, bits=bits, packing=packing, big=big, eol=2 * (name == "d16eol"))
        _truth(out, "dpx", f"{name}.1001", code, clean, g)
    y, x = np.mgrid[0:h, 0:w]
    video = np.stack([64 + (876 * x / (w - 1)), 64 + 876 * y / (h - 1), np.full((h, w), 502.0)], axis=-1)
    video[10:40, 10:60] = (940, 940, 940)
    video[50:80, 10:60] = (64, 64, 64)
    video = np.rint(video).astype(np.uint16)
    write_dpx(d / "video709.1001.dpx", video, transfer=6, colorimetric=6, ref=(64, 940), big=False)
    _truth(out, "dpx", "video709.1001", video, video.astype(float), np.zeros_like(video, dtype=float))
    code, clean, g = frame(rng, w, h)
    write_dpx(d / "ref95.1001.dpx", code, ref=(95, 685))
    _truth(out, "dpx", "ref95.1001", code, clean, g)


def make_grain(out: Path, rng: np.random.Generator, n: int = 6) -> None:
    for i in range(n):
        code, clean, g = frame(rng, W, H)
        write_dpx(out / "grain" / f"log.{1001 + i:04d}.dpx", code, frame_no=1001 + i)
        _truth(out, "grain", f"log.{1001 + i:04d}", code, clean, g)


def make_shot(out: Path, rng: np.random.Generator) -> None:
    plan = {1001: (0.0, 1.0), 1002: (0.0, 1.0), 1003: (0.25, 1.0), 1004: (0.5, 1.0), 1005: (0.75, 1.0),
            1007: (1.0, 1.0), 1008: (1.0, 6.0), 1009: (1.0, 1.0), 1010: (1.0, 1.0)}
    for no, (mix, gain) in plan.items():
        code, clean, g = frame(rng, W // 2, H // 2, mix=mix, gain=gain)
        write_dpx(out / "shot" / f"shot.{no}.dpx", code, frame_no=no)
        _truth(out, "shot", f"shot.{no}", code, clean, g)


def _icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def make_tiff(out: Path, rng: np.random.Generator) -> None:
    import tifffile

    d = out / "tiff"
    d.mkdir(parents=True, exist_ok=True)
    code, clean, g = frame(rng, W, H, bits=16)
    _truth(out, "tiff", "all", code, clean, g)
    icc = _icc()
    common = {"photometric": "rgb", "iccprofile": icc, "metadata": None}
    tifffile.imwrite(d / "strips.tif", code, rowsperstrip=16, **common)
    tifffile.imwrite(d / "tiles.tif", code, tile=(64, 64), **common)
    tifffile.imwrite(d / "lzw_pred.tif", code, compression="lzw", predictor=True, **common)
    tifffile.imwrite(d / "deflate_pred.tif", code, compression="zlib", predictor=True, **common)
    tifffile.imwrite(d / "bigendian.tif", code, byteorder=">", **common)
    tifffile.imwrite(d / "planar.tif", np.moveaxis(code, -1, 0), planarconfig="separate", **common)


def make_exr(out: Path) -> None:
    import OpenEXR

    d = out / "exr"
    d.mkdir(parents=True, exist_ok=True)
    lin = scene(W, H).astype(np.float32)
    lin[20:60, 20:120] = -0.05                            # negative (out of gamut) values
    lin[70:72, 20:40] = np.nan
    lin[80:82, 20:40] = np.inf
    lin[90:92, 20:40] = -np.inf
    x = np.mgrid[0:H, 0:W][1]
    alpha = (x / (W - 1)).astype(np.float32)
    x0, y0 = 32, 20
    win = lin[y0:H - 21 + 1, x0:W - 33 + 1]
    a = alpha[y0:H - 21 + 1, x0:W - 33 + 1]
    finite = np.nan_to_num(win, nan=0.0, posinf=0.0, neginf=0.0)
    for dtype, name, px in ((np.float16, "half", win), (np.float32, "float", win), (np.float16, "finite", finite)):
        ch = {c: np.ascontiguousarray(px[..., i].astype(dtype)) for i, c in enumerate("RGB")}
        ch["A"] = np.ascontiguousarray(a.astype(dtype))
        header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage,
                  "dataWindow": ((x0, y0), (W - 33, H - 21)), "displayWindow": ((0, 0), (W - 1, H - 1))}
        OpenEXR.File(header, ch).write(str(d / f"{name}.1001.exr"))
    np.savez_compressed(d.parent / "truth" / "exr.npz", lin=win, alpha=a)


def make_long(out: Path) -> None:
    deep = out / "long"
    for i in range(10):
        deep = deep / f"Ordner-{i:02d}-Überspielung-フィルム"
    deep.mkdir(parents=True, exist_ok=True)
    for k, size in ((1, 200), (2, 236)):
        src = out / "grain" / f"log.{1000 + k:04d}.dpx"
        stem = "Rolle_ü_日本_"
        tail = f".{1000 + k:04d}.dpx"
        pad = size - len((stem + tail).encode())
        name = stem + "x" * pad + tail
        assert len(name.encode()) == size
        (deep / name).write_bytes(src.read_bytes())


def make_big(out: Path, rng: np.random.Generator) -> None:
    code, clean, g = frame(rng, 2048, 1080, bits=12)
    write_dpx(out / "big" / "scan2k.1001.dpx", code, bits=12, packing=0, big=False)
    _truth(out, "big", "scan2k.1001", code, clean, g)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--big", action="store_true", help="also the 2048x1080 12-bit packed frame")
    args = ap.parse_args()
    rng = np.random.default_rng(17)
    (args.out / "truth").mkdir(parents=True, exist_ok=True)
    make_dpx(args.out, rng)
    make_grain(args.out, rng)
    make_shot(args.out, rng)
    make_tiff(args.out, rng)
    make_exr(args.out)
    make_long(args.out)
    if args.big:
        make_big(args.out, rng)
    print(f"material in {args.out}")


if __name__ == "__main__":
    main()
