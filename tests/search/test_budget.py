"""Byte budgets: parsing and the search for the best quality that fits."""

from __future__ import annotations

import re

import pytest

from qualipress import codecs
from qualipress.errors import TargetError
from qualipress.io import as_image
from qualipress.search import parse_target, search
from qualipress.search.budget import prefer
from tests.conftest import photo_like


def test_parse_budget() -> None:
    t = parse_target(["bytes<=50000", "ssim>=0.9"])
    assert t.budget == 50000 and t.metrics == ["ssim"] and str(t.floors()) == "ssim>=0.9"
    assert parse_target("ssim>=0.9").budget is None
    for bad in ("bytes>=100", "roi:bytes<=100", "bytes@min<=100", "bytes<=0"):
        with pytest.raises(TargetError):
            parse_target(bad)


def test_budget_search_fits_and_reports_encodes() -> None:
    img = as_image(photo_like(96, 128, seed=4))
    jpeg = codecs.get("jpeg")
    res = search(img, jpeg, ["bytes<=3000"])
    assert res.met and len(res.data) <= 3000 and res.metrics["bytes"].value == len(res.data)
    assert len(jpeg.encode(img, quality=res.setting + 1)) > 3000
    assert res.encodes <= 10
    tiny = search(img, jpeg, ["bytes<=50"])
    assert not tiny.met and "no jpeg setting fits" in tiny.fallback
    assert re.search(r"bytes at quality \d+\)", tiny.fallback), tiny.fallback  # "at 1.0" named no scale


def test_prefer_rule() -> None:
    img = as_image(photo_like(64, 80, seed=1))
    t = parse_target(["bytes<=4000"])
    a = search(img, "jpeg", t)
    b = search(img, "webp", t)
    better = a if a.metrics["ssim"].value > b.metrics["ssim"].value else b
    worse = b if better is a else a
    assert prefer(better, worse, t) and not prefer(worse, better, t)
    plain = parse_target("ssim>=0.9")
    small, big = search(img, "jpeg", plain), search(img, "jpeg", parse_target("ssim>=0.99"))
    assert prefer(small, big, plain)


def test_prefer_never_picks_an_over_budget_file_over_one_that_fits() -> None:
    # QA: `--codec webp --target bytes<=1500 --target ssim>=0.99` on a JPEG wrote the 157 KB lossless mozjpeg
    # transcode (SSIM 1.0 ranks highest) although a smaller encode was closer to the budget.
    img = as_image(photo_like(64, 80, seed=2))
    t = parse_target(["bytes<=2500", "ssim>=0.9999"])
    fits = search(img, "jpeg", t)
    huge = search(img, "png", parse_target("ssim>=0.5"))  # lossless, SSIM 1: over the budget
    assert len(fits.data) <= 2500 < len(huge.data)
    huge.met = fits.met = False
    assert prefer(fits, huge, t) and not prefer(huge, fits, t)
    smaller = search(img, "jpeg", parse_target(["bytes<=50"]))  # fits nothing either, but is far smaller
    smaller.met = False
    assert len(huge.data) > len(smaller.data) > 50
    assert prefer(smaller, huge, t) and not prefer(huge, smaller, t)


def test_budget_size_curve_is_the_predictions_on_a_flat_stretch() -> None:
    """Review: the budget search interpolated the size curve itself (``np.interp`` on a curve with a flat stretch
    gave 3.0 for a size every position from 1 to 3 predicts); it now asks ``predict.index_for_size``, the
    search's own reading (the first position that reaches the size)."""
    import numpy as np

    from qualipress.search import budget
    from qualipress.search.predict import index_for_size

    knots = np.arange(5.0)
    log_bpp = np.array([0.0, 1.0, 1.0, 1.0, 2.0])
    curves = (knots, np.zeros(5), log_bpp)
    img = as_image(photo_like(8, 10))  # 80 pixels: 100 bytes are 10 bits per pixel, log10 1.0
    expected = index_for_size(knots, log_bpp, 10.0)
    assert expected == 1.0
    assert budget._index_for_bytes(curves, 100, img) == expected
    for nbytes in (1, 50, 200, 1e6):  # off the flat stretch and past both ends: the same reading
        want = index_for_size(knots, log_bpp, nbytes * 8 / 80)
        assert budget._index_for_bytes(curves, nbytes, img) == pytest.approx(want)


def test_budget_curves_come_from_the_predictors_model_choice(monkeypatch) -> None:
    """Review: ``budget._curves`` read ``models["jpeg|ssim"]`` directly, so a JPEG source got the general model where
    the search's prediction (``Predictor.model``) uses the JPEG-source one."""
    import numpy as np

    from qualipress.search import budget
    from qualipress.search import predict as predict_mod

    real = predict_mod.load()
    if real is None or "jpeg|ssim" not in real.models:
        pytest.skip("no shipped predictor")
    data = dict(real.data)
    general = real.models["jpeg|ssim"]
    source = dict(general, bytes_weights=(np.asarray(general["bytes_weights"]) + 0.5).tolist())
    data["models"] = dict(real.models, **{f"jpeg|ssim|{predict_mod.SOURCE_MODEL}": source})
    fake = predict_mod.Predictor(data)
    monkeypatch.setattr(predict_mod, "load", lambda path=None: fake)
    features = dict.fromkeys(predict_mod.MODEL_FEATURES, 0.5)
    jpeg = codecs.get("jpeg")
    png_curves = budget._curves(jpeg, dict(features, jpeg_quality=0.0))
    jpeg_curves = budget._curves(jpeg, dict(features, jpeg_quality=80.0))
    assert png_curves is not None and jpeg_curves is not None
    row = predict_mod.feature_row(dict(features, jpeg_quality=80.0))
    want = np.maximum.accumulate(np.asarray(source["bytes_weights"]) @ row)
    assert np.allclose(jpeg_curves[2], want)
    assert not np.allclose(png_curves[2], jpeg_curves[2])
