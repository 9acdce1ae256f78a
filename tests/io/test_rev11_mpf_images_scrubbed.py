"""rev11: ``--metadata strip-gps`` / ``strip`` and the further images of an MPO (a depth map, a stereo view).

A kept source and its JPEG XL transcode hold those images as they are (meta 18's never grow ranks them on the
primary image, so they win more often), and each kept its own EXIF with its GPS IFD: the location was still in
the file. They are scrubbed now, the MP Entries' sizes and offsets following.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image as PILImage

from qualipress.io.metadata import carry_for, embed_jpeg, read_metadata, scrub_jpeg


def _mpo() -> bytes:
    exif = PILImage.Exif()
    exif[0x010F] = "Cam"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 26.0)}
    rng = np.random.default_rng(0)
    frames = [PILImage.fromarray(rng.integers(0, 255, (40 + 8 * i, 56, 3), dtype=np.uint8)) for i in range(3)]
    for frame in frames[1:]:
        frame.encoderinfo = {"exif": exif.tobytes()}
    buf = io.BytesIO()
    frames[0].save(buf, "MPO", save_all=True, append_images=frames[1:], quality=90, exif=exif.tobytes())
    return buf.getvalue()


def _frames(data: bytes) -> list[tuple[np.ndarray, dict]]:
    out = []
    with PILImage.open(io.BytesIO(data)) as im:
        for k in range(im.n_frames):
            im.seek(k)
            exif = im.getexif()
            out.append((np.asarray(im.convert("RGB")).copy(), {"make": exif.get(0x010F), "gps": dict(
                exif.get_ifd(0x8825)) if 0x8825 in exif else {}}))
    return out


def test_the_further_images_lose_their_gps_and_still_decode() -> None:
    data = _mpo()
    before = _frames(data)
    assert len(before) == 3 and all(meta["gps"] for _, meta in before[1:])
    for policy in ("strip-gps", "strip"):
        # as a kept source is written: its other segments scrubbed, the primary image's metadata replaced
        after = _frames(embed_jpeg(scrub_jpeg(data, policy), carry_for(read_metadata(data, "jpeg"), policy)))
        assert len(after) == 3
        for (pixels, _), (kept, _) in zip(before, after, strict=True):
            assert np.array_equal(pixels, kept)  # the MP Entries' offsets still find each image
        for _, meta in after:
            assert not meta["gps"]  # before: 51° 30' 26" N in both further images
            assert meta["make"] == ("Cam" if policy == "strip-gps" else None)
    assert scrub_jpeg(data, "keep") == data
