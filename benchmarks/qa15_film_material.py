"""Build the QA session 15 film material: DPX/Cineon/EXR layouts and sequences no earlier QA pass used.

Usage (from the repository root)::

    python benchmarks/qa15_film_material.py -o /tmp/qa15film/m

Every file is written by this script's own header writers (DPX, Cineon) or by the OpenEXR Python bindings, never
by qualipress, and every pixel is known: each grainy frame's truth is saved beside the material as
``OUT/truth/<set>/<stem>.npz`` (``code``, the frame's code values; ``clean`` and ``grain``, with ``code =
clip(rint(clean + grain))`` up to float32 rounding). The clean plate is a smooth log-like gradient with a moving
disc and a **clipped highlight** (a patch at the top code, grain clipped with it); the grain is Gaussian, σ =
``SIGMA`` 10-bit codes per channel (scaled with bit depth), R/G/B correlation ``RHO``, new in every frame. Luma
DPX is not written: a 10-bit luma word's sample order differs between writers (OpenImageIO and FFmpeg put the
first sample in the low bits, RGB words in the high bits).

Sets (``OUT/<set>/``):

* ``userdata``: 10-bit DPX with a user-data section (``QA15`` id, 5,000 / 6,000 / 777 bytes) so the image
  offset is 7,048 (big-endian), 12,192 (big-endian, 4 kB of padding after the user data) and 2,830
  (little-endian, not a multiple of 4);
* ``dpx12``: 12-bit *filled* DPX, method A (padding in the low 4 bits, big-endian) and method B (padding in the
  high 4 bits, little-endian), two frames each;
* ``cin``: two 10-bit Cineon frames (``.cin``, Kodak's 1,024-byte generic header);
* ``exr``: float32 PIZ, half DWAA and float32 ZIP sequences (linear light 0.002–40), an EXR whose data window
  (overscan) is larger than its display window, with a negative origin, an RGBA + Z EXR and a two-part EXR
  (``beauty`` R, G, B and ``depth`` Z), and ``ap0.exr`` with ACES AP0 chromaticities;
* ``tiny``: 17×9 and 9×17 10-bit DPX;
* ``dissolve``: 7 frames, scene A, a dissolve to scene B over frames 3-5, scene B;
* ``gapdup``: ``shot.1001``, ``1002``, ``1004``, ``1005`` (1003 missing) and ``shot.01002.dpx`` (frame number
  1002 twice), different pixels;
* ``mixed``: ``shot.1001``-``1002`` at 384×216, ``1003``-``1004`` at 400×224;
* ``stereo``: a DPX with two image elements, "left eye" and "right eye";
* ``paths``: the ``userdata`` frames in ``scan ü 日本 01/`` under names with spaces, and ``links/`` holding
  symbolic links to them (one link to the folder, one to a file).
"""

from __future__ import annotations

import argparse
import os
import struct
from pathlib import Path

import numpy as np

W, H = 384, 216
SIGMA = 6.0
RHO = 0.5


