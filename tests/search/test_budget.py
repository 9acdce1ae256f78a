"""Byte budgets: parsing and the search for the best quality that fits."""

from __future__ import annotations

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
