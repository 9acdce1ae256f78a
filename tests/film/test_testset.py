"""The film test set is deterministic and decodes to the ACEScct code of the source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.film.testset import make_testset
from qualipress.io import Image, read_image, sha256_file, write_image
from qualipress.io.logcurves import acescct_to_linear, linear_to_acescct


def _exrs(d: Path) -> Path:
    d.mkdir()
    rng = np.random.default_rng(0)
    lin = np.exp2(rng.uniform(-6, 6, (40, 96, 3))).astype(np.float32)
    lin[0, 0, 0] = -1.0
    write_image(d / "Shot.exr", Image(lin, 32, transfer="linear"))
    return d


def test_acescct_round_trip() -> None:
    x = np.array([0.0, 0.001, 0.0078125, 0.18, 1.0, 100.0], np.float32)
    assert np.allclose(acescct_to_linear(linear_to_acescct(x)), x, rtol=1e-5, atol=1e-7)
    assert linear_to_acescct(np.array([0.18]))[0] == np.float32((np.log2(0.18) + 9.72) / 17.52)


def test_testset_is_deterministic_and_exact(tmp_path: Path) -> None:
    src = _exrs(tmp_path / "exr")
    a = make_testset(src, tmp_path / "a", frames_per_shot=3, pan=4)
    b = make_testset(src, tmp_path / "b", frames_per_shot=3, pan=4)
    assert [f["dpx"]["sha256"] for f in a["frames"]] == [f["dpx"]["sha256"] for f in b["frames"]]
    assert [f["tiff"]["sha256"] for f in a["frames"]] == [f["tiff"]["sha256"] for f in b["frames"]]
    f0 = a["frames"][0]
    assert f0["source_fixes"]["negative"] == 1 and f0["width"] == 96 - 8
    d = read_image(tmp_path / "a" / f0["dpx"]["path"])
    t = read_image(tmp_path / "a" / f0["tiff"]["path"])
    assert d.bit_depth == 10 and d.transfer == "log" and t.bit_depth == 16
    lin = read_image(src / "Shot.exr").pixels[:, :88]
    want = np.rint(np.clip(linear_to_acescct(np.maximum(lin, 0)), 0, 1) * 1023)
    assert np.array_equal(d.pixels, want.astype(np.uint16))
    assert abs(int(t.pixels[5, 5, 1]) / 65535 - int(d.pixels[5, 5, 1]) / 1023) < 1 / 1023
    second = read_image(tmp_path / "a" / a["frames"][1]["dpx"]["path"])
    assert np.array_equal(second.pixels[:, :-4], d.pixels[:, 4:])  # a 4-pixel pan
    assert sha256_file(tmp_path / "a" / f0["dpx"]["path"]) == f0["dpx"]["sha256"]


def test_cli_make_testset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _exrs(tmp_path / "exr")
    assert main(["film", "make-testset", "--source", str(src), "-o", str(tmp_path / "ts")]) == 0
    assert len(list((tmp_path / "ts" / "dpx" / "Shot").glob("Shot.*.dpx"))) == 2
    assert "2 frame(s) from 1 shot(s) ->" in capsys.readouterr().out  # was "1 shots" (qa20readme)


@pytest.mark.parametrize(("args", "bad", "good"), [(["--size", "100"], "--size", "--grain-rms"),
                                                   (["--grain-rms", "3"], "--grain-rms", "--size"),
                                                   (["--size", "0x10"], "--size", "--grain-rms")])
def test_make_testset_names_only_the_bad_option(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                args: list[str], bad: str, good: str) -> None:
    # QA: `film make-testset --size 100` blamed --grain-rms too.
    assert main(["film", "make-testset", "--source", str(tmp_path), "-o", str(tmp_path / "ts"), *args]) == 2
    err = capsys.readouterr().err
    assert bad in err and good not in err
    assert not (tmp_path / "ts").exists()


def test_cineon_round_trip_and_reference_points() -> None:
    from qualipress.io.logcurves import cineon_to_linear, linear_to_cineon

    x = np.array([0.0, 0.01, 0.18, 1.0, 10.0], np.float32)
    assert np.allclose(cineon_to_linear(linear_to_cineon(x)), x, rtol=1e-4, atol=1e-6)
    assert linear_to_cineon(np.array([1.0]))[0] * 1023 == pytest.approx(685, abs=1e-3)
    assert linear_to_cineon(np.array([0.0]))[0] * 1023 == pytest.approx(95, abs=1e-3)
    # one stop is 0.6 * log10(2) / 0.002 code values above the toe
    step = (linear_to_cineon(np.array([8.0])) - linear_to_cineon(np.array([4.0])))[0] * 1023
    assert step == pytest.approx(90.3, abs=0.5)


def test_grainy_testset_keeps_clean_plate_and_makes_correlated_independent_grain(tmp_path: Path) -> None:
    from qualipress.film.testset import Grain

    src = _exrs(tmp_path / "exr")
    g = Grain(sigma_lo=3.0, sigma_hi=6.0, blur=0.8)
    a = make_testset(src, tmp_path / "a", frames_per_shot=2, pan=4, formats=("dpx",), grain=g,
                     encoding="cineon", size=(128, 64))
    b = make_testset(src, tmp_path / "b", frames_per_shot=2, pan=4, formats=("dpx",), grain=g,
                     encoding="cineon", size=(128, 64))
    assert [f["dpx"]["sha256"] for f in a["frames"]] == [f["dpx"]["sha256"] for f in b["frames"]]
    f0, f1 = a["frames"]
    grainy = read_image(tmp_path / "a" / f0["dpx"]["path"])
    clean = read_image(tmp_path / "a" / f0["clean"]["path"])
    assert grainy.transfer == "log" and grainy.metadata.get("dpx:Transfer") == "Printing density"
    assert (grainy.width, grainy.height) == (128, 64)
    noise = grainy.pixels.astype(np.float64) - clean.pixels.astype(np.float64)
    rms = float(noise.std())
    assert 3.0 <= rms <= 6.5 and 3.0 <= f0["grain"]["rms"] <= 6.0
    # spatially correlated: neighbours share grain; white noise would give ~0
    n = noise[..., 1]
    lag1 = float(np.corrcoef(n[:, :-1].ravel(), n[:, 1:].ravel())[0, 1])
    assert lag1 > 0.3
    # independent per frame: the next frame's grain (same scene area, 4-px pan) is uncorrelated
    grainy1 = read_image(tmp_path / "a" / f1["dpx"]["path"]).pixels.astype(np.float64)
    clean1 = read_image(tmp_path / "a" / f1["clean"]["path"]).pixels.astype(np.float64)
    n1 = (grainy1 - clean1)[:, :-4, 1]
    assert abs(float(np.corrcoef(n[:, 4:].ravel(), n1.ravel())[0, 1])) < 0.1
    # the clean plate is the plain Cineon code of the picture
    assert int(clean.pixels.max()) <= 1023 and f0["encoding"] == "cineon"


def test_testset_refuses_unknown_encoding(tmp_path: Path) -> None:
    from qualipress.errors import InputError

    with pytest.raises(InputError, match="encoding"):
        make_testset(_exrs(tmp_path / "exr"), tmp_path / "o", encoding="rec709")


def test_unknown_shot_names_are_refused_by_name(tmp_path: Path) -> None:
    # QA: `--shots Nope` said "<dir>: no .exr files" although the directory held EXRs; a misspelt name among
    # good ones was dropped silently.
    from qualipress.errors import InputError

    src = _exrs(tmp_path / "exr")
    for shots in (("Nope",), ("Shot", "Nope")):
        with pytest.raises(InputError, match=r"no shot named Nope .*available: Shot"):
            make_testset(src, tmp_path / "o", shots=shots)
