"""qa2: a float source with a codec too shallow for its 16-bit perceptual coding gets the remedy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import UnsupportedError
from qualipress.io import as_image
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.search.targets import parse_target


@pytest.mark.parametrize("bit_depth", [8, None])
def test_float_source_with_shallow_codec_names_the_remedy(tmp_path: Path, bit_depth: int | None) -> None:
    """QA: ``compress x.exr --codec avif --bit-depth 8`` failed with "none of avif can encode a 16-bit rgba
    image", giving no way out; --bit-depth 8 does not apply to float sources."""
    img = as_image(np.full((16, 16, 3), 0.25, np.float32))
    hooks = PhotoHooks(bit_depth=bit_depth)
    with pytest.raises(UnsupportedError, match=r"avif.*12-bit.*float.*16-bit.*jpegxl") as info:
        hooks.plan(img, path=tmp_path / "x.exr", codec="avif", target=parse_target("ssim>=0.95"), previous=None)
    assert ("--bit-depth 8 does not apply" in str(info.value)) == (bit_depth == 8)
    assert "avif" not in str(info.value).split("choose")[-1]  # avif is no remedy for 16-bit samples
