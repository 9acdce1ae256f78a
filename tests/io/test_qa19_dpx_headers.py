"""QA session 19: DPX header fields a user must hear about. A run-length encoded or signed DPX is refused in
words a user can act on, not with the backend's "Failed to read scanlines 0-215" nor "signed 16-bit samples" for a
10-bit file; an orientation that is not applied is said."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from qualipress.errors import UnsupportedError
from qualipress.io import dpx, read_image
from tests.conftest import photo_like


@pytest.mark.parametrize(("offset", "value", "words"), [
    (806, 1, r"rle\.dpx: DPX element 0 holds run-length encoded data"),     # element 0's encoding field: 1 = RLE
    (780, 1, r"rle\.dpx: DPX element 0 holds signed 10-bit samples"),  # element 0's data sign: 1 = signed
])
def test_rle_and_signed_dpx_are_refused_clearly(tmp_path, offset, value, words):
    data = bytearray(dpx.encode_dpx(photo_like(16, 24, bits=16) >> 6, bit_size=10))
    struct.pack_into(">H" if offset == 806 else ">I", data, offset, value)
    path = tmp_path / "rle.dpx"
    path.write_bytes(bytes(data))
    with pytest.raises(UnsupportedError, match=words):
        read_image(path)


def test_a_dpx_orientation_that_is_not_applied_is_said(tmp_path):
    # QA session 19: a bottom-to-top DPX (orientation 2) was compressed in stored order, upside down for a reader
    # that honours the field, and nothing in the report said so
    data = bytearray(dpx.encode_dpx(photo_like(16, 24, bits=16) >> 6, bit_size=10))
    plain = tmp_path / "plain.dpx"
    plain.write_bytes(bytes(data))
    struct.pack_into(">H", data, 768, 2)
    flipped = tmp_path / "bottomup.dpx"
    flipped.write_bytes(bytes(data))
    assert "not_carried" not in read_image(plain).metadata
    assert read_image(flipped).metadata["not_carried"] == ("DPX orientation code 2 (not left to right, top to "
                                                           "bottom) is not applied: outputs keep the stored pixel "
                                                           "order")


@pytest.mark.parametrize("code", [2, 0x0100, 0xFFFF])
def test_an_encoding_code_other_than_rle_is_read_as_uncompressed(tmp_path, code):
    # review of QA 19: only code 1 is RLE; OpenImageIO reads any other code (a writer's garbage, a byte-swapped
    # field) as uncompressed, and so did qualipress before the refusal, which took every code but 0 for RLE
    arr = photo_like(16, 24, bits=16) >> 6
    data = bytearray(dpx.encode_dpx(arr, bit_size=10))
    struct.pack_into(">H", data, 806, code)
    path = tmp_path / "enc.dpx"
    path.write_bytes(bytes(data))
    img = read_image(path)
    assert img.bit_depth == 10 and (img.pixels == arr).all()


def test_an_undefined_data_sign_is_read_as_unsigned(tmp_path):
    # review of QA 19: a header written with every unset field all ones (0xFFFFFFFF) has an undefined data sign,
    # which the refusal rightly does not take for signed; the file then went to OpenImageIO, which reads any
    # sign but 0 as int16, and was refused as "signed 16-bit samples" anyway
    arr = photo_like(16, 24, bits=16) >> 6
    data = bytearray(dpx.encode_dpx(arr, bit_size=10))
    struct.pack_into(">I", data, 780, 0xFFFFFFFF)
    path = tmp_path / "undef.dpx"
    path.write_bytes(bytes(data))
    img = read_image(path)
    assert img.bit_depth == 10 and (img.pixels == arr).all()


@pytest.mark.parametrize("code", [4, 5, 6, 7])
def test_a_column_wise_dpx_read_by_openimageio_keeps_the_stored_geometry(tmp_path, code):
    # review of QA 19: for orientation codes 4-7 libdpx swaps width and height and reads the lines at the other
    # length, so a frame the lean path does not take (here: a key code in the film header) came back as a
    # scrambled 24x16 picture of a 16x24 scan, while the report said "outputs keep the stored pixel order"
    arr = photo_like(16, 24, bits=16) >> 6
    data = bytearray(dpx.encode_dpx(arr, bit_size=10))
    struct.pack_into(">H", data, 768, code)
    data[1664] = ord("1")  # film header key code: left to OpenImageIO
    path = tmp_path / "columns.dpx"
    path.write_bytes(bytes(data))
    img = read_image(path)
    assert img.bit_depth == 10 and img.pixels.shape == arr.shape and (img.pixels == arr).all()
    assert "keep the stored pixel order" in img.metadata["not_carried"]


@pytest.mark.parametrize("code", [2, 0x0100])
def test_a_column_wise_dpx_with_an_encoding_code_other_than_rle_is_read(tmp_path, code):
    # review of rev19b: such a code is read as uncompressed for a row-wise frame, but the column-wise re-read asked
    # dpx.layout, which still took every code but 0 and 0xFFFF for RLE, and the frame was refused
    arr = photo_like(16, 24, bits=16) >> 6
    data = bytearray(dpx.encode_dpx(arr, bit_size=10))
    struct.pack_into(">H", data, 768, 5)
    struct.pack_into(">H", data, 806, code)
    path = tmp_path / "columns.dpx"
    path.write_bytes(bytes(data))
    img = read_image(path)
    assert img.bit_depth == 10 and img.pixels.shape == arr.shape and (img.pixels == arr).all()


@pytest.mark.parametrize("bits", [8, 10, 16])
def test_an_undefined_data_sign_is_read_as_unsigned_by_openimageio_too(tmp_path, bits):
    # review of rev19b: the undefined sign was taken as unsigned by the lean path only; a frame the lean path leaves
    # to OpenImageIO (here: a key code) came back int16 / int8 and was refused as "signed 16-bit samples"
    arr = photo_like(16, 24, bits=16) >> (16 - bits)
    data = bytearray(dpx.encode_dpx(arr.astype(np.uint8) if bits == 8 else arr, bit_size=bits))
    struct.pack_into(">I", data, 780, 0xFFFFFFFF)
    data[1664] = ord("1")  # film header key code: left to OpenImageIO
    path = tmp_path / "undef.dpx"
    path.write_bytes(bytes(data))
    img = read_image(path)
    assert img.bit_depth == bits and (img.pixels == arr).all()
