import numpy as np
import pytest
from skimage.metrics import structural_similarity

from qualipress import metrics
from qualipress.errors import InputError, UnsupportedError
from qualipress.io import Image, as_image
from tests.conftest import photo_like


def _distort(arr, sigma, seed=1):
    rng = np.random.default_rng(seed)
    peak = np.iinfo(arr.dtype).max
    return np.clip(arr.astype(np.float64) + rng.normal(0, sigma * peak, arr.shape), 0, peak).astype(arr.dtype)


@pytest.mark.parametrize("shape,bits", [((96, 128, 3), 8), ((301, 257, 3), 16), ((40, 50, 1), 8), ((12, 13, 3), 8)])
def test_ssim_agrees_with_scikit_image(shape, bits):
    ref = photo_like(shape[0], shape[1], channels=shape[2], bits=bits)
    dist = _distort(ref, 0.03)
    expected = structural_similarity(ref, dist, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False, data_range=(1 << bits) - 1)
    assert abs(metrics.ssim(as_image(ref), as_image(dist)) - expected) < 1e-4


def test_ssim_uses_bit_depth_as_data_range():
    # 10-bit data in uint16: the range is 1023, not 65535.
    ref = (photo_like(bits=16) >> 6).astype(np.uint16)
    dist = _distort(ref, 0.0) + 5
    dist = np.minimum(dist, 1023).astype(np.uint16)
    expected = structural_similarity(ref, dist, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False, data_range=1023)
    assert abs(metrics.ssim(Image(ref, 10), Image(dist, 10)) - expected) < 1e-4


def test_invariants():
    a = photo_like()
    assert metrics.ssim(a, a) == pytest.approx(1.0, abs=1e-6)
    assert metrics.psnr(a, a) == metrics.PSNR_CAP
    assert metrics.ms_ssim(a, a) == pytest.approx(1.0, abs=1e-6)
    worse, bad = _distort(a, 0.02), _distort(a, 0.08)
    assert metrics.ssim(a, bad) < metrics.ssim(a, worse) < 1.0
    assert metrics.psnr(a, bad) < metrics.psnr(a, worse)
    assert metrics.ssim(a, worse) == pytest.approx(metrics.ssim(worse, a), abs=1e-6)


def test_psnr_value():
    a = np.zeros((16, 16, 3), np.uint8)
    b = a.copy()
    b[...] = 255 // 10  # error of 25/255 everywhere
    assert metrics.psnr(a, b) == pytest.approx(20 * np.log10(255 / 25), abs=1e-3)


def test_ms_ssim_agrees_with_pytorch_msssim():
    torch = pytest.importorskip("torch")
    pm = pytest.importorskip("pytorch_msssim")
    a = photo_like(200, 200)
    b = _distort(a, 0.05)
    t = lambda x: torch.from_numpy(x).permute(2, 0, 1)[None].double()  # noqa: E731
    expected = float(pm.ms_ssim(t(a), t(b), data_range=255))
    assert metrics.ms_ssim(a, b) == pytest.approx(expected, abs=2e-3)


def test_tiles_and_stats_see_a_local_defect():
    a = photo_like(256, 256)
    b = a.copy()
    b[:64, :64] = _distort(a[:64, :64], 0.2)
    r = metrics.measure(a, b, ("ssim", "psnr"), tile=64)
    s = r["ssim"]
    assert s.tiles.shape == (4, 4)
    assert s.stats["min"] < 0.7 < s.value
    assert s.stats["min"] <= s.stats["p1"] <= s.stats["p5"] <= s.value
    assert r["psnr"].tiles[0, 0] == r["psnr"].stats["min"]


def test_mask_restricts_measurement():
    a = photo_like(128, 128)
    b = a.copy()
    b[64:] = _distort(a[64:], 0.1)
    top = np.zeros((128, 128), bool)
    top[:48] = True
    r = metrics.measure(a, b, ("ssim", "psnr"), mask=top)
    assert r["ssim"].value > 0.99 and r["psnr"].value == metrics.PSNR_CAP
    with pytest.raises(InputError):
        metrics.measure(a, b, ("ssim",), mask=np.zeros((128, 128), bool))
    with pytest.raises(UnsupportedError):
        metrics.measure(a, b, ("ms-ssim",), mask=top)


