"""The decision checks share the source frame's arrays and each probe's decoded arrays (issue 18): their values
must be those of the same measures computed from scratch, each on its own, as before the sharing."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from qualipress import codecs
from qualipress.film import analysis, decisions, fidelity
from qualipress.io import Image, to_perceptual
from qualipress.metrics.core import ssim


def _log_frame(seed: int, shift: int = 0) -> Image:
    """A small grainy 10-bit Cineon-log frame: a sky gradient, a textured band and correlated grain."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:160, 0:224]
    plate = 0.30 + 0.25 * xx / 224 + 0.05 * yy / 160
    plate[100:140] += 0.08 * gaussian_filter(np.random.default_rng(99).standard_normal((40, 224)), 1.0)
    plate = np.roll(plate, shift, axis=1)
    grain = gaussian_filter(rng.standard_normal((160, 224, 3)), (0.8, 0.8, 0))
    grain *= (5 / 1023) / grain.std()
    code = plate[..., None] * np.array([1.0, 0.95, 0.9]) + grain
    return Image(np.rint(np.clip(code, 0, 1) * 1023).astype(np.uint16), 10, transfer="log")


def _decoded(src: Image, distance: float) -> Image:
    cdc = codecs.get("jpegxl")
    return codecs.decode_like(cdc, cdc.encode(src, quality=distance), src)


def _scratch(src: Image, dec: Image, prev: tuple[np.ndarray, np.ndarray]) -> dict:
    """Every figure the checks use, computed without any shared array (the code before issue 18's sharing)."""
    ref = fidelity.reference(src)
    code = np.asarray(to_perceptual(dec), np.float32)
    y = analysis.luma(code)
    stats = analysis.block_stats(y)
    src_y = analysis.luma(np.asarray(to_perceptual(src), np.float32))
    src_stats = analysis.block_stats(src_y)
    lin = fidelity.linear_luma(code, src)
    disp = ssim(decisions._grey16(fidelity.display_code(ref.linear)), decisions._grey16(fidelity.display_code(lin)),
                data_range=1.0)
    return {"grain": fidelity.grain_kept(ref, y), "tonal": fidelity.tonal_shift(ref, code),
            "temporal": fidelity.temporal_ratio(ref, y, *prev), "display": disp,
            "residual": stats.residual, "src_residual": src_stats.residual}


def test_shared_arrays_give_the_values_computed_from_scratch() -> None:
    prev_src = _log_frame(1)
    src = _log_frame(2, shift=2)
    prev_dec = np.asarray(to_perceptual(_decoded(prev_src, 1.0)), np.float32)
    prev = (fidelity.reference(prev_src).y, analysis.luma(prev_dec))
    info = decisions._ref_info(src)
    # the source side: one set of arrays for the analysis, the fidelity reference and the checks
    assert info.fid.y is info.arrays.y
    # ... computed strip by strip (160 rows: three strips), equal to the luma of the whole perceptual code
    assert np.array_equal(info.arrays.y, analysis.luma(np.asarray(to_perceptual(src), np.float32)))
    fresh = fidelity.reference(src)
    assert info.fid.shape == fresh.shape == (src.height, src.width)
    for name in ("y", "flat", "source_hp", "linear", "highlights", "shadows"):
        np.testing.assert_array_equal(getattr(info.fid, name), getattr(fresh, name))
    assert info.fid.sigma == fresh.sigma and info.fid.grain_why == fresh.grain_why
    plain = analysis.analyse(src)
    shared = analysis.analyse(src, arrays=info.arrays)
    assert shared == plain
    for distance in (0.5, 1.5, 3.0):
        dec = _decoded(src, distance)
        want = _scratch(src, dec, prev)
        d = decisions._dec_info(info, dec)
        assert decisions._dec_info(info, dec) is d  # one decoded probe: one set of arrays for every check
        np.testing.assert_array_equal(d.stats(info.stats.block).residual, want["residual"])
        np.testing.assert_array_equal(info.stats.residual, want["src_residual"])
        assert fidelity.grain_kept(info.fid, d.y) == want["grain"]
        assert fidelity.tonal_shift(info.fid, d.code) == want["tonal"]
        # from the decoded frame itself: only the measured pixels converted, the same figure
        assert fidelity.tonal_shift(info.fid, dec) == want["tonal"]
        assert fidelity.temporal_ratio(info.fid, d.y, *prev) == want["temporal"]
        # display SSIM with the source's window statistics prepared once (a lean reference: OpenCV strips) against
        # the whole-frame call (the compiled fused kernel): the two summation orders agree to ~1e-9
        assert decisions.display_ssim(info, d.code) == pytest.approx(want["display"], abs=1e-7)
        # rendered strip by strip against a lean source reference: bit for bit the whole-frame value
        assert decisions.display_ssim(info, dec) == decisions.display_ssim(info, d.code)
        checks = [decisions.GrainCheck(0.6, 0.6), decisions.TonalCheck(0.1), decisions.DisplayCheck(0.95),
                  decisions.DetailCheck(0.8), decisions.BandingCheck(), decisions.TemporalCheck(*prev)]
        first = [c(src, dec) for c in checks]
        decisions._KEYS.clear()
        decisions._DECODED.clear()
        again = [c(src, _decoded(src, distance)) for c in checks]  # new objects: nothing shared with the first
        assert first == again
        assert f"corr {want['grain']['corr']:.3f}" in first[0].detail
        assert f"{want['display']:.4f}" in first[2].detail
        info = decisions._ref_info(src)


