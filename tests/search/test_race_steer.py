"""A racing search of a codec with a cheap mosaic steers its first full-image probe by it (``search.RACE_STEER``)."""

import importlib

from qualipress import codecs
from qualipress.io import as_image
from qualipress.search import proxy, search
from tests.conftest import photo_like

S = importlib.import_module("qualipress.search.search")  # the module (the package exports the function as search)
TARGET = "ssim>=0.95"


def _img():
    return as_image(photo_like(256, 320, seed=11))


def _spy(monkeypatch, name):
    """Record every encode of codec ``name`` (keyword options and whether it was the whole image)."""
    codec = codecs.get(name)
    seen: list[dict] = []
    real = type(codec).encode

    def spy(self, image, **kw):
        seen.append({"whole": as_image(image).pixels.shape == _img().pixels.shape, **kw})
        return real(self, image, **kw)

    monkeypatch.setattr(type(codec), "encode", spy)
    return seen


def test_a_race_the_codec_clearly_wins_makes_its_own_search(monkeypatch):
    # A bound far above anything AVIF writes here: the racing search is steered by the same fast mosaic from the same
    # prediction as the search alone, so it makes the same probes and finds the same file.
    alone = search(_img(), "avif", TARGET, lossless_fallback=False)
    assert alone.met and alone.steering >= 1
    seen = _spy(monkeypatch, "avif")
    raced = search(_img(), "avif", TARGET, lossless_fallback=False, bound=100 * len(alone.data))
    assert raced.beaten is None and raced.data == alone.data
    assert [p.setting for p in raced.probes] == [p.setting for p in alone.probes]
    assert raced.steering == alone.steering == sum(not s["whole"] for s in seen)
    fast = proxy.FAST_STEERING["avif"]
    assert all(all(s.get(k) == v for k, v in fast.items()) for s in seen if not s["whole"])
    assert not any(s.get(k) == v for s in seen if s["whole"] for k, v in fast.items())  # proved at the real speed


def test_without_race_steering_a_race_starts_from_the_prediction_alone(monkeypatch):
    alone = search(_img(), "avif", TARGET, lossless_fallback=False)
    monkeypatch.setattr(S, "RACE_STEER", False)
    raced = search(_img(), "avif", TARGET, lossless_fallback=False, bound=100 * len(alone.data))
    assert raced.steering == 0 and raced.data == alone.data


def test_a_clear_loser_fails_once_at_the_size_it_cannot_beat():
    # A bound far under AVIF's smallest passing file: the steered crossing's file is well above it, so the one
    # full-image probe goes below the crossing where the file should be RACE_SIZE_MARGIN times the bound: it fails
    # with at least the bound's bytes, which proves the loss.
    alone = search(_img(), "avif", TARGET, lossless_fallback=False)
    bound = int(0.6 * len(alone.data))
    raced = search(_img(), "avif", TARGET, lossless_fallback=False, bound=bound)
    assert raced.beaten is not None and not raced.met
    full = raced.probes
    assert raced.steering >= 1 and not full[-1].passed and full[-1].bytes >= bound
    assert len(full) <= 2
    assert min(p.setting for p in alone.probes if p.passed) > full[-1].setting


def test_only_codecs_with_a_fast_mosaic_steer_a_race():
    assert "jpegxl" not in proxy.FAST_STEERING  # its mosaic costs half a probe: its races aim from the prediction
    raced = search(_img(), "jpegxl", TARGET, lossless_fallback=False, bound=10 ** 9)
    assert raced.steering == 0 and raced.beaten is None
