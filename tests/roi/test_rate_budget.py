"""Byte budgets for jpeg-roi, where file size is not monotone in the quality knob (the 4:2:0 → 4:4:4 switch).

The photo tests use the fixed switch (``adapt=False``): with the per-image adaptation this grey photo stays in
4:2:0 at every quality (``tests/roi/test_adapt.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from qualipress.io import as_image, read_image
from qualipress.metrics import measure
from qualipress.roi import RoiJpegCodec
from qualipress.roi.mapping import LOW_RATE_QUALITY, profile_for
from qualipress.roi.rate import SWITCHES, highest_fitting
from qualipress.search import search
from tests.conftest import shared_data

SWITCH = math.ceil(LOW_RATE_QUALITY)


def _sizes_with_dip(q: int) -> int:
    """A size curve that drops by 5 % at the switch and has a small RDO dip at 60."""
    size = 100 * q
    if q >= SWITCH:
        size -= 5 * SWITCH
    if q == 60:
        size -= 150
    return size


@pytest.mark.parametrize("budget", [100 * (SWITCH - 1) - 1, 100 * SWITCH - 20, 5600, 100 * 30])
def test_highest_fitting_is_the_highest_quality_that_fits(budget):
    calls: list[int] = []

    def fits(q: int) -> bool:
        calls.append(q)
        return _sizes_with_dip(q) <= budget

    truth = max(q for q in range(5, 101) if _sizes_with_dip(q) <= budget)
    assert highest_fitting(fits, 5, 100) == truth
    assert len(calls) == len(set(calls)) and len(calls) <= 16


def test_highest_fitting_monotone_and_nothing_fits():
    assert highest_fitting(lambda q: q <= 37, 5, 100) == 37
    assert highest_fitting(lambda q: True, 5, 100) == 100
    assert highest_fitting(lambda q: False, 5, 100) is None
    # the lowest quality is over budget but the first 4:4:4 one fits
    assert highest_fitting(lambda q: SWITCH <= q <= SWITCH + 3, 5, 100) == SWITCH + 3


def test_switch_is_where_the_profile_changes():
    assert SWITCHES == (SWITCH,)
    assert profile_for(SWITCH - 1) != profile_for(SWITCH) == profile_for(SWITCH + 10)


def test_budget_in_the_non_monotone_zone_of_a_people_photo():
    path = shared_data("people", "mmpose_testdata", "coco", "000000040083.jpg")
    img = as_image(read_image(path).pixels[3:, 3:])  # off the source's 8x8 grid, as benchmarks/roi_gt.py does
    codec = RoiJpegCodec()
    analysis = codec.analyse(img)
    sizes, roi_psnr = {}, {}
    for q in range(SWITCH - 3, SWITCH + 4):
        data = codec.encode_roi(img, quality=q, analysis=analysis, adapt=False).data
        sizes[q] = len(data)
        roi_psnr[q] = measure(img, codec.decode(data), ("psnr",), mask=analysis.mask)["psnr"].value
    # the reproduction: 4:4:4 just above the switch writes a smaller file than 4:2:0 just below it
    assert sizes[SWITCH] < sizes[SWITCH - 1]
    budget = (sizes[SWITCH] + sizes[SWITCH - 1]) // 2  # fits at SWITCH, not at SWITCH - 1
    fitting = [q for q, v in sizes.items() if v <= budget]
    assert SWITCH in fitting and SWITCH - 1 not in fitting
    r = search(img, "jpeg-roi", [f"bytes<={budget}"], encode_options={"analysis": analysis, "adapt": False})
    assert r.met and r.codec == "jpeg-roi" and len(r.data) <= budget
    q = int(r.params()["roi_quality"])
    # at least as good on the ROI as every quality of the window that fits, on either side of the switch
    assert r.metrics["roi:psnr"].value >= max(roi_psnr[k] for k in fitting) - 1e-6
    # and the highest fitting quality of its own profile
    if q + 1 != SWITCH:
        assert len(codec.encode_roi(img, quality=q + 1, analysis=analysis, adapt=False).data) > budget
    assert r.data[:2] == b"\xff\xd8" and b"\xff\xc0" in r.data and b"\xff\xc2" not in r.data  # baseline JPEG
    dec = codec.decode(r.data)
    assert dec.pixels.shape == img.pixels.shape
    assert np.array_equal(dec.pixels, r.decoded.pixels)


def test_budget_with_floor_reports_unmet_floor(textured):
    img = as_image(textured(64, 96, seed=5))
    m = np.zeros((64, 96), bool)
    m[8:40, 16:64] = True
    r = search(img, "jpeg-roi", ["bytes<=900", "roi:psnr>=60"], encode_options={"roi_mask": m})
    assert not r.met and len(r.data) <= 900
    r2 = search(img, "jpeg-roi", ["bytes<=1"], encode_options={"roi_mask": m})
    assert not r2.met and any("fits in" in n for n in r2.params()["roi_notes"])


@pytest.mark.parametrize("step", [0, 1])
def test_quality_floor_search_looks_at_both_profiles(step):
    path = shared_data("people", "mmpose_testdata", "coco", "000000040083.jpg")
    img = as_image(read_image(path).pixels[3:, 3:])
    codec = RoiJpegCodec()
    analysis = codec.analyse(img)
    uniform = {}
    for q in range(SWITCH - 3, SWITCH + 4):
        data = codec.encode_roi(img, roi_quality=q, bg_quality=q, analysis=analysis, adapt=False).data
        uniform[q] = (len(data), measure(img, codec.decode(data), ("psnr",))["psnr"].value)
    floor = uniform[SWITCH + step][1]  # met by 4:4:4 at the switch (+ step) and by 4:2:0 somewhere below
    r = search(img, "jpeg-roi", [f"psnr>={floor:.3f}"], encode_options={"analysis": analysis, "adapt": False})
    assert r.met and r.metrics["psnr"].value >= round(floor, 3) - 1e-9
    assert len(r.data) <= min(n for n, v in uniform.values() if v >= round(floor, 3))
    tried = {int(p.roi_quality) for p in r.probes if p.roi_quality == p.bg_quality and p.passed}
    assert any(q < SWITCH for q in tried) and any(q >= SWITCH for q in tried)
