"""Settings where the metric falls as the setting rises (search/drops.py) and the search's check of its proof there."""

import pytest

from qualipress import codecs
from qualipress.io import as_image, read_image
from qualipress.search import drops as drops_mod
from qualipress.search import measure_encoded, parse_target, search
from qualipress.search.drops import DROPS, drops, guard
from tests.conftest import photo_like


def _declared(codec):
    if not any(c == codec.name and v == codec.bitstream_version() for c, v in DROPS):
        pytest.skip(f"no drops declared for {codec.name} {codec.version()}")


def test_the_jpegxl_drop_is_found_on_its_grid_and_only_for_its_version(monkeypatch):
    codec = codecs.get("jpegxl")
    _declared(codec)
    grid = list(codec.info.quality.grid)
    found = drops(codec, grid)
    assert len(found) == 1
    d, reach = found[0]
    assert grid[d] < 0.5 < grid[d - 1] and reach >= 1
    monkeypatch.setattr(type(codec), "version", classmethod(lambda cls: "libjxl 9.9 (another build)"))
    assert drops(codec, grid) == []


def test_codecs_without_a_declaration_have_no_drops():
    for name in ("avif", "jpeg"):
        codec = codecs.get(name)
        assert drops(codec, list(codec.info.quality.grid)) == []


def test_guard_probes_below_a_drop_whose_reach_covers_the_failing_end_once():
    table = [(57, 2)]
    assert guard(table, 57, set()) == 56
    assert guard(table, 58, {58, 59}) == 56
    assert guard(table, 59, set()) is None      # beyond the reach
    assert guard(table, 56, set()) is None      # below the drop
    assert guard(table, 57, {56, 57, 58}) is None  # already measured


def test_a_declared_drop_at_the_failing_neighbour_adds_one_probe_below_and_keeps_a_monotone_result(monkeypatch):
    img = as_image(photo_like(96, 128, seed=4))
    codec = codecs.get("jpeg")
    grid = list(codec.info.quality.grid)
    first = search(img, "jpeg", "ssim>=0.95", lossless_fallback=False)
    i = grid.index(first.setting)
    assert i >= 2 and any(p.setting == grid[i - 1] and not p.passed for p in first.probes)
    # Declare a drop at the proof's failing neighbour: the search must measure the setting below it too.
    monkeypatch.setitem(drops_mod.DROPS, ("jpeg", codec.bitstream_version()), ((grid[i - 1], 1),))
    again = search(img, "jpeg", "ssim>=0.95", lossless_fallback=False)
    assert again.setting == first.setting and again.data == first.data
    below = [p for p in again.probes if p.setting == grid[i - 2]]
    assert below and not below[0].passed
    assert any("checked" in n and "failed" in n for n in again.notes)


def test_kodim08_jpegxl_at_ssim_099_finds_the_passing_setting_below_the_drop(data_dir):
    path = data_dir / "kodak" / "kodim08.png"
    if not path.exists():
        pytest.skip("kodim08 not in the shared data")
    codec = codecs.get("jpegxl")
    _declared(codec)
    grid = list(codec.info.quality.grid)
    d, _ = drops(codec, grid)[0]
    img = read_image(path)
    tgt = parse_target("ssim>=0.99")
    measured = {k: measure_encoded(codec.encode(img, quality=grid[k]), codec, img, metrics=tgt.metrics)
                for k in (d - 1, d, d + 1)}
    ok = {k: tgt.satisfied(v.metrics) for k, v in measured.items()}
    if not (ok[d - 1] and not ok[d] and ok[d + 1]):
        pytest.skip("this libjxl build does not reproduce the kodim08 drop")
    r = search(img, "jpegxl", tgt)
    assert r.met and r.setting == grid[d - 1]  # not grid[d + 1], the larger file the proof would otherwise accept
    assert any(p.setting == grid[d] and not p.passed for p in r.probes)
    assert any(p.setting == grid[d - 2] and not p.passed for p in r.probes)  # the proof below the drop
    assert any("passed: the search went on below it" in n for n in r.notes)

