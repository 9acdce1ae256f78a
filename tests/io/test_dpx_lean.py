"""The lean DPX read path (no OpenImageIO) gives the pixels, metadata, depth and transfer OpenImageIO's does."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import InputError
from qualipress.io import Image, dpx, read_image, readers, write_image
from tests.conftest import ROOT, photo_like, shared_data


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Image, Image]:
    lean = read_image(path)
    with monkeypatch.context() as m:
        m.setattr(readers, "_read_dpx_lean", lambda p, n, parsed=None: None)
        full = read_image(path)
    return lean, full


def _assert_same(lean: Image, full: Image) -> None:
    assert lean.pixels.dtype == full.pixels.dtype
    assert np.array_equal(lean.pixels, full.pixels)
    assert (lean.bit_depth, lean.transfer, lean.colorspace) == (full.bit_depth, full.transfer, full.colorspace)
    assert lean.metadata == full.metadata


@pytest.mark.parametrize("bits", [8, 10, 12, 16])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_lean_read_equals_openimageio(tmp_path, monkeypatch, bits, channels):
    px = photo_like(37, 50, channels=channels, bits=16) >> (16 - bits)
    px = px.astype(np.uint8 if bits == 8 else np.uint16)
    data = dpx.encode_dpx(px, bit_size=bits, transfer=1, frame_rate=24, frame=86_401,
                          creation_time="2026:11:30:12:00:00Z", input_device="scanner A", description="take 3")
    path = tmp_path / f"f{bits}_{channels}.dpx"
    path.write_bytes(data)
    header = dpx.parse_header(data[: dpx.HEADER_SIZE])
    # left to OpenImageIO: odd line lengths at 8/12/16 bits (word-aligned and unpadded lines differ) and 10-bit
    # luma (OpenImageIO reads a word's three samples in the other order)
    left = len(dpx.layouts(header)) > 1 or (bits == 10 and channels == 1)
    assert (dpx.lean_fields(data, header) is None) == left
    lean, full = _both(path, monkeypatch)
    _assert_same(lean, full)
    assert left or np.array_equal(lean.pixels, px)
    assert lean.metadata["dpx:TimeCode"] == "01:00:00:01" and lean.metadata["DateTime"] == "2026:11:30 12:00:00"


def test_lean_read_takes_the_hdr_film_test_cards(monkeypatch):
    for name in ("dpx_nuke_10bits_rgb.dpx", "dpx_nuke_16bits_rgba.dpx"):
        path = shared_data("hdr_film", name)
        head = path.read_bytes()[: dpx.HEADER_SIZE]
        assert dpx.lean_fields(head, dpx.parse_header(head)) is not None, name
        _assert_same(*_both(path, monkeypatch))


def test_lean_read_of_files_openimageio_wrote(tmp_path, monkeypatch):
    arr = photo_like(40, 64, bits=16)
    for bits in (10, 16):
        path = tmp_path / f"o{bits}.dpx"
        write_image(path, Image(arr >> (16 - bits), bits), bits=bits, transfer="Printing density")
        head = path.read_bytes()[: dpx.HEADER_SIZE]
        assert dpx.lean_fields(head, dpx.parse_header(head)) is not None
        _assert_same(*_both(path, monkeypatch))


def test_header_without_film_fields_is_left_to_openimageio(tmp_path, monkeypatch):
    # as ffmpeg writes: pixels right after a 1664-byte generic header -> not a plain file
    px = photo_like(16, 24, bits=16) >> 6
    data = bytearray(dpx.encode_dpx(px, bit_size=10))
    body = data[dpx.HEADER_SIZE:]
    head = data[:1664]
    struct.pack_into(">I", head, 4, 1664)
    struct.pack_into(">I", head, 808, 1664)
    struct.pack_into(">I", head, 16, 1664 + len(body))
    struct.pack_into(">I", head, 28, 0)
    path = tmp_path / "ff.dpx"
    path.write_bytes(bytes(head) + bytes(body))
    assert readers._read_dpx_lean(path, 10**9) is None
    img = read_image(path)
    assert np.array_equal(img.pixels, px) and img.bit_depth == 10


def test_truncated_plain_dpx_is_a_clear_error(tmp_path):
    px = photo_like(64, 48, bits=16) >> 6
    data = bytearray(dpx.encode_dpx(px, bit_size=10))
    struct.pack_into(">I", data, 16, 0)  # file size unknown: only the pixel read can notice the cut
    path = tmp_path / "cut.dpx"
    path.write_bytes(bytes(data[: dpx.HEADER_SIZE + (len(data) - dpx.HEADER_SIZE) // 3]))
    with pytest.raises(InputError, match=r"cut\.dpx.*truncated"):
        read_image(path)


def test_reading_a_plain_dpx_does_not_load_openimageio(tmp_path):
    path = tmp_path / "f.dpx"
    path.write_bytes(dpx.encode_dpx(photo_like(16, 24, bits=16) >> 6, bit_size=10))
    code = ("import sys; from qualipress.io import read_image; img = read_image(sys.argv[1]); "
            "print(img.bit_depth, 'OpenImageIO' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""}).stdout.split()
    assert out == ["10", "False"]


@pytest.mark.parametrize("bits", [8, 10, 12, 16])
def test_lean_read_of_little_endian_files(tmp_path, monkeypatch, bits):
    import OpenImageIO as oiio

    arr = photo_like(40, 64, bits=16) >> (16 - bits)
    path = tmp_path / f"le{bits}.dpx"
    spec = oiio.ImageSpec(64, 40, 3, "uint8" if bits == 8 else "uint16")
    spec.attribute("oiio:BitsPerSample", bits)
    spec.attribute("dpx:Endian", "little")
    spec.attribute("dpx:Transfer", "Printing density")  # unset, the code is 255: left to OpenImageIO
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec)
    # OpenImageIO takes 16-bit values and keeps the top bits of a 10/12-bit sample
    assert out.write_image(arr.astype(np.uint8) if bits == 8 else (arr << (16 - bits)).astype(np.uint16))
    out.close()
    head = path.read_bytes()[: dpx.HEADER_SIZE]
    assert head[:4] == b"XPDS" and dpx.lean_fields(head, dpx.parse_header(head)) is not None
    lean, full = _both(path, monkeypatch)
    _assert_same(lean, full)
    assert np.array_equal(lean.pixels, arr)
