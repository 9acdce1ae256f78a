"""DPX header parsing, packing layouts and the deterministic writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import InputError, UnsupportedError
from qualipress.io import as_image, dpx, read_image, write_image
from tests.conftest import shared_data


@pytest.mark.parametrize("bits", [8, 10, 12, 16])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_unpack_matches_openimageio_writer(tmp_path: Path, bits: int, channels: int) -> None:
    rng = np.random.default_rng(bits * 10 + channels)
    a = rng.integers(0, 1 << bits, (7, 5, channels)).astype(np.uint16 if bits > 8 else np.uint8)
    p = tmp_path / "x.dpx"
    write_image(p, as_image(a, bit_depth=bits), bits=bits)
    data = p.read_bytes()
    h = dpx.parse_header(data)
    good = [lay for lay in dpx.layouts(h) if lay.offset + lay.length <= len(data)]
    assert good, "no layout fits the file"
    px = dpx.unpack(data[good[0].offset:], good[0])
    assert np.array_equal(px, a)


@pytest.mark.parametrize("bits", [8, 10, 12, 16])
def test_writer_round_trip_and_openimageio_reads_it(tmp_path: Path, bits: int) -> None:
    rng = np.random.default_rng(bits)
    a = rng.integers(0, 1 << bits, (9, 7, 3)).astype(np.uint16 if bits > 8 else np.uint8)
    data = dpx.encode_dpx(a, bit_size=bits, frame_rate=24, frame=86401)
    assert data == dpx.encode_dpx(a, bit_size=bits, frame_rate=24, frame=86401)  # deterministic
    h = dpx.parse_header(data)
    assert (h.width, h.height, h.elements[0].bit_size) == (7, 9, bits)
    assert h.fields["dpx:timecode"] == "01:00:00:01"
    lay = dpx.layout(h, word_aligned=bits == 10)
    assert np.array_equal(dpx.unpack(data[lay.offset:], lay), a)
    assert dpx.pack(a, lay) == data[lay.offset:lay.offset + lay.length]
    p = tmp_path / "y.dpx"
    p.write_bytes(data)
    img = read_image(p)
    assert np.array_equal(img.pixels, a)
    assert img.transfer == "log"


def test_method_b_packing_round_trip() -> None:
    a = np.arange(3 * 4 * 3, dtype=np.uint16).reshape(3, 4, 3) * 20
    lay = dpx.PixelLayout(4, 3, 3, 10, 2, "<", 0, 16, 0)
    raw = dpx.pack(a, lay)
    word = int.from_bytes(raw[:4], "little")
    assert word >> 30 == 0 and (word >> 20) & 0x3FF == a[0, 0, 0]
    assert np.array_equal(dpx.unpack(raw, lay), a)


def test_staged_files_parse() -> None:
    d = shared_data("hdr_film", "dpx_nuke_16bits_rgba.dpx").read_bytes()
    h = dpx.parse_header(d)
    assert h.file_size != len(d)  # the staged header lies about the file size
    lay = dpx.layout(h)
    assert lay.channels == 4 and lay.bit_size == 10 and lay.line_bytes == 683 * 4


def test_bad_headers() -> None:
    with pytest.raises(InputError):
        dpx.parse_header(b"JUNK" * 600)
    with pytest.raises(InputError):
        dpx.parse_header(b"SDPX" + b"\0" * 100)
    data = dpx.encode_dpx(np.zeros((4, 4, 3), np.uint16))
    lay = dpx.layout(dpx.parse_header(data))
    with pytest.raises(InputError):
        dpx.unpack(data[lay.offset:lay.offset + 10], lay)
    with pytest.raises(UnsupportedError):
        dpx.encode_dpx(np.full((4, 4, 3), 2000, np.uint16), bit_size=10)


def _ffmpeg_like(pixels: np.ndarray) -> bytes:
    """A DPX laid out as ffmpeg writes it: pixels right after a 1664-byte generic header, industry length 0."""
    import struct

    full = dpx.encode_dpx(pixels, frame_rate=24, frame=1001)
    data = full[dpx.HEADER_SIZE:]
    head = bytearray(full[:1664])
    struct.pack_into(">I", head, 4, 1664)  # image data offset
    struct.pack_into(">I", head, 16, 1664 + len(data))  # file size
    struct.pack_into(">II", head, 24, 1664, 0)  # generic header 1664 bytes, industry header 0
    struct.pack_into(">I", head, 808, 1664)  # element 0 data offset
    return bytes(head) + data


def test_header_lengths_of_other_writers_are_honoured(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    px = rng.integers(0, 1024, (24, 40, 3)).astype(np.uint16)  # pixel bytes where film/TV fields would be
    blob = _ffmpeg_like(px)
    h = dpx.parse_header(blob[: dpx.HEADER_SIZE])
    assert h.image_offset == 1664
    assert not any(k in h.fields for k in ("dpx:film_frame_rate", "dpx:slate", "dpx:timecode", "dpx:tv_frame_rate"))
    assert any("industry header length is 0" in w for w in h.warnings)
    assert h.fields.get("dpx:input_device") is None or "ILM" not in h.fields.get("dpx:input_device", "")
    lay = dpx.layout(h)
    assert np.array_equal(dpx.unpack(memoryview(blob)[lay.offset:], lay), px)
    # our own files keep every field and raise no warning
    own = dpx.parse_header(dpx.encode_dpx(px, frame_rate=24, frame=1001))
    assert own.fields["dpx:film_frame_rate"] == 24 and own.warnings == ()
    # the catalogue passes the warning on
    from qualipress.film.catalogue import probe_header

    p = tmp_path / "ff.0001001.dpx"
    p.write_bytes(blob)
    info = probe_header(p)
    assert any("industry header length is 0" in w for w in info["warnings"])


def test_a_broken_file_header_offset_defers_to_element_0(tmp_path: Path) -> None:
    # qa13film: image data offset in the file header garbage (0xFFFFFF00), element 0's data offset right: archive
    # modelled the frame and OpenImageIO read it, but compress/analyse refused it ("lies beyond the end of the file")
    px = (np.arange(24 * 40 * 3, dtype=np.uint16).reshape(24, 40, 3) * 7) % 1024
    data = bytearray(dpx.encode_dpx(px))
    data[4:8] = (0xFFFFFF00).to_bytes(4, "big")
    p = tmp_path / "bd.0001003.dpx"
    p.write_bytes(bytes(data))
    img = read_image(p)
    assert np.array_equal(img.pixels, px)
    head = dpx.parse_header(bytes(data[:dpx.HEADER_SIZE]))
    assert any("element 0" in w and "4294967040" in w for w in head.warnings), head.warnings
    # with element 0's offset also past the end the file is still refused
    data[808:812] = (0xFFFFFF00).to_bytes(4, "big")
    p.write_bytes(bytes(data))
    with pytest.raises(InputError, match="beyond the end of the file"):
        read_image(p)
