"""EXIF orientation before detection: a photo stored sideways with orientation 6 gets its ROI on the person."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image as PILImage

from qualipress.io import as_image, read_image
from qualipress.roi import RoiJpegCodec
from qualipress.roi.groundtruth import apply_orientation
from tests.conftest import shared_data


def test_orientation_6_photo_is_turned_upright_before_detection(tmp_path) -> None:
    src = shared_data("people", "mmpose_testdata", "coco", "000000000785.jpg")  # one skier, upright
    upright = np.asarray(PILImage.open(src).convert("RGB"))
    # stored frame of an orientation-6 file: the upright picture turned 90 degrees counter-clockwise
    stored = np.ascontiguousarray(np.rot90(upright, 1))
    assert np.array_equal(apply_orientation(stored, 6), upright)
    im = PILImage.fromarray(stored)
    exif = im.getexif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=95, exif=exif.tobytes())
    path = tmp_path / "sideways.jpg"
    path.write_bytes(buf.getvalue())

    img = read_image(path)
    assert (img.height, img.width) == upright.shape[:2]  # read_image applied the orientation
    codec = RoiJpegCodec()
    rotated_roi = codec.analyse(img, roi="faces,persons").mask
    upright_roi = codec.analyse(as_image(upright), roi="faces,persons").mask
    assert upright_roi.any()
    inter = (rotated_roi & upright_roi).sum()
    union = (rotated_roi | upright_roi).sum()
    assert inter / union > 0.7  # the same person found in the same place
