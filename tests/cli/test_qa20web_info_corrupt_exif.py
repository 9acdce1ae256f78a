"""QA 20 (web): ``info`` on a JPEG whose EXIF block is damaged printed Pillow's "UserWarning: Corrupt EXIF data"
with a source line among its own lines (read_metadata and the GPS check loaded it outside any warnings filter)."""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import pytest
from PIL import Image

from qualipress.cli import main
from tests.conftest import photo_like


@pytest.mark.parametrize("tiff", [b"II*\x00" + struct.pack("<I", 99999) + b"junk",
                                  b"II*\x00" + struct.pack("<I", 8) + struct.pack("<HHHII", 1, 0x8825, 4, 1, 9999)],
                         ids=["bad-offset", "gps-past-end"])
def test_info_on_a_damaged_exif_block_prints_no_warning(tmp_path: Path, tiff: bytes,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    buf = io.BytesIO()
    Image.fromarray(photo_like(32, 48)).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    payload = b"Exif\x00\x00" + tiff
    (tmp_path / "a.jpg").write_bytes(data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert main(["info", str(tmp_path / "a.jpg")]) == 0
    assert not [w for w in seen if "EXIF" in str(w.message)], [str(w.message) for w in seen]
    assert "exif" in capsys.readouterr().out
