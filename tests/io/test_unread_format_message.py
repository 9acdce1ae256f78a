"""Image formats qualipress does not read are named as such, not called unrecognised."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.errors import UnsupportedError
from qualipress.io import read_image


@pytest.mark.parametrize("fmt,suffix,name", [("BMP", ".bmp", "BMP"), ("PSD", None, "PSD")])
def test_known_unread_format_is_named(tmp_path, fmt, suffix, name) -> None:
    # QA (qa11): `compress photo.bmp` said "not a recognised image format (first bytes b'BM6...')", while a GIF
    # is named and the directory scan counts .bmp as a format qualipress does not read.
    p = tmp_path / ("x" + (suffix or ".psd"))
    if fmt == "BMP":
        PILImage.fromarray(np.zeros((4, 6, 3), np.uint8)).save(p)
    else:
        p.write_bytes(b"8BPS\x00\x01" + bytes(40))
    with pytest.raises(UnsupportedError, match=rf"{name} is not read by qualipress; convert it to PNG or TIFF"):
        read_image(p)


def test_text_starting_like_a_bmp_is_still_unrecognised(tmp_path) -> None:
    from qualipress.errors import InputError

    p = tmp_path / "notes.bmp"
    p.write_bytes(b"BMW parts list\n" * 4)
    with pytest.raises(InputError, match="not a recognised image format"):
        read_image(p)
