"""QA 17: ``--dry-run`` applies the run's pixel limit (decompression-bomb guard) from the header alone.

Found: a PNG whose header says 20000x20000 (157 bytes) was listed as "would compress"; the run refuses it.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.io import as_image, write_image
from qualipress.io.readers import header_dimensions
from tests.conftest import photo_like


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _huge_png(path: Path, side: int = 20000) -> None:
    """A grey PNG whose header claims ``side`` x ``side`` pixels (its data would not fill it: never decoded)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
                     + _chunk(b"IEND", b""))


def test_header_dimensions_reads_no_pixels(tmp_path: Path) -> None:
    _huge_png(tmp_path / "huge.png")
    assert header_dimensions(tmp_path / "huge.png") == (20000, 20000)
    (tmp_path / "x.png").write_text("not an image")
    assert header_dimensions(tmp_path / "x.png") is None


def test_dry_run_refuses_what_the_run_refuses_as_too_large(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    _huge_png(src / "huge.png")
    write_image(src / "good.png", as_image(photo_like(32, 40)))
    args = ["compress", str(src), "-o", str(tmp_path / "out"), "--for", "web", "--dry-run", "--json"]
    assert main(args) == 0
    rows = {Path(f["input"]).name: f["would_fail"] for f in json.loads(capsys.readouterr().out)["files"]}
    assert rows["good.png"] is None
    assert "400 Mpixel" in rows["huge.png"] and "decompression bomb" in rows["huge.png"]
    assert main([*args, "--max-mpixels", "500"]) == 0  # the limit raised: as the run, it would be tried
    rows = {Path(f["input"]).name: f["would_fail"] for f in json.loads(capsys.readouterr().out)["files"]}
    assert rows["huge.png"] is None
    assert not (tmp_path / "out").exists()
