from __future__ import annotations

import cv2
import numpy as np
import pytest

from qualipress.detect import detect, detect_report, iou, region_mask, saliency_map
from qualipress.errors import InputError
from qualipress.io import as_image, read_image


def test_flat_image_has_no_semantic_detections():
    flat = np.full((96, 128, 3), 128, np.uint8)
    assert detect(flat, ("faces", "persons", "text")) == []


def test_images_below_the_network_input_size_get_no_pixel_sized_faces():
    # CenterFace stretches a 6x5 image to its 32-pixel minimum input; noise then came back as 2-pixel "faces"
    rng = np.random.default_rng(0)
    for seed in range(3):
        tiny = rng.integers(0, 256, (5 + seed, 6 + seed, 3), dtype=np.uint8)
        assert detect(tiny, "faces") == []


def test_text_detector_finds_printed_text():
    img = np.full((160, 320, 3), 255, np.uint8)
    cv2.putText(img, "QUALIPRESS 2026", (20, 90), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 3)
    regions = detect(img, "text")
    assert regions, "no text found"
    assert all(r.label == "text" for r in regions)
    m = region_mask(regions, img.shape[:2])
    ink = img[..., 0] < 128
    assert m[ink].mean() > 0.9  # almost all ink pixels are covered
    assert m.mean() < 0.5  # and the box is not the whole image


def test_saliency_finds_an_odd_patch():
    rng = np.random.default_rng(1)
    img = np.clip(rng.normal(120, 3, (128, 192, 3)), 0, 255).astype(np.uint8)
    img[40:70, 120:150] = (250, 30, 30)
    sal = saliency_map(img)
    assert sal.shape == (128, 192)
    assert sal[40:70, 120:150].mean() > 3 * sal[:, :60].mean()
    regions = detect(img, "saliency")
    assert regions and any(iou(r.box, (120, 40, 150, 70)) > 0.2 for r in regions)


def test_grey_16bit_and_alpha_inputs_are_accepted():
    grey16 = (np.arange(64 * 80, dtype=np.uint16).reshape(64, 80, 1) * 13) % 65535
    assert isinstance(detect(as_image(grey16), ("faces", "text")), list)
    rgba = np.zeros((40, 40, 4), np.uint8)
    assert detect(rgba, "persons") == []


def test_unknown_backend_and_user_class_refused():
    img = np.zeros((32, 32, 3), np.uint8)
    with pytest.raises(InputError):
        detect(img, "faces", backends={"faces": "yunet"})
    with pytest.raises(InputError):
        detect(img, "user")


@pytest.mark.data
def test_face_and_person_on_portrait(data_dir):
    img = read_image(data_dir / "kodak" / "kodim04.png")
    rep = detect_report(img, ("faces", "persons"))
    faces = [r for r in rep.regions if r.label == "faces"]
    persons = [r for r in rep.regions if r.label == "persons"]
    assert len(faces) == 1 and faces[0].score > 0.5
    x0, y0, x1, y1 = faces[0].box
    # the face of kodim04 is in the upper-middle part of the portrait
    assert 60 < (x0 + x1) / 2 < 450 and 150 < (y0 + y1) / 2 < 550
    assert persons and persons[0].mask is not None
    assert rep.backends == {"faces": "centerface", "persons": "mediapipe"}
    assert set(rep.seconds) == {"faces", "persons"}


@pytest.mark.data
def test_face_boxes_do_not_depend_on_previous_image_size(data_dir):
    # OpenCV DNN reuses shapes of the first forward pass; a different size used to shift boxes.
    crowd = read_image(data_dir / "people" / "mmpose_testdata" / "wflw" / "7_Cheering_Cheering_7_16.jpg")
    other = read_image(data_dir / "kodak" / "kodim04.png")
    first = [r.box for r in detect(crowd, "faces")]
    detect(other, "faces")
    again = [r.box for r in detect(crowd, "faces")]
    assert len(first) >= 15
    assert np.allclose(first, again)


@pytest.mark.data
def test_haar_backend_runs(data_dir):
    img = read_image(data_dir / "kodak" / "kodim04.png")
    faces = detect(img, "faces", backends={"faces": "haar"})
    assert all(r.source == "haar" for r in faces)