def test_decoded_arrays_are_not_mixed_up_between_frames() -> None:
    a, b = _log_frame(3), _log_frame(4, shift=5)
    dec = _decoded(a, 1.0)
    ia, ib = decisions._ref_info(a), decisions._ref_info(b)
    da = decisions._dec_info(ia, dec)
    # the same decoded object measured against another reference gets its own entry
    assert decisions._dec_info(ib, dec) is not da
    with pytest.raises(ValueError, match="differs from reference"):
        decisions._dec_info(decisions._ref_info(Image(np.zeros((64, 64, 3), np.uint16), 10, transfer="log")), dec)


def test_highlight_blur_matches_scipy_within_float_noise() -> None:
    """The tonal check's 2-px blur (OpenCV, so workers need not import scipy.ndimage) is scipy's filter."""
    lin = np.exp(np.random.default_rng(7).normal(-2.0, 1.5, (97, 131))).astype(np.float32)
    want = gaussian_filter(lin, 2.0, mode="nearest")
    np.testing.assert_allclose(fidelity._blur2(lin), want, rtol=1e-5, atol=1e-6 * float(lin.max()))


def test_colour_chroma_is_the_channel_range() -> None:
    code = np.random.default_rng(8).random((33, 47, 3), dtype=np.float32)
    chroma = code.max(axis=2) - code.min(axis=2)
    out = analysis.colour(code)
    assert out["chroma_mean"] == round(float(chroma.mean()), 5)
    assert out["chroma_p99"] == round(float(np.percentile(chroma, 99)), 5)


def test_colour_of_a_frame_strip_by_strip_equals_colour_of_its_code() -> None:
    src = _log_frame(5)  # 160 rows: three strips
    assert analysis.colour(src) == analysis.colour(np.asarray(to_perceptual(src), np.float32))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32])
def test_distinct_levels_count_like_unique(dtype: type) -> None:
    px = (np.random.default_rng(9).integers(0, 900, (150, 50, 3)) * 3).astype(dtype)  # three strips of rows
    want = max(np.unique(px[..., i]).size for i in range(3))
    assert analysis.bits_used(px, 12)["levels"] == want


