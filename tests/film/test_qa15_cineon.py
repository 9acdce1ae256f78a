"""Kodak Cineon (.cin) scans: read as 10-bit printing-density log, found in folders (qa15film).

A folder of Cineon frames gave "no image files found", a named one "not a recognised image format", while
``archive`` stored them (opaque) and ``film.sequence`` lists ``.cin`` as a frame extension."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from qualipress.io import find_images, read_image
from qualipress.io.logcurves import log_curve

pytest.importorskip("OpenImageIO")


def _cineon(path: Path, code: np.ndarray) -> None:
    """10-bit RGB Cineon: 1,024-byte generic + industry headers, three samples to a big-endian 32-bit word."""
    h, w = code.shape[:2]
    c = code.astype(np.uint32)
    data = ((c[..., 0] << 22) | (c[..., 1] << 12) | (c[..., 2] << 2)).astype(">u4").tobytes()
    head = bytearray(2048)
    struct.pack_into(">IIIIII", head, 0, 0x802A5FD7, 2048, 1024, 1024, 0, 2048 + len(data))
    head[24:28] = b"V4.5"
    head[193] = 3
    for k in range(3):
        head[196 + 28 * k:200 + 28 * k] = bytes((0, k + 1, 10, 0))
        struct.pack_into(">IIffff", head, 200 + 28 * k, w, h, 0.0, 0.0, 1023.0, 2.048)
    head[681] = 5  # 32-bit boundary, left justified
    path.write_bytes(bytes(head) + data)


def test_a_cineon_frame_reads_as_10_bit_printing_density(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    code = rng.integers(0, 1024, (9, 14, 3)).astype(np.uint16)
    (tmp_path / "reel").mkdir()
    p = tmp_path / "reel" / "scan.1001.cin"
    _cineon(p, code)
    img = read_image(p)
    np.testing.assert_array_equal(img.pixels, code)
    assert img.bit_depth == 10 and img.transfer == "log" and log_curve(img.metadata) == "cineon"
    assert img.metadata["format"] == "cineon" and "extension_mismatch" not in img.metadata
    assert [f.rel.as_posix() for f in find_images([tmp_path])] == ["reel/scan.1001.cin"]


def test_a_cineon_frame_is_archived_with_a_pixel_coder_and_restored_bit_exact(tmp_path: Path) -> None:
    # qa15film: .cin frames were archived opaque (zstd, 1.31:1 where the same pixels as DPX give 2.15:1)
    from qualipress.film import lossless

    rng = np.random.default_rng(2)
    code = np.clip(400 + rng.normal(0, 6, (40, 64, 3)), 0, 1023).astype(np.uint16)
    p = tmp_path / "scan.1001.cin"
    _cineon(p, code)
    data = p.read_bytes()
    model = lossless.model_file(data, name=p.name)
    assert model.kind == "dpx" and model.residual is None
    np.testing.assert_array_equal(model.pixels, code)
    out, rec = lossless.archive_bytes(data, name=p.name)
    assert lossless.restore_bytes(out) == data
    assert rec["archive_bytes"] < 0.8 * len(data)


def test_dry_run_for_web_refuses_a_cineon_scan_as_the_run_does(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # qa15film: `--for web --dry-run` said "would compress" a .cin that the run refuses (log integer)
    from qualipress.cli import main

    p = tmp_path / "scan.1001.cin"
    _cineon(p, np.full((8, 12, 3), 400, np.uint16))
    main(["compress", str(p), "-o", str(tmp_path / "out"), "--for", "web", "--dry-run"])
    shown = capsys.readouterr()
    assert "would fail" in shown.out + shown.err and "log integer" in shown.out + shown.err


@pytest.mark.parametrize("orientation", [2, 5])
def test_a_cineon_orientation_is_said_and_a_column_wise_scan_keeps_its_stored_geometry(
        tmp_path: Path, orientation: int) -> None:
    # review of QA 19: the DPX reader says an orientation it does not apply, the Cineon reader said nothing; and
    # for codes 4-7 OpenImageIO swaps width and height, so a 16x24 scan came back a scrambled 24x16 picture
    code = (np.arange(16 * 24 * 3).reshape(16, 24, 3) % 1000 + 20).astype(np.uint16)
    p = tmp_path / "turned.cin"
    _cineon(p, code)
    data = bytearray(p.read_bytes())
    data[192] = orientation
    p.write_bytes(bytes(data))
    img = read_image(p)
    assert img.pixels.shape == code.shape and (img.pixels == code).all()
    assert img.metadata["not_carried"].startswith(f"Cineon orientation code {orientation} ")


@pytest.mark.parametrize("orientation", [0, 5])
def test_a_cineon_scan_with_end_of_line_padding_reads_its_own_samples(tmp_path: Path, orientation: int) -> None:
    # review of rev19b: OpenImageIO skips no end-of-line padding (header offset 684), so every line after the first
    # came back shifted; the column-wise check looked at a reserved field (700) instead
    code = (np.arange(7 * 13 * 3).reshape(7, 13, 3) % 1000 + 20).astype(np.uint16)
    p = tmp_path / "padded.cin"
    _cineon(p, code)
    data = bytearray(p.read_bytes())
    data[192] = orientation
    struct.pack_into(">I", data, 684, 8)
    pixels = bytes(data[2048:])
    data[2048:] = b"".join(pixels[y * 52:(y + 1) * 52] + b"\xee" * 8 for y in range(7))
    p.write_bytes(bytes(data))
    img = read_image(p)
    assert img.pixels.shape == code.shape and (img.pixels == code).all()
