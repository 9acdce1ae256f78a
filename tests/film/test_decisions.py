"""Decision-module checks on synthetic degradations with known outcomes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from qualipress.film import decisions
from qualipress.io import Image


def _img(code: np.ndarray, bits: int = 10) -> Image:
    peak = (1 << bits) - 1
    a = np.rint(np.clip(code, 0, 1) * peak).astype(np.uint16)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    return Image(a, bits, transfer="log")


def _ramp() -> np.ndarray:
    return np.tile(np.linspace(0.2, 0.5, 256), (128, 1))


def test_banding_detects_staircase_not_tiny_noise() -> None:
    ref = _img(_ramp())
    stair = _img(np.floor(_ramp() * 48) / 48)  # steps of ~0.02
    rng = np.random.default_rng(0)
    mild = _img(_ramp() + rng.normal(0, 0.0003, (128, 256)))
    chk = decisions.BandingCheck(max_step=0.004)
    assert not chk(ref, stair).passed
    out = chk(ref, mild)
    assert out.passed, out.detail
    assert "smooth-gradient" in out.detail


def test_banding_passes_frames_without_gradients() -> None:
    rng = np.random.default_rng(1)
    noise = _img(0.5 + rng.normal(0, 0.05, (64, 64)))
    assert decisions.BandingCheck()(noise, noise).passed


def test_detail_detects_blurred_texture() -> None:
    rng = np.random.default_rng(2)
    tex = 0.5 + 0.1 * rng.standard_normal((128, 128))
    ref = _img(tex)
    blurred = _img(gaussian_filter(tex, 1.5))
    chk = decisions.DetailCheck(min_ratio=0.85)
    assert chk(ref, ref).passed
    out = chk(ref, blurred)
    assert not out.passed and "texture energy" in out.detail


def test_worst_tile_finds_one_damaged_tile() -> None:
    rng = np.random.default_rng(3)
    base = 0.4 + 0.05 * gaussian_filter(rng.standard_normal((256, 256)), 2)
    damaged = base.copy()
    damaged[:64, :64] = gaussian_filter(damaged[:64, :64], 4) + rng.normal(0, 0.03, (64, 64))
    chk = decisions.WorstTileCheck(min_ssim=0.9, tile=64)
    ok = chk(_img(base), _img(base))
    assert ok.passed
    bad = chk(_img(base), _img(damaged))
    assert not bad.passed and "row 0, col 0" in bad.detail


@pytest.mark.parametrize("profile", ["C0", "C1", "C2"])
def test_checks_for_profiles(profile: str) -> None:
    checks, notes = decisions.checks_for(profile, target_ssim=0.95,
                                         analysis_result={"smooth_gradient": {"fraction": 0.0},
                                                          "texture": {"fraction": 0.3}})
    names = [c.name for c in checks]
    assert names == ["grain", "colour-grain", "detail", "worst-tile"]  # cheapest first
    assert any("no banding check" in n for n in notes)
    assert any("no temporal check" in n for n in notes) and any("no tonal check" in n for n in notes)
    film = [c.name for c in decisions.checks_for(profile, target_ssim=0.95, transfer="log",
                                                 previous=(np.zeros((4, 4)), np.zeros((4, 4))))[0]]
    assert {"temporal", "tonal", "display-ssim"} <= set(film)
    strict = decisions.checks_for("C0", target_ssim=0.98)[0][-1].min_ssim
    loose = decisions.checks_for("C2", target_ssim=0.92)[0][-1].min_ssim
    assert strict > loose


def test_profile_parameters_have_one_source_the_profiles_toml() -> None:
    from qualipress.profiles import builtin_profiles

    profiles = builtin_profiles()
    for name in ("C0", "C1", "C2"):
        p = decisions.profile_parameters(name)
        assert p == profiles[name].film
        # the worst-tile margin is the gap between the profile's SSIM threshold and its ssim@min floor
        cons = {(c.metric, c.stat): c.value for c in profiles[name].target.constraints}
        assert p["tile_margin"] == pytest.approx(cons[("ssim", "mean")] - cons[("ssim", "min")])
    assert decisions.profile_parameters("C0")["min_grain_corr"] >= 0.85
    assert decisions.profile_parameters("C1")["min_grain_corr"] >= 0.6
    assert decisions.profile_parameters("C2")["min_grain_corr"] == 0
    assert decisions.profile_parameters("my-own") == profiles["C1"].film


def test_banding_allows_one_block_of_a_few_dozen() -> None:
    ramp = np.tile(np.linspace(0.2, 0.5, 192), (64, 1))  # 4 x 12 = 48 smooth blocks: 2 % is under one block
    chk = decisions.BandingCheck(max_step=0.004)
    one = ramp.copy()
    one[:16, :16] = np.floor(one[:16, :16] * 48) / 48  # one block turned into a staircase
    assert chk(_img(ramp), _img(one)).passed
    two = one.copy()
    two[:16, 32:48] = np.floor(two[:16, 32:48] * 48) / 48
    out = chk(_img(ramp), _img(two))
    assert not out.passed and "2/48" in out.detail


def test_banding_says_it_can_flicker() -> None:
    # a count of blocks past the step limit moves with the grain, not steadily with the setting: the search must
    # confirm a pass next to a banding failure by the next finer setting (tests/search/test_flickering_check.py)
    ref = _img(_ramp())
    stair = _img(np.floor(_ramp() * 48) / 48)
    out = decisions.BandingCheck(max_step=0.004)(ref, stair)
    assert not out.passed and not out.monotone
