"""Meta 19: a motion photo's video (an MP4 after the JPEG's end, Google MicroVideo / Samsung) says where it was
shot in QuickTime's ``\\xa9xyz`` or 3GPP's ``loci`` atom; it survived ``--metadata strip-gps`` and ``strip`` in the
kept source and the JPEG XL transcode. Now those atoms become ``free`` atoms of zeros of the same size (no offset
moves: ``MicroVideoOffset`` counts from the file's end), and an ISO 6709 point elsewhere in the video is zeroed."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.io.metadata import _boxes, scrub_jpeg

PLACE = b"+52.5000+004.9000/"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _video() -> bytes:
    xyz = _box(b"\xa9xyz", struct.pack(">HH", len(PLACE), 0x15C7) + PLACE)
    loci = _box(b"loci", bytes(6) + b"home\x00" + struct.pack(">III", 0, 0x0004E666, 0x00348000) + b"earth\x00\x00")
    keys = _box(b"data", struct.pack(">II", 1, 0) + PLACE)  # an mdta value (Apple's ISO6709 key)
    return _box(b"ftyp", b"isom\x00\x00\x02\x00") + _box(b"moov", _box(b"udta", xyz + loci) + _box(b"ilst", keys))


def _motion_photo() -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(buf, "JPEG")
    return buf.getvalue() + _video()


@pytest.mark.parametrize("policy", ["strip-gps", "strip"])
def test_video_location_blanked_in_place(policy: str) -> None:
    data = _motion_photo()
    out = scrub_jpeg(data, policy)
    assert len(out) == len(data)
    assert PLACE not in out and b"loci" not in out and b"\xa9xyz" not in out and b"home" not in out
    video, was = out[-len(_video()) :], _video()
    assert [b[0] for b in _boxes(video)] == [b[0] for b in _boxes(was)] == [b"ftyp", b"moov"]
    moov = _boxes(video)[1]
    assert [(k, a, b) for k, a, _, b in _boxes(video, moov[2], moov[3])] == [
        (k, a, b) for k, a, _, b in _boxes(was, moov[2], moov[3])]  # udta and ilst keep their places and sizes
    assert out[: len(data) - len(_video())] == data[: len(data) - len(_video())]


def test_video_location_kept_under_keep() -> None:
    data = _motion_photo()
    assert scrub_jpeg(data, "keep") == data


@pytest.mark.parametrize("policy", ["strip", "strip-gps"])
def test_a_location_atom_with_a_64_bit_or_open_size_is_blanked_too(policy: str) -> None:
    """rev19a: an atom's size may be 1 (a 64-bit size follows its type) or 0 (it runs to the end, ISO 14496-12);
    such a ``loci`` atom kept its binary coordinates."""
    buf = io.BytesIO()
    PILImage.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(buf, "JPEG")
    coords = struct.pack(">III", 0, 0x0004E666, 0x00348000)
    wide = b"\x00\x00\x00\x01loci" + struct.pack(">Q", 16 + 6 + len(coords)) + bytes(6) + coords
    for video in (_box(b"moov", _box(b"udta", wide)), _box(b"moov", b"") + b"\x00\x00\x00\x00loci" + bytes(6) + coords):
        data = buf.getvalue() + video
        out = scrub_jpeg(data, policy)
        assert len(out) == len(data) and b"loci" not in out and coords not in out


@pytest.mark.parametrize("policy", ["strip-gps", "strip"])
def test_video_samples_are_never_blanked(policy: str) -> None:
    """rev19c: the scan ran over the whole video, samples too: a chance ``loci`` in ``mdat`` after four zero bytes
    (size 0: to the end) zeroed the rest of the file, its ``moov`` with it, and a shorter chance size a run of
    samples; ISO 6709-like text in the samples was zeroed too. Only the boxes around the samples are read now."""
    samples = b"\x07" * 50 + bytes(4) + b"loci" + b"\x05" * 40 + struct.pack(">I", 12) + b"\xa9xyz" + b"+12+123/" * 3
    jpeg = _motion_photo()
    video = jpeg[jpeg.index(b"ftyp") - 4 :]
    ftyp = video[: struct.unpack(">I", video[:4])[0]]
    data = jpeg[: -len(video)] + ftyp + _box(b"mdat", samples) + video[len(ftyp) :]
    out = scrub_jpeg(data, policy)
    assert samples in out and out.index(samples) == data.index(samples)
    assert len(out) == len(data) and PLACE not in out and b"loci" not in out[out.index(samples) + len(samples) :]


def test_a_fragmented_video_is_copied_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """rev19e: rev19c copied the whole file once per top-level box of the video to look for ISO 6709 text; a
    fragmented MP4 has hundreds (moof, mdat pairs): 3.8 s for a 20 MB one (0.09 s now). Counted, not timed."""
    from qualipress.io import metadata as md

    jpeg = _motion_photo()
    frags = b"".join(_box(b"moof", _box(b"mfhd", bytes(8))) + _box(b"mdat", bytes(64)) for _ in range(50))
    data = jpeg + frags
    copies = []

    def counted(*args: object) -> bytes:
        if args and isinstance(args[0], bytearray) and len(args[0]) == len(data):
            copies.append(1)
        return bytes(*args)

    monkeypatch.setattr(md, "bytes", counted, raising=False)
    out = md.scrub_jpeg(data, "strip-gps")
    assert PLACE not in out and len(out) == len(data) and len(copies) <= 2  # one to search, one to return
