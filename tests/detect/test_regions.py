from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.detect import (
    Region,
    load_boxes,
    load_mask,
    mask_region,
    match_regions,
    normalize_classes,
    priority_map,
    region_mask,
    save_boxes,
    save_mask,
)
from qualipress.errors import InputError


def test_normalize_classes_accepts_aliases_and_strings():
    assert normalize_classes("face, persons,text,face") == ("faces", "persons", "text")
    assert normalize_classes(["person", "saliency"]) == ("persons", "saliency")
    with pytest.raises(InputError, match="unknown ROI class"):
        normalize_classes("faces,cars")


def test_region_validates_box_and_label():
    with pytest.raises(InputError):
        Region("faces", (10, 10, 5, 20))
    with pytest.raises(InputError):
        Region("cars", (0, 0, 1, 1))


def test_region_mask_union_and_class_filter():
    regions = [Region("faces", (2, 2, 6, 6), 0.9), Region("text", (10, 0, 12.5, 3), 0.4)]
    m = region_mask(regions, (8, 16))
    assert m.dtype == bool and m.shape == (8, 16)
    assert m[2:6, 2:6].all() and m[0:3, 10:13].all()
    assert m.sum() == 16 + 9
    assert region_mask(regions, (8, 16), classes="faces").sum() == 16
    assert region_mask(regions, (8, 16), min_score=0.5).sum() == 16
    assert not region_mask([], (4, 4)).any()


def test_priority_map_keeps_highest_class():
    seg = np.zeros((8, 8), bool)
    seg[:, :] = True
    regions = [Region("persons", (0, 0, 8, 8), mask=seg), Region("faces", (1, 1, 3, 3))]
    p = priority_map(regions, (8, 8))
    assert p[1, 1] == 3 and p[5, 5] == 2 and p.dtype == np.uint8


def test_match_regions_f1():
    a = [Region("faces", (0, 0, 10, 10)), Region("faces", (20, 20, 30, 30))]
    assert match_regions(a, a).f1 == 1.0
    shifted = [Region("faces", (6, 0, 16, 10)), Region("faces", (20, 20, 30, 30))]
    r = match_regions(a, shifted)
    assert r.matched == 1 and r.precision == 0.5 and r.recall == 0.5
    assert match_regions([], []).f1 == 1.0
    assert match_regions(a, []).f1 == 0.0
    # labels must agree
    assert match_regions(a, [Region("persons", (0, 0, 10, 10))]).matched == 0


def test_load_mask_grey_alpha_and_wrong_size(tmp_path):
    arr = np.zeros((6, 9), np.uint8)
    arr[1:3, 2:5] = 255
    p = tmp_path / "m.png"
    PILImage.fromarray(arr).save(p)
    m = load_mask(p, (6, 9))
    assert m.sum() == 6
    with pytest.raises(InputError, match="mask is 9x6"):
        load_mask(p, (6, 10))
    rgba = np.zeros((6, 9, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[4:, :, 3] = 255
    PILImage.fromarray(rgba).save(tmp_path / "a.png")
    assert load_mask(tmp_path / "a.png").sum() == 18
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(InputError):
        load_mask(tmp_path / "bad.png")


def test_mask_region_and_save_roundtrip(tmp_path):
    m = np.zeros((5, 7), bool)
    assert mask_region(m) is None
    m[1:4, 2:6] = True
    r = mask_region(m)
    assert r is not None and r.box == (2.0, 1.0, 6.0, 4.0) and r.label == "user"
    save_mask(tmp_path / "o.png", m)
    assert np.array_equal(load_mask(tmp_path / "o.png", (5, 7)), m)


def test_load_boxes_forms(tmp_path):
    p = tmp_path / "b.json"
    p.write_text(
        json.dumps(
            [
                {"box": [1, 2, 5, 6], "label": "face"},
                {"bbox": [0, 0, 3, 3]},
                {"x": 1, "y": 1, "w": 100, "h": 2, "class": "text", "score": 0.3},
            ]
        )
    )
    regions = load_boxes(p, (10, 10))
    assert [r.label for r in regions] == ["faces", "user", "text"]
    assert regions[2].box == (1.0, 1.0, 10.0, 3.0)
    save_boxes(tmp_path / "c.json", regions)
    again = load_boxes(tmp_path / "c.json")
    assert [r.box for r in again] == [r.box for r in regions]
    p.write_text(json.dumps([{"nope": 1}]))
    with pytest.raises(InputError):
        load_boxes(p)
    p.write_text("{broken")
    with pytest.raises(InputError):
        load_boxes(p)
