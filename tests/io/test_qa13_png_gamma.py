"""QA session 13 (web): a PNG whose tone curve is given by ``gAMA`` (and ``cHRM``) keeps its look.

Found: browsers colour-manage a PNG's ``gAMA``/``cHRM`` chunks when it has no ``sRGB`` or ``iCCP`` chunk; qualipress
read the samples but wrote outputs without any of it, so Chromium showed a gAMA 1.0 PNG's AVIF up to 73 code
values off the PNG (gAMA 1/1.8: 18). The chunks now become an ICC profile (matrix/TRC) that every output carries.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageCms

from qualipress.io import read_image
from qualipress.io.metadata import icc_usable, is_srgb


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with(path: Path, px: np.ndarray, *chunks: bytes) -> None:
    """``px`` as a PNG with extra chunks inserted before its first IDAT."""
    b = io.BytesIO()
    PILImage.fromarray(px).save(b, "PNG")
    data = b.getvalue()
    at = data.index(b"IDAT") - 4
    path.write_bytes(data[:at] + b"".join(chunks) + data[at:])


def _gama(g: float) -> bytes:
    return _chunk(b"gAMA", struct.pack(">I", round(g * 100000)))


def _to_srgb(icc: bytes, px: np.ndarray) -> np.ndarray:
    src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    dst = ImageCms.createProfile("sRGB")
    out = ImageCms.profileToProfile(PILImage.fromarray(px), src, dst, outputMode="RGB")
    return np.asarray(out).astype(float)


RAMP = np.repeat(np.repeat(np.arange(0, 256, 5, dtype=np.uint8)[None, :, None], 4, axis=0), 3, axis=2)


@pytest.mark.parametrize("gamma", [1.0, 1 / 1.8])
def test_a_gama_png_gets_a_profile_with_its_tone_curve(tmp_path: Path, gamma: float) -> None:
    p = tmp_path / "g.png"
    png_with(p, RAMP, _gama(gamma))
    meta = read_image(p).metadata
    icc = meta["icc_profile"]
    assert icc_usable(icc) and not is_srgb(icc) and "gAMA" in meta["icc_description"]
    # what a browser does with gAMA alone: sRGB primaries, linear light = sample ** (1 / gamma)
    lin = (RAMP[0, :, 0] / 255.0) ** (1 / gamma)
    srgb = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055) * 255
    got = _to_srgb(icc, RAMP)[0, :, :]
    assert np.abs(got - srgb[:, None]).max() <= 3, np.abs(got - srgb[:, None]).max()


def test_chrm_primaries_go_into_the_profile(tmp_path: Path) -> None:
    p = tmp_path / "wide.png"
    # Rec. 2020 primaries, D65 white, gamma 1/2.2: pure red must come out more saturated than sRGB can show
    chrm = _chunk(b"cHRM", struct.pack(">8I", *(round(v * 100000) for v in
                                                 (0.3127, 0.3290, 0.708, 0.292, 0.170, 0.797, 0.131, 0.046))))
    png_with(p, np.tile(np.array([255, 0, 0], np.uint8), (4, 4, 1)), _gama(1 / 2.2), chrm)
    icc = read_image(p).metadata["icc_profile"]
    red = _to_srgb(icc, np.tile(np.array([200, 60, 60], np.uint8), (2, 2, 1)))[0, 0]
    assert red[0] > 220 and red[1] < 40, red  # wider red: more saturated in sRGB


def test_png_with_srgb_look_stays_untagged(tmp_path: Path) -> None:
    plain, near, tagged = tmp_path / "plain.png", tmp_path / "near.png", tmp_path / "tagged.png"
    png_with(plain, RAMP)
    png_with(near, RAMP, _gama(0.45455))  # shown as sRGB within ~2 codes: nothing to carry
    png_with(tagged, RAMP, _chunk(b"sRGB", b"\x00"), _gama(1.0))  # sRGB chunk wins over gAMA
    for p in (plain, near, tagged):
        assert "icc_profile" not in read_image(p).metadata, p.name
