from __future__ import annotations

import io

import numpy as np
import pytest

from qualipress import codecs
from qualipress.errors import InputError, UnsupportedError
from qualipress.io import as_image, read_image
from qualipress.metrics import measure
from qualipress.roi import RoiJpegCodec, bg_quality_for
from qualipress.roi.codec import RING_LEVEL


def half_mask(h, w):
    m = np.zeros((h, w), bool)
    m[:, : w // 2] = True
    return m


def test_registered_in_the_codec_table():
    c = codecs.get("jpeg-roi")
    assert isinstance(c, RoiJpegCodec)
    assert c.info.extension == ".jpg" and not c.info.lossless


def test_quality_maps_to_a_roi_background_pair(textured):
    c = RoiJpegCodec()
    img = textured(64, 96)
    enc = c.encode_roi(as_image(img), quality=90, roi_mask=half_mask(64, 96), adapt=False)
    assert (enc.roi_quality, enc.bg_quality) == (90.0, bg_quality_for(90)) == (90.0, 40.0)
    assert {k: v for k, v in enc.stats.levels.items() if k >= 0} == {0: 40.0, 1: 90.0}


def test_transition_ring_sits_between_roi_and_background(textured):
    c = RoiJpegCodec()
    img = as_image(textured(64, 96))
    m = half_mask(64, 96)
    enc = c.encode_roi(img, quality=90, roi_mask=m, ring=2, ring_weight=0.5, adapt=False)
    assert enc.stats.levels == {RING_LEVEL: 65.0, 0: 40.0, 1: 90.0}
    # the ROI block map (what --save-mask writes) does not include the ring
    assert enc.levels.max() == 1 and (enc.levels > 0).sum() == enc.stats.roi_blocks
    assert enc.block_mask((64, 96)).sum() == m.sum()
    none = c.encode_roi(img, quality=90, roi_mask=m, ring=0, adapt=False)
    assert none.stats.levels == {0: 40.0, 1: 90.0}
    dec = [c.decode(e.data).pixels.astype(float) for e in (none, enc)]
    ref = img.pixels.astype(float)
    band = slice(96 // 2, 96 // 2 + 16)  # the two MCU columns right of the ROI (4:4:4 at quality 90)
    err = [((d[:, band] - ref[:, band]) ** 2).mean() for d in dec]
    assert err[1] < err[0]  # the ring is finer than the background it replaces
    far = slice(96 // 2 + 16, 96)
    assert np.allclose(dec[0][:, far].mean(), dec[1][:, far].mean(), atol=2)
    for bad in ({"ring": -1}, {"ring_weight": 1.5}):
        with pytest.raises(InputError):
            c.encode_roi(img, quality=90, roi_mask=m, **bad)


def test_default_ring_quality_follows_the_ring_weight_in_both_profiles(textured):
    from qualipress.roi.mapping import HIGH_RATE, LOW_RATE, RING_WEIGHT

    assert LOW_RATE.ring_weight == HIGH_RATE.ring_weight == RING_WEIGHT
    c = RoiJpegCodec()
    img = as_image(textured(64, 96))
    for q in (30, 90):  # one quality in each profile
        enc = c.encode_roi(img, quality=q, roi_mask=half_mask(64, 96), adapt=False)
        bg, roi = enc.stats.levels[0], enc.stats.levels[1]
        assert enc.stats.levels[RING_LEVEL] == round(bg + RING_WEIGHT * (roi - bg))


def test_profile_switches_to_420_and_flat_tables_at_low_quality(textured):
    from qualipress.roi.mapping import HIGH_RATE, LOW_RATE, LOW_RATE_QUALITY, profile_for

    assert profile_for(LOW_RATE_QUALITY - 1) == LOW_RATE and profile_for(LOW_RATE_QUALITY) == HIGH_RATE
    c = RoiJpegCodec()
    img = as_image(textured(64, 96))
    m = half_mask(64, 96)
    low = c.encode_roi(img, quality=LOW_RATE_QUALITY - 5, roi_mask=m, adapt=False)
    high = c.encode_roi(img, quality=LOW_RATE_QUALITY + 5, roi_mask=m, adapt=False)
    assert low.mcu == (16, 16) and high.mcu == (8, 8)
    from PIL import Image

    for enc, sampling in ((low, 2), (high, 0)):  # Pillow: 2 = 4:2:0, 0 = 4:4:4
        with Image.open(io.BytesIO(enc.data)) as im:
            from PIL import JpegImagePlugin

            assert JpegImagePlugin.get_sampling(im) == sampling
    # an explicit option wins over the profile
    assert c.encode_roi(img, quality=LOW_RATE_QUALITY - 5, roi_mask=m, subsampling="444").mcu == (8, 8)


def test_roi_gets_more_fidelity_than_background(textured):
    c = RoiJpegCodec()
    img = textured(96, 128)
    m = half_mask(96, 128)
    data = c.encode(img, roi_mask=m, roi_quality=92, bg_quality=30)
    dec = c.decode(data)
    roi = measure(img, dec, ("psnr",), mask=m)["psnr"].value
    bg = measure(img, dec, ("psnr",), mask=~m)["psnr"].value
    assert roi > bg + 3
    # smaller than encoding everything at the ROI quality
    uniform = c.encode(img, roi_mask=m, roi_quality=92, bg_quality=92)
    assert len(data) < 0.85 * len(uniform)


def test_no_roi_falls_back_to_uniform_quality_and_says_so(textured):
    c = RoiJpegCodec()
    img = as_image(textured(48, 64))
    enc = c.encode_roi(img, roi_mask=np.zeros((48, 64), bool), roi_quality=80, bg_quality=30)
    assert any("uniform quality 80" in n for n in enc.notes)
    assert enc.stats.levels == {0: 80.0}
    enc2 = c.encode_roi(img, roi_mask=np.zeros((48, 64), bool), roi_quality=80, fallback_quality=50)
    assert enc2.stats.levels == {0: 50.0}


@pytest.mark.parametrize("shape", [(1, 1, 3), (7, 5, 3), (37, 53, 1), (17, 33, 3), (8, 8, 1)])
def test_tiny_odd_and_grey_images(shape):
    c = RoiJpegCodec()
    a = (np.random.default_rng(0).random(shape) * 255).astype(np.uint8)
    m = np.zeros(shape[:2], bool)
    m[: max(1, shape[0] // 2)] = True
    data = c.encode(a, quality=80, roi_mask=m)
    dec = c.decode(data)
    assert dec.pixels.shape == shape


def test_bad_inputs_are_refused_clearly(textured):
    c = RoiJpegCodec()
    img = textured(32, 32)
    with pytest.raises(UnsupportedError, match="8-bit"):
        c.encode(as_image(img.astype(np.uint16) * 257))
    with pytest.raises(UnsupportedError, match="alpha"):
        c.encode(np.dstack([img, img[..., :1]]))
    with pytest.raises(InputError, match="mask is"):
        c.encode(img, roi_mask=np.zeros((31, 32), bool))
    with pytest.raises(InputError, match="above roi_quality"):
        c.encode(img, roi_mask=half_mask(32, 32), roi_quality=50, bg_quality=60)
    with pytest.raises(InputError, match="unknown option"):
        c.encode(img, roi_mask=half_mask(32, 32), colour="blue")
    with pytest.raises(InputError, match="threshold"):
        c.encode(img, roi_mask=half_mask(32, 32), block_threshold=0)


def test_mask_png_and_save_mask(tmp_path, textured):
    from PIL import Image as PILImage

    img = textured(64, 64)
    m = np.zeros((64, 64), np.uint8)
    m[10:40, 10:40] = 255
    PILImage.fromarray(m).save(tmp_path / "m.png")
    c = RoiJpegCodec()
    out = tmp_path / "blocks.png"
    enc = c.encode_roi(as_image(img), roi_mask=str(tmp_path / "m.png"), save_mask=str(out), quality=85)
    saved = np.asarray(PILImage.open(out)) > 0
    assert saved.shape == (64, 64)
    assert np.array_equal(saved, enc.block_mask((64, 64)))
    # 444: 8x8 MCUs; 10..40 covers blocks 1..4 fully or >= 50%
    assert saved[16:40, 16:40].all() and not saved[48:, 48:].any()


def test_hierarchical_mode_gives_persons_less_than_faces(textured):
    from qualipress.detect import Region
    from qualipress.roi.mask import analyse

    img = as_image(textured(64, 64))
    person = np.zeros((64, 64), bool)
    person[:, :32] = True
    res = analyse(
        img, None, roi_boxes=[Region("persons", (0, 0, 32, 64), mask=person), Region("faces", (0, 0, 16, 16))],
        refine=False,
    )
    enc = RoiJpegCodec().encode_roi(img, analysis=res, roi_quality=90, bg_quality=30, hierarchical=True)
    assert enc.stats.levels[3] == 90 and enc.stats.levels[0] == 30
    assert 30 < enc.stats.levels[2] < 90


@pytest.mark.data
def test_detected_roi_on_a_portrait(data_dir):
    img = read_image(data_dir / "kodak" / "kodim04.png")
    c = RoiJpegCodec()
    enc = c.encode_roi(img, quality=85, roi=["faces"])
    assert 0 < enc.stats.roi_fraction < 0.5
    dec = c.decode(enc.data)
    face = enc.block_mask((img.height, img.width))
    roi = measure(img, dec, ("psnr",), mask=face)["psnr"].value
    bg = measure(img, dec, ("psnr",), mask=~face)["psnr"].value
    assert roi > bg


def test_targeted_encode_carries_metadata(textured):
    # QA: `compress photo.jpg --codec jpeg-roi --target ...` on a photo with an ICC profile skipped jpeg-roi
    # ("unknown option(s) metadata") and silently delivered the lossless mozjpeg transcode instead.
    from PIL import ImageCms

    from qualipress.io.metadata import Carry, read_metadata

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    res = RoiJpegCodec().targeted_encode(as_image(textured(64, 80)), "ssim>=0.9", metadata=Carry(icc=icc))
    assert res.met and res.codec == "jpeg-roi"
    assert read_metadata(res.data, "jpeg").get("icc_profile") == icc


def test_budget_holds_with_the_carried_metadata(textured):
    # QA: `compress photo.jpg --codec jpeg-roi --target bytes<=40000` on a COCO photo with an Adobe RGB profile
    # wrote 40,485 B with target_met true: the budget search measured the files before the ICC was embedded.
    from PIL import ImageCms

    from qualipress.io.metadata import Carry, read_metadata

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    img = as_image(textured(96, 128))
    plain = RoiJpegCodec().targeted_encode(img, "bytes<=3000")
    budget = len(plain.data) + len(icc) // 2  # the plain best fit leaves less room than the profile takes
    res = RoiJpegCodec().targeted_encode(img, f"bytes<={budget}", metadata=Carry(icc=icc))
    assert read_metadata(res.data, "jpeg").get("icc_profile") == icc
    assert len(res.data) <= budget
