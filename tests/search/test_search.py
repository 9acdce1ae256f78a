import numpy as np
import pytest
from skimage import data

from qualipress import codecs
from qualipress.errors import TargetError
from qualipress.io import as_image
from qualipress.metrics import measure
from qualipress.search import CheckOutcome, best_of, parse_target, search
from tests.conftest import photo_like

SAMPLES = [as_image(data.astronaut()[::2, ::2].copy()), as_image(data.coffee()[::2, ::2].copy()),
           as_image(photo_like(120, 160))]


def test_parse_target():
    t = parse_target(["ssim>=0.95", "psnr@p5>=38", "roi:ssim>=0.97"])
    assert [str(c) for c in t.constraints] == ["ssim>=0.95", "psnr@p5>=38", "roi:ssim>=0.97"]
    assert t.metrics == ["ssim", "psnr"] and t.scoped_metrics() == {"roi": ["ssim"]}
    assert len(parse_target("ssim>=0.9, psnr>=30").constraints) == 2
    for bad in ("ssim>0.9", "ssim>=1.5", "foo>=1", "ssim@p50>=0.9", "ms-ssim@min>=0.9", "butteraugli>=1", ""):
        with pytest.raises(TargetError):
            parse_target(bad)


@pytest.mark.parametrize("codec", ["jpeg", "webp", "jpegxl"])
@pytest.mark.parametrize("target", ["ssim>=0.93", "ssim>=0.98,psnr>=36", "ssim@min>=0.9"])
def test_search_never_misses_and_returns_the_first_passing_setting(codec, target):
    tgt = parse_target(target)
    hint = None
    for img in SAMPLES:
        r = search(img, codec, tgt, start=hint)
        hint = r.hint
        assert r.met
        c = codecs.get(r.codec)
        # Re-decode and re-measure the returned bytes independently.
        again = measure(img, codecs.decode_like(c, r.data, img), tgt.metrics)
        assert tgt.satisfied(again)
        if not r.lossless:
            grid = list(c.info.quality.grid)
            i = grid.index(r.setting)
            below = [p for p in r.probes if p.setting is not None and grid.index(p.setting) == i - 1]
            # Either the setting just below was probed and failed, or the byte tolerance stopped the search.
            assert i == 0 or (below and not below[0].passed) or any(
                not p.passed and p.bytes >= 0.99 * len(r.data) for p in r.probes)


@pytest.mark.parametrize("target", ["psnr>=36", "psnr@p5>=33", "psnr>=70"])
def test_a_psnr_target_probes_measure_no_ssim_and_the_result_reports_it(monkeypatch, target):
    # The probes of a PSNR-only target skip the SSIM (its blurs cost more than the rest of the measurement); the
    # result still reports SSIM and PSNR, measured on its own pixels (the lossless fallback's too).
    from qualipress.metrics import core

    img = SAMPLES[1]
    joint = []
    real = core.Reference.reduced
    monkeypatch.setattr(core.Reference, "reduced", lambda self, *a, **k: joint.append(1) or real(self, *a, **k))
    r = search(img, "jpeg", target, mosaic=False)
    assert r.met and all("ssim" not in p.metrics for p in r.probes)
    assert len(joint) == 1  # the result's SSIM, once
    again = measure(img, r.decoded)
    assert r.metrics["ssim"].value == pytest.approx(again["ssim"].value, abs=2e-6)
    assert r.metrics["psnr"].value == pytest.approx(again["psnr"].value, abs=1e-4)
    # SSIM targets and byte budgets (whose ranking reads SSIM) measure it on every probe as before
    joint.clear()
    r = search(img, "jpeg", "ssim>=0.95,psnr>=30", mosaic=False)
    assert all("ssim" in p.metrics for p in r.probes) and len(joint) == len(r.probes)


def test_unreachable_target_falls_back_to_lossless_and_says_so():
    img = SAMPLES[0]
    r = search(img, "jpeg", "psnr>=70")
    assert r.met and r.lossless and r.codec == "png" and "no jpeg setting" in r.fallback
    r = search(img, "jpegxl", "psnr>=90")
    assert r.met and r.lossless and r.codec == "jpegxl"
    r = search(img, "jpeg", "psnr>=70", lossless_fallback=False)
    assert not r.met


