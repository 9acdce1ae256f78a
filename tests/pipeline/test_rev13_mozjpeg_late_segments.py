"""rev13: ``transcode:jpeg`` gives back the source's APPn segments placed after its tables too. mozjpeg writes
none of the source's segments and :func:`~qualipress.io.metadata.with_source_segments` looked only at the leading
ones: under ``--metadata keep`` (where the source is not :func:`~qualipress.io.metadata.scrub_jpeg`'s hoisted copy)
a Photoshop APP13 (IPTC by-line) after the DQT was lost from the transcode, and the notes did not name it."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import read_image
from qualipress.io.metadata import _header_segments
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.search import parse_target


def test_iptc_after_the_tables_survives_transcode_jpeg_under_keep(tmp_path: Path) -> None:
    buf = io.BytesIO()
    PILImage.fromarray(np.random.default_rng(2).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
        buf, "JPEG", quality=95)
    data = buf.getvalue()
    dqt_end = next(end for m, _, end in _header_segments(data) if m == 0xDB)
    payload = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x50\x00\x08JaneDoe!"
    src = tmp_path / "a.jpg"
    src.write_bytes(data[:dqt_end] + b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload + data[dqt_end:])
    image = read_image(src)
    plan = PhotoHooks(metadata="keep").plan(image, path=src, codec="jpeg", target=parse_target("ssim>=0.9"),
                                            previous=None)
    out = codecs.get("transcode:jpeg").encode(image, lossless=True, **plan.encode_options["transcode:jpeg"])
    assert b"JaneDoe!" in out
    assert any("source JPEG's IPTC segments" in n for n in plan.notes)
    with PILImage.open(src) as a, PILImage.open(io.BytesIO(out)) as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))
