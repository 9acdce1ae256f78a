"""Tiled person segmentation: tiles cover the image, and small annotated people are found."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress.detect import persons
from qualipress.detect.persons import (
    _tile_starts,
    detect_persons_mediapipe,
    fine_tiles,
    tiled_person_probability,
)
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
    assert np.array_equal(tiled_person_probability(img, scales=(1,), fine_scale=None), whole)


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


def test_fine_tiles_are_the_quarter_tiles_holding_a_found_person() -> None:
    coarse = np.zeros((512, 768), np.float32)
    coarse[300:310, 130:140] = 0.6  # a person found, inside the tile at row 2, column 1
    coarse[10:20, 10:20] = 0.45  # below the evidence: no tile
    assert fine_tiles(coarse, 4, reach=0.0) == [(256, 128, 128)]
    # with the default reach (half a tile) every tile within 64 px of it: columns 0 and 128 (the one at 256 starts
    # 116 px away), rows 128 and 256 (the one at 384 starts 74 px below it)
    assert sorted(fine_tiles(coarse, 4)) == [(y, x, 128) for y in (128, 256) for x in (0, 128)]
    coarse[250:260, 250:260] = 0.9  # straddles four tiles
    assert sorted(fine_tiles(coarse, 4, reach=0.0)) == [(128, 128, 128), (128, 256, 128), (256, 128, 128),
                                                        (256, 256, 128)]
    assert fine_tiles(np.zeros((512, 768), np.float32), 4) == []
    assert fine_tiles(np.ones((100, 100), np.float32), 4) == []  # tiles under 32 px are never run


def test_fine_pass_runs_the_model_only_where_the_coarse_scales_found_someone(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []

    def fake(rgb: np.ndarray, *, model_selection: int = 0) -> np.ndarray:
        calls.append(rgb.shape[:2])
        out = np.zeros(rgb.shape[:2], np.float32)
        if rgb.shape[:2] == (512, 768):  # the whole image: one person in the top-left tile
            out[40:60, 40:60] = 0.9
        elif rgb.shape[0] == 128:  # fine tiles see someone small
            out[100:110, 100:110] = 0.8
        return out

    monkeypatch.setattr(persons, "person_probability", fake)
    img = np.zeros((512, 768, 3), np.uint8)
    prob = tiled_person_probability(img, scales=(1,))
    assert calls == [(512, 768), (128, 128)]
    assert prob[105, 105] == pytest.approx(0.8) and prob[50, 50] == pytest.approx(0.9)
    assert prob[300, 300] == 0.0  # no other tile was run
    calls.clear()
    assert not tiled_person_probability(img, scales=(1,), fine_scale=None)[105, 105]
    assert calls == [(512, 768)]


def test_fine_pass_finds_small_people_next_to_found_ones() -> None:
    # COCO development photo 000000193245: a street with fourteen annotated people, most 15-70 px tall; the whole
    # image and the half-side tiles find four of them (half their mask covered), the fine pass eight
    from qualipress.io import read_image
    from qualipress.roi.groundtruth import FOUND_SHARE, load_person_truth

    root = shared_data("people")
    path = root / "clarifai_coco_val2017/images/000000193245.jpg"
    truth = load_person_truth(root)[path]
    img = read_image(path).pixels

    def found(fine: int | None) -> int:
        m = region_mask(detect_persons_mediapipe(img, fine_scale=fine), img.shape[:2])
        return sum(1 for a in truth.areas if (m & a).sum() >= FOUND_SHARE * a.sum())

    assert found(4) >= found(None) + 3


def test_face_crops_frame_the_faces_no_person_explains() -> None:
    from qualipress.detect.persons import face_crops
    from qualipress.detect.regions import Region

    prob = np.zeros((400, 600), np.float32)
    prob[50:250, 20:120] = 0.9  # a segmented person around the first face
    explained = Region("faces", (40, 60, 80, 100), 0.9)
    lone = Region("faces", (300, 200, 330, 240), 0.8)  # 40 px tall: a 200 px square from 20 px above it
    edge = Region("faces", (560, 380, 590, 400), 0.7)  # near the corner: the square is moved inside the image
    crops = face_crops(prob, [explained, lone, edge])
    assert crops == [(180, 215, 200), (300, 500, 100)]
    assert face_crops(prob, [lone, edge], limit=1) == [(180, 215, 200)]
    big = Region("faces", (100, 0, 300, 300), 0.9)  # the square cannot exceed the shorter side
    assert face_crops(np.zeros((400, 600), np.float32), [big]) == [(0, 0, 400)]


def test_detect_hands_the_faces_to_the_person_segmentation(monkeypatch: pytest.MonkeyPatch) -> None:
    from qualipress.detect import api
    from qualipress.detect.regions import Region

    seen: list[list[Region]] = []
    face = Region("faces", (10, 10, 30, 30), 0.9)

    def persons_stub(rgb: np.ndarray, faces: list[Region] | None = None) -> list[Region]:
        seen.append(list(faces or []))
        return []

    monkeypatch.setitem(api.BACKENDS["faces"], "centerface", lambda rgb: [face])
    monkeypatch.setitem(api.BACKENDS["persons"], "mediapipe", persons_stub)
    img = np.zeros((64, 64, 3), np.uint8)
    api.detect(img, ("faces", "persons"))
    api.detect(img, ("persons",))
    assert seen == [[face], []]


def test_the_person_backend_gets_the_faces_whatever_the_asked_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Review: ``"persons,faces"`` ran the persons before the faces, so the face crops never ran; the regions still
    come back in the asked order."""
    from qualipress.detect import api
    from qualipress.detect.regions import Region

    face = Region("faces", (2.0, 2.0, 6.0, 6.0), 0.9)
    seen: list[int] = []

    def fake_persons(rgb: np.ndarray, faces: tuple = ()) -> list:
        seen.append(len(faces))
        return [Region("persons", (0.0, 0.0, 8.0, 8.0), 0.8)]

    monkeypatch.setitem(api.BACKENDS, "faces", {"fake": lambda rgb: [face]})
    monkeypatch.setitem(api.BACKENDS, "persons", {"mediapipe": fake_persons})
    rgb = np.zeros((16, 16, 3), np.uint8)
    for order in ("persons,faces", "faces,persons"):
        regions = api.detect(rgb, order)
        assert [r.label for r in regions] == order.split(",")
    assert seen == [1, 1]


