"""The probe primitive: one encode, decode and measure, shared by the search, RD sweeps, ROI and verification."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress import codecs, metrics
from qualipress.errors import QualipressError
from qualipress.io import as_image
from qualipress.search import measure_decoded, measure_encoded, parse_target, probe, search
from tests.conftest import photo_like


@pytest.fixture
def image():
    return as_image(photo_like(64, 80, seed=3))


def test_probe_matches_a_hand_wired_encode_decode_measure(image):
    p = probe(image, "jpeg", 60, metrics=("ssim", "psnr"))
    codec = codecs.get("jpeg")
    data = codec.encode(image, quality=60)
    decoded = codecs.decode_like(codec, data, image)
    direct = metrics.measure(image, decoded, ("ssim", "psnr"))
    assert p.data == data and p.bytes == len(data) and p.codec == "jpeg" and p.setting == 60
    assert np.array_equal(p.decoded.pixels, decoded.pixels)
    assert p.values() == {k: v.value for k, v in direct.items()}
    assert p.encode_seconds > 0 and p.seconds >= p.encode_seconds


def test_prepared_reference_gives_the_same_values(image):
    ref = metrics.prepare_reference(image)
    a = probe(image, "webp", 50, reference=ref)
    b = probe(image, "webp", 50)
    assert a.values() == b.values()


def test_scoped_keys_are_measured_over_their_mask(image):
    mask = np.zeros((image.height, image.width), bool)
    mask[8:40, 10:50] = True
    p = probe(image, "jpeg", 30, metrics=("ssim", "roi:ssim"), masks={"roi": mask})
    direct = metrics.measure(image, p.decoded, ("ssim",), mask=mask)["ssim"].value
    assert p.metrics["roi:ssim"].value == direct
    assert p.metrics["roi:ssim"].value != p.metrics["ssim"].value
    # a scope with no mask given is skipped; a scope whose mask is None covers the whole image
    assert "roi:ssim" not in measure_decoded(image, p.decoded, ("ssim", "roi:ssim"))
    whole = measure_decoded(image, p.decoded, ("ssim", "roi:ssim"), masks={"roi": None})
    assert whole["roi:ssim"].value == whole["ssim"].value


def test_precise_if_remeasures_in_float64(image):
    p = probe(image, "jpeg", 70)
    seen = []
    res = measure_decoded(image, p.decoded, ("ssim",), precise_if=lambda r: seen.append(r) or True)
    precise = metrics.measure(image, p.decoded, ("ssim",), precise=True)
    assert len(seen) == 1 and res["ssim"].value == precise["ssim"].value


def test_measure_encoded_decodes_caller_bytes(image):
    data = codecs.get("png").encode(image, lossless=True)
    p = measure_encoded(data, "png", image)
    assert p.encode_seconds == 0 and p.setting is None
    assert np.array_equal(p.decoded.pixels, image.pixels) and p.values()["ssim"] == pytest.approx(1.0)


def test_lossless_probe_and_the_search_agree(image):
    res = search(image, "jpeg", parse_target(["ssim>=0.9"]))
    p = probe(image, "jpeg", res.setting, metrics=("ssim",))
    assert p.bytes == len(res.data)
    assert p.values()["ssim"] == pytest.approx(res.metrics["ssim"].value, abs=1e-6)
    assert probe(image, "png", None, lossless=True).values()["psnr"] == metrics.spec("psnr").perfect


def test_bad_metric_is_a_clear_error(image):
    with pytest.raises(QualipressError):
        probe(image, "jpeg", 50, metrics=("no-such-metric",))
