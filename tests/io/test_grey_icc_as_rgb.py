"""Issue 13: a grey source's grey ICC profile goes into formats that store grey as RGB as its RGB equivalent.

Before: AVIF, WebP, HEIF and jpegli outputs of a grey image with a grey profile lost the profile (a grey profile on
RGB samples would be misread), so ``--codec auto`` left those codecs out; and a lossy JPEG XL of such an image
(jxlpy) decoded in linear light, so every lossy setting failed and the search fell back to lossless.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageCms

from qualipress import codecs
from qualipress.codecs import decode_like, jxlicc
from qualipress.io.iccmake import _assemble, _display_tags, _tag_table, grey_trc_profile, rgb_from_grey
from qualipress.io.image import as_image
from qualipress.io.metadata import Carry, icc_description, icc_usable, present, read_metadata
from qualipress.pipeline.delivery import lost_fields
from tests.pipeline.test_jxl_icc import P3

RAMP = np.tile(np.arange(256, dtype=np.uint8), (4, 1))


def _shown(icc: bytes, px: np.ndarray) -> np.ndarray:
    """``px`` (grey H×W or RGB H×W×3) tagged ``icc`` as littleCMS maps it to sRGB (green channel)."""
    mode = "L" if px.ndim == 2 else "RGB"
    out = ImageCms.profileToProfile(PILImage.fromarray(px, mode), ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                    ImageCms.createProfile("sRGB"), outputMode="RGB")
    return np.asarray(out).astype(float)[..., 1]


def _para_grey(gamma: float) -> bytes:
    """A v4 grey profile whose curve is a ``para`` tag (function type 0: a pure power)."""
    para = b"para" + bytes(4) + struct.pack(">HH", 0, 0) + struct.pack(">i", round(gamma * 65536))
    return _assemble(b"GRAY", [*_display_tags("para grey"), (b"kTRC", para)], version=bytes([4, 0x30, 0, 0]))


def _srgb_of(linear: np.ndarray) -> np.ndarray:
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055) * 255


@pytest.mark.parametrize("gamma", [1.8, 2.2, 1.0])
def test_rgb_equivalent_shows_equal_rgb_as_the_grey_profile_shows_grey(gamma: float) -> None:
    grey = grey_trc_profile(f"Gray gamma {gamma}", gamma)
    rgb = rgb_from_grey(grey)
    assert rgb is not None and rgb[16:20] == b"RGB " and icc_usable(rgb)
    assert icc_description(rgb) == f"Gray gamma {gamma}"  # the source's name is kept
    shown = _shown(rgb, np.repeat(RAMP[..., None], 3, axis=2))[0]
    assert np.abs(shown - _srgb_of((RAMP[0] / 255.0) ** gamma)).max() <= 1.5
    lit = RAMP[0] >= 16  # littleCMS bends a grey profile's first codes (its black-point handling)
    assert np.abs(shown - _shown(grey, RAMP)[0])[lit].max() <= 1


def test_a_parametric_curve_is_carried_over() -> None:
    grey = _para_grey(1.8)
    rgb = rgb_from_grey(grey)
    assert rgb is not None and rgb[8] == 4 and icc_usable(rgb)
    shown = _shown(rgb, np.repeat(RAMP[..., None], 3, axis=2))[0]
    assert np.abs(shown - _srgb_of((RAMP[0] / 255.0) ** 1.8)).max() <= 1.5


def test_only_a_grey_profile_with_a_curve_converts() -> None:
    from qualipress.io.metadata import icc_for_samples

    assert rgb_from_grey(P3) is None
    assert rgb_from_grey(P3[:16] + b"GRAY" + P3[20:]) is None  # no kTRC (as a grey LUT profile)
    grey = grey_trc_profile("g", 1.8)
    # review (rev1): a Lab-PCS grey curve gives L*/100, not Y; a grey profile with a LUT is read through the LUT
    assert rgb_from_grey(grey[:20] + b"Lab " + grey[24:]) is None
    trc = [(b"kTRC", _tag_table(grey)[b"kTRC"])]
    assert rgb_from_grey(_assemble(b"GRAY", [*_display_tags("curve grey"), *trc])) is not None
    lut = _assemble(b"GRAY", [*_display_tags("lut grey"), *trc, (b"A2B0", b"mft2" + bytes(48))])
    assert rgb_from_grey(lut) is None
    assert icc_for_samples(grey, 1) == grey and icc_for_samples(grey, 2) == grey
    assert icc_for_samples(grey, 3) == rgb_from_grey(grey) and icc_for_samples(grey, 4) == rgb_from_grey(grey)
    assert icc_for_samples(P3, 1) is None and icc_for_samples(P3, 3) == P3


@pytest.mark.parametrize("codec", ["avif", "webp", "jpegli", "heif"])
def test_rgb_stored_grey_outputs_carry_the_profile_as_rgb(codec: str) -> None:
    if codec not in codecs.available_names():
        pytest.skip(f"{codec} not installed")
    grey = grey_trc_profile("Gray gamma 1.8", 1.8)
    carry = Carry(grey, None, None)
    assert lost_fields(codec, carry, 8, 1) == []
    data = codecs.get(codec).encode(np.repeat(RAMP, 8, axis=0)[..., None], metadata=carry)
    fmt = {"jpegli": "jpeg", "heif": "heif"}.get(codec, codec)
    assert present(data, fmt)["icc"]
    held = read_metadata(data, fmt)["icc_profile"]
    assert held == rgb_from_grey(grey)


def test_lossy_jpegxl_of_a_grey_profiled_image_decodes_in_its_curve() -> None:
    if not jxlicc.available():
        pytest.skip("jxlpy not installed")
    px = np.repeat(RAMP, 16, axis=0)[..., None]
    image = as_image(px, bit_depth=8)
    codec = codecs.get("jpegxl")
    for gamma in (1.8, 2.2):
        carry = Carry(grey_trc_profile(f"Gray gamma {gamma}", gamma), None, None)
        data = codec.encode(image, quality=1.0, metadata=carry)
        back = decode_like(codec, data, image).pixels.astype(float)
        # before: decoded in linear light, mid-grey 128 came back as 73 (gamma 1.8)
        assert np.abs(back - px).mean() < 1.0, gamma
        lossless = codec.encode(image, lossless=True, metadata=carry)
        assert read_metadata(lossless, "jpegxl")["icc_profile"][16:20] == b"GRAY"  # lossless stays grey
        assert np.array_equal(decode_like(codec, lossless, image).pixels, px)


def test_tiff_of_rgb_pixels_gets_the_rgb_equivalent_and_grey_pixels_the_grey_profile() -> None:
    from qualipress.io.writers import encode_tiff

    grey = grey_trc_profile("Gray gamma 2.2", 2.2)
    rgb_px = np.repeat(np.repeat(RAMP, 8, axis=0)[..., None], 3, axis=2)
    held = read_metadata(encode_tiff(as_image(rgb_px, bit_depth=8), carry=Carry(grey, None, None)), "tiff")
    assert held["icc_profile"] == rgb_from_grey(grey)  # before: left out
    grey_px = np.repeat(RAMP, 8, axis=0)[..., None]
    held = read_metadata(encode_tiff(as_image(grey_px, bit_depth=8), carry=Carry(grey, None, None)), "tiff")
    assert held["icc_profile"] == grey
