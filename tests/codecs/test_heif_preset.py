"""HEIF's x265 ``preset`` option: the default is libheif's ``slow`` (what the search's steering offsets were learnt
against), a faster preset writes another, valid file, and an unknown preset is a clear error."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress import codecs
from qualipress.codecs.builtin import PRESETS
from qualipress.errors import InputError
from qualipress.io import as_image
from qualipress.search import proxy
from tests.conftest import photo_like


def _heif() -> codecs.Codec:
    try:
        return codecs.get("heif")
    except Exception as exc:  # pillow-heif not installed
        pytest.skip(str(exc))


def test_default_preset_is_slow_and_a_faster_one_writes_another_file() -> None:
    heif = _heif()
    img = as_image(photo_like(128, 160, seed=3))
    default = heif.encode(img, quality=50)
    assert heif.encode(img, quality=50, preset="slow") == default
    fast = heif.encode(img, quality=50, preset="faster")
    assert fast != default
    back = heif.decode(fast)
    assert back.pixels.shape == img.pixels.shape
    err = np.abs(back.pixels.astype(int) - img.pixels.astype(int)).mean()
    assert err < 20  # a real encoding of the image, not noise


def test_unknown_preset_is_an_input_error() -> None:
    with pytest.raises(InputError, match="preset"):
        _heif().encode(as_image(photo_like(64, 64)), quality=50, preset="warp")


def test_steering_preset_is_a_declared_one() -> None:
    assert proxy.FAST_STEERING["heif"]["preset"] in PRESETS
    assert PRESETS.index(proxy.FAST_STEERING["heif"]["preset"]) < PRESETS.index("slow")
