"""Per-image adaptation of jpeg-roi: chroma energy → 4:2:0 / 4:4:4 per quality, ROI share → background quality."""

from __future__ import annotations

import io

import numpy as np
import pytest

from qualipress.io import as_image, read_image
from qualipress.roi import RoiJpegCodec
from qualipress.roi.adapt import adapting, chroma_energy, image_traits
from qualipress.roi.mapping import (
    BG_RATIO,
    HIGH_RATE,
    LARGE_ROI,
    LOW_RATE,
    bg_quality_for,
    profile_for,
    switch_quality,
)
from tests.conftest import shared_data


def _colourful(textured, h: int = 96, w: int = 128, amplitude: float = 6.0) -> np.ndarray:
    """A photo-like picture with a pixel-scale red/blue checker on top: colour detail that 4:2:0 would lose."""
    px = textured(h, w).astype(np.float64)
    y, x = np.mgrid[0:h, 0:w]
    s = np.where((x + y) % 2 == 0, amplitude, -amplitude)
    px[..., 0] += s
    px[..., 2] -= s
    return np.clip(px, 0, 255).astype(np.uint8)


def _through_420_jpeg(px: np.ndarray, quality: int = 75) -> np.ndarray:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(px).save(buf, "JPEG", quality=quality, subsampling="4:2:0")
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def test_chroma_energy_drops_after_420_jpeg_and_is_zero_for_grey(textured):
    px = textured(96, 128)
    before, after = chroma_energy(px), chroma_energy(_through_420_jpeg(px))
    assert after < 0.5 * before
    assert switch_quality(after) > switch_quality(before)  # a 4:2:0 history keeps 4:2:0 to higher qualities
    grey = np.repeat(px[..., :1], 3, axis=2)
    assert chroma_energy(grey) == pytest.approx(0.0, abs=1e-6)
    assert chroma_energy(px[..., 0]) == 0.0
    assert image_traits(px[..., :1], np.ones((96, 128), bool)).chroma_energy is None


def test_profile_switch_moves_with_chroma_energy():
    # no energy known: the fixed switch at 45
    assert profile_for(44) is LOW_RATE and profile_for(45) is HIGH_RATE
    # little chroma detail stays in 4:2:0 higher up; much detail goes to 4:4:4 earlier
    assert profile_for(90, 0.05) is LOW_RATE and profile_for(30, 50.0) is HIGH_RATE
    assert switch_quality(0.0) is None
    qs = [switch_quality(e) for e in (0.1, 0.5, 2.0, 8.0, 30.0)]
    assert all(q is not None for q in qs) and qs == sorted(qs, reverse=True) and len(set(qs)) == len(qs)
    for e in (0.5, 8.0):
        q = switch_quality(e)
        assert profile_for(q - 1, e) is LOW_RATE and profile_for(q, e) is HIGH_RATE and profile_for(100, e) is HIGH_RATE


def test_background_quality_rises_for_large_rois():
    assert bg_quality_for(90) == bg_quality_for(90, LARGE_ROI - 0.01) == round(BG_RATIO * 90)
    assert bg_quality_for(90, LARGE_ROI) > bg_quality_for(90, 0.1)
    assert bg_quality_for(5, 0.9) >= 5


def test_codec_adapts_background_to_the_roi_share(textured):
    c = RoiJpegCodec()
    img = as_image(textured(64, 96))
    small, large = np.zeros((64, 96), bool), np.zeros((64, 96), bool)
    small[:16, :32] = True
    large[:, :64] = True
    e_small = c.encode_roi(img, quality=70, roi_mask=small)  # 70: below the step cap's reach
    e_large = c.encode_roi(img, quality=70, roi_mask=large)
    assert e_small.bg_quality == bg_quality_for(70) < e_large.bg_quality == bg_quality_for(70, 1.0)
    assert c.encode_roi(img, quality=70, roi_mask=large, adapt=False).bg_quality == bg_quality_for(70)
    assert c.encode_roi(img, quality=70, roi_mask=large, bg_quality=30).bg_quality == 30  # explicit wins


@pytest.mark.parametrize("adapt", [True, False])
def test_low_chroma_image_stays_420_and_decodes_everywhere(textured, adapt):
    import imagecodecs
    from PIL import Image, JpegImagePlugin

    px = _through_420_jpeg(textured(96, 128), 70)
    m = np.zeros(px.shape[:2], bool)
    m[16:64, 32:96] = True
    c = RoiJpegCodec()
    assert 45 < 60 < switch_quality(chroma_energy(px))  # the fixed switch would write 4:4:4 at 60
    enc = c.encode_roi(as_image(px), quality=60, roi_mask=m, adapt=adapt)
    assert enc.mcu == ((16, 16) if adapt else (8, 8))
    assert enc.data[:2] == b"\xff\xd8" and b"\xff\xc0" in enc.data and b"\xff\xc2" not in enc.data  # baseline
    with Image.open(io.BytesIO(enc.data)) as im:
        assert JpegImagePlugin.get_sampling(im) == (2 if adapt else 0)
        pil = np.asarray(im.convert("RGB"))
    assert np.array_equal(pil, imagecodecs.jpeg8_decode(enc.data))


