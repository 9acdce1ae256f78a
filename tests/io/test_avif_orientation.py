"""AVIF inputs: the primary item's irot/imir transforms are applied to the pixels on reading (issue 13 QA)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageOps

from qualipress import codecs
from qualipress.io import as_image, read_image
from qualipress.io.metadata import Carry, apply_orientation, avif_orientation, avif_transforms, embed


def _marked() -> np.ndarray:
    arr = np.full((40, 64, 3), 128, np.uint8)
    arr[:10, :10] = (255, 0, 0)
    arr[-10:, -10:] = (0, 0, 255)
    return arr


def _pillow_avif(arr: np.ndarray, orientation: int) -> bytes:
    """Pillow's AVIF writer turns an EXIF orientation into irot/imir properties."""
    ex = PILImage.Exif()
    ex[0x0112] = orientation
    buf = io.BytesIO()
    PILImage.fromarray(arr).save(buf, "AVIF", exif=ex.tobytes(), quality=95)
    return buf.getvalue()


@pytest.mark.skipif(not codecs.get("avif").is_available(), reason="no AVIF decoder")
@pytest.mark.parametrize("orientation", range(1, 9))
def test_avif_transforms_are_applied(tmp_path: Path, orientation: int) -> None:
    arr = _marked()
    data = _pillow_avif(arr, orientation)
    assert bool(avif_transforms(data)) == (orientation != 1)
    assert avif_orientation(data) == orientation
    p = tmp_path / "x.avif"
    p.write_bytes(data)
    img = read_image(p)
    want = apply_orientation(arr, orientation).astype(int)
    assert img.pixels.shape == want.shape
    assert np.abs(img.pixels.astype(int) - want).mean() < 6
    # and it shows as Pillow's own reading of the transforms does
    ref = np.asarray(ImageOps.exif_transpose(PILImage.open(io.BytesIO(data))).convert("RGB")).astype(int)
    assert np.abs(img.pixels.astype(int) - ref).mean() < 3


def test_avif_exif_orientation_alone_does_not_rotate(tmp_path: Path) -> None:
    # Browsers orient AVIF by irot/imir only: an EXIF tag without them must not turn the pixels.
    arr = _marked()
    data = codecs.get("avif").encode(as_image(arr), quality=90)
    ex = PILImage.Exif()
    ex[0x0112] = 6
    tagged = embed(data, ".avif", Carry(exif=bytes(ex.tobytes()).removeprefix(b"Exif\x00\x00")))
    assert avif_transforms(tagged) == [] and avif_orientation(tagged) == 1
    p = tmp_path / "t.avif"
    p.write_bytes(tagged)
    img = read_image(p)
    assert img.pixels.shape == arr.shape and img.metadata["orientation"] == 1


def test_unparseable_avif_has_no_transforms() -> None:
    assert avif_transforms(b"\x00\x00\x00\x08ftyp") == [] and avif_orientation(b"garbage") == 1


def test_heif_transforms_are_applied_by_libheif(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    arr = _marked()
    ex = PILImage.Exif()
    ex[0x0112] = 6
    p = tmp_path / "x.heic"
    PILImage.fromarray(arr).save(p, "HEIF", exif=ex.tobytes(), quality=95)  # written as an irot transform
    img = read_image(p)
    want = apply_orientation(arr, 6).astype(int)
    assert img.pixels.shape == want.shape and np.abs(img.pixels.astype(int) - want).mean() < 8
    assert img.metadata["orientation"] == 1  # applied once, not again by us
