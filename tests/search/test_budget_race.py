"""Several codecs under one byte budget: predicted order, and codecs that cannot win stop after one probe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import as_image
from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.search import budget as budget_mod
from qualipress.search import budget_order, parse_target, search
from qualipress.search.budget import _curves, _index_for_bytes
from qualipress.search.search import _features
from tests.conftest import photo_like


def test_order_puts_predicted_codecs_first_by_quality_at_the_budget() -> None:
    img = as_image(photo_like(192, 256, seed=7))
    names = ["png", "jpeg", "jpegxl", "webp", "avif"]
    order = budget_order(names, img, parse_target("bytes<=9000"))
    assert sorted(order) == sorted(names) and order[-1] == "png"  # no quality curve: after the predicted ones
    predicted = []
    for name in order[:-1]:  # by the SSIM each codec's curves predict where its file reaches the budget
        knots, quality, _ = _curves(codecs.get(name), _features(img)[1])
        predicted.append(float(np.interp(_index_for_bytes((knots, quality, _), 9000, img), knots, quality)))
    assert predicted == sorted(predicted, reverse=True) and len(set(predicted)) == len(predicted)


def test_a_codec_that_cannot_win_stops_after_one_probe() -> None:
    img = as_image(photo_like(192, 256, seed=7))
    res = search(img, codecs.get("jpeg"), ["bytes<=9000"], rank_to_beat=0.99999)
    assert res.beaten and not res.met and res.encodes == 1
    full = search(img, codecs.get("jpeg"), ["bytes<=9000"])
    assert full.met and full.encodes > 1 and full.beaten is None


def test_a_low_bar_changes_nothing() -> None:
    img = as_image(photo_like(192, 256, seed=7))
    a = search(img, codecs.get("webp"), ["bytes<=9000"], rank_to_beat=0.0)
    b = search(img, codecs.get("webp"), ["bytes<=9000"])
    assert a.beaten is None and a.data == b.data and a.encodes == b.encodes


def test_race_chooses_the_full_searchs_file_with_fewer_encodes(tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "photo.png"
    PILImage.fromarray(photo_like(192, 256, seed=11)).save(src)
    opts = CompressOptions(target=parse_target("bytes<=2500"), codec="jpeg,webp,avif",
                           hooks=PhotoHooks(web=True))
    race = compress_paths([src], tmp_path / "race", opts).records[0]
    monkeypatch.setattr(budget_mod, "_screened", lambda *a, **k: None)
    full = compress_paths([src], tmp_path / "full", opts).records[0]
    assert race["output_sha256"] == full["output_sha256"] and race["codec"] == full["codec"]
    assert race["encodes"] < full["encodes"]
    assert any(d.startswith("stopped ") for d in race["decisions"] or [])
    assert race["bytes"] <= 2500 and np.isfinite(race["metrics"]["ssim"]["value"])


def test_screening_rules() -> None:
    from types import SimpleNamespace

    floors = parse_target(["bytes<=9000", "ssim>=0.5"])
    over, fits = SimpleNamespace(bytes=9500, setting=80.0), SimpleNamespace(bytes=8000, setting=70.0)
    # over the budget and already worse: certain, with or without floors
    assert budget_mod._screened(over, 0.1, 70, None, 9000, floors, 0.2, None)
    assert budget_mod._screened(over, 0.3, 70, None, 9000, floors, 0.2, None) is None  # better: keep searching
    # fitting and worse: only predicted, and only without floors (the curves predict SSIM)
    assert budget_mod._screened(fits, 0.1, 70, None, 9000, floors, 0.2, None) is None
    img = as_image(photo_like(192, 256, seed=7))
    curves = _curves(codecs.get("jpeg"), _features(img)[1])
    plain = parse_target("bytes<=9000")
    assert budget_mod._screened(fits, 0.5, 70, curves, 9000, plain, 0.9999, img)  # far below: dropped
    assert budget_mod._screened(fits, 0.85, 70, curves, 9000, plain, 0.8501, img) is None  # a hair below: searched
