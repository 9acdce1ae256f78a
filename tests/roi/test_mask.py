from __future__ import annotations

import numpy as np
import pytest

from qualipress.detect import Region
from qualipress.errors import InputError
from qualipress.roi.mask import (
    analyse,
    block_levels,
    coverage,
    expand_blocks,
    fill_person_regions,
    refine_mask,
)


def test_coverage_counts_only_pixels_inside_the_image():
    m = np.ones((10, 12), bool)
    cov = coverage(m, (8, 8))
    assert cov.shape == (2, 2)
    assert np.allclose(cov, 1.0)  # partial edge MCUs are fully covered by what is inside


@pytest.mark.parametrize(("threshold", "expected"), [(0.25, 1), (0.5, 1), (0.75, 0)])
def test_block_threshold(threshold, expected):
    m = np.zeros((16, 16), bool)
    m[:8, :] = True  # 50% of the single 16x16 MCU
    assert block_levels(m, (16, 16), threshold=threshold)[0, 0] == expected


def test_block_threshold_range():
    with pytest.raises(InputError):
        block_levels(np.zeros((8, 8), bool), (8, 8), threshold=0.0)
    with pytest.raises(InputError):
        block_levels(np.zeros((8, 8), bool), (8, 8), threshold=1.5)


def test_hierarchical_levels_take_the_highest_covering_priority():
    p = np.zeros((16, 32), np.uint8)
    p[:, :16] = 2  # person
    p[:, 4:12] = 3  # face inside, 50% of the first MCU
    lv = block_levels(p, (16, 16), threshold=0.5)
    assert lv.tolist() == [[3, 0]]
    full = expand_blocks(lv, (16, 16), (10, 20))
    assert full.shape == (10, 20) and full[0, 0] == 3 and full[0, 19] == 0


def test_refine_mask_fills_dilates_and_drops_specks():
    m = np.zeros((200, 200), bool)
    m[50:150, 50:150] = True
    m[95:105, 95:105] = False  # a hole
    m[10, 10] = True  # a speck
    r = refine_mask(m, dilate=4, close=8, min_area=0.001)
    assert r[100, 100]  # hole closed
    assert not r[10, 10]  # speck removed
    assert r[47, 100] and not r[40, 100]  # dilated by ~4 px
    assert not refine_mask(np.zeros((5, 5), bool)).any()


def test_analyse_user_mask_only_and_empty(tmp_path):
    img = np.zeros((40, 60, 3), np.uint8)
    m = np.zeros((40, 60), bool)
    m[5:20, 10:30] = True
    res = analyse(img, None, roi_mask=m)
    assert np.array_equal(res.mask, m)  # user masks are taken as drawn
    assert res.priority.max() == 4 and res.regions[0].label == "user"
    empty = analyse(img, None, roi_mask=np.zeros((40, 60), bool))
    assert empty.empty and any("empty" in n for n in empty.notes)
    with pytest.raises(InputError, match="mask is"):
        analyse(img, None, roi_mask=np.zeros((41, 60), bool))
    boxes = analyse(img, None, roi_boxes=[Region("faces", (0, 0, 8, 8))], refine=False)
    assert boxes.priority[0, 0] == 3


def test_detected_faces_grow_by_the_margin_but_user_boxes_do_not(monkeypatch):
    import qualipress.roi.mask as mask_mod
    from qualipress.detect import DetectionReport

    face = Region("faces", (40, 40, 60, 60), 0.9, source="centerface")
    monkeypatch.setattr(mask_mod, "detect_report", lambda image, classes, **k: DetectionReport(regions=[face]))
    img = np.zeros((100, 100, 3), np.uint8)
    tight = analyse(img, "faces", refine=False, face_margin=0.0).mask
    grown = analyse(img, "faces", refine=False, face_margin=0.25).mask
    assert tight.sum() == 20 * 20 and grown.sum() == 30 * 30  # 5 px (a quarter of 20) on every side
    assert grown[35:65, 35:65].all()
    user = analyse(img, None, roi_boxes=[Region("faces", (40, 40, 60, 60))], refine=False, face_margin=0.25)
    assert user.mask.sum() == 20 * 20  # what a user draws is taken as drawn


def _person(shape: tuple[int, int]) -> Region:
    """A stick figure: a torso and two legs apart, with background between the legs."""
    m = np.zeros(shape, bool)
    m[10:40, 20:40] = True  # torso
    m[40:80, 20:26] = True  # left leg
    m[40:80, 34:40] = True  # right leg
    ys, xs = np.nonzero(m)
    return Region("persons", (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), 0.9, mask=m, source="test")


@pytest.mark.parametrize("how", ["hull", "rows", "box"])
def test_person_fill_covers_the_gap_between_limbs_and_keeps_the_mask(how):
    shape = (100, 60)
    person = _person(shape)
    face = Region("faces", (0, 0, 5, 5), 0.9)
    filled, kept_face = fill_person_regions([person, face], shape, how)
    assert kept_face is face
    assert filled.mask[person.mask].all()  # nothing of the person is lost
    assert filled.mask[50:80, 27:33].all()  # the background between the legs is in
    assert not filled.mask[:10].any() and not filled.mask[:, :20].any()  # nothing outside the person's box
    if how == "box":
        assert filled.mask.sum() == 70 * 20


def test_person_fill_keeps_the_mask_when_the_fill_grows_too_much():
    shape = (100, 100)
    m = np.zeros(shape, bool)
    m[0:10, 0:100] = True  # an L-shaped crowd: its hull is half the picture
    m[:, 0:10] = True
    crowd = Region("persons", (0, 0, 100, 100), 0.9, mask=m)
    (kept,) = fill_person_regions([crowd], shape, "hull", max_growth=2.0)
    assert np.array_equal(kept.mask, m)
    (grown,) = fill_person_regions([crowd], shape, "hull", max_growth=5.0)
    assert grown.mask.sum() > 2.5 * m.sum()
    assert fill_person_regions([crowd], shape, "none")[0] is crowd
    with pytest.raises(InputError, match="person fill"):
        fill_person_regions([crowd], shape, "blob")


def test_analyse_fills_detected_persons(monkeypatch):
    import qualipress.roi.mask as mask_mod
    from qualipress.detect import DetectionReport

    shape = (100, 60)
    person = _person(shape)
    monkeypatch.setattr(mask_mod, "detect_report", lambda image, classes, **k: DetectionReport(regions=[person]))
    img = np.zeros((*shape, 3), np.uint8)
    plain = analyse(img, "persons", refine=False, person_fill="none").mask
    hull = analyse(img, "persons", refine=False, person_fill="hull").mask
    assert np.array_equal(plain, person.mask)
    assert hull[plain].all() and hull[50:80, 27:33].all()
