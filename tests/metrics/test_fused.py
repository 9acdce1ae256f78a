"""The compiled fused SSIM kernels (qualipress.metrics.fused) against the OpenCV path they replace."""

import numpy as np
import pytest

from qualipress import metrics
from qualipress.io import Image
from qualipress.metrics import core
from qualipress.metrics.core import Reference
from tests.conftest import photo_like

#: Per-pixel bound on the error against the float64 definition (FLOAT32_TILE_ERROR: the float32 path's own), and
#: the tolerance between the two float32 paths' whole-image and tile values (averages of many pixels).
MAP_TOL, VALUE_TOL = core.FLOAT32_TILE_ERROR["ssim"], 1e-6


def _distort(arr, sigma, seed=1):
    rng = np.random.default_rng(seed)
    peak = np.iinfo(arr.dtype).max
    return np.clip(arr.astype(np.float64) + rng.normal(0, sigma * peak, arr.shape), 0, peak).astype(arr.dtype)


def _opencv(f):
    """``f()`` with the fused kernels switched off (the OpenCV path throughout)."""
    old, core.USE_FUSED = core.USE_FUSED, False
    try:
        assert not Reference(Image(photo_like(32, 32), 8))._fusable()
        return f()
    finally:
        core.USE_FUSED = old


@pytest.mark.parametrize("shape,bits,sigma", [((96, 128, 3), 8, 0.02), ((301, 257, 3), 16, 0.005),
                                              ((40, 50, 1), 8, 0.05), ((11, 11, 3), 8, 0.02),
                                              ((70, 33, 1), 16, 0.0)])
def test_fused_kernels_agree_with_the_opencv_path(shape, bits, sigma):
    h, w, c = shape
    raw = photo_like(h, w, channels=c, bits=bits)
    img, dis = Image(raw, bits), Image(_distort(raw, sigma), bits)
    fused = Reference(img)
    assert fused._fusable()
    plain = _opencv(lambda: Reference(img))
    # the reference's window statistics
    assert fused._lum0 is None  # 2 ux² + C1: recomputed by the kernels, made only for a path that needs it
    for k in ("_ux", "_lum0_plane", "_cs0"):
        f, p = getattr(fused, k), getattr(plain, k)
        f, p = (f(), p()) if callable(f) else (f, p)
        assert np.abs(f - p).max() < MAP_TOL
    # maps (the mosaic's path): per pixel, the fused values are as close to the float64 definition as OpenCV's
    # (closer: about half its error on these images, thanks to the fused multiply-adds), within the float32 bound
    exact = fused.precise().maps(dis)
    for a, b, e in zip(fused.maps(dis), _opencv(lambda: plain.maps(dis)), exact, strict=True):
        err, err_cv = np.abs(a - e).max(), np.abs(b - e).max()
        assert a.dtype == np.float32 and err < MAP_TOL and err <= max(err_cv, 1e-6)
    # the strip-reduced values (the full-image probes' path)
    got, want = fused.reduced(dis, tile=32), _opencv(lambda: plain.reduced(dis, tile=32))
    assert abs(got[0] - want[0]) < VALUE_TOL and np.abs(got[1] - want[1]).max() < VALUE_TOL
    # mean squared errors: relative 1e-5 is 4e-5 dB of PSNR (FLOAT32_ERROR["psnr"] is 1e-4)
    assert abs(got[2] - want[2]) <= 1e-5 * want[2] + 1e-15
    assert np.all(np.abs(got[3] - want[3]) <= 1e-5 * want[3] + 1e-15)
    # the public API through the same reference
    r1 = metrics.measure(fused, dis, ("ssim", "psnr"))
    r2 = _opencv(lambda: metrics.measure(plain, dis, ("ssim", "psnr")))
    assert r1["ssim"].value == pytest.approx(r2["ssim"].value, abs=VALUE_TOL)
    assert r1["psnr"].value == pytest.approx(r2["psnr"].value, abs=1e-4)
    if sigma == 0:
        assert r1["ssim"].value == 1.0 and r1["psnr"].value == metrics.PSNR_CAP


def test_fused_integer_and_float_inputs_give_the_same_values_bit_for_bit():
    # The kernels convert integer samples as Reference._normalise does (float32 sample × float32(1 / peak)), so an
    # image and its normalised float planes measure identically, on either side.
    raw = photo_like(120, 90, bits=16)
    dist = _distort(raw, 0.01)
    scale = np.float32(1 / 65535)
    as_float = lambda x: x.astype(np.float32) * scale  # noqa: E731
    by_image = Reference(Image(raw, 16))
    by_float = Reference.normalised(as_float(raw))
    assert by_image._fused_args()[0].dtype == np.uint16 and by_float._fused_args()[0].dtype == np.float32
    a = by_image.reduced(Image(dist, 16), tile=64)
    b = by_float.reduced(prepared=as_float(dist), tile=64)
    assert a[0] == b[0] and a[2] == b[2] and np.array_equal(a[1], b[1]) and np.array_equal(a[3], b[3])
    for m1, m2 in zip(by_image.maps(Image(dist, 16)), by_float.maps(prepared=as_float(dist)), strict=True):
        assert np.array_equal(m1, m2)


