"""The .qlc container: round trip, and every way a file can be bad."""

from __future__ import annotations

import struct
import zlib

import pytest

from qualipress.errors import InputError, UnsupportedError
from qualipress.learned import qlc


def _sample() -> bytes:
    h = qlc.QlcHeader(model_id=2, quality=4.5, step=0.75, width=37, height=53, fingerprint=b"12345678",
                      latent_shape=(1, 1), channels=3, flags=qlc.FLAG_STEP)
    return qlc.pack(h, [[b"abc", b""], [b"\x00" * 300]])


def test_round_trip_keeps_every_field() -> None:
    data = _sample()
    assert qlc.is_qlc(data) and data[:4] == b"QLC1"
    h, strings = qlc.unpack(data)
    assert (h.model_id, h.width, h.height, h.channels, h.flags) == (2, 37, 53, 3, qlc.FLAG_STEP)
    assert h.quality == pytest.approx(4.5) and h.step == pytest.approx(0.75)
    assert h.fingerprint == b"12345678" and h.latent_shape == (1, 1)
    assert strings == [[b"abc", b""], [b"\x00" * 300]]


def test_header_is_fixed_size() -> None:
    assert qlc.HEADER_LEN == 56
    data = _sample()
    assert struct.unpack_from("<H", data, 10)[0] == 56


@pytest.mark.parametrize("cut", [0, 3, 10, 55, 56, 60])
def test_truncated_file_is_an_input_error(cut: int) -> None:
    data = _sample()
    with pytest.raises(InputError):
        qlc.unpack(data[:cut])


def test_flipped_payload_byte_is_detected() -> None:
    data = bytearray(_sample())
    data[-1] ^= 0xFF
    with pytest.raises(InputError, match="corrupt"):
        qlc.unpack(bytes(data))


def test_flipped_header_byte_is_detected() -> None:
    data = bytearray(_sample())
    data[21] ^= 0x01  # width
    with pytest.raises(InputError, match="corrupt"):
        qlc.unpack(bytes(data))


def test_newer_version_is_refused_clearly() -> None:
    data = bytearray(_sample())
    data[4] = 9
    with pytest.raises(UnsupportedError, match="newer"):
        qlc.unpack(bytes(data))


def test_other_file_is_not_qlc() -> None:
    assert not qlc.is_qlc(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(InputError, match=r"not a \.qlc"):
        qlc.unpack(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)


@pytest.mark.parametrize("tail", [b"\x00", b"QLC1" + b"\x00" * 60], ids=["one-byte", "second-file"])
def test_trailing_bytes_are_refused_like_a_truncation(tail: bytes) -> None:
    """misc18: bytes after the payload were ignored. A .qlc has no place for trailing data (unlike a JPEG's
    motion-photo tail), and they are the one damage the CRCs cannot see: refused, saying how many."""
    data = _sample() + tail
    with pytest.raises(InputError, match=f"{len(tail)} byte"):
        qlc.unpack(data)
    with pytest.raises(InputError, match="after its payload"):
        qlc.unpack_header(data)


def test_slack_inside_the_payload_is_refused() -> None:
    h = qlc.unpack(_sample())[0]
    packed = bytearray(qlc.pack(h, [[b"abc"]]))
    payload = bytes(packed[qlc.HEADER_LEN:]) + b"\x07"  # a valid CRC over a payload longer than its strings
    fixed = bytearray(packed[:qlc.HEADER_LEN - 4])
    struct.pack_into("<II", fixed, 40, len(payload), zlib.crc32(payload))
    data = bytes(fixed) + struct.pack("<I", zlib.crc32(bytes(fixed))) + payload
    with pytest.raises(InputError, match="after its last string"):
        qlc.unpack(data)
