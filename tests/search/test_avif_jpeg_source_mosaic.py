"""AVIF's mosaic of an image read from a JPEG file is encoded at the default speed, not the fast steering one.

At speed 9 libaom codes a JPEG source's 8×8 block structure otherwise than at speed 6: the fast mosaic's margin
fell 0.13 (to 0.38) below the full image's on QA 19's JPEG sources, where the learnt offset corrects 0.06, and
the first full-image probe landed 2-6 steps high (docs/benchmarks.md § AVIF cold on JPEG sources).
"""

from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io.readers import read_image
from qualipress.search import proxy, search
from tests.conftest import photo_like


def _mosaic_speeds(path, monkeypatch) -> tuple[list, int]:
    codec = codecs.get("avif")
    img = read_image(path)
    speeds: list = []
    real_encode = type(codec).encode

    def spy(self, image, **kw):
        if image.pixels.shape != img.pixels.shape:  # a mosaic, not the whole image
            speeds.append(kw.get("speed"))
        return real_encode(self, image, **kw)

    monkeypatch.setattr(type(codec), "encode", spy)
    res = search(img, "avif", "ssim>=0.95", lossless_fallback=False)
    assert res.met
    return speeds, res.steering


def test_avif_steers_a_jpeg_source_on_a_default_speed_mosaic(tmp_path, monkeypatch):
    px = photo_like(256, 320, seed=5)
    PILImage.fromarray(px).save(tmp_path / "a.jpg", quality=85)
    PILImage.fromarray(px).save(tmp_path / "a.png")
    jpeg_speeds, jpeg_steering = _mosaic_speeds(tmp_path / "a.jpg", monkeypatch)
    assert jpeg_steering == len(jpeg_speeds) >= 1
    assert all(s is None for s in jpeg_speeds)  # the codec's default speed, no FAST_OFFSET
    monkeypatch.undo()
    png_speeds, _ = _mosaic_speeds(tmp_path / "a.png", monkeypatch)
    assert png_speeds and all(s == proxy.FAST_STEERING["avif"]["speed"] for s in png_speeds)


def test_fast_options_leave_jpeg_sources_to_the_default_setting():
    avif, heif = codecs.get("avif"), codecs.get("heif")
    assert proxy.fast_options(avif, {}, jpeg_source=True) is None
    assert proxy.fast_options(avif, {}) == proxy.FAST_STEERING["avif"]
    assert proxy.fast_options(heif, {}, jpeg_source=True) == proxy.FAST_STEERING["heif"]  # not measured: unchanged


def test_the_default_setting_mosaic_has_its_own_first_probe_shift():
    avif, jxl = codecs.get("avif"), codecs.get("jpegxl")
    assert proxy.first_probe_shift(avif, {}) == proxy.FIRST_PROBE_SHIFT["avif"]
    assert proxy.first_probe_shift(avif, {}, jpeg_source=True) == proxy.DEFAULT_SETTING_SHIFT["avif"]
    assert proxy.DEFAULT_SETTING_SHIFT["avif"] < proxy.FIRST_PROBE_SHIFT["avif"]
    assert proxy.first_probe_shift(jxl, {}, jpeg_source=True) == proxy.FIRST_PROBE_SHIFT["jpegxl"]


def _first_avif_probe(path, options) -> float:
    res = search(read_image(path), "avif", "ssim>=0.95", encode_options=options, lossless_fallback=False)
    assert res.steering >= 1  # the mosaic steered it
    return res.probes[0].setting


def test_a_callers_own_speed_keeps_the_fast_shift(tmp_path, monkeypatch):
    # rev19g: a PNG searched with the caller's speed (so no fast mosaic) took the JPEG sources' shift since avif19
    # (kodim04's corner at speed=6: first probe 66 -> 64); that shift was chosen on JPEG sources only.
    PILImage.fromarray(photo_like(256, 320, seed=5)).save(tmp_path / "a.png")
    firsts = []
    for shift in ({}, {"avif": -30.0}):
        monkeypatch.setattr(proxy, "DEFAULT_SETTING_SHIFT", shift)
        firsts.append(_first_avif_probe(tmp_path / "a.png", {"speed": 6}))
    assert firsts[0] == firsts[1]
