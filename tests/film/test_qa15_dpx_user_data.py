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

