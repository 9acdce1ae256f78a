"""Tiled person segmentation: tiles cover the image, and small annotated people are found."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress.detect.persons import _tile_starts, detect_persons_mediapipe, tiled_person_probability
from qualipress.detect.regions import region_mask
from tests.conftest import shared_data


@pytest.mark.parametrize(("length", "size", "step"), [(100, 50, 37), (64, 64, 48), (1080, 540, 405), (7, 3, 2)])
def test_tile_starts_cover_every_pixel_without_leaving_the_image(length: int, size: int, step: int) -> None:
    starts = _tile_starts(length, size, step)
    covered = np.zeros(length, bool)
    for s in starts:
        assert s >= 0 and s + size <= length
        covered[s : s + size] = True
    assert covered.all()


def test_tiled_probability_is_at_least_the_whole_image_probability() -> None:
    from qualipress.detect.persons import person_probability

    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (120, 200, 3), dtype=np.uint8)
    whole = person_probability(img)
    tiled = tiled_person_probability(img)
    assert tiled.shape == whole.shape and tiled.dtype == np.float32
    assert (tiled >= whole - 1e-6).all()
    assert np.array_equal(tiled_person_probability(img, scales=(1,)), whole)


def test_tiles_find_small_people_the_whole_image_misses() -> None:
    # PoseTrack frame: eleven annotated dancers, each about a tenth of the frame's height
    from qualipress.io import read_image
    from qualipress.roi.groundtruth import load_person_truth

    root = shared_data("people")
    truth = {p.name + p.parent.name: t for p, t in load_person_truth(root).items()}["000000.jpg012834_mpii_test"]
    img = read_image(root / "mmpose_testdata/posetrack18/images/val/012834_mpii_test/000000.jpg").pixels
    whole = region_mask(detect_persons_mediapipe(img, scales=(1,)), img.shape[:2])
    tiled = region_mask(detect_persons_mediapipe(img), img.shape[:2])
    hit_whole = (whole & truth.boxes).sum() / truth.boxes.sum()
    hit_tiled = (tiled & truth.boxes).sum() / truth.boxes.sum()
    assert hit_tiled > hit_whole + 0.2
