"""A 1x1 image through a learned codec and on to a PNG (QA session 17, researcher: ``qualipress decode`` of a 1x1
``.qlc`` ended in a traceback from the PNG encoder, ``invalid data shape, strides, or dtype``: the decoded array
had strides (1, 1, 1), which numpy calls contiguous and imagecodecs refuses)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.io import read_image, write_image

from .conftest import synthetic_rgb


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 1, 1), (1, 7, 3)])
def test_one_pixel_high_image_decodes_to_a_writable_array(tiny_hyperprior: Path, tmp_path: Path,
                                                          shape: tuple[int, int, int]) -> None:
    from qualipress.learned.codec import make_codec

    codec = make_codec("bmshj2018-hyperprior").with_weights(tiny_hyperprior)
    x = synthetic_rgb(shape[0], shape[1])[..., : shape[2]]
    out = codec.decode(codec.encode(x, quality=4))
    px = out.pixels
    assert px.shape == shape
    assert px.strides == (shape[1] * shape[2], shape[2], 1)  # C order, also along the length-1 axes
    write_image(tmp_path / "one.png", out)
    assert np.array_equal(read_image(tmp_path / "one.png").pixels, px)