def test_checks_take_part_in_the_decision():
    img = SAMPLES[0]
    plain = search(img, "jpeg", "ssim>=0.9")

    def strict(ref, dec):
        return CheckOutcome(measure(ref, dec, ("psnr",))["psnr"].value >= 36, "psnr36")

    checked = search(img, "jpeg", "ssim>=0.9", checks=[strict])
    assert checked.met and checked.setting > plain.setting
    assert measure(img, codecs.decode_like(codecs.get("jpeg"), checked.data, img), ("psnr",))["psnr"].value >= 36


def test_checks_stop_at_the_first_failure():
    img = SAMPLES[0]
    ran: list[str] = []

    def named(name, ok):
        def chk(ref, dec):
            ran.append(name)
            return CheckOutcome(ok(ref, dec), name)
        return chk

    def psnr36(ref, dec):
        return measure(ref, dec, ("psnr",))["psnr"].value >= 36

    res = search(img, "jpeg", "ssim>=0.9", checks=[named("first", psnr36), named("second", lambda r, d: True)])
    assert res.met and any(p.check_failed for p in res.probes)
    for p in res.probes:  # a probe failing the first check never ran the second
        assert [c.name for c in p.checks] == (["first"] if p.check_failed else ["first", "second"])
    assert ran.count("second") == sum(not p.check_failed for p in res.probes)


def test_a_check_that_measures_its_distance_is_interpolated_not_bisected():
    """A check that returns a margin steers the search like the target's own margin: the same setting as the
    blind (pass/fail) check, found with fewer encodes, and the probe margins are the check's when it binds."""
    img = SAMPLES[0]

    def psnr(ref, dec):
        return measure(ref, dec, ("psnr",))["psnr"].value

    def blind(ref, dec):
        return CheckOutcome(psnr(ref, dec) >= 36, "psnr36")

    def measured(ref, dec):
        v = psnr(ref, dec)
        return CheckOutcome(v >= 36, "psnr36", margin=(v - 36) / 10)

    a = search(img, "jpeg", "ssim>=0.5", checks=[blind], predict=False)
    b = search(img, "jpeg", "ssim>=0.5", checks=[measured], predict=False)
    assert a.met and b.met and b.setting == a.setting and b.data == a.data
    assert b.encodes < a.encodes
    for p in b.probes:  # the check binds (the SSIM target is far away): its distance is the probe's margin
        if p.passed:
            assert p.margin == pytest.approx((p.metrics["psnr"] - 36) / 10)
        else:  # failed the check: the target's metrics were not measured
            assert p.metrics == {} and p.margin == pytest.approx(min(p.checks[0].margin, -1e-3))


