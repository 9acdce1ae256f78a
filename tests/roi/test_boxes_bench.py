"""The person estimate of ``benchmarks/roi_boxes.py`` (box-seeded GrabCut) on a drawn scene."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def boxes() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_roi_boxes_tool", ROOT / "benchmarks" / "roi_boxes.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_keypoint_flags_follow_each_set(boxes) -> None:
    box = [[10, 10, 40, 60]]
    kps = [[20, 20, 2, 30, 40, 1, 0, 0, 0]]  # one visible, one labelled but hidden (COCO), one unlabelled
    coco = boxes.person_planes((80, 80), box, kps, posetrack=False)[0]
    track = boxes.person_planes((80, 80), box, kps, posetrack=True)[0]
    assert coco[20, 20] == 2 and coco[40, 30] == 1 and coco[0, 0] == 0  # only the visible one is a seed
    assert track[20, 20] == 2 and track[40, 30] == 2  # PoseTrack flags every labelled keypoint 1
    assert coco[10:70, 10:50].all() and not coco[:10].any() and not coco[:, 50:].any()  # the box, nothing outside


def test_grabcut_finds_the_person_inside_its_box(boxes) -> None:
    rng = np.random.default_rng(0)
    img = (rng.normal(0, 6, (120, 120, 3)) + np.array([40.0, 120.0, 40.0])).clip(0, 255).astype(np.uint8)
    person = np.zeros((120, 120), np.uint8)
    cv2.ellipse(person, (60, 60), (14, 40), 0, 0, 360, 1, -1)
    img[person > 0] = (200, 60, 90)
    plane = np.zeros((120, 120), np.uint8)
    plane[15:106, 36:85] = 1  # the box holds the person and background on both sides
    plane[58:62, 58:62] = 2  # a keypoint
    est = boxes.grabcut_person(img, plane)
    truth = person > 0
    assert not (est & (plane == 0)).any()  # never outside the box
    iou = (est & truth).sum() / (est | truth).sum()
    assert iou > 0.8, iou
    assert est.sum() < 0.8 * (plane > 0).sum()  # the box's background is left out