def test_optional_metrics_when_available():
    a = photo_like(128, 128)
    b = _distort(a, 0.03)
    if metrics.METRICS["ssimulacra2"].available():
        assert metrics.ssimulacra2(a, a) > metrics.ssimulacra2(a, b)
    if metrics.METRICS["butteraugli"].available():
        assert metrics.butteraugli(a, b) > metrics.butteraugli(a, a)


def test_shape_mismatch():
    with pytest.raises(InputError):
        metrics.ssim(photo_like(32, 32), photo_like(32, 40))


def _direct(a_img, b_img, tile, mask=None):
    """The textbook computation from scratch, in float64: every SSIM window statistic blurred for both images
    (E[xy] - E[x]E[y] etc.), NumPy's channel means. The fast float32 pass must agree with it within
    :data:`metrics.core.FLOAT32_ERROR`; the precise (float64) pass exactly up to rounding."""
    from qualipress.io import to_perceptual
    from qualipress.metrics import core

    a, b = (np.atleast_3d(to_perceptual(as_image(x))).astype(np.float64) for x in (a_img, b_img))
    s_map = np.atleast_3d(core._ssim_block(a, b)[0]).mean(axis=2)
    d = a - b
    se = (d * d).mean(axis=2)
    if mask is None:
        ssim_v = float(np.mean(core._crop(s_map)))
        mse = float(np.mean(se))
    else:
        ssim_v = float(np.mean(s_map[mask]))
        mse = float(np.mean(se[mask]))
    return ssim_v, core._psnr_from_mse(mse), s_map, se


