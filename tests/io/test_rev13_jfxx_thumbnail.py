"""rev13: a JFXX APP0 thumbnail (JFIF extension: a small copy of the photo, as EXIF's) obeys ``--metadata strip``.
QA 18 web's ``strip`` kept every APP0 segment as layout, so a kept source held the thumbnail that the EXIF
thumbnail's removal was meant to take away. Under ``keep`` ``transcode:jpeg`` gives it back after its JFIF."""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image as PILImage

from qualipress.io.metadata import _jpeg_segments, scrub_jpeg, with_source_segments


def _with_jfxx() -> bytes:
    thumb = io.BytesIO()
    PILImage.fromarray(np.full((16, 16, 3), 77, np.uint8)).save(thumb, "JPEG")
    payload = b"JFXX\x00\x10" + thumb.getvalue()
    buf = io.BytesIO()
    PILImage.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(buf, "JPEG")
    data = buf.getvalue()
    at = 2 + 2 + struct.unpack(">H", data[4:6])[0]  # after the JFIF APP0
    return data[:at] + b"\xff\xe0" + struct.pack(">H", len(payload) + 2) + payload + data[at:]


def test_strip_drops_a_jfxx_thumbnail_and_keeps_jfif() -> None:
    data = _with_jfxx()
    out = scrub_jpeg(data, "strip")
    assert [p[:5] for m, p in _jpeg_segments(out)[0] if m == 0xE0] == [b"JFIF\x00"]
    with PILImage.open(io.BytesIO(data)) as a, PILImage.open(io.BytesIO(out)) as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_transcode_jpeg_keeps_it_after_jfif_under_keep() -> None:
    import mozjpeg_lossless_optimization as mlo

    data = _with_jfxx()
    out = with_source_segments(bytes(mlo.optimize(data)), data)
    assert [p[:5] for m, p in _jpeg_segments(out)[0] if m == 0xE0] == [b"JFIF\x00", b"JFXX\x00"]
