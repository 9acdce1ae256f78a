import math

import numpy as np
import pytest

from qualipress import codecs
from qualipress.io import as_image
from qualipress.metrics import ssim_map
from qualipress.search import parse_target, plateaus, proxy, search
from tests.conftest import photo_like


def _kept_interiors(h: int, w: int, t: int) -> np.ndarray:
    """Full-image pixels the mosaic measures, laid out independently of the implementation."""
    b = proxy.BORDER
    keep = np.zeros((h, w), bool)
    ny, nx = h // t, w // t
    for i in range(ny):
        cols = [j for j in range(nx) if (i + j) % 2 == 0][: nx // 2]
        for j in cols:
            keep[i * t + b : (i + 1) * t - b, j * t + b : (j + 1) * t - b] = True
    return keep


@pytest.mark.parametrize("tile", [64, 32])
def test_jpeg_mosaic_interiors_decode_exactly_as_in_the_full_image(tile):
    img = as_image(photo_like(256, 448, seed=3))
    codec = codecs.get("jpeg")
    mos = proxy.Mosaic(img, img, 256, tile=tile)
    across = 448 // tile
    assert mos.image.pixels.shape == (256, across // 2 * tile, 3)  # every other tile of each row
    for q in (40, 75, 92):  # 4:2:0 and 4:4:4
        full = codecs.decode_like(codec, codec.encode(img, quality=q), img)
        expected = float(np.mean(ssim_map(img, full)[_kept_interiors(256, 448, tile)], dtype=np.float64))
        got = mos.measure(codec, q, {})
        assert abs(got["ssim"].value - expected) < 1e-6
        assert got["ssim"].stats["min"] <= got["ssim"].value <= 1.0


@pytest.mark.parametrize("shape,tile,bits", [((256, 448, 3), 32, 8), ((192, 320, 1), 64, 8), ((160, 256, 3), 32, 12)])
def test_mosaic_kernel_reads_the_images_statistics_in_place_bit_for_bit(monkeypatch, shape, tile, bits):
    # The fused kernels measure the tile interiors from the full image's reference statistics
    # (Reference.interior_values); the OpenCV path measures a rearranged copy of them. Both give the interiors'
    # values of the rearranged reference's maps; the kernel path exactly those of the kernels' maps.
    from qualipress.metrics import core

    h, w, c = shape
    img = as_image(photo_like(h, w, channels=c, bits=bits, seed=5), bit_depth=bits)
    codec = codecs.get("jpeg")
    monkeypatch.setattr(core, "USE_FUSED", True)
    mos = proxy.Mosaic(img, img, 96, tile=tile)
    mos.measure(codec, 50, {})
    assert mos._packed is None  # nothing rearranged on the kernels' path
    for q in (35, 80, 95):
        dec = codecs.decode_like(codec, codec.encode(mos.image, quality=q), mos.image)
        got = mos._ref.interior_values(dec, tile, proxy.BORDER, mos._ids, mos._used.size)
        assert got is not None
        ref, maps = mos._packed_reference()
        s_map, e_map = ref.maps(dec.with_pixels(mos._crop(dec.pixels)), out=maps)
        s, e = mos._interior(s_map), mos._interior(e_map)
        assert np.array_equal(got[0], s) and np.array_equal(got[1], e)
        # the per-tile sums are np.bincount's
        assert np.array_equal(got[2], np.bincount(mos._ids, weights=s))
        assert np.array_equal(got[3], np.bincount(mos._ids, weights=e))
        fused = mos.measure(codec, q, {})
        monkeypatch.setattr(core, "USE_FUSED", False)
        assert mos._ref.interior_values(dec, tile, proxy.BORDER) is None
        plain = mos.measure(codec, q, {})
        monkeypatch.setattr(core, "USE_FUSED", True)
        assert abs(fused["ssim"].value - plain["ssim"].value) < 1e-6
        assert np.abs(fused["ssim"].tiles - plain["ssim"].tiles).max() < 1e-5
        assert fused["psnr"].value == pytest.approx(plain["psnr"].value, abs=1e-4)


def test_mosaic_is_used_only_where_it_applies():
    jpeg = codecs.get("jpeg")
    big, small = as_image(photo_like(256, 320)), as_image(photo_like(64, 320))
    assert proxy.Mosaic.usable(big, big, parse_target("ssim>=0.95 and ssim@min>=0.9"), jpeg)
    assert not proxy.Mosaic.usable(small, small, parse_target("ssim>=0.95"), jpeg)  # too few tiles
    assert not proxy.Mosaic.usable(big, big, parse_target("ms-ssim>=0.95"), jpeg)  # no estimate for it


def test_steering_changes_where_the_search_starts_not_what_it_proves():
    img = as_image(photo_like(320, 384, seed=5))
    for target in ("ssim>=0.93", "ssim>=0.98"):
        steered = search(img, "jpeg", target)
        plain = search(img, "jpeg", target, mosaic=False)
        assert steered.steering >= 1 and plain.steering == 0
        assert steered.met and steered.setting == plain.setting and steered.data == plain.data
        settings = {p.setting: p.passed for p in steered.probes}
        # the proof: the result passes and the setting below it was probed and failed
        assert settings[steered.setting] and settings.get(steered.setting - 1) is False


def test_steering_options_change_the_bytes_not_the_pixels():
    img = as_image(photo_like(128, 192, seed=7))
    for name, opts in proxy.STEERING_OPTIONS.items():
        codec = codecs.get(name)
        for q in (30, 85, 95):
            plain = codecs.decode_like(codec, codec.encode(img, quality=q), img)
            steer = codecs.decode_like(codec, codec.encode(img, quality=q, **opts), img)
            assert np.array_equal(plain.pixels, steer.pixels)


def test_mosaic_layout_keeps_every_other_tile_and_crops_them():
    img = as_image(photo_like(200, 330, seed=2))  # 6 x 10 tiles of 32 px, edges left over
    mos = proxy.Mosaic(img, img, 256, tile=32)
    px = img.pixels
    for m in (0, 2):
        packed = mos.pack(px, m)
        side = 32 - 2 * m
        assert packed.shape == (6 * side, 5 * side, 3)
        for i in range(6):
            for k in range(5):
                j = 2 * k + i % 2  # the checkerboard: first tile in even rows, second in odd ones
                want = px[i * 32 + m : (i + 1) * 32 - m, j * 32 + m : (j + 1) * 32 - m]
                assert np.array_equal(packed[i * side : (i + 1) * side, k * side : (k + 1) * side], want)


def _bracket_with(passing, failing, mosaic, codec="jpeg"):
    from types import SimpleNamespace

    from qualipress.search.search import Probe, _Bracket

    runner = SimpleNamespace(prediction=None, codec=SimpleNamespace(name=codec, version=lambda: "stand-in",
                                                                        bitstream_version=lambda: "stand-in"))
    br = _Bracket(runner, [float(q) for q in range(1, 101)], None)
    br.passing = {i: Probe(i + 1.0, 1000 + i, True, m, {}) for i, m in passing.items()}
    br.failing = {i: Probe(i + 1.0, 1000 + i, False, m, {}) for i, m in failing.items()}
    br.mosaic = dict(mosaic)
    br.slope = 0.002  # a chord slope from far-apart mosaic probes: much flatter than the curve near the top
    return br


def test_a_mosaic_sample_across_the_threshold_closes_the_bracket_by_interpolation():
    from qualipress.search.search import _outside

    # A passing full probe at index 91 and a mosaic sample clearly failing at 87: the secant puts the crossing
    # at 87.8, so the next probe is 88 (the chord slope alone would leap a third of the grid down).
    br = _bracket_with({91: 0.12}, {}, {87: -0.03, 60: -0.2})
    assert _outside(br, None, 91, None) == 88
    assert 87 not in br.mosaic  # each sample serves once
    assert _outside(br, None, 91, None) < 80  # then the search steps as before
    # the same from below: a failing probe and a mosaic sample that passes above it
    br = _bracket_with({}, {40: -0.05}, {44: 0.05})
    assert _outside(br, 40, None, None) == 42
    # samples within the mosaic's noise of the threshold, or too far away, are not used; nor those of a codec
    # whose mosaic only approximates the full image
    for mosaic, codec in (({90: -0.01}, "jpeg"), ({70: -0.3}, "jpeg"), ({87: -0.03}, "jpegxl")):
        assert (codec in proxy.BRACKET_CODECS) == (codec == "jpeg")
        br = _bracket_with({91: 0.12}, {}, mosaic, codec)
        assert _outside(br, None, 91, None) < 80 and br.mosaic == mosaic


def test_fast_steering_only_where_the_caller_left_the_setting_alone():
    for name, fast in proxy.FAST_STEERING.items():
        codec = codecs.get(name)
        assert proxy.fast_options(codec, {}) == fast
        assert proxy.fast_options(codec, dict(fast)) is None  # the caller chose it: offsets would not hold
        assert set(proxy.FAST_OFFSET[name]) <= {"ssim", "psnr"}
    assert proxy.fast_options(codecs.get("jpeg"), {}) is None


def test_fast_steering_offsets_shift_each_constraint_by_its_metric():
    from qualipress.metrics import MetricResult

    res = {"ssim": MetricResult("ssim", 0.99), "psnr": MetricResult("psnr", 40.0)}
    tgt = parse_target(["ssim>=0.9", "psnr>=39"])
    plain = {c.metric: c.margin(res) for c in tgt.constraints}
    assert proxy._margin(tgt, res, None) == tgt.margin(res) == min(plain.values())
    shifted = proxy._margin(tgt, res, {"ssim": 0.5, "psnr": -0.2})
    assert shifted == pytest.approx(min(plain["ssim"] - 0.5, plain["psnr"] + 0.2))


@pytest.mark.parametrize("name", sorted(proxy.FAST_STEERING))
def test_fast_steering_encodes_the_mosaic_fast_and_proves_at_the_real_setting(name, monkeypatch):
    img = as_image(photo_like(256, 320, seed=11))
    codec = codecs.get(name)
    seen: list[dict] = []
    real_encode = type(codec).encode

    def spy(self, image, **kw):
        seen.append({"shape": as_image(image).pixels.shape, **kw})
        return real_encode(self, image, **kw)

    monkeypatch.setattr(type(codec), "encode", spy)
    # x265's 4:2:0 chroma caps this synthetic image's SSIM near 0.78 (already at quality 1): HEIF steers on PSNR
    res = search(img, name, {"heif": "psnr>=30"}.get(name, "ssim>=0.95"), lossless_fallback=False)
    fast = proxy.FAST_STEERING[name]
    steering = [s for s in seen if all(s.get(k) == v for k, v in fast.items())]
    assert res.met and res.steering == len(steering) >= 1
    assert all(s["shape"] != img.pixels.shape for s in steering)  # mosaics, never the whole image
    assert len(seen) == len(steering) + res.encodes  # every full-image probe at the real setting
    grid = list(codec.info.quality.grid)
    k = grid.index(res.setting)
    by_setting = {p.setting: p.passed for p in res.probes}
    # the proof's failing neighbour: the first setting of the group below (HEIF's even qualities write the file of
    # the odd one below them, search.plateaus)
    below = grid[plateaus.groups(codec, grid)[k - 1][0]] if k > 0 else None
    assert by_setting[res.setting] and (k == 0 or by_setting.get(below) is False)


class _CurveMosaic:
    """A stand-in mosaic whose SSIM margin (against ssim>=0.9) follows ``curve(grid index)``."""

    def __init__(self, curve, grid):
        self.curve, self.grid, self.calls = curve, list(grid), []
        self.fast: dict = {}  # encoded at the codec's own setting: no steering offsets

    def measure(self, codec, setting, options):
        from qualipress.metrics import MetricResult

        i = self.grid.index(setting)
        self.calls.append(i)
        return {"ssim": MetricResult("ssim", 1 - 10 ** -(1 + self.curve(i)))}


def _steer(curve, start, slope, **kw):
    codec = codecs.get("jpeg")
    grid = codec.info.quality.grid
    mos = _CurveMosaic(curve, grid)
    x, _, made = proxy.steer(mos, codec, parse_target("ssim>=0.9"), grid, start, slope, {}, **kw)
    assert made == len(mos.calls) == len(set(mos.calls))
    return x, made, mos.calls


def test_exact_mosaic_keeps_steering_across_a_flat_then_steep_curve():
    # A JPEG source just below its own quality: nearly flat (the re-encode drops its noise), then a steep climb;
    # the lowest passing index is 89. Two probes (75 fails, 91 passes by far) put a secant near 79.
    def curve(i):
        return -0.35 + 0.01 * (i - 75) if i < 89 else 0.5 + 0.3 * (i - 89)

    x, made, calls = _steer(curve, 75, 0.02, top=95)
    assert math.ceil(x - 1e-9) in (88, 89) and made <= proxy.BRACKET_PROBES
    assert max(calls) < 95  # never the source's own quality


def test_exact_mosaic_stops_after_two_probes_on_a_straight_curve():
    x, made, _ = _steer(lambda i: 0.03 * (i - 70.4), 66, 0.03)
    assert made == 2 and math.ceil(x - 1e-9) == 71
    x, made, _ = _steer(lambda i: 0.03 * (i - 70.4), 70, 0.03)
    assert made == 1 and math.ceil(x - 1e-9) == 71