def test_a_probe_that_fails_a_check_measures_no_target_metric():
    """Checks run before the target's metrics: a probe failing one is not measured (it fails whatever they say);
    a result that failed a check still reports its metrics, and a byte budget measures every probe."""
    img = SAMPLES[0]

    def psnr40(ref, dec):
        v = measure(ref, dec, ("psnr",))["psnr"].value
        return CheckOutcome(v >= 40, "psnr40", margin=(v - 40) / 10)

    res = search(img, "jpeg", "ssim>=0.5", checks=[psnr40], predict=False)
    assert res.met and any(p.check_failed for p in res.probes)
    for p in res.probes:
        assert (p.metrics == {}) == p.check_failed
        assert p.check_failed or p.metrics["ssim"] >= 0.5
    plain = search(img, "jpeg", "psnr>=40", predict=False)
    assert res.setting == plain.setting and res.data == plain.data
    never = search(img, "jpeg", "ssim>=0.5", checks=[lambda r, d: CheckOutcome(False, "never", margin=-1.0)],
                   predict=False, lossless_fallback=False)
    assert not never.met and {"ssim", "psnr"} <= set(never.metrics)
    roi = np.zeros(img.pixels.shape[:2], bool)
    roi[: roi.shape[0] // 2] = True
    scoped = search(img, "jpeg", ["ssim>=0.5", "roi:ssim>=0.5"], masks={"roi": roi},
                    checks=[lambda r, d: CheckOutcome(False, "never", margin=-1.0)], predict=False,
                    lossless_fallback=False)
    assert {"ssim", "psnr", "roi:ssim"} <= set(scoped.metrics)
    budget = search(img, "jpeg", "bytes<=20000", checks=[psnr40], predict=False)
    assert all("ssim" in p.metrics for p in budget.probes)


def test_reference_other_than_encoded_image():
    # Quality is measured against the reference, not against what was encoded: a mirrored copy can never
    # resemble the original, so even the lossless fallback must report the target as missed.
    img = SAMPLES[1]
    mirrored = as_image(np.ascontiguousarray(img.pixels[:, ::-1]))
    r = search(mirrored, "jpeg", "ssim>=0.9", reference=img)
    assert not r.met and r.fallback
    r = search(img, "jpeg", "ssim>=0.9", reference=img)
    assert r.met


def test_auto_picks_the_smallest_passing_codec():
    img = SAMPLES[0]
    best, per = best_of(img, ["jpeg", "webp", "jpegxl"], "ssim>=0.95")
    assert best.met and len(best.data) == min(len(r.data) for r in per.values() if r.met)


def test_high_bit_depth_and_float_images():
    img16 = as_image(photo_like(96, 96, bits=16), bit_depth=16)
    r = search(img16, "jpegxl", "ssim>=0.97")
    assert r.met and r.decoded.bit_depth == 16
    lin = as_image(photo_like(96, 96).astype(np.float32) / 64.0)  # linear light up to ~4
    r = search(lin, "jpeg2000", "ssim>=0.97")
    assert r.met


def test_roi_scope_needs_a_mask():
    with pytest.raises(Exception, match="mask"):
        search(SAMPLES[0], "jpeg", "roi:ssim>=0.9")
    m = np.zeros(SAMPLES[0].pixels.shape[:2], bool)
    m[:50, :50] = True
    r = search(SAMPLES[0], "jpeg", ["roi:ssim>=0.97", "ssim>=0.8"], masks={"roi": m})
    assert r.met and r.metrics["roi:ssim"].value >= 0.97


def test_warm_start_slope_is_fitted_over_nearby_probes_not_the_last_pair():
    from qualipress.search.search import Probe, _hint_from

    def pr(margin):
        return Probe(None, 1000, margin >= 0, margin, {})

    # a line of slope 0.01 per step with +-0.004 noise; the last pair (59, 60) alone says 0.018
    probes = {40: pr(-0.196), 50: pr(-0.104), 59: pr(-0.012), 60: pr(0.006), 95: pr(0.9)}
    passing = {k: v for k, v in probes.items() if v.passed}
    failing = {k: v for k, v in probes.items() if not v.passed}
    hint = _hint_from(60, passing, failing)
    assert hint.index == 60.0
    assert 0.0095 < hint.slope < 0.0105  # the probe 35 steps away (curvature) is left out
    assert _hint_from(60, {60: pr(0.006)}, {}).slope is None


def test_checked_hint_steps_from_the_start_and_keeps_the_proof():
    """A warm start whose previous search ended on a failed check (``Hint.checked``) moves 1, 2, 4 grid steps
    from the start instead of trusting the margin; the setting found is the one a cold search proves."""
    from qualipress.search import Hint

    img = SAMPLES[0]
    grid = codecs.get("jpeg").info.quality.grid

    def strict(ref, dec):
        return CheckOutcome(measure(ref, dec, ("psnr",))["psnr"].value >= 36, "psnr36")

    cold = search(img, "jpeg", "ssim>=0.5", checks=[strict], predict=False)
    i = grid.index(cold.setting)
    assert 3 <= i <= len(grid) - 3 and cold.probes[-1].checks  # only the check binds here
    # the frame got harder by one step: the start fails the check, the step above passes
    up = search(img, "jpeg", "ssim>=0.5", checks=[strict], start=Hint(float(i - 1), 1.0, checked=True))
    assert up.setting == cold.setting and up.encodes == 2
    # the frame got easier by one step: start passes, its neighbour too, then 2 steps down fails, then the middle
    down = search(img, "jpeg", "ssim>=0.5", checks=[strict], start=Hint(float(i + 1), 1.0, checked=True))
    assert down.setting == cold.setting and down.encodes <= 4
    same = search(img, "jpeg", "ssim>=0.5", checks=[strict], start=Hint(float(i), 1.0, checked=True))
    assert same.setting == cold.setting and same.encodes == 2


def _rgba_with_soft_edges() -> np.ndarray:
    rgb = photo_like(h=96, w=128)
    yy, xx = np.mgrid[0:96, 0:128]
    alpha = np.clip((np.hypot(yy - 48, xx - 64) - 20) * 8, 0, 255).astype(np.uint8)  # disc with a soft rim
    alpha[::7, ::5] = 0  # specks that a quantised alpha plane smears
    return np.concatenate([rgb, alpha[..., None]], axis=2)


def test_alpha_is_checked_so_a_codec_cannot_damage_transparency():
    from qualipress.search.search import ALPHA_MAX_ERROR, alpha_kept

    img = as_image(_rgba_with_soft_edges())
    res = search(img, "jpeg2000", "ssim>=0.90")
    dec = codecs.decode_like(codecs.get(res.codec), res.data, img)
    worst = np.abs(dec.alpha().astype(int) - img.alpha().astype(int)).max() / 255
    assert worst <= ALPHA_MAX_ERROR
    assert all(any(o.name == "alpha kept" for o in p.checks) for p in res.probes)
    # the check itself fails a plane that is visibly off
    bad = dec.with_pixels(np.concatenate([dec.pixels[..., :3], (255 - dec.alpha())[..., None]], axis=2))
    assert not alpha_kept(img, bad).passed


def test_decisions_near_the_threshold_use_the_float64_measurement():
    from qualipress.metrics import FLOAT32_ERROR

    img = as_image(photo_like(96, 128))
    codec = codecs.get("jpeg")
    dec = codecs.decode_like(codec, codec.encode(img, quality=60), img)
    exact = measure(img, dec, ("ssim",), precise=True)["ssim"].value
    fast = measure(img, dec, ("ssim",))["ssim"].value
    assert abs(fast - exact) < FLOAT32_ERROR["ssim"]
    for thr in (exact - 1e-12, exact + 1e-12):  # float32 cannot tell these apart; float64 can
        res = search(img, "jpeg", f"ssim>={thr!r}", start=60, predict=False)
        first = res.probes[0]
        assert first.setting == 60 and first.passed == (exact >= thr)
        assert first.metrics["ssim"] == exact


def test_tile_statistics_near_the_threshold_use_the_float64_measurement_with_the_tile_guard_band():
    from qualipress.metrics import FLOAT32_ERROR, FLOAT32_TILE_ERROR

    img = as_image(photo_like(160, 192))
    codec = codecs.get("jpeg")
    dec = codecs.decode_like(codec, codec.encode(img, quality=50), img)
    exact = measure(img, dec, ("ssim",), tile=64, precise=True)["ssim"].stat("min")
    assert FLOAT32_TILE_ERROR["ssim"] > FLOAT32_ERROR["ssim"]
    for gap in (0.5 * FLOAT32_TILE_ERROR["ssim"], -0.5 * FLOAT32_TILE_ERROR["ssim"]):
        tgt = parse_target(f"ssim@min>={exact + gap!r}")
        fast = measure(img, dec, ("ssim",), tile=64)
        assert tgt.near_threshold(fast)  # inside the tile guard band (outside the whole-image one)
        res = search(img, "jpeg", tgt, start=50, predict=False, tile=64)
        assert res.probes[0].setting == 50 and res.probes[0].passed == (gap < 0)
    assert not parse_target(f"ssim@min>={exact - 3 * FLOAT32_TILE_ERROR['ssim']!r}").near_threshold(fast)


def test_probes_that_cannot_be_the_result_give_back_their_pixels():
    """During a search only the lowest passing and the highest failing probe keep their decoded image (memory:
    one frame per probe otherwise); the result still carries its decoded pixels."""
    import gc
    import weakref

    img = SAMPLES[0]
    seen: list[weakref.ref] = []
    alive_at_probe: list[int] = []

    def counting(ref, dec):  # runs once per probe, after it is decoded and measured
        gc.collect()
        alive_at_probe.append(sum(r() is not None for r in seen))
        seen.append(weakref.ref(dec))
        return CheckOutcome(measure(ref, dec, ("psnr",))["psnr"].value >= 36, "psnr36")

    res = search(img, "jpeg", "ssim>=0.5", checks=[counting], predict=False)
    assert res.met and res.encodes >= 4  # a search long enough to have dominated probes
    assert max(alive_at_probe) <= 2 < len(alive_at_probe) - 1
    assert res.decoded is not None
    assert np.array_equal(res.decoded.pixels, codecs.decode_like(codecs.get("jpeg"), res.data, img).pixels)


def test_after_a_pass_only_the_lowest_pass_keeps_its_pixels_unless_racing():
    """Once a probe passed, a search that races no bound can only end on its lowest pass: failing probes give
    back their decoded image too (one frame fewer held while the next probe is measured)."""
    import gc
    import weakref

    img = SAMPLES[0]
    seen: list[weakref.ref] = []
    alive_after_a_pass: list[int] = []
    passed: list[bool] = []

    def counting(ref, dec):
        gc.collect()
        if any(passed):
            alive_after_a_pass.append(sum(r() is not None for r in seen))
        seen.append(weakref.ref(dec))
        ok = measure(ref, dec, ("psnr",))["psnr"].value >= 36
        passed.append(ok)
        return CheckOutcome(ok, "psnr36")

    res = search(img, "jpeg", "ssim>=0.5", checks=[counting], predict=False)
    assert res.met and alive_after_a_pass and max(alive_after_a_pass) <= 1
    assert np.array_equal(res.decoded.pixels, codecs.decode_like(codecs.get("jpeg"), res.data, img).pixels)


def test_every_search_probe_is_made_by_the_probe_primitive(monkeypatch):
    import importlib

    from qualipress.search import probe as probe_once

    made = []

    def counting(*args, **kwargs):
        made.append(probe_once(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(importlib.import_module("qualipress.search.search"), "probe_setting", counting)
    img = SAMPLES[0]
    masks = {"roi": np.zeros(img.pixels.shape[:2], bool)}
    masks["roi"][10:60, 20:90] = True
    r = search(img, "webp", parse_target(["ssim>=0.95", "roi:ssim>=0.97"]), masks=masks, mosaic=False)
    assert len(made) == r.encodes and r.encodes >= 2
    # Each probe of the search is the primitive's measurement of the same setting, scoped keys included.
    for p, pr in zip(r.probes, made, strict=True):
        assert (p.setting, p.bytes) == (pr.setting, pr.bytes)
        assert p.metrics == pr.values() and "roi:ssim" in p.metrics


def test_margin_is_negative_when_a_lower_is_better_target_fails():
    # QA: `compress --codec jpeg --target butteraugli<=2` probed q55 (distance 4.4, failing), then searched *down*
    # (q22..q44) and fell back to PNG although q90 gives 1.57: the margin of a failing butteraugli<= target was
    # positive (the metric's margin unit already increases with quality; the <= flipped it a second time)
    from qualipress.metrics import MetricResult

    def m(name: str, v: float) -> dict:
        return {name: MetricResult(name, v, None, {"mean": v, "min": v, "p1": v, "p5": v})}

    t = parse_target("butteraugli<=2")
    assert not t.satisfied(m("butteraugli", 4.4)) and t.margin(m("butteraugli", 4.4)) < 0
    assert t.satisfied(m("butteraugli", 1.5)) and t.margin(m("butteraugli", 1.5)) > 0
    assert t.margin(m("butteraugli", 1.0)) > t.margin(m("butteraugli", 1.5))  # better quality, larger margin
    b = parse_target("bytes<=1000")
    assert b.margin(m("bytes", 2000)) < 0 < b.margin(m("bytes", 500))
    s = parse_target("ssim>=0.9")
    assert s.margin(m("ssim", 0.8)) < 0 < s.margin(m("ssim", 0.95))


def _large() -> object:
    """A grey image of exactly SHELVE_SAMPLES samples (2048 × 2048): large enough to shelve its probes."""
    from qualipress.search.search import SHELVE_SAMPLES

    img = as_image(photo_like(2048, 2048, channels=1, seed=5)[..., 0])
    assert img.pixels.size >= SHELVE_SAMPLES
    return img


def test_a_large_image_holds_no_earlier_probe_while_the_next_is_made(monkeypatch):
    """Film-sized images: while a probe is decoded and measured no earlier probe's decoded image is alive (the
    possible result keeps its bytes and a digest); the result is decoded again once, with the same pixels."""
    import gc
    import weakref

    img = _large()
    seen: list[weakref.ref] = []
    alive_at_probe: list[int] = []
    decodes = []
    plain = codecs.decode_like
    monkeypatch.setattr(codecs, "decode_like", lambda *a, **k: decodes.append(1) or plain(*a, **k))

    def counting(ref, dec):
        gc.collect()
        alive_at_probe.append(sum(r() is not None for r in seen))
        seen.append(weakref.ref(dec))
        return CheckOutcome(True, "count")

    res = search(img, "jpeg", "ssim>=0.97", checks=[counting], predict=False)
    assert res.met and res.encodes >= 3
    assert alive_at_probe == [0] * res.encodes
    last = res.probes[-1]
    again = int(not (last.passed and last.setting == res.setting))  # the winner was shelved unless it came last
    assert len(decodes) == res.encodes + again
    assert res.decoded is not None
    assert np.array_equal(res.decoded.pixels, plain(codecs.get("jpeg"), res.data, img).pixels)
    # a result decoded again carries the digest it was checked against (the pipeline compares the written file
    # with it instead of hashing these pixels again); one still held from its probe carries none
    from qualipress.io import pixel_digest

    assert res.digest == (pixel_digest(res.decoded.pixels) if again else None)


def test_a_large_image_decoded_differently_again_has_no_decoded_result(monkeypatch):
    """A decoder that does not give the same pixels twice: the shelved result's new decode does not match its
    digest, so the result carries no decoded image (the pipeline then measures the written file again)."""
    img = _large()
    plain = codecs.decode_like
    calls = []

    def drifting(*a, **k):
        out = plain(*a, **k)
        calls.append(1)
        out.pixels[0, 0] = len(calls) % 251
        return out

    monkeypatch.setattr(codecs, "decode_like", drifting)
    res = search(img, "jpeg", "ssim>=0.97", predict=False)
    last = res.probes[-1]
    assert res.met and not (last.passed and last.setting == res.setting)  # the winner was shelved
    assert len(calls) == res.encodes + 1 and res.decoded is None and res.digest is None


def test_a_large_result_is_not_decoded_again_when_the_caller_decodes_the_file(monkeypatch):
    """``decode_result=False`` (the pipeline, which decodes the written file anyway): a shelved result comes back
    without pixels and with the digest of the pixels it was measured on; the search makes one decode per probe."""
    from qualipress.io import pixel_digest

    img = _large()
    decodes = []
    plain = codecs.decode_like
    monkeypatch.setattr(codecs, "decode_like", lambda *a, **k: decodes.append(1) or plain(*a, **k))
    measured: dict[int, bytes] = {}

    def keep_digest(ref, dec):
        measured[len(measured)] = pixel_digest(dec.pixels)
        return CheckOutcome(True, "digest")

    res = search(img, "jpeg", "ssim>=0.97", checks=[keep_digest], predict=False, decode_result=False)
    last = res.probes[-1]
    assert res.met and not (last.passed and last.setting == res.setting)  # the winner was shelved
    assert len(decodes) == res.encodes
    winner = next(i for i, p in enumerate(res.probes) if p.setting == res.setting and p.passed)
    assert res.decoded is None and res.digest == measured[winner]
    assert res.digest == pixel_digest(plain(codecs.get("jpeg"), res.data, img).pixels)


def test_avif_on_a_soft_alpha_fade_finds_the_threshold_before_the_probe_cap():
    # QA (qa12): the colour of an alpha fade (0.1-1, never 0) is seen dimmed, so its margin falls far slower than
    # the opaque prediction's slope; stepping AVIF by at least that slope crept 91 -> 20 in 24 passing probes and
    # stopped at the cap, 7 % above the smallest passing file.
    h, w = 256, 384
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    rng = np.random.default_rng(3)
    rgb = np.stack([0.2 + 0.6 * xx / w, 0.3 + 0.4 * np.sin(yy / 30) ** 2, 0.5 + 0.3 * np.cos(xx / 40)], -1)
    rgb = rgb + rng.normal(0, 0.01, rgb.shape)
    rgb[100:160, 150:250] = [0.9, 0.1, 0.1]
    rgb = np.clip(rgb, 0, 1)
    alpha = (0.1 + 0.9 * xx / w)[..., None]
    img = as_image(np.rint(np.concatenate([rgb, alpha], -1) * 255).astype(np.uint8))
    res = search(img, "avif", ["ssim>=0.95", "psnr>=38", "ssim@min>=0.9"], max_probes=24)
    assert res.met
    assert len(res.probes) < 24
    # The threshold was found: some probe below the chosen setting failed.
    assert any(not p.passed and p.setting is not None and p.setting < res.setting for p in res.probes)


def test_only_see_through_images_lose_the_avif_slope_floor():
    """An RGBA export whose alpha is 255 everywhere is searched as the opaque image it is (review, session 10): only
    a reference with some pixel less than opaque turns the AVIF predicted-slope floor off."""
    from qualipress.search.search import _Runner

    rgb = np.random.default_rng(4).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    avif, tgt = codecs.get("avif"), parse_target("ssim>=0.95")

    def runner(alpha):
        img = as_image(rgb if alpha is None else np.dstack([rgb, np.full((32, 48), alpha, np.uint8)]))
        return _Runner(img, avif, tgt, None, None, {}, [], 8)

    assert not runner(None).see_through
    assert not runner(255).see_through
    assert runner(128).see_through
