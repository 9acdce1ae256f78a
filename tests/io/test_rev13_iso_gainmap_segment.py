"""rev13: the ISO 21496-1 gain-map version APP2 segment of a gain-map (Ultra HDR) JPEG's primary image goes with
its MPF segment. Chromium (Skia's ``findGainmapImage``) reads an ISO gain map named by MPF only when the primary
image holds that segment; QA 18 web's ``strip`` (every APPn but JFIF, ICC, MPF, Adobe) dropped it from the kept
source, whose gain map bytes stayed, so the photo lost its HDR rendition. ``transcode:jpeg`` (mozjpeg keeps no
further MPF image) no longer gives it back without the gain map it announces."""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image as PILImage

from qualipress.io.metadata import _jpeg_segments, scrub_jpeg, with_source_segments

_ISO = b"urn:iso:std:iso:ts:21496:-1\x00\x00\x00\x00\x00"


def _gainmap_jpeg() -> bytes:
    rng = np.random.default_rng(3)
    base = PILImage.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    gain = PILImage.fromarray(np.full((32, 32, 3), 200, np.uint8))
    buf = io.BytesIO()
    base.save(buf, "MPO", save_all=True, append_images=[gain], quality=95)
    data = buf.getvalue()
    extra = b"".join(bytes([0xFF, m]) + struct.pack(">H", len(p) + 2) + p
                     for m, p in ((0xED, b"Photoshop 3.0\x00" + b"x" * 40), (0xE2, _ISO)))
    return data[:2] + extra + data[2:]


def _frames(data: bytes) -> list[np.ndarray]:
    out = []
    with PILImage.open(io.BytesIO(data)) as im:
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            out.append(np.asarray(im.convert("RGB")).copy())
    return out


def test_strip_keeps_the_gain_map_version_with_mpf() -> None:
    data = _gainmap_jpeg()
    out = scrub_jpeg(data, "strip")
    payloads = [p for _, p in _jpeg_segments(out)[0]]
    assert _ISO in payloads and not any(p.startswith(b"Photoshop") for p in payloads)
    before, after = _frames(data), _frames(out)
    assert len(after) == 2 and all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_transcode_gets_no_gain_map_version_without_its_gain_map() -> None:
    import mozjpeg_lossless_optimization as mlo

    data = _gainmap_jpeg()
    out = with_source_segments(bytes(mlo.optimize(data)), data)
    payloads = [p for _, p in _jpeg_segments(out)[0]]
    assert _ISO not in payloads and any(p.startswith(b"Photoshop") for p in payloads)