def test_person_components_of_low_mean_probability_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Session 10: a component that only just clears the pixel threshold (mean 0.55) is dropped, a confident one of
    the same size kept; ``min_mean=0`` keeps both, as before."""

    def fake(rgb: np.ndarray, *, model_selection: int = 0) -> np.ndarray:
        out = np.zeros(rgb.shape[:2], np.float32)
        if rgb.shape[:2] == (200, 300):  # the whole image only: tiles see nothing
            out[20:80, 20:60] = 0.9
            out[20:80, 200:240] = 0.55
        return out

    monkeypatch.setattr(persons, "person_probability", fake)
    img = np.zeros((200, 300, 3), np.uint8)
    kept = detect_persons_mediapipe(img)
    assert [r.box for r in kept] == [(20, 20, 60, 80)]
    assert kept[0].score == pytest.approx(0.9)
    assert persons.MIN_MEAN > 0.55
    both = detect_persons_mediapipe(img, min_mean=0.0)
    assert sorted(r.box for r in both) == [(20, 20, 60, 80), (200, 20, 240, 80)]


def test_person_tiles_on_a_long_strip_stay_under_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """QA 11 finding 11: a 15,000×64 strip planned 1,875 half-side tiles (32 px), one model run each; the planned
    grid of every pass is now bounded by ``MAX_TILES`` (tiles counted, never timed)."""
    calls: list[tuple[int, int]] = []

    def fake(rgb: np.ndarray, *, model_selection: int = 0) -> np.ndarray:
        calls.append(rgb.shape[:2])
        return np.full(rgb.shape[:2], 0.9, np.float32)  # someone everywhere: every fine tile would run

    monkeypatch.setattr(persons, "person_probability", fake)
    for shape in ((64, 15000), (15000, 64), (64, 3840), (300, 3000), (200, 20000)):
        calls.clear()
        tiled_person_probability(np.zeros((*shape, 3), np.uint8))
        assert len(calls) <= 1 + 2 * persons.MAX_TILES, shape
        assert all(min(c) >= 32 and c[0] == c[1] for c in calls[1:])  # still squares of at least 32 px
    # a grid that has to grow still covers the whole image
    covered = np.zeros((300, 3000), bool)
    for y, x, s in persons._square_tiles((300, 3000), 4, 0.0):
        covered[y : y + s, x : x + s] = True
    assert covered.all() and len(persons._square_tiles((300, 3000), 4, 0.0)) <= persons.MAX_TILES


@pytest.mark.parametrize("shape", [(512, 768), (768, 512), (1077, 1917), (389, 637), (480, 1920)])
def test_the_tile_bound_leaves_photo_shaped_grids_as_they_were(shape: tuple[int, int]) -> None:
    # Kodak, the ROI development set's largest grids (392×640 coarse: 15 tiles; 1077×1917 fine: 40) and a 4:1
    # panorama: the bound never applies, so the same tiles run and the masks cannot change
    for k, overlap in ((2, persons.TILE_OVERLAP), (persons.FINE_SCALE, 0.0)):
        assert persons._square_tiles(shape, k, overlap) == persons._square_tiles(shape, k, overlap, limit=None)