def test_fused_maps_and_reduced_values_are_one_computation():
    # reduced() sums what maps() returns (cropped as ssim() crops), in float64
    raw = photo_like(150, 200)
    ref, dis = Reference(Image(raw, 8)), Image(_distort(raw, 0.03), 8)
    s_map, e_map = ref.maps(dis)
    v_s, t_s, v_e, t_e = ref.reduced(dis, tile=64)
    assert v_s == pytest.approx(float(np.mean(s_map[5:-5, 5:-5], dtype=np.float64)), abs=1e-12)
    assert v_e == pytest.approx(float(np.mean(e_map, dtype=np.float64)), rel=1e-12)
    assert t_s[1, 2] == pytest.approx(float(np.mean(s_map[64:128, 128:192], dtype=np.float64)), abs=1e-12)
    assert t_s.shape == (3, 4) and t_e.shape == (3, 4)


def test_a_packed_reference_reads_its_own_planes_not_the_images():
    # A mosaic's reference keeps the full image as its source; the kernels must read the packed planes.
    raw = photo_like(128, 192)
    img = Image(raw, 8)
    pack = lambda x: np.ascontiguousarray(x[16:112, 32:160])  # noqa: E731
    pf = Reference(img).packed(pack)
    assert pf._fusable() and pf._fused_args()[0].shape == (96, 128 * 3)
    dis = img.with_pixels(pack(_distort(raw, 0.02)))
    want = _opencv(lambda: Reference(img).packed(pack).maps(dis))
    for a, b in zip(pf.maps(dis), want, strict=True):
        assert np.abs(a - b).max() < MAP_TOL


def test_small_and_lean_references_keep_the_opencv_path():
    assert not Reference(Image(photo_like(10, 40), 8))._fusable()          # under the 11-pixel window
    assert not Reference(Image(photo_like(64, 64), 8), lean=True)._fusable()
    assert not Reference(Image(photo_like(64, 64), 8)).precise()._fusable()  # float64 twin
    small = photo_like(10, 40)
    v = metrics.measure(small, _distort(small, 0.02), ("ssim",))["ssim"].value
    assert 0 < v < 1


def test_automatic_choice_waits_until_the_kernels_pay(monkeypatch):
    # Default (None): OpenCV for the first FUSED_AFTER measurements of a process without numba, then the kernels;
    # from the start once numba is loaded. Either way the values agree (test above).
    import sys

    img = Image(photo_like(32, 32), 8)
    monkeypatch.setattr(core, "USE_FUSED", None)
    monkeypatch.setattr(core, "FUSED_AFTER", 2)
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.delitem(sys.modules, "numba")
    monkeypatch.setattr(core, "_MEASURED", [0])
    assert [Reference(img)._fusable() for _ in range(4)] == [False, True, True, True]  # _set counts one each
    monkeypatch.setattr(core, "_MEASURED", [0])
    monkeypatch.setitem(sys.modules, "numba", object())
    assert Reference(img)._fusable()
    monkeypatch.setattr(core, "USE_FUSED", False)
    assert not Reference(img)._fusable()


