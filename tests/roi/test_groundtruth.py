"""Ground-truth persons (COCO RLE / polygons / boxes), EXIF orientation of annotations, block coverage."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.errors import InputError
from qualipress.roi.groundtruth import (
    PersonTruth,
    apply_orientation,
    block_coverage,
    load_person_truth,
    polygons_mask,
    rle_decode,
)
from tests.conftest import shared_data


def _encode_rle(mask: np.ndarray) -> str:
    """COCO's compressed RLE string, written from the format description (test helper)."""
    flat = mask.T.ravel()
    runs, value, n = [], False, 0
    for v in flat:
        if bool(v) != value:
            runs.append(n)
            n, value = 0, not value
        n += 1
    runs.append(n)
    out = []
    for i, x in enumerate(runs):
        if i > 2:
            x -= runs[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def test_rle_decode_round_trips_compressed_and_plain_counts() -> None:
    rng = np.random.default_rng(1)
    mask = np.zeros((37, 53), bool)
    mask[5:20, 7:40] = True
    mask[rng.random(mask.shape) < 0.05] ^= True
    got = rle_decode({"size": [37, 53], "counts": _encode_rle(mask)}, (37, 53))
    assert np.array_equal(got, mask)
    plain = rle_decode({"size": [2, 3], "counts": [1, 2, 3]}, (2, 3))  # column-major: (0,0) bg, (1,0),(0,1) fg
    assert plain.tolist() == [[False, True, False], [True, False, False]]
    with pytest.raises(InputError):
        rle_decode({"size": [2, 3], "counts": [4, 9]}, (2, 3))
    with pytest.raises(InputError):
        rle_decode({"size": [3, 3], "counts": [9]}, (2, 3))


def test_polygon_mask_fills_the_inside_only() -> None:
    m = polygons_mask([[2, 2, 12, 2, 12, 8, 2, 8]], (20, 20))
    assert m[5, 7] and not m[15, 15] and not m[0, 0]
    assert 50 <= m.sum() <= 80


@pytest.mark.parametrize("orientation", range(1, 9))
def test_apply_orientation_matches_pillow_exif_transpose(orientation: int) -> None:
    from PIL import ImageOps

    arr = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    im = PILImage.fromarray(arr)
    exif = im.getexif()
    exif[0x0112] = orientation
    im.info["exif"] = exif.tobytes()
    im.getexif()[0x0112] = orientation
    expected = np.asarray(ImageOps.exif_transpose(im))
    assert np.array_equal(apply_orientation(arr, orientation), expected)


def test_apply_orientation_refuses_bad_values() -> None:
    with pytest.raises(InputError):
        apply_orientation(np.zeros((2, 2)), 9)


def test_block_coverage_counts_covered_pixels_and_blocks_outside_persons() -> None:
    shape = (32, 32)
    boxes = np.zeros(shape, bool)
    boxes[0:16, 0:16] = True
    truth = PersonTruth(boxes, boxes.copy(), 1, 0)
    levels = np.zeros((4, 4), np.uint8)
    levels[0, 0] = levels[0, 1] = 1  # half of the person's top row of blocks
    levels[3, 3] = 1  # one block on the background
    cov = block_coverage(levels, (8, 8), truth)
    assert cov["coverage"] == pytest.approx(2 * 64 / 256)
    assert cov["outside"] == pytest.approx(1 / 3)
    assert cov["iou"] == pytest.approx(128 / (256 + 64))
    assert cov["persons_found"] is None  # no per-person areas given
    with pytest.raises(InputError):
        block_coverage(np.zeros((3, 4), np.uint8), (8, 8), truth)


def test_block_coverage_counts_persons_found_by_their_own_area() -> None:
    shape = (32, 32)
    big, small = np.zeros(shape, bool), np.zeros(shape, bool)
    big[0:16, 0:16] = True
    small[24:32, 24:32] = True
    truth = PersonTruth(big | small, big | small, 2, 0, [big, small])
    levels = np.zeros((4, 4), np.uint8)
    levels[3, 3] = 1  # the small person entirely
    levels[0, 0] = 1  # a quarter of the big one: not found
    assert block_coverage(levels, (8, 8), truth)["persons_found"] == pytest.approx(0.5)
    levels[0, 1] = 1  # half of it: found
    assert block_coverage(levels, (8, 8), truth)["persons_found"] == pytest.approx(1.0)
    cropped = truth.cropped(8, 8)  # the areas follow a crop
    assert [a.shape for a in cropped.areas] == [(24, 24), (24, 24)] and cropped.areas[1].sum() == 64


def test_load_person_truth_reads_a_coco_file(tmp_path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"")
    (tmp_path / "b.jpg").write_bytes(b"")
    doc = {
        "categories": [{"id": 1, "name": "person"}, {"id": 2, "name": "kite"}],
        "images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10},
                   {"id": 2, "file_name": "b.jpg", "width": 20, "height": 10}],
        "annotations": [
            {"image_id": 1, "category_id": 1, "bbox": [2, 1, 6, 8], "segmentation": [[3, 2, 7, 2, 7, 8, 3, 8]]},
            {"image_id": 1, "category_id": 1, "bbox": [12, 0, 4, 4]},
            {"image_id": 1, "category_id": 2, "bbox": [0, 0, 20, 10]},
        ],
    }
    (tmp_path / "ann.json").write_text(json.dumps(doc))
    truth = load_person_truth(tmp_path)
    a, b = truth[tmp_path / "a.jpg"], truth[tmp_path / "b.jpg"]
    assert (a.persons, a.masked) == (2, 1)
    assert a.boxes.sum() == 6 * 8 + 4 * 4
    assert a.mask[5, 5] and not a.mask[1, 2] and a.mask[2, 13]  # polygon for one, box for the other
    assert b.persons == 0 and not b.mask.any()
    assert len(a.areas) == 2 and a.areas[1].sum() == 16 and a.areas[0].sum() < 6 * 8  # per person: mask, else box