@pytest.mark.parametrize("shape,bits", [((300, 170, 3), 8), ((140, 260, 1), 16), ((260, 96, 3), 16)])
def test_prepared_reference_agrees_with_float64_from_scratch(shape, bits):
    h, w, c = shape
    ref = photo_like(h, w, channels=c, bits=bits)
    prepared = metrics.prepare_reference(ref)
    mask = np.zeros((h, w), bool)
    mask[h // 5 : h // 2, w // 4 : w - 9] = True
    err = metrics.core.FLOAT32_ERROR
    for sigma in (0.002, 0.02, 0.1):  # several probes against one prepared reference
        dist = _distort(ref, sigma, seed=int(sigma * 1000))
        fresh = metrics.measure(ref, dist, ("ssim", "psnr"), tile=64)
        reused = metrics.measure(prepared, dist, ("ssim", "psnr"), tile=64, scoped={"roi": (mask, ["ssim", "psnr"])})
        masked = metrics.measure(ref, dist, ("ssim", "psnr"), tile=64, mask=mask)
        exact = metrics.measure(ref, dist, ("ssim", "psnr"), tile=64, precise=True)
        ssim_v, psnr_v, s_map, se = _direct(ref, dist, 64)
        ssim_m, psnr_m, _, _ = _direct(ref, dist, 64, mask)
        # one code path: a fresh and a reused reference give the same numbers, bit for bit
        assert fresh["ssim"].value == reused["ssim"].value and fresh["psnr"].value == reused["psnr"].value
        assert np.array_equal(reused["ssim"].tiles, fresh["ssim"].tiles)
        assert abs(fresh["ssim"].value - ssim_v) < err["ssim"]
        assert abs(fresh["psnr"].value - psnr_v) < err["psnr"]
        assert abs(exact["ssim"].value - ssim_v) < 1e-12 and abs(exact["psnr"].value - psnr_v) < 1e-9
        assert abs(reused["roi:ssim"].value - ssim_m) < err["ssim"] and abs(masked["ssim"].value - ssim_m) < err["ssim"]
        assert abs(reused["roi:psnr"].value - psnr_m) < err["psnr"]
        assert reused["roi:ssim"].stats == masked["ssim"].stats
        # tile 0,0 of the map itself, not only the summary
        assert abs(fresh["ssim"].tiles[0, 0] - float(np.mean(s_map[:64, :64]))) < err["ssim"]
        assert abs(exact["ssim"].tiles[0, 0] - float(np.mean(s_map[:64, :64]))) < 1e-12
        corner = se[(h - 1) // 64 * 64 :, (w - 1) // 64 * 64 :]
        assert abs(fresh["psnr"].tiles[-1, -1] - metrics.core._psnr_from_mse(float(np.mean(corner)))) < err["psnr"]


def test_identical_images_score_exactly_one():
    for bits, c in ((8, 3), (16, 1)):
        a = photo_like(130, 150, channels=c, bits=bits)
        r = metrics.measure(metrics.prepare_reference(a), a.copy(), ("ssim", "psnr"))
        assert r["ssim"].value == pytest.approx(1.0, abs=1e-7)
        assert r["ssim"].stats["min"] == pytest.approx(1.0, abs=1e-7)
        assert r["psnr"].value == metrics.PSNR_CAP


def test_fast_path_is_far_more_accurate_than_the_float32_textbook_formula():
    # The textbook formula in float32 (E[y²] - E[y]² per probe) cancels; the fast pass works on differences.
    from qualipress.io import to_perceptual
    from qualipress.metrics import core

    ref = photo_like(200, 240, bits=8)
    ref = np.clip(ref.astype(np.int32) // 4 + 190, 0, 255).astype(np.uint8)  # bright and flat: the worst case
    dist = _distort(ref, 0.004)
    truth = _direct(ref, dist, 64)[0]
    a, b = (to_perceptual(as_image(x)) for x in (ref, dist))
    textbook32 = float(np.mean(core._crop(core._ssim_block(a, b)[0].mean(axis=2)), dtype=np.float64))
    fast = metrics.ssim(ref, dist)
    assert abs(fast - truth) < core.FLOAT32_ERROR["ssim"]
    assert abs(fast - truth) < abs(textbook32 - truth)


def test_prepared_reference_rejects_other_shapes_and_masked_global_metrics():
    prepared = metrics.prepare_reference(photo_like(64, 64))
    with pytest.raises(InputError):
        metrics.measure(prepared, photo_like(64, 70))
    with pytest.raises(UnsupportedError):
        metrics.measure(prepared, photo_like(64, 64), ("ssim",), scoped={"roi": (np.ones((64, 64), bool), ["ms-ssim"])})
    a = photo_like(64, 64)
    b = _distort(a, 0.05)
    assert metrics.measure(metrics.prepare_reference(a), b, ("ms-ssim",))["ms-ssim"].value == pytest.approx(
        metrics.ms_ssim(a, b), abs=1e-12)


def _float32_errors(ref_img, probes):
    """Largest |fast - float64| of whole-image SSIM/PSNR and of SSIM tiles over ``probes`` against ``ref_img``."""
    prepared = metrics.prepare_reference(ref_img)
    worst = {"ssim": 0.0, "psnr": 0.0, "tiles": 0.0}
    for dist in probes:
        fast = metrics.measure(prepared, dist, ("ssim", "psnr"), tile=64)
        exact = metrics.measure(prepared, dist, ("ssim", "psnr"), tile=64, precise=True)
        worst["ssim"] = max(worst["ssim"], abs(fast["ssim"].value - exact["ssim"].value))
        worst["psnr"] = max(worst["psnr"], abs(fast["psnr"].value - exact["psnr"].value))
        worst["tiles"] = max(worst["tiles"], float(np.abs(fast["ssim"].tiles - exact["ssim"].tiles).max()))
    return worst


@pytest.mark.parametrize("shape,bits", [((257, 300, 3), 8), ((130, 141, 1), 8), ((200, 170, 3), 16),
                                        ((140, 96, 3), 12)])
def test_float32_measurement_stays_within_the_guard_bands_on_random_images(shape, bits):
    h, w, c = shape
    rng = np.random.default_rng(bits + c)
    peak = (1 << bits) - 1
    dtype = np.uint8 if bits == 8 else np.uint16
    noise = rng.integers(0, peak + 1, shape).astype(dtype)        # white noise: the hardest SSIM windows
    smooth = photo_like(h, w, channels=c, bits=16 if bits > 8 else 8)
    if bits not in (8, 16):
        smooth = (smooth >> (16 - bits)).astype(dtype)
    for ref in (noise, smooth):
        img = as_image(ref, bit_depth=bits)
        probes = [img.with_pixels(_distort(ref, s, seed=k).astype(dtype) & peak) for k, s in
                  enumerate((0.001, 0.01, 0.1))]
        probes.append(img.with_pixels(rng.integers(0, peak + 1, shape).astype(dtype)))  # unrelated image
        worst = _float32_errors(img, probes)
        assert worst["ssim"] < metrics.core.FLOAT32_ERROR["ssim"]
        assert worst["tiles"] < metrics.FLOAT32_TILE_ERROR["ssim"]
        assert worst["psnr"] < metrics.core.FLOAT32_ERROR["psnr"]


def test_integer_images_and_normalised_arrays_measure_alike():
    # The same measurement through normalised floats (the reference given as a [0, 1] array) and through the
    # integer image: only float32 rounding apart, and identical images give exactly 1.
    ref = photo_like(180, 220, bits=8)
    dist = _distort(ref, 0.02)
    img = as_image(ref)
    via_ints = metrics.measure(metrics.prepare_reference(img), as_image(dist), ("ssim", "psnr"))
    via_floats = metrics.measure(ref.astype(np.float32) / 255, dist.astype(np.float32) / 255, ("ssim", "psnr"),
                                 data_range=1.0)
    assert abs(via_ints["ssim"].value - via_floats["ssim"].value) < metrics.core.FLOAT32_ERROR["ssim"]
    same = metrics.measure(metrics.prepare_reference(img), as_image(ref.copy()), ("ssim", "psnr"))
    assert same["ssim"].value == 1.0 and same["psnr"].value == metrics.PSNR_CAP


def test_float32_measurement_on_real_photographs_and_codec_probes(data_dir):
    from qualipress import codecs
    from qualipress.io import read_image

    files = sorted((data_dir / "kodak").glob("*.png"))[:3] + sorted(
        (data_dir / "people" / "clarifai_coco_val2017" / "images").glob("*.jpg"))[:2]
    if not files:
        pytest.skip("no Kodak or people photographs")
    for f in files:
        img = read_image(f)
        probes = []
        for name, settings in (("jpeg", (20, 60, 88, 97)), ("webp", (50, 90))):
            codec = codecs.get(name)
            probes += [codecs.decode_like(codec, codec.encode(img, quality=q), img) for q in settings]
        worst = _float32_errors(img, probes)
        assert worst["ssim"] < metrics.core.FLOAT32_ERROR["ssim"]  # measured ≤ 3.9e-7 (docs/benchmarks.md)
        assert worst["tiles"] < metrics.FLOAT32_TILE_ERROR["ssim"]  # 64-px tiles: ≤ 2.7e-6
        assert worst["psnr"] < metrics.core.FLOAT32_ERROR["psnr"]


@pytest.mark.parametrize("kind", ["image", "array", "normalised", "linear"])
def test_lean_reference_gives_the_same_values_bit_for_bit(kind, monkeypatch):
    # A lean reference keeps no full float plane and recomputes its window statistics strip by strip; several
    # strips (700 rows of 420 RGB pixels: strips of 416 rows) must give exactly the stored reference's maps when
    # both take the OpenCV path (a stored reference takes the fused kernels by default: see
    # test_fused_kernels_agree_with_the_opencv_path).
    from qualipress.metrics.core import Reference

    monkeypatch.setattr(metrics.core, "USE_FUSED", False)

    h, w = 700, 420
    raw = photo_like(h, w, channels=3, bits=16)
    dist = _distort(raw, 0.01)
    if kind == "image":
        ref, dis = Image(raw, 16), Image(dist, 16)
        make = lambda lean: Reference(ref, lean=lean)  # noqa: E731
    elif kind == "array":
        ref, dis = raw, dist
        make = lambda lean: Reference(ref, data_range=65535.0, lean=lean)  # noqa: E731
    elif kind == "normalised":
        ref, dis = raw.astype(np.float32) / 65535, dist.astype(np.float32) / 65535
        make = lambda lean: Reference.normalised(ref, lean=lean)  # noqa: E731
    else:  # linear float frames are PQ-coded per sample, so per strip too
        ref, dis = Image(raw.astype(np.float32) / 6000, 32, "linear"), Image(dist.astype(np.float32) / 6000, 32,
                                                                           "linear")
        make = lambda lean: Reference(ref, lean=lean)  # noqa: E731
    stored, lean = make(False), make(True)
    assert lean.lean and not stored.lean and stored._rows < h
    for a, b in zip(stored.maps(dis), lean.maps(dis), strict=True):
        assert np.array_equal(a, b)
    for a, b in zip(stored.precise().maps(dis), lean.precise().maps(dis), strict=True):
        assert a.dtype == np.float64 and np.array_equal(a, b)
    r1 = metrics.measure(stored, dis, ("ssim", "psnr", "ms-ssim"), tile=64)
    r2 = metrics.measure(lean, dis, ("ssim", "psnr", "ms-ssim"), tile=64)
    assert {k: v.value for k, v in r1.items()} == {k: v.value for k, v in r2.items()}
    assert np.array_equal(r1["ssim"].tiles, r2["ssim"].tiles)
    # a mosaic cut from a lean reference measures like one cut from a stored one
    pack = lambda x: np.ascontiguousarray(x[::2])  # noqa: E731
    assert all(np.array_equal(getattr(stored.packed(pack), k), getattr(lean.packed(pack), k))
               for k in ("a", "_ux", "_lum0", "_cs0"))
    with pytest.raises(InputError):
        lean.maps(dis[:-1] if kind in ("array", "normalised") else Image(dist[:-1], 16))
    # a lean reference holds no strip buffers between measurements (a film worker decodes its next probe in that
    # memory), and measuring again gives the same maps
    assert lean._work is None and stored._work is not None
    for a, b in zip(stored.maps(dis), lean.maps(dis), strict=True):
        assert np.array_equal(a, b)
    assert lean._work is None


def test_large_references_are_lean_by_default():
    from qualipress.metrics.core import _LEAN_SAMPLES, Reference

    assert not Reference(photo_like(64, 64)).lean
    side = int(np.ceil(np.sqrt(_LEAN_SAMPLES / 3)))
    assert Reference.normalised(np.zeros((side, side, 3), np.float32)).lean


@pytest.mark.parametrize("shape,tile,lean", [((700, 420, 3), 64, True), ((300, 170, 3), 100, False),
                                             ((9, 40, 1), 16, False), ((257, 300, 1), 256, True)])
def test_reduced_strips_agree_with_the_full_maps(shape, tile, lean):
    # measure() sums each strip's maps as they come out (no full-size map): the same figures as the maps give,
    # to float64 rounding; the tiles straddle strips (32- and 416-row strips, tiles of 16-256 rows)
    from qualipress.metrics.core import Reference, _crop, _psnr_from_mse, _tile_means

    h, w, c = shape
    raw = photo_like(h, w, channels=c, bits=16)
    dist = _distort(raw, 0.01)
    ref = Reference(raw, data_range=65535.0, lean=lean)
    s_map, e_map = ref.maps(dist)
    v_s, t_s, v_e, t_e = ref.reduced(dist, tile=tile)
    assert abs(v_s - float(np.mean(_crop(s_map), dtype=np.float64))) < 1e-12
    assert abs(v_e - float(np.mean(e_map, dtype=np.float64))) < 1e-15
    np.testing.assert_allclose(t_s, _tile_means(s_map, tile), rtol=0, atol=1e-12)
    np.testing.assert_allclose(t_e, _tile_means(e_map, tile), rtol=1e-12, atol=0)
    got = ref.measure(dist, ("ssim", "psnr"), tile=tile)
    assert got["ssim"].value == v_s and got["psnr"].value == _psnr_from_mse(v_e)
    masked = ref.measure(dist, ("ssim", "psnr"), tile=tile, mask=np.ones((h, w), bool))  # the full-map path
    assert abs(masked["psnr"].value - got["psnr"].value) < 1e-9
    assert got["ssim"].tiles.shape == t_s.shape and got["ssim"].stats["min"] == float(t_s.min())


def _ptr(a):
    return a.__array_interface__["data"][0]


def test_spare_arrays_are_handed_out_again_only_when_nothing_else_holds_them():
    from qualipress.metrics.core import _Spare

    spare = _Spare()
    a = np.full((64, 64), 7.0, np.float32)
    where = _ptr(a)
    view = a[1:]
    spare.give([a])
    del a
    other = spare.take((64, 64), np.float32)  # a view of it is alive: a new array
    assert _ptr(other) != where
    del view
    again = spare.take((64, 64), np.float32)  # now free: the same memory
    assert _ptr(again) == where and again[0, 0] == 7.0
    assert spare.take((64, 65), np.float32).shape == (64, 65)  # other shapes: new arrays
    # the oldest spare arrays go beyond the limit, and very large ones are never kept
    spare.LIMIT, spare.LARGEST = 3 * 64 * 64 * 4, 64 * 64 * 4
    spare.give([np.empty((64, 64), np.float32) for _ in range(5)] + [np.empty((128, 64), np.float32)])
    assert len(spare._arrays) == 3 and all(x.shape == (64, 64) for x in spare._arrays)


def test_a_reference_reuses_a_dead_ones_buffers_without_touching_what_callers_kept():
    import gc

    from qualipress.metrics.core import Reference

    ref_img, other_img = as_image(photo_like(300, 170)), as_image(photo_like(300, 170, seed=3))
    dist = as_image(_distort(ref_img.pixels, 0.02))
    first = Reference(ref_img)
    expected = first.measure(dist, ("ssim", "psnr"), tile=64)
    s_map, _ = first.maps(dist)
    kept_map, alias = s_map.copy(), first.a            # a caller keeps a map and the normalised planes
    kept_planes = alias.copy()
    planes = {_ptr(x) for x in (first._ux, first._cs0, *(first._work or ()))}  # fused: no strips, no lum0
    del first
    gc.collect()
    second = Reference(other_img)                      # same size: takes the first one's free buffers
    second.measure(dist, ("ssim", "psnr"), tile=64)
    assert planes & {_ptr(x) for x in (second._ux, second._cs0, *(second._work or ()))}
    assert np.array_equal(alias, kept_planes) and np.array_equal(s_map, kept_map)
    third = Reference(ref_img)
    got = third.measure(dist, ("ssim", "psnr"), tile=64)
    assert got["ssim"].value == expected["ssim"].value and got["psnr"].value == expected["psnr"].value
    assert np.array_equal(got["ssim"].tiles, expected["ssim"].tiles)
    # maps into the caller's arrays: the same values
    out = (np.empty((300, 170), np.float32), np.empty((300, 170), np.float32))
    s2, e2 = third.maps(dist, out=out)
    assert s2 is out[0] and np.array_equal(s2, s_map) and np.array_equal(e2, third.maps(dist)[1])
    with pytest.raises(InputError):
        third.maps(dist, out=(np.empty((300, 171), np.float32), out[1]))


def test_a_lean_reference_measures_global_metrics_without_blurring_its_source(monkeypatch):
    # Review finding: for MS-SSIM (and SSIMULACRA 2, butteraugli) a lean reference recomputed its SSIM window
    # statistics over the whole source on every probe; the global metrics need only the normalised colour.
    from qualipress.metrics.core import Reference

    raw = photo_like(300, 170, bits=16)
    dist = _distort(raw, 0.01)
    lean, stored = Reference(raw, data_range=65535.0, lean=True), Reference(raw, data_range=65535.0, lean=False)
    calls = []
    real = Reference._statistics
    monkeypatch.setattr(Reference, "_statistics", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    got = lean.measure(dist, ("ms-ssim",))["ms-ssim"].value
    assert calls == []
    assert got == stored.measure(dist, ("ms-ssim",))["ms-ssim"].value


def test_a_lean_reference_served_by_rows_gives_the_same_values() -> None:
    """``serve_rows``: a lean array reference whose samples come back by rows measures what it measured from the
    array, bit for bit; only such references can serve rows."""
    from qualipress.metrics.core import Reference

    rng = np.random.default_rng(5)
    a = rng.integers(0, 65536, (150, 97), dtype=np.uint16)
    b = np.clip(a.astype(np.int32) + rng.integers(-900, 900, a.shape), 0, 65535).astype(np.uint16)
    held = Reference(a, data_range=65535.0, lean=True)
    served = Reference(a, data_range=65535.0, lean=True)
    asked: list[slice] = []
    served.serve_rows(lambda r: asked.append(r) or a[r].copy())
    want, got = held.reduced(b, tile=64), served.reduced(b, tile=64)
    assert asked and want[0] == got[0] and np.array_equal(want[1], got[1]) and want[2] == got[2]
    with pytest.raises(InputError):
        Reference(as_image(photo_like(32, 48)), lean=True).serve_rows(lambda r: a[r])
    with pytest.raises(InputError):
        Reference(a, data_range=65535.0, lean=False).serve_rows(lambda r: a[r])
