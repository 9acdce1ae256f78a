"""Cold starts of the film base configuration (:mod:`qualipress.film.select`)."""

import pytest

from qualipress import codecs
from qualipress.film import select


def _analysis(sigma: float, texture: float = 0.04) -> dict:
    return {"size": [2048, 1080], "texture": {"fraction": texture}, "smooth_gradient": {"fraction": 0.01},
            "noise_sigma": sigma}


def _index(codec: str, setting: float) -> int:
    return list(codecs.get(codec).info.quality.grid).index(setting)


def test_film_grain_moves_avifs_cold_start_up_but_not_jpegxls() -> None:
    """Grain of ~3 10-bit code values (σ 0.003) is below the general threshold but above AVIF's: AVIF starts a
    quarter of its grid higher, JPEG XL where a typical frame starts; heavier grain moves both."""
    if not {"avif", "jpegxl"} <= set(codecs.available_names()):
        pytest.skip("needs AVIF and JPEG XL")
    assert select.GRAINY_FOR["avif"] < 0.003 < select.GRAINY
    for codec in ("avif", "jpegxl"):
        typical, _ = select.cold_start(codec, _analysis(0.0021))
        film, note = select.cold_start(codec, _analysis(0.003))
        heavy, _ = select.cold_start(codec, _analysis(0.012))
        n = len(codecs.get(codec).info.quality.grid)
        assert _index(codec, heavy) - _index(codec, typical) == n // 4
        if codec == "avif":
            assert film == heavy and "grain σ 0.0030" in note
        else:
            assert film == typical and "typical frame" in note


def test_auto_cold_starts_use_each_codecs_threshold() -> None:
    if not {"avif", "jpegxl"} <= set(codecs.available_names()):
        pytest.skip("needs AVIF and JPEG XL")
    cfg = select.select(_analysis(0.003), codec="auto", stored_bits=10)
    assert cfg.start["avif"] == select.cold_start("avif", _analysis(0.012))[0]
    assert cfg.start["jpegxl"] == select.cold_start("jpegxl", _analysis(0.0021))[0]


def test_a_cut_between_grainy_and_grain_free_frames_is_not_alike() -> None:
    # qa13film: a clean title card (grain 0) then grainy frames (σ 5.3 codes), texture within 0.15: the grainy frames
    # kept the card's AVIF under auto (107 kB a frame where JPEG XL, chosen cold, gives 76 kB)
    prev = {"codec": "avif", "setting": 1.0, "lossless": False, "analysis": _analysis(0.0, texture=0.08)}
    grainy = _analysis(5.3 / 1023, texture=0.01)
    cfg = select.select(grainy, codec="auto", stored_bits=10, previous=prev, position=3)
    assert len(cfg.codecs) > 1 and any("no warm start" in n for n in cfg.notes), cfg.notes
    back = select.select(_analysis(0.0, texture=0.08), codec="auto", stored_bits=10,
                         previous={**prev, "analysis": grainy}, position=3)
    assert len(back.codecs) > 1
    # the same grain, a little stronger or weaker, is alike; so are two frames without grain to speak of
    for a, b in ((5.3, 5.9), (5.3, 4.4), (0.0, 1.0)):
        cfg = select.select(_analysis(b / 1023), codec="auto", stored_bits=10,
                            previous={**prev, "analysis": _analysis(a / 1023)}, position=3)
        assert cfg.codecs == ["avif"], (a, b, cfg.notes)


def test_grain_free_means_below_the_grain_checks_floor() -> None:
    """Issue 11: "grain-free" for warm starts is the grain checks' floor (``analysis.GRAIN_MIN``), not a second
    constant 2 % below it: a frame with grain just under 1.5 × that floor is alike a grain-free one."""
    from qualipress.film.analysis import GRAIN_MIN

    prev = {"codec": "avif", "setting": 1.0, "lossless": False, "analysis": _analysis(0.0)}
    sigma = select.ALIKE_GRAIN_RATIO * GRAIN_MIN * 0.99  # before: 1.52 × the old floor (1.5 / 1023), not alike
    cfg = select.select(_analysis(sigma), codec="auto", stored_bits=10, previous=prev, position=3)
    assert cfg.codecs == ["avif"], cfg.notes
