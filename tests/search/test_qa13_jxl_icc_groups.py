"""QA session 13 (web): a JPEG XL search of a source with a wide-gamut profile encodes each file once.

Found: the JPEG XL of an Adobe RGB JPEG is written by jxlpy, which takes libjxl's integer quality, so the codec
rounds each distance to the nearest quality (``jxlicc.quality_for_distance``): 42 of the 96 grid distances write
the file of their neighbour. The search probed 0.7453 and then 0.7019 -- both quality 93, the same 48,590-byte
file, encoded and measured twice (``compress j80_adobergb.jpg --codec jpegxl --profile C1``: 4 encodes).
The search now treats those distances as one plateau group (``search.plateaus``), as it does for AVIF and HEIF.
"""

from __future__ import annotations

import pytest

from qualipress import codecs
from qualipress.codecs import jxlicc
from qualipress.io import as_image
from qualipress.io.metadata import Carry
from qualipress.search import search
from qualipress.search.plateaus import groups
from tests.conftest import photo_like
from tests.pipeline.test_jxl_icc import P3


def _jxlpy_or_skip() -> None:
    if not jxlicc.can_carry(8):
        pytest.skip("jxlpy is not installed")


def test_groups_follow_jxlpy_quality_when_a_profile_goes_through_it() -> None:
    _jxlpy_or_skip()
    jxl = codecs.get("jpegxl")
    grid = jxl.info.quality.grid
    plain = groups(jxl, grid)
    assert all(a == b for a, b in plain)  # sRGB / no profile: imagecodecs takes the distance itself
    tagged = groups(jxl, grid, options={"metadata": Carry(P3)}, bit_depth=8)
    for i, (first, last) in enumerate(tagged):
        assert first <= i <= last
        assert jxlicc.quality_for_distance(grid[first]) == jxlicc.quality_for_distance(grid[i])
        assert first == 0 or jxlicc.quality_for_distance(grid[first - 1]) != jxlicc.quality_for_distance(grid[i])
    assert len({g for g in tagged}) < len(grid)
    assert groups(jxl, grid, options={"metadata": Carry(P3)}, bit_depth=16) == plain  # jxlpy takes 8-bit only


@pytest.mark.parametrize("target", ["ssim>=0.90", "ssim>=0.95"])
def test_a_tagged_jpegxl_search_never_encodes_one_quality_twice(target: str) -> None:
    _jxlpy_or_skip()
    img = as_image(photo_like(96, 128, seed=7))
    res = search(img, "jpegxl", target, encode_options={"metadata": Carry(P3)}, lossless_fallback=False)
    qualities = [jxlicc.quality_for_distance(p.setting) for p in res.probes if p.setting is not None]
    assert len(qualities) == len(set(qualities)), [(p.setting, p.bytes) for p in res.probes]
    assert res.met
