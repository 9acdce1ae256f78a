"""QA session 13 (web): an interlaced (Adam7) PNG is read exactly and without libpng's warning on stderr.

Found: ``info`` / ``compress`` of an interlaced PNG printed "PNG warning: Interlace handling should be turned on
when using png_read_image" (imagecodecs' libpng decoder) among the CLI's own lines; the pixels were right.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from qualipress.io import read_image

_PASSES = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def adam7_png(px: np.ndarray) -> bytes:
    """An interlaced PNG of ``px`` (H, W, C) uint8 or uint16, filter 0 on every row."""
    h, w, c = px.shape
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    big = px.astype(">u2") if px.dtype == np.uint16 else px
    raw = b"".join(b"\0" + row.tobytes() for x0, y0, dx, dy in _PASSES for row in big[y0::dy, x0::dx]
                   if big[y0::dy, x0::dx].size)
    ihdr = struct.pack(">IIBBBBB", w, h, 16 if px.dtype == np.uint16 else 8, colour, 0, 0, 1)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


@pytest.mark.parametrize(("channels", "dtype"), [(3, np.uint8), (3, np.uint16), (2, np.uint8), (1, np.uint16)])
def test_interlaced_png_reads_exactly_and_quietly(tmp_path: Path, channels: int, dtype: type) -> None:
    rng = np.random.default_rng(channels)
    top = 65535 if dtype == np.uint16 else 255
    px = rng.integers(0, top + 1, (37, 53, channels)).astype(dtype)
    path = tmp_path / "adam7.png"
    path.write_bytes(adam7_png(px))
    img = read_image(path)
    got = img.pixels if img.pixels.ndim == 3 else img.pixels[..., None]
    np.testing.assert_array_equal(got, px)
    # libpng's warning goes through C stdio, flushed at exit: only another process shows it
    code = "import sys; from qualipress.io import read_image; read_image(sys.argv[1])"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 0 and "PNG warning" not in run.stderr, run.stderr