def test_ignore_regions_count_as_marked_not_outside(tmp_path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"")
    doc = {
        "categories": [{"id": 1, "name": "person"}],
        "images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 32,
                    "ignore_regions_x": [[16, 32, 32, 16], []], "ignore_regions_y": [[0, 0, 16, 16], []]}],
        "annotations": [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 16, 16]}],
    }
    (tmp_path / "ann.json").write_text(json.dumps(doc))
    truth = load_person_truth(tmp_path)[tmp_path / "a.jpg"]
    assert truth.ignore is not None and truth.ignore[4, 20] and not truth.ignore[4, 4] and not truth.ignore[24, 24]
    levels = np.zeros((4, 4), np.uint8)
    levels[0, 0] = 1  # on the person
    levels[0, 3] = 1  # in the marked crowd
    levels[3, 3] = 1  # on the background
    cov = block_coverage(levels, (8, 8), truth)
    assert cov["outside"] == pytest.approx(2 / 3)
    assert cov["outside_unmarked"] == pytest.approx(1 / 3)
    cropped = truth.cropped(3, 3)  # the marked regions follow a crop and a turn
    assert cropped.ignore is not None and cropped.ignore.shape == (29, 29) and cropped.ignore[1, 17]
    turned = truth.oriented(6)
    assert turned.ignore is not None and turned.ignore.shape == (32, 32) and turned.ignore.sum() == truth.ignore.sum()
    unmarked = PersonTruth(truth.boxes, truth.mask, 1, 0, truth.areas)  # no regions: the two figures agree
    cov = block_coverage(levels, (8, 8), unmarked)
    assert cov["outside_unmarked"] == cov["outside"]
    doc["images"][0]["ignore_regions_y"] = [[0, 0, 16]]  # lists that do not pair up
    (tmp_path / "ann.json").write_text(json.dumps(doc))
    with pytest.raises(InputError):
        load_person_truth(tmp_path)


def test_shared_people_annotations_load_with_masks() -> None:
    root = shared_data("people")
    truth = load_person_truth(root)
    with_people = [t for t in truth.values() if t.persons]
    assert len(with_people) >= 15
    assert any(t.masked for t in with_people)  # COCO polygons / OCHuman RLE decoded
    for path, t in truth.items():
        with PILImage.open(path) as im:
            assert t.shape == (im.height, im.width)
        assert not (t.mask & ~t.boxes).sum() > 0.05 * max(1, t.mask.sum())  # masks lie inside their boxes
    posetrack = [t for p, t in truth.items() if "posetrack" in str(p)]
    assert posetrack and all(t.ignore is not None and 0 < t.ignore.mean() < 1 for t in posetrack)  # crowds marked
