"""Colour grain (issue 18, qa10 finding 4): the film checks must see grain whose colour is smoothed away."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from qualipress import codecs
from qualipress.film import decisions, fidelity
from qualipress.io import Image
from qualipress.search import parse_target, search

_LUMA = np.array([0.2126, 0.7152, 0.0722])


def _clean(h: int = 128, w: int = 192) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    base = 0.3 + 0.2 * xx / w + 0.05 * yy / h
    return np.stack([base, base * 0.95 + 0.02, base * 0.85 + 0.05], axis=-1)


def _grain(seed: int, shape: tuple[int, int] = (128, 192), sigma: float = 6 / 1023, blur: float = 0.0) -> np.ndarray:
    """Independent grain in R, G and B (per dye layer), σ ``sigma`` each, blurred ``blur`` px like scanned grain."""
    g = np.random.default_rng(seed).standard_normal((*shape, 3))
    if blur:
        g = gaussian_filter(g, (blur, blur, 0))
    return g * (sigma / g.std())


def _img(code: np.ndarray) -> Image:
    return Image(np.rint(np.clip(code, 0, 1) * 1023).astype(np.uint16), 10, transfer="log")


def test_colour_grain_figure_sees_colour_removed_while_luma_is_kept() -> None:
    clean, g = _clean(), _grain(1)
    src = _img(clean + g)
    grey_grain = _img(clean + (g @ _LUMA)[..., None])  # the same luma grain, its colour gone
    ref = fidelity.reference(src)
    same = fidelity.colour_grain_kept(ref, src)
    assert same["applies"] and same["corr"] == 1.0 and same["energy"] == 1.0
    assert set(same["directions"]) == set(fidelity.COLOUR_DIRECTIONS)
    luma = fidelity.grain_kept(ref, fidelity.reference(grey_grain).y)
    assert luma["corr"] > 0.99 and luma["energy"] > 0.99  # the luma check cannot tell
    lost = fidelity.colour_grain_kept(ref, grey_grain)
    assert lost["applies"] and lost["corr"] < 0.2 and lost["energy"] < 0.2
    # half the colour grain's amplitude kept: energy ≈ 0.5, still correlated
    half = _img(clean + (g @ _LUMA)[..., None] + 0.5 * (g - (g @ _LUMA)[..., None]))
    h = fidelity.colour_grain_kept(ref, half)
    assert h["corr"] > 0.95 and h["energy"] == pytest.approx(0.5, abs=0.05)


def test_colour_grain_check_fails_the_colourless_output_and_passes_the_source() -> None:
    clean, g = _clean(), _grain(2)
    src = _img(clean + g)
    grey_grain = _img(clean + (g @ _LUMA)[..., None])
    c1 = decisions.profile_parameters("C1")
    chk = decisions.ColourGrainCheck(c1["min_colour_grain_corr"], c1["min_colour_grain_energy"])
    ok = chk(src, src)
    assert ok.passed and ok.margin is not None and ok.margin > 0
    bad = chk(src, grey_grain)
    assert not bad.passed and bad.margin is not None and bad.margin < 0
    assert "B-Y" in bad.detail and "R-Y" in bad.detail
    assert decisions.GrainCheck(c1["min_grain_corr"], c1["min_grain_energy"])(src, grey_grain).passed
    c2 = decisions.profile_parameters("C2")
    out = decisions.ColourGrainCheck(c2["min_colour_grain_corr"], c2["min_colour_grain_energy"])(src, grey_grain)
    assert out.passed and "report only" in out.detail


@pytest.mark.parametrize("kind", ["luma-only grain", "grey", "one channel", "no grain"])
def test_colour_grain_check_does_not_apply_without_colour_grain(kind: str) -> None:
    clean, g = _clean(), _grain(3)
    if kind == "luma-only grain":
        code = clean + g[..., :1]  # R, G and B move together: grain without colour
    elif kind == "grey":
        code = np.repeat(clean[..., :1], 3, axis=2) + g[..., :1]
    elif kind == "one channel":
        code = (clean + g)[..., :1]
    else:
        code = clean
    src = _img(code)
    out = decisions.ColourGrainCheck(0.9, 0.9)(src, _img(code * 0.98))
    assert out.passed and out.detail.startswith("not applicable"), out.detail


def test_search_moves_to_a_finer_setting_when_colour_grain_is_lost() -> None:
    """A setting the luma grain check accepts loses the colour grain; with the colour check the search settles
    finer and the output it returns keeps the colour grain when measured again from its bytes."""
    clean, g = _clean(270, 480), _grain(4, (270, 480))  # qa10: white grain, σ 6 codes per channel
    src = _img(clean + g)
    target = parse_target(["ssim>=0.95"])
    p = decisions.profile_parameters("C1")
    luma = decisions.GrainCheck(p["min_grain_corr"], p["min_grain_energy"])
    colour = decisions.ColourGrainCheck(p["min_colour_grain_corr"], p["min_colour_grain_energy"])
    avif = codecs.get("avif")  # keeps least colour grain where luma grain passes (docs/film.md)
    coarse = search(src, avif, target, checks=[luma], lossless_fallback=False)
    assert coarse.met and coarse.setting is not None
    # the luma-only result is a known-too-coarse setting: re-measured, its colour grain is gone
    again = codecs.decode_like(avif, coarse.data, src)
    assert not colour(src, again).passed
    found = search(src, avif, target, checks=[luma, colour], lossless_fallback=False)
    assert found.met and found.setting is not None
    assert found.setting > coarse.setting  # AVIF quality: larger is finer
    assert len(found.data) > len(coarse.data)
    assert any(c.name == "colour-grain" and not c.passed for pr in found.probes for c in pr.checks)
    # re-measured from the returned bytes alone, with a fresh reference of the source
    fresh = _img(clean + g)
    out = fidelity.colour_grain_kept(fidelity.reference(fresh), codecs.decode_like(avif, found.data, fresh))
    assert out["corr"] >= p["min_colour_grain_corr"] and out["energy"] >= p["min_colour_grain_energy"]


def test_a_probe_failing_the_luma_grain_check_gets_the_lower_of_both_distances() -> None:
    """The search stops at the first failing check; the luma check's margin then includes the colour grain's, so the
    margins of neighbouring probes do not switch between the two checks."""
    clean, g = _clean(), _grain(5)
    src = _img(clean + g)
    half_grey = _img(clean + 0.5 * (g @ _LUMA)[..., None])  # luma grain halved, colour grain gone
    checks, _ = decisions.checks_for("C1", target_ssim=None)
    luma = next(c for c in checks if c.name == "grain")
    colour = next(c for c in checks if c.name == "colour-grain")
    assert luma.colour is colour
    alone = decisions.GrainCheck(luma.min_corr, luma.min_energy)(src, half_grey)
    both = luma(src, half_grey)
    c = colour(src, half_grey)
    assert not alone.passed and not both.passed and not c.passed
    assert alone.margin is not None and c.margin is not None and c.margin < alone.margin
    assert both.margin == pytest.approx(c.margin)


def test_colour_figure_in_chunks_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    clean, g = _clean(), _grain(6)
    src = _img(clean + g)
    dec = _img(clean + (g @ _LUMA)[..., None] + 0.4 * (g - (g @ _LUMA)[..., None]) + _grain(7, sigma=1 / 1023))
    whole = fidelity.colour_grain_kept(fidelity.reference(src), dec)
    monkeypatch.setattr(fidelity, "COLOUR_CHUNK", 7)  # 96 flat blocks in 14 chunks
    ref = fidelity.reference(src)
    chunked = fidelity.colour_grain_kept(ref, dec)
    assert ref.flat.sum() > 7 * 2
    for key in ("corr", "energy", "sigma"):
        assert chunked[key] == pytest.approx(whole[key], abs=1e-4)
    # a decoded frame that lost its colour channels kept no colour grain
    grey = Image(dec.pixels[..., :1], 10, transfer="log")
    lost = fidelity.colour_grain_kept(ref, grey)
    assert lost["applies"] and lost["corr"] == 0.0 and lost["energy"] == 0.0


def test_colour_grain_check_needs_both_floors_in_each_direction(monkeypatch: pytest.MonkeyPatch) -> None:
    """The direction that is weaker by min(corr, energy) need not be the one below a floor when the floors differ:
    B-Y 0.44/0.44 fails an energy floor of 0.45 while R-Y 0.41/0.48 (the "weaker") passes (review, session 10)."""
    dirs = {"B-Y": {"corr": 0.44, "energy": 0.44, "sigma": 0.004},
            "R-Y": {"corr": 0.41, "energy": 0.48, "sigma": 0.004}}
    fake = {"applies": True, "blocks": 64, "sigma": 0.004, "corr": 0.41, "energy": 0.48, "directions": dirs}
    monkeypatch.setattr(fidelity, "colour_grain_kept", lambda *a, **k: fake)
    src = _img(_clean() + _grain(7))
    out = decisions.ColourGrainCheck(0.3, 0.45)(src, _img(_clean() + _grain(8)))
    assert not out.passed and out.margin == pytest.approx(-0.01)
    dirs["B-Y"]["energy"] = 0.46
    out = decisions.ColourGrainCheck(0.3, 0.45)(src, _img(_clean() + _grain(9)))
    assert out.passed and out.margin == pytest.approx(0.01)


def test_forgetting_a_frame_while_another_of_its_size_is_alive() -> None:
    """forget() looked frames up with ``in``, which compared two frames' cached arrays and raised ValueError when
    another frame of the same size was still held (review, session 10)."""
    a, b = _img(_clean() + _grain(11)), _img(_clean() + _grain(12))
    chk = decisions.ColourGrainCheck(0.3, 0.45)
    for src in (a, b):
        chk(src, _img(_clean() + _grain(13)))
    decisions.forget(a)
    assert chk(b, _img(_clean() + _grain(14))).name == "colour-grain"