@pytest.mark.parametrize("metadata", [{}, {"dpx:Transfer": "Printing density"}])
def test_shared_linear_light_equals_each_measure_alone(metadata: dict) -> None:
    src = _log_frame(3)
    src = Image(src.pixels, 10, transfer="log", metadata=metadata)
    arrays = analysis.frame_arrays(src)
    ref = fidelity.reference(src, arrays=arrays)  # computes the linear luma once, into arrays
    assert arrays.log_linear is not None and ref.linear is arrays.log_linear
    alone = fidelity.linear_luma(np.asarray(to_perceptual(src), np.float32), src)
    assert alone is not None and np.array_equal(ref.linear, alone)
    assert np.array_equal(analysis.linear_light(src), alone)
    assert analysis.analyse(src, arrays=arrays)["dynamic_range"] == analysis.dynamic_range(src)


def test_a_finished_frames_source_arrays_are_released() -> None:
    """The source side of a frame (several float copies of it) is kept for that frame and the next one only,
    not for the last nine frames a worker compressed."""
    import gc
    import weakref

    first = weakref.ref(decisions._ref_info(_log_frame(5)))
    second = decisions._ref_info(_log_frame(6))
    gc.collect()
    assert first() is not None  # still one of the two kept
    third = decisions._ref_info(_log_frame(7))
    gc.collect()
    assert first() is None and third is not second


def test_source_display_rendering_in_strips_equals_the_whole_frame_rendering() -> None:
    src = _log_frame(8)  # 160 rows: three strips
    ref = fidelity.reference(src)
    assert ref.linear is not None and ref.display is not None
    assert ref.display.dtype == np.uint16
    whole = decisions._grey16(fidelity.display_code(ref.linear))
    # the 16-bit codes held give the float32 grey values bit for bit
    assert np.array_equal(ref.display.astype(np.float32) / np.float32(65535), whole)


def test_grey16_codes_give_the_grey16_values_for_every_code() -> None:
    a = np.arange(65536, dtype=np.float64) / 65535  # every code, and values between codes
    a = np.concatenate([a, a[:-1] + 0.4 / 65535, a[:-1] + 0.6 / 65535]).astype(np.float32)
    assert np.array_equal(fidelity.grey16_code(a).astype(np.float32) / np.float32(65535), fidelity.grey16(a))


def test_released_source_luma_gives_the_same_figures() -> None:
    # the plan releases the source's luma after the analysis; the temporal figure and the next frame's previous
    # source take it converted again: the same values
    prev_src, src = _log_frame(11), _log_frame(12, shift=2)
    prev = (fidelity.reference(prev_src).y, analysis.luma(np.asarray(to_perceptual(_decoded(prev_src, 1.0)),
                                                                     np.float32)))
    dec_y = analysis.code_luma(_decoded(src, 2.0))
    arrays = analysis.frame_arrays(src)
    ref = fidelity.reference(src, arrays=arrays)
    kept, before = ref.y, fidelity.temporal_ratio(ref, dec_y, *prev)
    assert kept is not None
    fidelity.release_linear(ref, arrays)
    assert ref.y is None and arrays.y is None
    assert np.array_equal(fidelity.source_luma(ref), kept)
    assert fidelity.temporal_ratio(ref, dec_y, *prev) == before and before["applies"]


def test_grain_reference_held_as_float32_blocks_gives_the_float64_residual_bit_for_bit() -> None:
    """The fidelity reference keeps the source's flat-block luma (float32, the plane's values) and makes the grain
    residual from it when measured: the same float64 array as the residual of the whole flat set with the
    grain-free blocks dropped afterwards (the code before), so the grain figures are unchanged."""
    for seed in (3, 4):
        src = _log_frame(seed)
        ref = fidelity.reference(src)
        y = analysis.code_luma(src)
        stats = analysis.block_stats(y)
        first = analysis.flat_blocks(stats)
        whole = analysis.plane_residual(analysis.block_view(y, stats.block)[first])
        kept = ref.flat[first]
        assert 0 < kept.sum() <= kept.size and ref.grain_y.dtype == np.float32
        np.testing.assert_array_equal(ref.grain_y, analysis.block_view(y, stats.block)[ref.flat])
        assert ref.source_hp.dtype == np.float64
        np.testing.assert_array_equal(ref.source_hp, whole[kept])
        assert ref.sigma == float(np.sqrt((whole[kept] ** 2).mean()))
        dec = _decoded(src, 1.0)
        dy = analysis.code_luma(dec)
        dhp = analysis.plane_residual(analysis.block_view(dy, stats.block)[ref.flat])
        s2, d2 = float((whole[kept] ** 2).sum()), float((dhp**2).sum())
        corr = float((whole[kept] * dhp).sum() / np.sqrt(s2 * d2))
        got = fidelity.grain_kept(ref, dy)
        assert got["corr"] == round(corr, 4) and got["energy"] == round(float(np.sqrt(d2 / s2)), 4)