def plate(w: int, h: int, t: int, *, bits: int = 10, scene: int = 0) -> np.ndarray:
    """Clean plate in code values (float): log-like gradient, a disc moving 4 px a frame, a clipped highlight."""
    top = (1 << bits) - 1
    s = top / 1023.0
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    if scene == 0:
        base = 180 + 420 * x / max(w - 1, 1) + 120 * y / max(h - 1, 1)
        tint = np.stack([base * 1.02, base, base * 0.93], axis=-1)
    else:
        base = 620 - 300 * y / max(h - 1, 1) + 60 * np.sin(x / 23.0)
        tint = np.stack([base * 0.9, base, base * 1.05], axis=-1)
    cx, cy, r = w * 0.3 + 4 * t, h * 0.55, min(w, h) * 0.18
    disc = ((x - cx) ** 2 + (y - cy) ** 2) < r * r
    tint[disc] = (300, 340, 380)
    hx, hy = int(w * 0.72), int(h * 0.12)
    tint[hy:hy + max(h // 5, 1), hx:hx + max(w // 6, 1)] = 1023 + 40      # over the top: clipped in the file
    return tint * s


def grain(rng: np.random.Generator, w: int, h: int, *, bits: int = 10) -> np.ndarray:
    """Gaussian grain of σ ``SIGMA`` (10-bit codes, scaled) per channel with R/G/B correlation ``RHO``."""
    s = ((1 << bits) - 1) / 1023.0
    shared = rng.standard_normal((h, w, 1))
    own = rng.standard_normal((h, w, 3))
    return SIGMA * s * (np.sqrt(RHO) * shared + np.sqrt(1 - RHO) * own)


def frame(rng: np.random.Generator, w: int, h: int, t: int, *, bits: int = 10, scene: int = 0,
          mix: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One grainy frame: (code values uint16, clean plate, grain)."""
    clean = plate(w, h, t, bits=bits, scene=scene)
    if mix is not None:
        clean = (1 - mix) * clean + mix * plate(w, h, t, bits=bits, scene=1)
    g = grain(rng, w, h, bits=bits)
    code = np.clip(np.rint(clean + g), 0, (1 << bits) - 1).astype(np.uint16)
    return code, clean, g


def _save_truth(out: Path, name: str, code: np.ndarray, clean: np.ndarray, g: np.ndarray) -> None:
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / f"{name}.npz", code=code, clean=clean.astype(np.float32), grain=g.astype(np.float32))


def _pack10(code: np.ndarray) -> np.ndarray:
    """10-bit RGB, three samples to a 32-bit word, padding in the low 2 bits (DPX method A / Cineon)."""
    c = code.astype(np.uint32)
    return (c[..., 0] << 22) | (c[..., 1] << 12) | (c[..., 2] << 2)


def write_dpx(path: Path, code: np.ndarray, *, bits: int = 10, packing: int = 1, big: bool = True,
              user: bytes = b"", offset: int | None = None, frame_no: int = 0,
              right_eye: np.ndarray | None = None) -> None:
    """A DPX written field by field from SMPTE 268M (not by qualipress); RGB (50) or luma (6); transfer printing
    density (1). ``packing`` 1 is method A (10-bit: 3 per word; 12/16-bit filled, low padding), 2 method B
    (filled, high padding). ``user`` is stored as the user-data section at 2048 (its first 32 bytes are the id).
    ``right_eye`` (10-bit RGB) adds a second image element after the first's pixels; the elements are then
    described as "left eye" and "right eye"."""
    e = ">" if big else "<"
    h, w = code.shape[:2]
    ch = 1 if code.ndim == 2 else code.shape[2]
    if bits == 10 and ch == 3:
        words = _pack10(code)
        data = words.astype(e + "u4").tobytes()
    elif bits == 12:
        v = code.reshape(h, w * ch).astype(np.uint16)
        v = (v << 4) if packing == 1 else v
        data = v.astype(e + "u2").tobytes()
    elif bits == 16:
        data = code.reshape(h, w * ch).astype(e + "u2").tobytes()
    else:
        raise ValueError("unsupported layout")
    start = 2048 + len(user)
    offset = start if offset is None else offset
    if offset < start:
        raise ValueError("offset inside the headers")
    extra = b"" if right_eye is None else _pack10(right_eye).astype(e + "u4").tobytes()
    head = bytearray(offset)
    struct.pack_into(e + "I", head, 0, 0x53445058)
    struct.pack_into(e + "I", head, 4, offset)
    head[8:12] = b"V2.0"
    struct.pack_into(e + "I", head, 16, offset + len(data) + len(extra))
    struct.pack_into(e + "I", head, 20, 1)
    struct.pack_into(e + "III", head, 24, 1664, 384, len(user))
    head[36:36 + len(path.name.encode()[:99])] = path.name.encode()[:99]
    head[160:175] = b"qa15 dpx writer"
    struct.pack_into(e + "I", head, 660, 0xFFFFFFFF)
    struct.pack_into(e + "HHII", head, 768, 0, 1, w, h)
    struct.pack_into(e + "IIfIf", head, 780, 0, 0, 0.0, (1 << bits) - 1, 2.047)
    head[800:804] = bytes((50 if ch == 3 else 6, 1, 1, bits))
    struct.pack_into(e + "HHIII", head, 804, packing if bits != 10 else 1, 0, offset, 0, 0)
    for k in range(1, 8):                                       # unused elements: all bits set (undefined)
        head[780 + 72 * k:780 + 72 * (k + 1)] = b"\xff" * 72
    if extra:
        struct.pack_into(e + "H", head, 770, 2)
        struct.pack_into(e + "IIfIf", head, 852, 0, 0, 0.0, 1023, 2.047)
        head[872:876] = bytes((50, 1, 1, 10))
        struct.pack_into(e + "HHIII", head, 876, 1, 0, offset + len(data), 0, 0)
        for at, text in ((820, b"left eye"), (892, b"right eye")):
            head[at:at + 32] = text.ljust(32, b"\0")
    struct.pack_into(e + "I", head, 1712, frame_no)             # film header: frame position in sequence
    struct.pack_into(e + "f", head, 1724, 24.0)                 # frame rate
    head[2048:2048 + len(user)] = user
    path.write_bytes(bytes(head) + data + extra)


def write_cin(path: Path, code: np.ndarray) -> None:
    """A 10-bit RGB Cineon file (Kodak 4.5 DRAFT header, big-endian, 3 samples to a 32-bit word)."""
    h, w = code.shape[:2]
    data = _pack10(code).astype(">u4").tobytes()
    head = bytearray(2048)
    struct.pack_into(">IIIIII", head, 0, 0x802A5FD7, 2048, 1024, 1024, 0, 2048 + len(data))
    head[24:28] = b"V4.5"
    head[32:32 + len(path.name.encode()[:99])] = path.name.encode()[:99]
    head[192] = 0
    head[193] = 3
    for k in range(3):
        o = 196 + 28 * k
        head[o:o + 4] = bytes((0, k + 1, 10, 0))
        struct.pack_into(">IIffff", head, o + 4, w, h, 0.0, 0.0, 1023.0, 2.048)
    struct.pack_into(">BBBBII", head, 680, 0, 5, 0, 0, 0, 0)
    path.write_bytes(bytes(head) + data)


def _exr(path: Path, channels: dict[str, np.ndarray], compression: object, **header: object) -> None:
    import OpenEXR
    OpenEXR.File({"compression": compression, "type": OpenEXR.scanlineimage, **header}, channels).write(str(path))


def exr_material(out: Path, rng: np.random.Generator) -> None:
    """Float sequences with PIZ / DWAA / ZIP, an overscan data window, RGBA + Z and a two-part file."""
    import OpenEXR
    d = out / "exr"
    d.mkdir(parents=True, exist_ok=True)

    def light(t: int, w: int = W, h: int = H, rng: np.random.Generator = rng) -> np.ndarray:
        code = plate(w, h, t)
        lin = 0.002 * np.power(2.0, (code - 95) / 1023 * 14)      # 0.002 .. ~40, the highlight far above 1
        return lin * (1 + 0.02 * rng.standard_normal(lin.shape))

    for name, comp, dtype in (("piz32", OpenEXR.PIZ_COMPRESSION, np.float32),
                              ("dwaa16", OpenEXR.DWAA_COMPRESSION, np.float16),
                              ("zip32", OpenEXR.ZIP_COMPRESSION, np.float32)):
        for t in range(2):
            rgb = light(t).astype(dtype)
            _exr(d / f"{name}.{1001 + t}.exr", {"R": rgb[..., 0], "G": rgb[..., 1], "B": rgb[..., 2]}, comp)
    rgb = light(0, W + 32, H + 20).astype(np.float32)              # overscan: 16 / 10 px outside on each side
    _exr(d / "overscan.exr", {"R": rgb[..., 0], "G": rgb[..., 1], "B": rgb[..., 2]}, OpenEXR.ZIP_COMPRESSION,
         dataWindow=((-16, -10), (W + 15, H + 9)), displayWindow=((0, 0), (W - 1, H - 1)))
    rgb = light(1).astype(np.float16)
    z = np.broadcast_to(np.linspace(1, 100, W, dtype=np.float32), (H, W)).copy()
    a = np.ones((H, W), np.float16)
    _exr(d / "rgbaz.exr", {"R": rgb[..., 0], "G": rgb[..., 1], "B": rgb[..., 2], "A": a, "Z": z},
         OpenEXR.PIZ_COMPRESSION)
    beauty = OpenEXR.Part({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage},
                          {"R": rgb[..., 0], "G": rgb[..., 1], "B": rgb[..., 2]}, "beauty")
    depth = OpenEXR.Part({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}, {"Z": z}, "depth")
    OpenEXR.File([beauty, depth]).write(str(d / "multipart.exr"))
    ap0 = (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.077, 0.32168, 0.33767)     # ACES AP0 primaries, ACES white
    rgb = light(0, rng=np.random.default_rng(151)).astype(np.float32)  # own stream: the sets above unchanged
    _exr(d / "ap0.exr", {"R": rgb[..., 0], "G": rgb[..., 1], "B": rgb[..., 2]}, OpenEXR.PIZ_COMPRESSION,
         chromaticities=ap0)


def build(out: Path) -> None:
    rng = np.random.default_rng(15)
    truth = out / "truth"
    d = out / "userdata"
    d.mkdir(parents=True, exist_ok=True)
    for t, (size, offset, big) in enumerate(((5000, None, True), (6000, 12192, True), (777, 2830, False))):
        code, clean, g = frame(rng, W, H, t)
        user = b"QA15".ljust(32, b"\0") + bytes(rng.integers(0, 256, size - 32, dtype=np.uint8))
        write_dpx(d / f"shot.{1001 + t}.dpx", code, user=user, offset=offset, big=big, frame_no=1001 + t)
        _save_truth(truth / "userdata", f"shot.{1001 + t}", code, clean, g)
    d = out / "dpx12"
    d.mkdir(parents=True, exist_ok=True)
    for name, packing, big in (("methA", 1, True), ("methB", 2, False)):
        for t in range(2):
            code, clean, g = frame(rng, W, H, t, bits=12)
            write_dpx(d / f"{name}.{1001 + t}.dpx", code, bits=12, packing=packing, big=big, frame_no=1001 + t)
            _save_truth(truth / "dpx12", f"{name}.{1001 + t}", code, clean, g)
    d = out / "cin"
    d.mkdir(parents=True, exist_ok=True)
    for t in range(2):
        code, clean, g = frame(rng, W, H, t)
        write_cin(d / f"scan.{1001 + t}.cin", code)
        _save_truth(truth / "cin", f"scan.{1001 + t}", code, clean, g)
    exr_material(out, rng)
    d = out / "tiny"
    d.mkdir(parents=True, exist_ok=True)
    for name, (w, h) in (("wide", (17, 9)), ("tall", (9, 17))):
        for t in range(2):
            code, clean, g = frame(rng, w, h, t)
            write_dpx(d / f"{name}.{1001 + t}.dpx", code, frame_no=1001 + t)
    d = out / "dissolve"
    d.mkdir(parents=True, exist_ok=True)
    for t in range(7):
        mix = {0: 0.0, 1: 0.0, 2: 0.25, 3: 0.5, 4: 0.75, 5: 1.0, 6: 1.0}[t]
        code, clean, g = frame(rng, W, H, t, mix=mix)
        write_dpx(d / f"dis.{1001 + t}.dpx", code, frame_no=1001 + t)
        _save_truth(truth / "dissolve", f"dis.{1001 + t}", code, clean, g)
    d = out / "gapdup"
    d.mkdir(parents=True, exist_ok=True)
    for t, name in enumerate(("shot.1001", "shot.1002", "shot.1004", "shot.1005", "shot.01002")):
        code, _, _ = frame(rng, W, H, t)
        write_dpx(d / f"{name}.dpx", code, frame_no=int(name.split(".")[1]))
    d = out / "mixed"
    d.mkdir(parents=True, exist_ok=True)
    for t in range(4):
        w, h = (W, H) if t < 2 else (400, 224)
        code, _, _ = frame(rng, w, h, t)
        write_dpx(d / f"shot.{1001 + t}.dpx", code, frame_no=1001 + t)
    d = out / "stereo"
    d.mkdir(parents=True, exist_ok=True)
    left, _, _ = frame(rng, W, H, 0)
    right, _, _ = frame(rng, W, H, 0, scene=1)
    write_dpx(d / "eyes.1001.dpx", left, right_eye=right, frame_no=1001)
    d = out / "paths" / "scan ü 日本 01"
    d.mkdir(parents=True, exist_ok=True)
    for t in range(3):
        (d / f"reel 1 ü.{1001 + t}.dpx").write_bytes((out / "userdata" / f"shot.{1001 + t}.dpx").read_bytes())
    links = out / "paths" / "links"
    links.mkdir(exist_ok=True)
    for name, target in (("dirlink", Path("..") / "scan ü 日本 01"),
                         ("one.1001.dpx", Path("..") / "scan ü 日本 01" / "reel 1 ü.1001.dpx")):
        if not (links / name).is_symlink():
            os.symlink(target, links / name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    build(args.out)
    for sub in sorted(p for p in args.out.iterdir() if p.name != "truth"):
        print(sub.name, sorted(p.name for p in sub.iterdir()))


if __name__ == "__main__":
    main()
