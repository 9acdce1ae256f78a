"""The review page's film display rendering for log and scene-linear frames."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import Image, dpx, write_image
from qualipress.io.logcurves import cineon_to_linear, display_code, linear_to_cineon
from qualipress.review.render import describe_pair, render


def _png(shown: bytes) -> np.ndarray:
    return np.asarray(PILImage.open(io.BytesIO(shown)))


def _frames(tmp_path: Path) -> tuple[Path, Path, np.ndarray]:
    lin = np.exp2(np.linspace(-5, 3, 96))[None, :].repeat(32, 0)
    code = np.rint(linear_to_cineon(lin) * 1023).astype(np.uint16)
    px = np.repeat(code[..., None], 3, axis=2)
    src = tmp_path / "shot.0001001.dpx"
    src.write_bytes(dpx.encode_dpx(px, transfer=1))
    jxl = tmp_path / "shot.0001001.jxl"
    cdc = codecs.get("jpegxl")
    jxl.write_bytes(cdc.encode(Image(px, 10, transfer="log"), quality=None, lossless=True))
    return src, jxl, px


def test_log_frames_and_their_outputs_get_the_film_display_rendering(tmp_path: Path) -> None:
    src, jxl, px = _frames(tmp_path)
    orig = render(src)
    comp = render(jxl, like=src)
    assert orig.transform.startswith("film display: Cineon") and comp.transform == orig.transform
    want = np.rint(display_code(cineon_to_linear(px[0, :, 0] / 1023.0)) * 255)
    assert np.abs(_png(orig.png)[0, :, 0].astype(int) - want).max() <= 1
    assert np.array_equal(_png(orig.png), _png(comp.png))  # lossless output: the same picture
    assert describe_pair(orig, comp) == (orig.transform, comp.transform)
    stored = render(src, display="stored")
    assert "value/1023" in stored.transform
    # the film rendering spreads the log code: more contrast than the stored code values
    assert np.ptp(_png(orig.png)[..., 0]) > np.ptp(_png(stored.png)[..., 0])


def test_float_linear_frames_get_it_on_request(tmp_path: Path) -> None:
    lin = np.exp2(np.linspace(-5, 3, 64, dtype=np.float32))[None, :, None].repeat(16, 0).repeat(3, 2)
    p = tmp_path / "f.exr"
    write_image(p, Image(lin, 32, transfer="linear"))
    assert "PQ" in render(p).transform
    film = render(p, display="film")
    assert film.transform.startswith("film display: scene-linear")
    got = _png(film.png)[0, :, 0].astype(int)
    assert np.abs(got - np.rint(display_code(lin[0, :, 0]) * 255)).max() <= 2
    with pytest.raises(Exception, match="display mode"):
        render(p, display="nope")