def test_figures_of_an_earlier_probe_come_back_with_its_pixels() -> None:
    """A large frame's search may end on a probe whose cached entry made room for later probes (a warm frame's
    first setting, then two more): its pixels decoded again get its figures back, not measured again; a frame that
    is forgotten leaves none."""
    from qualipress.search.search import SHELVE_SAMPLES

    rng = np.random.default_rng(4)
    h, w = 1024, 1408
    assert h * w * 3 >= SHELVE_SAMPLES
    src = Image(rng.integers(300, 700, (h, w, 3), dtype=np.uint16), 10, transfer="log")
    info = decisions._ref_info(src)
    probes = [Image(np.clip(src.pixels.astype(np.int32) + d, 0, 1023).astype(np.uint16), 10, transfer="log")
              for d in (1, 2, 3)]
    first = decisions._dec_info(info, probes[0])
    assert decisions.figure(first, "grain", lambda: {"corr": 0.9}) == {"corr": 0.9}
    for p in probes[1:]:  # two later probes: the first one's entry is dropped
        decisions._dec_info(info, p)
    assert all(v[2] is not first for v in decisions._DECODED.values())
    again = Image(probes[0].pixels.copy(), 10, transfer="log")
    back = decisions._dec_info(info, again)
    assert back is not first
    assert decisions.figure(back, "grain", lambda: pytest.fail("measured again")) == {"corr": 0.9}
    other = decisions._dec_info(info, Image(probes[0].pixels[::-1].copy(), 10, transfer="log"))
    assert "grain" not in other.figures
    decisions.forget(src)
    assert not decisions._FIGURES and not decisions._DECODED


def test_a_probes_blocks_go_with_its_pixels() -> None:
    """A decoded probe's luma blocks and block fits are dropped as soon as its pixels are freed (a search gives a
    large frame's probe back before the next one): not resident through the next probe; its figures stay."""
    import gc

    src = _log_frame(7)
    info = decisions._ref_info(src)
    dec = _decoded(src, 1.0)
    d = decisions._dec_info(info, dec)
    figure = decisions.figure(d, "grain", lambda: fidelity.grain_kept(info.fid, d.blocks(info.fid)))
    d.stats(analysis.BLOCK)
    assert d._blocks is not None and d._stats is not None
    del dec
    gc.collect()
    assert d._blocks is None and d._stats is None and d.figures["grain"] == figure


def test_the_display_check_renders_the_source_again_by_rows() -> None:
    """The checks' display reference does not hold the source's display rendering: it renders the rows each
    measurement asks for again from the frame, the same 16-bit codes, so the display SSIM is the one measured
    against the held rendering, bit for bit."""
    from qualipress.metrics.core import Reference

    src = _log_frame(8)
    whole = fidelity.reference(src).display
    rows = fidelity.display_rows(src)
    for r in (slice(0, 160), slice(0, 37), slice(27, 69), slice(155, 160)):
        assert np.array_equal(rows(r), whole[r])
    decisions._KEYS.clear()
    info = decisions._ref_info(src)
    assert info.fid.display is None and info.display_ref is not None
    dec = _decoded(src, 2.0)
    held = decisions._RefInfo(info.shape, info.stats, info.smooth, info.texture, info.fid,
                              display_ref=Reference(whole, data_range=65535.0, lean=True))
    assert decisions.display_ssim(info, dec) == decisions.display_ssim(held, dec)
