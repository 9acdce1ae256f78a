"""Groups of grid settings that write the same file (search/plateaus.py) and how the search uses them."""

import pytest

from qualipress import codecs
from qualipress.io import as_image
from qualipress.search import measure_encoded, parse_target, search
from qualipress.search.plateaus import SAME_FILE, groups
from tests.conftest import photo_like


def _declared(codec):
    if (codec.name, codec.bitstream_version()) not in SAME_FILE:
        pytest.skip(f"no groups declared for {codec.name} {codec.version()}")


@pytest.mark.parametrize("bits", [8, 10])
@pytest.mark.parametrize("name", ["avif", "heif"])
def test_settings_of_a_group_write_the_same_file_and_neighbouring_groups_do_not(name, bits):
    codec = codecs.get(name)
    _declared(codec)
    grid = list(codec.info.quality.grid)
    # HEIF's quality 95 also writes 94's file on the smallest smooth images (not on the photographs swept: image-
    # dependent, so not declared), hence a larger image for it.
    h, w, seed = (96, 128, 5) if name == "heif" else (64, 96, 3)
    img = as_image(photo_like(h, w, seed=seed, bits=bits), bit_depth=bits)
    files = [codec.encode(img, quality=q) for q in grid]
    gr = groups(codec, grid)
    assert len(set(gr)) < len(grid)  # the declaration groups something
    for i, (first, last) in enumerate(gr):
        assert first <= i <= last
        assert files[i] == files[first]
        if first > 0 and i == first:
            assert files[first] != files[first - 1], f"{grid[first]} writes the file of {grid[first - 1]}"


def test_heif_groups_are_keyed_by_the_x265_build_not_only_by_libheif(monkeypatch):
    """Another x265 build under the same libheif/pillow-heif gets no groups; the reported version is unchanged."""
    import pillow_heif

    codec = codecs.get("heif")
    _declared(codec)
    grid = list(codec.info.quality.grid)
    assert len(set(groups(codec, grid))) < len(grid)
    reported = codec.version()
    encoder = pillow_heif.libheif_info()["HEIF"]
    assert encoder and encoder in codec.bitstream_version() and encoder not in reported
    real = pillow_heif.libheif_info

    def other_x265() -> dict:
        info = dict(real())
        info["HEIF"] = "x265 HEVC encoder (3.5+1-f0c1022)"
        return info

    monkeypatch.setattr(pillow_heif, "libheif_info", other_x265)
    assert codec.version() == reported
    assert groups(codec, grid) == [(i, i) for i in range(len(grid))]
    monkeypatch.setattr(pillow_heif, "libheif_info", lambda: {**real(), "HEIF": ""})  # no encoder named
    assert groups(codec, grid) == [(i, i) for i in range(len(grid))]


def test_codecs_without_a_declaration_have_one_setting_per_group():
    codec = codecs.get("jpegxl")
    grid = list(codec.info.quality.grid)
    assert groups(codec, grid) == [(i, i) for i in range(len(grid))]


#: Targets each codec meets lossy on the test image (HEIF's SSIM stops at 0.911 on it, x265 smoothing the noise).
_TARGETS = {"avif": ("ssim>=0.93", "ssim>=0.97", "psnr>=34"), "heif": ("ssim>=0.84", "ssim>=0.87", "ssim>=0.90")}


@pytest.mark.parametrize("level", [0, 1, 2])
@pytest.mark.parametrize("name", ["avif", "heif"])
def test_search_probes_each_file_once_and_proves_the_group_below(name, level):
    codec = codecs.get(name)
    _declared(codec)
    grid = list(codec.info.quality.grid)
    gr = groups(codec, grid)
    tgt = parse_target(_TARGETS[name][level])
    img = as_image(photo_like(96, 128, seed=5))
    r = search(img, name, tgt)
    assert r.met and not r.lossless
    lossy = [grid.index(p.setting) for p in r.probes if p.setting is not None]
    # Every probe encodes the first setting of its group, and no group twice.
    assert all(gr[i][0] == i for i in lossy) and len({gr[i] for i in lossy}) == len(lossy)
    i = grid.index(r.setting)
    assert gr[i][0] == i
    # The proof: the group just below the result was probed and failed (or the result is the lowest setting).
    below = [p for p in r.probes if p.setting is not None and i > 0 and gr[grid.index(p.setting)] == gr[i - 1]]
    assert i == 0 or (below and not below[0].passed)
    # Against the exhaustive sweep: the lowest setting from which every setting passes is the result's.
    ok = [tgt.satisfied(measure_encoded(codec.encode(img, quality=q), codec, img, metrics=tgt.metrics).metrics)
          for q in grid]
    lowest = next(k for k in range(len(ok)) if all(ok[k:]))
    assert gr[lowest][0] == i
    assert r.data == codec.encode(img, quality=r.setting)


@pytest.mark.parametrize("name", ["avif", "jpegxl"])
def test_the_first_full_image_probe_is_the_shifted_steered_estimate_rounded_up_to_its_group(monkeypatch, name):
    import importlib
    import math

    from qualipress.search import proxy

    search_module = importlib.import_module("qualipress.search.search")

    codec = codecs.get(name)
    grid = list(codec.info.quality.grid)
    gr = groups(codec, grid)
    monkeypatch.setattr(search_module._proxy, "steer", lambda *a, **k: (50.8, None, 1))
    r = search(as_image(photo_like(256, 320, seed=2)), name, "ssim>=0.95")
    i0 = math.ceil(50.8 + proxy.FIRST_PROBE_SHIFT.get(name, 0.0) - 1e-9)
    assert r.steering == 1 and r.probes[0].setting == grid[gr[i0][0]]


def test_jpeg_first_full_image_probe_is_a_quarter_step_below_the_steered_estimate(monkeypatch):
    import importlib

    search_module = importlib.import_module("qualipress.search.search")

    # Steered to 50.1: unshifted its ceiling is index 51; a quarter step down (png17, docs/benchmarks.md § JPEG's
    # first full-image probe) it is index 50.
    grid = list(codecs.get("jpeg").info.quality.grid)
    monkeypatch.setattr(search_module._proxy, "steer", lambda *a, **k: (50.1, None, 1))
    r = search(as_image(photo_like(256, 320, seed=2)), "jpeg", "ssim>=0.95")
    assert r.steering == 1 and r.probes[0].setting == grid[50]


@pytest.mark.parametrize("name", ["avif", "jpegxl"])
def test_avif_steps_by_the_steeper_of_the_local_and_the_predicted_slope(name):
    from types import SimpleNamespace

    from qualipress.search.predict import Prediction
    from qualipress.search.search import Probe, _Bracket, _outside

    # Two failing full-image probes on a flat stretch (kodim09 at C1: margins -0.0212 and -0.0169 two steps apart);
    # the predicted slope there is 0.0219 per step.
    codec = codecs.get(name)
    grid = list(codec.info.quality.grid)
    pred = Prediction(63.7, 58.0, 70.0, 0.0219, "ssim>=0.95")
    br = _Bracket(SimpleNamespace(prediction=None, codec=codec, reference=SimpleNamespace(has_alpha=False)), grid, pred)
    br.failing = {67: Probe(grid[67], 1000, False, -0.0212, {}), 69: Probe(grid[69], 1100, False, -0.0169, {})}
    c = _outside(br, 69, None, None)
    if name == "avif":
        assert c == 70  # the crossing is under a step away on the predicted slope: the neighbour completes the proof
    else:
        assert c >= 75  # JPEG XL keeps its local slope (the flat chord sends it far)
