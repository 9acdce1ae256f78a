"""rev7: segments removed after a JPEG's MPF segment (``scrub_jpeg`` under ``--metadata strip``) or added before it
(``embed_jpeg``) move the images the MPF segment points at: their offsets follow, so a camera's preview, a stereo
pair's other view or an Ultra HDR gain map stays readable."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image as PILImage

from qualipress.io.metadata import Carry, embed_jpeg, scrub_jpeg


def _mpo(**extra: object) -> bytes:
    first = PILImage.fromarray(np.full((64, 64, 3), 200, np.uint8))
    second = PILImage.fromarray(np.full((32, 32, 3), 50, np.uint8))
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second], **extra)
    return buf.getvalue()


def _second(data: bytes) -> float:
    im = PILImage.open(io.BytesIO(data))
    im.seek(1)
    return float(np.asarray(im).mean())


def test_a_comment_stripped_after_the_mpf_segment_keeps_the_second_image() -> None:
    data = _mpo(comment=b"after the MPF segment " * 20)
    assert _second(data) == 50.0
    out = scrub_jpeg(data, "strip")
    assert out.count(b"after the MPF segment") < data.count(b"after the MPF segment")  # the first image's
    assert _second(out) == 50.0  # before: "not a JPEG file" (the offset pointed 440 bytes too far)


def test_a_profile_moved_before_the_mpf_segment_keeps_the_second_image() -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _mpo(icc_profile=icc)  # Pillow writes the ICC segment after the MPF one; embed_jpeg puts it before
    assert data.index(b"ICC_PROFILE") > data.index(b"MPF\x00")
    out = embed_jpeg(data, Carry(icc=icc))
    assert out.index(b"ICC_PROFILE") < out.index(b"MPF\x00")
    assert _second(out) == 50.0
