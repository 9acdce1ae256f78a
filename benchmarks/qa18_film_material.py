"""Build the QA session 18 film material: DPX descriptor/packing variants, long and negative frame numbers, a shot
of mixed depth and size.

Usage (from the repository root)::

    python benchmarks/qa18_film_material.py -o /tmp/qa18film/m

DPX headers are written field by field (SMPTE 268M) here, pixels from :mod:`qa17_film_material`'s grainy
Cineon-log scene; ``OUT/truth_<name>.npy`` holds the code values of the frames whose layout every reader agrees on.

* ``dpx``: luma (descriptor 6) 8/10/16-bit, RGB 10-bit method B both byte orders, 12-bit method A/B, RGBA and ABGR
  10-bit, RGBA 16-bit, RGB 8-bit, a 4000-byte user-data section, CbYCrY 4:2:2 and YCbCr 4:4:4, a 1-pixel-wide
  frame, a header that lies about the file size, trailing bytes after the pixels, non-zero padding bits;
* ``seq/long``: frames 9999998-10000001 (7 and 8 digits); ``seq/neg``: frames -2, -1, 0, 1 (``neg.-0002.dpx``);
  ``seq/mix``: 10, 12 and 16-bit frames and one of another size in one shot, frame 1005 missing.

The QA 18 session's checks (``archive`` → ``restore`` bit-exact, ``verify`` after tampering) are listed in its
report; the faults it fixed have their tests (``tests/film/test_verify.py``, ``test_codec_list_plan.py``,
``test_sequence.py``, ``tests/pipeline/test_qa18_moved_folder.py``).
"""

from __future__ import annotations

import argparse
import shutil
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import qa17_film_material as m

W, H = 517, 290


def _data(code: np.ndarray, bits: int, packing: int, e: str) -> bytes:
    h, w = code.shape[:2]
    c = code.reshape(h, w, -1)
    n = c.shape[2]
    if bits == 10:
        flat = c.reshape(h, w * n).astype(np.uint32)
        flat = np.pad(flat, ((0, 0), (0, (-flat.shape[1]) % 3))).reshape(h, -1, 3)
        sh = (22, 12, 2) if packing == 1 else (20, 10, 0)
        return ((flat[..., 0] << sh[0]) | (flat[..., 1] << sh[1]) | (flat[..., 2] << sh[2])).astype(e + "u4").tobytes()
    if bits == 8:
        row = c.reshape(h, w * n).astype(np.uint8)
        return np.pad(row, ((0, 0), (0, (-row.shape[1]) % 4))).tobytes()
    v = c.reshape(h, w * n).astype(np.uint16)
    return (v << 4 if bits == 12 and packing == 1 else v).astype(e + "u2").tobytes()


def dpx(path: Path, code: np.ndarray, *, bits: int = 10, packing: int = 1, big: bool = True, descriptor: int = 50,
        transfer: int = 1, user: int = 0, frame_no: int = 0, size_lie: int | None = None) -> None:
    """One DPX with a single image element (``user``: bytes of user data before the pixels)."""
    e = ">" if big else "<"
    h, w = code.shape[:2]
    data = _data(code, bits, packing, e)
    off = 2048 + user
    head = bytearray(2048)

    def put(fmt: str, o: int, *vals: object) -> None:
        struct.pack_into(e + fmt, head, o, *vals)

    head[0:4] = b"SDPX" if big else b"XPDS"
    put("I", 4, off)
    head[8:12] = b"V2.0"
    put("IIIII", 16, size_lie or off + len(data), 0, 1664, 384, user)
    put("HHII", 768, 0, 1, w, h)
    put("IIfIf", 780, 0, 0, 0.0, (1 << bits) - 1, 2.048)
    struct.pack_into("BBBB", head, 800, descriptor, transfer, transfer, bits)
    put("HHIII", 804, packing, 0, off, 0, 0)
    put("I", 1712, frame_no)
    put("f", 1724, 24.0)
    ud = (b"QA18USERDATA".ljust(32, b"\0") + bytes(user - 32)) if user else b""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(head) + ud + data)


def build(out: Path) -> None:
    rng = np.random.default_rng(18)
    shutil.rmtree(out, ignore_errors=True)
    d = out / "dpx"
    d.mkdir(parents=True)

    def rgb(bits: int = 10, w: int = W, h: int = H) -> np.ndarray:
        return m.frame(rng, w, h, bits=bits)[0]

    c10, c12, c16 = rgb(10), rgb(12), rgb(16)
    a = rng.integers(0, 1024, (H, W, 1)).astype(np.uint16)
    rgba = np.concatenate([c10, a], -1)
    frames = {
        "luma10": (c10[..., 1], {"descriptor": 6}), "luma16le": (c16[..., 1], {"bits": 16, "packing": 0,
                                                                               "big": False, "descriptor": 6}),
        "luma8": ((c10[..., 1] >> 2).astype(np.uint8), {"bits": 8, "packing": 0, "descriptor": 6}),
        "rgb10b": (c10, {"packing": 2}), "rgb10b_le": (c10, {"packing": 2, "big": False}),
        "rgb12b": (c12, {"bits": 12, "packing": 2}), "rgb12a_le": (c12, {"bits": 12, "big": False}),
        "rgba10": (rgba, {"descriptor": 51}), "abgr10": (np.concatenate([a, c10[..., ::-1]], -1), {"descriptor": 52}),
        "rgba16": (np.concatenate([c16, a * 64], -1), {"bits": 16, "packing": 0, "descriptor": 51}),
        "rgb8": ((c10 >> 2).astype(np.uint8), {"bits": 8, "packing": 0}), "user10": (c10, {"user": 4000}),
        "cbycry10": (rng.integers(64, 940, (H, W, 2)).astype(np.uint16), {"descriptor": 100, "transfer": 6}),
        "ycbcr444": (c10, {"descriptor": 102, "transfer": 6}), "w1": (c10[:20, :1], {}),
        "sizelie": (c10, {"size_lie": 12345}), "trail": (c10, {}), "padbits": (c10, {}),
    }
    for name, (code, kw) in frames.items():
        dpx(d / f"{name}.dpx", code, **kw)
        if name in ("rgb10b", "rgb10b_le", "rgb12b", "rgb12a_le", "rgba10", "user10", "w1", "luma16le"):
            np.save(out / f"truth_{name}.npy", code)
    p = d / "trail.dpx"
    p.write_bytes(p.read_bytes() + b"TRAILINGJUNK" * 100)
    p = d / "padbits.dpx"
    raw = bytearray(p.read_bytes())
    raw[2048:] = (np.frombuffer(bytes(raw[2048:]), ">u4") | np.uint32(1)).astype(">u4").tobytes()
    p.write_bytes(bytes(raw))
    s = out / "seq"
    for n in (9999998, 9999999, 10000000, 10000001):
        dpx(s / "long" / f"reel.{n}.dpx", rgb(), frame_no=n)
    for n in (-2, -1, 0, 1):
        dpx(s / "neg" / (f"neg.{n:04d}.dpx" if n >= 0 else f"neg.-{-n:04d}.dpx"), rgb())
    dpx(s / "mix" / "mix.1001.dpx", rgb())
    dpx(s / "mix" / "mix.1002.dpx", rgb(12), bits=12)
    dpx(s / "mix" / "mix.1003.dpx", rgb(16), bits=16, packing=0)
    dpx(s / "mix" / "mix.1004.dpx", rgb(10, 320, 200))
    dpx(s / "mix" / "mix.1006.dpx", rgb())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    build(ap.parse_args().out)


if __name__ == "__main__":
    main()
