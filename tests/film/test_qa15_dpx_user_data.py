"""A DPX with a user-data section (qa15film): catalogued as such, and shown as a size, not a dump of its bytes.

``info`` printed a 777-byte user-data section as 50 lines of numbers (OpenImageIO hands it over as an array), and
``analyse`` said nothing of the section at all."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from qualipress.film.catalogue import probe_header
from qualipress.io import dpx, read_image

from .synth import photo_like


def _with_user_data(frame: bytes, user: bytes) -> bytes:
    """``frame`` (big-endian, pixels at 2048) with ``user`` inserted as its user-data section."""
    head = bytearray(frame[:2048])
    n = len(user)
    struct.pack_into(">I", head, 4, 2048 + n)        # image data offset
    struct.pack_into(">I", head, 16, len(frame) + n)  # file size
    struct.pack_into(">I", head, 32, n)               # user data size
    struct.pack_into(">I", head, 808, 2048 + n)       # element 0 data offset
    return bytes(head) + user + frame[2048:]


def test_user_data_is_named_with_its_size(tmp_path: Path) -> None:
    px = photo_like(h=24, w=40)
    plain = dpx.encode_dpx(px)
    assert plain[:4] == b"SDPX"
    user = b"QA15".ljust(32, b"\0") + bytes(range(256)) * 3
    p = tmp_path / "u.1001.dpx"
    p.write_bytes(_with_user_data(plain, user))
    (tmp_path / "plain.dpx").write_bytes(plain)
    img = read_image(p)
    np.testing.assert_array_equal(img.pixels, read_image(tmp_path / "plain.dpx").pixels)
    assert img.metadata["dpx:UserData"] == f"{len(user)} bytes"
    assert probe_header(p)["dpx_user_data"] == f"{len(user)} bytes"
    # a section of 16 bytes or fewer is a size too (review rev2: it was printed as OpenImageIO's array)
    (tmp_path / "small.dpx").write_bytes(_with_user_data(plain, b"QA15-small"))
    assert read_image(tmp_path / "small.dpx").metadata["dpx:UserData"] == "10 bytes"



def test_a_second_image_element_is_named_as_not_carried(tmp_path: Path) -> None:
    # qa15film: a stereo DPX (element 0 "left eye", element 1 "right eye") was compressed from element 0 with no
    # word of the other eye, where a multi-part EXR's further parts are named
    left, right = photo_like(h=16, w=24), photo_like(h=16, w=24, seed=5)
    frame = bytearray(dpx.encode_dpx(left))
    assert frame[:4] == b"SDPX"
    second = dpx.encode_dpx(right)[2048:]
    struct.pack_into(">H", frame, 770, 2)
    frame[852:924] = frame[780:852]
    struct.pack_into(">I", frame, 852 + 28, len(frame))
    frame[780 + 40:780 + 72] = b"left eye".ljust(32, b"\0")
    frame[852 + 40:852 + 72] = b"right eye".ljust(32, b"\0")
    struct.pack_into(">I", frame, 16, len(frame) + len(second))
    p = tmp_path / "stereo.1001.dpx"
    p.write_bytes(bytes(frame) + second)
    img = read_image(p)
    np.testing.assert_array_equal(img.pixels, left)
    note = img.metadata["not_carried"]
    assert "2 image elements" in note and "'left eye'" in note and "'right eye'" in note
