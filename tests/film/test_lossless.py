"""Bit-exact lossless archiving of single frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import UnsupportedError
from qualipress.film import container, lossless
from qualipress.film.testset import encode_tiff16
from qualipress.io import dpx

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


def test_a_frame_no_codec_stores_exactly_is_kept_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Modelled, but no pixel codec proven exact: the file is archived opaque (it was a failed frame)."""
    def refuse(*args, **kwargs):
        raise UnsupportedError("cannot store these pixels")

    monkeypatch.setattr(lossless, "encode_pixels", refuse)
    rec = _roundtrip(dpx.encode_dpx(photo_like(h=32, w=40), frame_rate=24, frame=1))
    assert rec["model"] == "opaque" and "no lossless pixel codec" in rec["model_note"]


@pytest.mark.parametrize("kind", ["dpx", "tiff", "text"])
def test_damaged_sources_are_kept_byte_exact_and_flagged(kind: str) -> None:
    px = photo_like(h=32, w=40)
    if kind == "dpx":
        data, name, why = dpx.encode_dpx(px)[:-100], "t.0001.dpx", "truncated"
    elif kind == "tiff":
        data, name, why = encode_tiff16(px, description="x")[:600], "t.0001.tif", ""
    else:
        data, name, why = b"just some text, not an image\n" * 20, "t.0001.tif", "not a TIF file"
    out, rec = lossless.archive_bytes(data, name=name)
    assert rec["model"] == "opaque" and rec["damaged"] and why in rec["damaged"]
    assert lossless.restore_bytes(out) == data
    assert container.read_header(out)["model"]["damaged"] == rec["damaged"]


def test_intact_files_are_not_flagged() -> None:
    _, rec = lossless.archive_bytes(dpx.encode_dpx(photo_like(h=32, w=40)), name="ok.0001.dpx")
    assert rec["damaged"] is None and rec["model"] == "dpx"


def test_probe_ranks_on_sampled_rows_and_encodes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    px = photo_like(h=1080, w=512)
    data = dpx.encode_dpx(px)
    calls: list[tuple[int, str]] = []
    real = lossless.encode_pixels

    def spy(p: np.ndarray, bits: int, codec: str, **kw: object) -> bytes:
        calls.append((p.shape[0], codec))
        return real(p, bits, codec, **kw)

    monkeypatch.setattr(lossless, "encode_pixels", spy)
    out, rec = lossless.archive_bytes(data, name="p.dpx", codecs=lossless.FAST_CODECS, select="probe")
    assert lossless.restore_bytes(out) == data
    full = [c for h, c in calls if h == 1080]
    probes = [h for h, c in calls if h != 1080]
    assert full == [rec["codec"]] and rec["encodes"] == 1
    assert len(probes) == len(lossless.FAST_CODECS) and all(h <= 1080 * lossless.PROBE_FRACTION * 1.5 for h in probes)
    assert rec["codec"] == min(rec["probe_sizes"], key=rec["probe_sizes"].get)


def test_select_all_keeps_the_smallest_full_encode() -> None:
    data = dpx.encode_dpx(photo_like(h=1080, w=512))
    out, rec = lossless.archive_bytes(data, name="p.dpx", codecs=lossless.FAST_CODECS, select="all")
    assert rec["encodes"] == len(lossless.FAST_CODECS) and not rec["probe_sizes"]
    assert rec["sizes"][rec["codec"]] == min(rec["sizes"].values())
    assert lossless.restore_bytes(out) == data


def test_probe_rows_cover_the_frame_evenly() -> None:
    rows = lossless.probe_rows(1080)
    assert all(0 <= s.start < s.stop <= 1080 for s in rows)
    assert sum(s.stop - s.start for s in rows) == pytest.approx(1080 * lossless.PROBE_FRACTION, rel=0.25)
    assert rows[0].start < 1080 / 4 and rows[-1].stop > 3 * 1080 / 4
    assert lossless.probe_rows(20) == [slice(0, 20)]


def test_unknown_codec_or_mode_is_refused() -> None:
    data = dpx.encode_dpx(photo_like(h=8, w=8))
    with pytest.raises(UnsupportedError):
        lossless.archive_bytes(data, codecs=("png",))
    with pytest.raises(UnsupportedError):
        lossless.archive_bytes(data, select="guess")


def test_damaged_archive_is_detected() -> None:
    out, _ = lossless.archive_bytes(dpx.encode_dpx(photo_like(h=32, w=40)), name="x")
    bad = bytearray(out)
    bad[-3] ^= 0xFF
    with pytest.raises(container.DamagedError, match="damaged"):
        lossless.restore_bytes(bytes(bad))
    with pytest.raises(container.DamagedError, match="truncated"):
        container.from_bytes(out[:-1])


def test_damage_names_the_section_that_fails_its_hash() -> None:
    out, _ = lossless.archive_bytes(dpx.encode_dpx(photo_like(h=32, w=40)), name="x")
    head = container.read_header(out)
    (n,) = __import__("struct").unpack_from("<I", out, 8)
    pos = 12 + n
    for sec in head["sections"]:
        bad = bytearray(out)
        bad[pos + sec["length"] // 2] ^= 0x01
        with pytest.raises(container.DamagedError, match=f"section '{sec['name']}' fails its SHA-256"):
            lossless.restore_bytes(bytes(bad))
        pos += sec["length"]
    # a changed character inside the JSON header (still valid JSON): the header's own hash names it
    i = out.index(b"qualipress-lossless-frame")
    bad = out[:i] + b"Qualipress" + out[i + 10:]
    with pytest.raises(container.DamagedError, match="section 'header' fails its SHA-256"):
        lossless.restore_bytes(bad)


def test_staged_files_restore_exactly(hdr_film: Path) -> None:
    for name in ("dpx_nuke_10bits_rgb.dpx", "dpx_nuke_16bits_rgba.dpx", "flower-rgb-contig-16.tif"):
        rec = _roundtrip((hdr_film / name).read_bytes())
        assert rec["model"] in ("dpx", "tiff")
