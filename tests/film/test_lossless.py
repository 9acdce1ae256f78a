"""Bit-exact lossless archiving of single frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import InputError
from qualipress.film import container, dpx, lossless
from qualipress.film.testset import encode_tiff16

from .synth import photo_like


def _roundtrip(data: bytes) -> dict:
    out, rec = lossless.archive_bytes(data, name="x")
    assert lossless.restore_bytes(out) == data
    return rec


@pytest.mark.parametrize("codec", lossless.PIXEL_CODECS)
def test_each_pixel_codec_is_exact(codec: str) -> None:
    px = photo_like()
    enc = lossless.encode_pixels(px, 10, codec)
    assert np.array_equal(lossless.decode_pixels(enc, codec, px.shape, "uint16"), px)


def test_dpx_is_modelled_and_smaller() -> None:
    data = dpx.encode_dpx(photo_like(), frame_rate=24, frame=1)
    rec = _roundtrip(data)
    assert rec["model"] == "dpx" and rec["residual_bytes"] == 0
    assert rec["codec"] in lossless.PIXEL_CODECS
    assert rec["archive_bytes"] < 0.8 * len(data)
    assert rec["sizes"][rec["codec"]] == min(rec["sizes"].values())


def test_trailing_data_and_nonzero_padding_bits_survive() -> None:
    data = bytearray(dpx.encode_dpx(photo_like(h=32, w=40), frame_rate=24, frame=1))
    data[2048 + 3] |= 0x01  # a padding bit of method A set: repacking alone would lose it
    data += b"TRAILER-bytes-after-the-image" * 3
    rec = _roundtrip(bytes(data))
    assert rec["model"] == "dpx" and rec["residual_bytes"] > 0


def test_tiff_is_modelled() -> None:
    rec = _roundtrip(encode_tiff16(photo_like(bits=16), description="t"))
    assert rec["model"] == "tiff" and rec["residual_bytes"] == 0


def test_unknown_format_is_opaque_but_exact() -> None:
    rec = _roundtrip(b"\x89PNG not really" * 50)
    assert rec["model"] == "opaque"


def test_truncated_dpx_is_refused() -> None:
    data = dpx.encode_dpx(photo_like(h=32, w=40))
    with pytest.raises(InputError, match="truncated"):
        lossless.archive_bytes(data[:-100], name="t.dpx")


def test_damaged_archive_is_detected() -> None:
    out, _ = lossless.archive_bytes(dpx.encode_dpx(photo_like(h=32, w=40)), name="x")
    bad = bytearray(out)
    bad[-3] ^= 0xFF
    with pytest.raises(InputError, match="damaged"):
        lossless.restore_bytes(bytes(bad))
    with pytest.raises(InputError):
        container.from_bytes(out[:-1])


def test_staged_files_restore_exactly(hdr_film: Path) -> None:
    for name in ("dpx_nuke_10bits_rgb.dpx", "dpx_nuke_16bits_rgba.dpx", "flower-rgb-contig-16.tif"):
        rec = _roundtrip((hdr_film / name).read_bytes())
        assert rec["model"] in ("dpx", "tiff")