def test_a_short_run_never_imports_numba():
    # A single-photo run (a handful of measurements) must not pay numba's import and cache load (~0.55 s CPU).
    import os
    import subprocess
    import sys

    code = ("import sys\n"
            "import numpy as np\n"
            "from qualipress import metrics\n"
            "a = np.random.default_rng(0).integers(0, 256, (64, 80, 3), dtype=np.uint8)\n"
            "ref = metrics.prepare_reference(a, data_range=255)\n"
            "for _ in range(5):\n"
            "    ref.measure(a // 2 * 2, ('ssim', 'psnr'))\n"
            "    ref.measure(a // 2 * 2, ('psnr',))\n"
            "print('numba' in sys.modules)\n")
    env = {**os.environ, "QUALIPRESS_FUSED": "auto"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("planes", [2, 4])
def test_fused_kernels_handle_any_number_of_planes(planes):
    # Raw arrays with a data range carry any number of planes (the kernels' general channel loop, not the RGB one).
    raw = photo_like(60, 70, channels=planes)
    dist = _distort(raw, 0.02)
    fused = Reference(raw, data_range=255.0)
    assert fused._fusable() and fused.shape == (60, 70, planes)
    plain = _opencv(lambda: Reference(raw, data_range=255.0))
    got, want = fused.reduced(dist, tile=32), _opencv(lambda: plain.reduced(dist, tile=32))
    assert abs(got[0] - want[0]) < VALUE_TOL and np.abs(got[1] - want[1]).max() < VALUE_TOL
    assert abs(got[2] - want[2]) <= 1e-5 * want[2]
    exact = fused.precise().maps(dist)[0]
    assert np.abs(fused.maps(dist)[0] - exact).max() < MAP_TOL


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("shape,bits", [((96, 128, 3), 8), ((70, 33, 1), 16), ((40, 50, 3), 16)])
def test_psnr_alone_measures_no_ssim_and_gives_the_same_values(monkeypatch, fused, shape, bits):
    # A PSNR-only measurement sums the squared error without the SSIM's blurs (Reference.reduced_error): the
    # values are those of the joint pass bit for bit, on the kernels' path and OpenCV's, lean, float64 or not.
    monkeypatch.setattr(core, "USE_FUSED", fused)
    h, w, c = shape
    raw = photo_like(h, w, channels=c, bits=bits)
    img, dis = Image(raw, bits), Image(_distort(raw, 0.02), bits)
    calls: list[int] = []
    for ref in (Reference(img), Reference(img).precise(), Reference(img, lean=True)):
        both = ref.measure(dis, ("ssim", "psnr"), tile=32)
        monkeypatch.setattr(Reference, "reduced", lambda *a, **k: calls.append(1))
        alone = ref.measure(dis, ("psnr",), tile=32)
        monkeypatch.undo()
        monkeypatch.setattr(core, "USE_FUSED", fused)
        assert not calls and set(alone) == {"psnr"}
        assert alone["psnr"].value == both["psnr"].value
        assert np.array_equal(alone["psnr"].tiles, both["psnr"].tiles)


def test_four_row_vertical_pass_equals_the_one_row_pass_bit_for_bit():
    # _vblur4 makes four output rows in one pass over the ring; each must be _vblur's row, rounding for rounding
    # (both spell their multiply-adds out, so the compiler cannot fuse different products in the two loops).
    from qualipress.metrics import fused as kernels

    rng = np.random.default_rng(7)
    ring = rng.random((14, 333), dtype=np.float32)  # a length that leaves a vector remainder
    four, one = np.empty((4, 333), np.float32), np.empty(333, np.float32)
    for r in (0, 5, 13, 27):  # ring offsets that wrap around
        kernels._vblur4(ring, r, core._GAUSS32, four[0], four[1], four[2], four[3])
        for j in range(4):
            kernels._vblur(ring, r + j, core._GAUSS32, one)
            assert np.array_equal(four[j], one)
    # and the pass is the Gaussian blur (float64 definition) to float32 rounding
    exact = sum(core._GAUSS32[k].astype(np.float64) * ring[k].astype(np.float64) for k in range(11))
    kernels._vblur(ring, 0, core._GAUSS32, one)
    assert np.abs(one - exact).max() < 1e-6


@pytest.mark.parametrize("h", [40, 41, 42, 43])
def test_rows_blurred_in_blocks_or_one_by_one_have_the_same_values(h):
    # The kernels blur four rows a pass and the last h % 4 rows one by one: a row's window statistics and maps must
    # not depend on which (rows more than 5 above the bottom edge see the same pixels in both images below).
    from qualipress.metrics import fused as kernels

    raw = photo_like(h + 3, 57, seed=2)
    dist = _distort(raw, 0.02)
    scale, g = np.float32(1 / 255), core._GAUSS32

    def run(rows: int) -> list[np.ndarray]:
        x, y = raw[:rows].reshape(rows, -1), dist[:rows].reshape(rows, -1)
        ux, cs0 = np.empty(x.shape, np.float32), np.empty(x.shape, np.float32)
        kernels.reference_stats(x, scale, np.float32(0.5), g, 3, ux, cs0)
        s, e = np.empty((rows, 57), np.float32), np.empty((rows, 57), np.float32)
        kernels.probe_maps(x, scale, ux, cs0, y, scale, g, 3, s, e)
        return [ux, cs0, s, e]

    for a, b in zip(run(h), run(h + 3), strict=True):
        assert np.array_equal(a[: h - 5], b[: h - 5])


@pytest.mark.parametrize("shape,bits", [((97, 128, 3), 8), ((42, 50, 1), 8), ((43, 61, 3), 16), ((11, 30, 3), 8)])
def test_fused_kernels_agree_with_scikit_image(monkeypatch, shape, bits):
    # Heights of every remainder of the four-row vertical pass.
    from skimage.metrics import structural_similarity

    monkeypatch.setattr(core, "USE_FUSED", True)
    raw = photo_like(shape[0], shape[1], channels=shape[2], bits=bits)
    dist = _distort(raw, 0.03)
    ref = Reference(Image(raw, bits))
    assert ref._fusable()
    expected = structural_similarity(raw, dist, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False, data_range=(1 << bits) - 1)
    assert abs(ref.reduced(Image(dist, bits))[0] - expected) < 1e-4
    assert abs(metrics.measure(ref, Image(dist, bits), ("ssim",))["ssim"].value - expected) < 1e-4