def test_colourful_image_switches_to_444_below_45(textured):
    px = _colourful(textured)
    m = np.zeros(px.shape[:2], bool)
    m[16:64, 32:96] = True
    q = switch_quality(chroma_energy(px))
    assert q is not None and 10 < q < 45
    c = RoiJpegCodec()
    assert c.encode_roi(as_image(px), quality=q, roi_mask=m).mcu == (8, 8)
    assert c.encode_roi(as_image(px), quality=q - 1, roi_mask=m).mcu == (16, 16)


def test_adapt_option_values():
    assert adapting({}) and adapting({"adapt": True}) and adapting({"adapt": None})
    assert not adapting({"adapt": False}) and not adapting({"adapt": "false"}) and not adapting({"adapt": 0})


def test_grey_people_photo_has_no_switch_and_budget_search_follows_it():
    """COCO 040083 is grey in RGB: adapted, it is 4:2:0 at every quality, so the file does not shrink across 45
    (the fixed switch made it shrink there, ``test_rate_budget.py``; neighbouring qualities can give the same
    tables, hence the same file) and a budget search uses no switch."""
    from qualipress.search import search

    path = shared_data("people", "mmpose_testdata", "coco", "000000040083.jpg")
    img = as_image(read_image(path).pixels[3:, 3:])
    codec = RoiJpegCodec()
    analysis = codec.analyse(img)
    assert codec.traits(img, analysis).chroma_energy < 0.01
    sizes = {q: codec.encode_roi(img, quality=q, analysis=analysis) for q in (44, 45)}
    assert sizes[44].mcu == sizes[45].mcu == (16, 16) and len(sizes[45].data) >= len(sizes[44].data)
    budget = len(sizes[45].data)
    r = search(img, "jpeg-roi", [f"bytes<={budget}"], encode_options={"analysis": analysis})
    assert r.met and len(r.data) <= budget and int(r.params()["roi_quality"]) >= 45


def test_background_step_cap_binds_at_high_quality_only():
    from qualipress.roi.adapt import ImageTraits, adapted_bg_quality
    from qualipress.roi.mapping import MAX_BG_STEP_RATIO, ijg_scale, quality_for_scale

    small = ImageTraits(5.0, 0.1)
    for q in range(10, 101):
        bg = adapted_bg_quality(q, small)
        assert bg <= q and ijg_scale(bg) <= MAX_BG_STEP_RATIO * ijg_scale(q) + 1e-9
        assert adapted_bg_quality(q, None) == bg_quality_for(q)  # no traits: the fixed mapping
    # low and middle qualities keep 0.45 x Q; at 95 the cap lifts the background well above 0.45 x 95 = 43
    assert adapted_bg_quality(40, small) == bg_quality_for(40) and adapted_bg_quality(70, small) == bg_quality_for(70)
    assert adapted_bg_quality(95, small) > bg_quality_for(95) + 20
    for s in (20.0, 100.0, 400.0):
        assert ijg_scale(quality_for_scale(s)) == pytest.approx(s)


def test_codec_uses_the_step_cap_only_when_adapting(textured):
    c = RoiJpegCodec()
    img = as_image(textured(64, 96))
    m = np.zeros((64, 96), bool)
    m[:16, :32] = True
    assert c.encode_roi(img, quality=95, roi_mask=m).bg_quality > c.encode_roi(img, quality=95, roi_mask=m,
                                                                                 adapt=False).bg_quality == 43


def test_highest_fitting_follows_a_per_image_switch():
    from qualipress.roi.rate import highest_fitting

    def size(q: int) -> int:  # the file shrinks at this image's own switch (38), not at 45
        return 100 * q - (500 if q >= 38 else 0)

    budget = 3350  # fits up to 33 below the switch and at 38 above it
    assert max(q for q in range(5, 101) if size(q) <= budget) == 38
    assert highest_fitting(lambda q: size(q) <= budget, 5, 100, (38,)) == 38
    assert highest_fitting(lambda q: size(q) <= budget, 5, 100, ()) == 33  # blind to the switch


def test_minimum_step_ratio_coarsens_the_low_end_background_only_down_to_quality_5():
    from qualipress.roi.mapping import ijg_scale

    for q in range(10, 101):
        plain = bg_quality_for(q, 0.1, max_step_ratio=4.0)
        low = bg_quality_for(q, 0.1, max_step_ratio=4.0, min_step_ratio=3.0)
        assert 5 <= low <= plain <= q
        if low > 5 and low < plain:  # lowered: now at least 3x the ROI's step
            assert ijg_scale(low) >= 3.0 * ijg_scale(q) - 1e-9
    # at Q = 30 the 0.45 ratio gives steps only 2.1x the ROI's; at Q = 90 the cap of 4x binds, not the minimum
    assert bg_quality_for(30, min_step_ratio=3.0) < bg_quality_for(30)
    assert bg_quality_for(90, max_step_ratio=4.0, min_step_ratio=3.0) == bg_quality_for(90, max_step_ratio=4.0)
