"""An OpenEXR header claiming a gigantic data window is refused in qualipress' terms (qa10).

OpenImageIO refuses such a header itself, before qualipress sees its size, with advice to raise its
``limits:imagesize_MB`` attribute, which a ``compress`` user cannot reach (``--max-mpixels`` does not change it).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import InputError
from qualipress.io import read_image

oiio = pytest.importorskip("OpenImageIO")


def _exr_claiming(path: Path, width: int, height: int) -> Path:
    spec = oiio.ImageSpec(16, 16, 3, oiio.HALF)
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec)
    out.write_image(np.zeros((16, 16, 3), np.float32))
    out.close()
    data = bytearray(path.read_bytes())
    key = b"dataWindow\0box2i\0"
    at = data.find(key) + len(key) + 4  # after the attribute's size field
    data[at:at + 16] = struct.pack("<4i", 0, 0, width - 1, height - 1)
    path.write_bytes(bytes(data))
    return path


def test_gigantic_exr_header_is_called_a_decompression_bomb(tmp_path: Path) -> None:
    bomb = _exr_claiming(tmp_path / "bomb.exr", 100_000, 100_000)
    with pytest.raises(InputError) as info:
        read_image(bomb)
    msg = str(info.value)
    assert "decompression bomb" in msg
    assert "100000x100000" in msg
    assert "OIIO attribute" not in msg and "limits:imagesize_MB" not in msg


def test_exr_that_opens_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "ok.exr"
    spec = oiio.ImageSpec(8, 4, 3, oiio.HALF)
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec)
    out.write_image(np.full((4, 8, 3), 0.5, np.float32))
    out.close()
    assert read_image(path).pixels.shape == (4, 8, 3)
