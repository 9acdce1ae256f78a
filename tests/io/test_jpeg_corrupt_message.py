"""A JPEG whose entropy-coded data is damaged but whose file is complete is called corrupt, not truncated."""

from __future__ import annotations

import pytest

from qualipress import codecs
from qualipress.errors import InputError
from qualipress.io import read_image
from tests.conftest import photo_like


def _damaged_scan() -> bytes:
    data = bytearray(codecs.get("jpeg").encode(photo_like(96, 128, seed=11), quality=90))
    sos = data.index(b"\xff\xda")
    mid = (sos + len(data)) // 2
    # A stray DHT marker inside the scan whose length runs past the end of the file.
    data[mid:mid + 4] = b"\xff\xc4\xff\xf0"
    assert data.endswith(b"\xff\xd9")
    return bytes(data)


def test_damaged_scan_with_its_end_marker_is_called_corrupt(tmp_path):
    # QA (qa11): 200 random bytes written into the middle of a q90 JPEG (file length and end marker intact) were
    # reported as "JPEG data ends before its end-of-image marker: the file is truncated".
    p = tmp_path / "damaged.jpg"
    p.write_bytes(_damaged_scan())
    with pytest.raises(InputError, match=r"damaged\.jpg: .*corrupt") as err:
        read_image(p)
    assert "truncated" not in str(err.value)


def test_cut_file_is_still_called_truncated(tmp_path):
    data = _damaged_scan()
    p = tmp_path / "cut.jpg"
    p.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InputError, match=r"cut\.jpg: .*truncated"):
        read_image(p)
