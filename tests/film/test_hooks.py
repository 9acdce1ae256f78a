"""FilmHooks through the core pipeline: plan, checks, seals, manifest, verify, report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.film import decisions, manifest, seal
from qualipress.film.hooks import FilmHooks
from qualipress.film.verify import verify_collection
from qualipress.io import Image, dpx
from qualipress.pipeline.hooks import PipelineHooks
from qualipress.search import parse_target

from .synth import photo_like


def _sequence(d: Path, names: list[str]) -> Path:
    d.mkdir()
    for i, n in enumerate(names):
        (d / n).write_bytes(dpx.encode_dpx(photo_like(seed=i % 2), frame_rate=24, frame=i))
    return d


def test_film_hooks_satisfy_the_protocol() -> None:
    assert isinstance(FilmHooks(), PipelineHooks)


def test_plan_warm_starts_within_a_sequence_only(tmp_path: Path) -> None:
    hooks = FilmHooks()
    img = Image(photo_like(), 10, transfer="log")
    tgt = parse_target(["ssim>=0.95", "ssim@min>=0.9"])
    first = hooks.plan(img, path=tmp_path / "r_0001.dpx", codec="auto", target=tgt, previous=None)
    assert len(first.codecs) >= 2 and first.start
    assert any("worst tile guarded by the target" in n for n in first.notes)
    prev = {"input": str(tmp_path / "r_0001.dpx"), "codec": first.codecs[0], "params": {"distance": 1.5},
            "setting": 1.5, "setting_name": "distance",
            "analysis": first.analysis}
    second = hooks.plan(img, path=tmp_path / "r_0002.dpx", codec="auto", target=tgt, previous=prev)
    assert second.codecs == [first.codecs[0]]
    assert any("warm start" in n for n in second.notes)
    other = hooks.plan(img, path=tmp_path / "s_0002.dpx", codec="auto", target=tgt, previous=prev)
    assert len(other.codecs) == len(first.codecs)
    png = hooks.plan(img, path=tmp_path / "photo.png", codec="auto", target=tgt, previous=None)
    assert not png.checks and "not a film frame" in png.notes[-1]


def test_compress_sequence_with_film_hooks(tmp_path: Path) -> None:
    src = _sequence(tmp_path / "scans", ["reel_1001.dpx", "reel_1002.dpx", "reel_1003.dpx"])
    out = tmp_path / "out"
    code = main(["compress", str(src), "-o", str(out), "--profile", "C2", "--codec", "jpegxl", "--film"])
    assert code == 0
    recs = manifest.load(out)
    assert len(recs) == 3 and all(r["status"] == "ok" and r["kind"] == "lossy" for r in recs)
    assert all(r["seal"] == "jxl xml box" for r in recs)
    assert any("warm start" in " ".join(r["decisions"]) for r in recs[1:])
    sums = manifest.read_sums(out)
    assert sorted(sums) == sorted(r["output"] for r in recs)
    sealed = seal.read_seal((out / recs[0]["output"]).read_bytes())
    assert sealed is not None and sealed["source_sha256"] == recs[0]["source_sha256"]
    assert sealed["profile"] == "C2" and sealed["metrics"]["ssim"] == pytest.approx(recs[0]["metrics"]["ssim"])
    rep = verify_collection(out, sample=1.0)
    assert rep.ok and rep.remeasured == 3, rep.to_dict()
    assert main(["report", str(out), "-o", str(tmp_path / "rep.html")]) == 0
    data = json.loads((tmp_path / "rep.json").read_text())
    row = data["summary"][0]
    assert row["profile"] == "C2" and row["files"] == 3 and row["ratio"] > 1
    # an altered stored metric is caught by the re-measurement
    lines = (out / manifest.MANIFEST).read_text().splitlines()
    first = json.loads(lines[0])
    first["metrics"]["ssim"] -= 0.01
    (out / manifest.MANIFEST).write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    assert verify_collection(out, sample=1.0).metric_mismatch


def test_dot_numbered_frames_get_distinct_outputs(tmp_path: Path) -> None:
    """``reel.0001001.dpx`` and ``reel.0001002.dpx`` must not both become ``reel.jxl``."""
    src = _sequence(tmp_path / "scans", ["reel.0001001.dpx", "reel.0001002.dpx"])
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--profile", "C2", "--codec", "jpegxl"]) == 0
    assert len(manifest.read_sums(out)) == 2


def _grainy_sequence(src: Path, h: int, w: int, *, seed: int) -> Path:
    """Three 10-bit log DPX frames ``sky.1001001..1001003.dpx``: a gentle gradient plus fresh grain (σ 5 codes)
    per frame, seeds ``seed``, ``seed + 1``, ``seed + 2``."""
    import numpy as np
    from scipy.ndimage import gaussian_filter

    src.mkdir()
    yy, xx = np.mgrid[0:h, 0:w]
    clean = 0.35 + 0.15 * xx / w + 0.05 * yy / h
    for k in range(3):
        g = gaussian_filter(np.random.default_rng(seed + k).standard_normal((h, w, 3)), (0.8, 0.8, 0))
        g *= (5 / 1023) / g.std()
        px = np.rint(np.clip(clean[..., None] + g, 0, 1) * 1023).astype(np.uint16)
        (src / f"sky.{1001 + k:07d}.dpx").write_bytes(dpx.encode_dpx(px, transfer=1, frame_rate=24, frame=1001 + k))
    return src


def test_grainy_sequence_records_film_figures_and_keeps_grain(tmp_path: Path) -> None:
    src = _grainy_sequence(tmp_path / "grainy", 128, 192, seed=0)
    FilmHooks.sequences.clear()
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--profile", "C1", "--codec", "jpegxl", "--film"]) == 0
    recs = sorted(manifest.load(out), key=lambda r: r["frame"])
    assert [r["frame"] for r in recs] == [1001, 1002, 1003]
    for r in recs:
        film = r["film"]
        assert film["grain"]["applies"] and film["grain"]["corr"] >= 0.6  # C1's floor, enforced by the search
        # grain independent per channel has colour: its check applies, C1's floors enforced too
        c1 = decisions.profile_parameters("C1")
        assert film["colour_grain"]["applies"] and film["colour_grain"]["corr"] >= c1["min_colour_grain_corr"] > 0
        assert film["colour_grain"]["energy"] >= c1["min_colour_grain_energy"] > 0
        assert film["tonal"]["applies"] and film["display_ssim"] is not None and film["worst_tile"]["ssim"] > 0
    assert not recs[0]["film"]["temporal"]["applies"] and "first frame" in recs[0]["film"]["temporal"]["why"]
    assert all(r["film"]["temporal"]["applies"] for r in recs[1:])
    assert any("check grain" in n for n in recs[0]["decisions"])
    assert any("check temporal" in n for n in recs[1]["decisions"])
    sealed = seal.read_seal((out / recs[0]["output"]).read_bytes())
    assert sealed is not None and sealed["encoding"].startswith("Cineon printing-density log")
    # the collection report shows the figures, the wall time and 1:1 crops of the worst frames
    from qualipress.film.report import build_report

    data = build_report([out], tmp_path / "report.html")
    summ = data["summary"][0]
    assert summ["grain_corr_min"] == min(r["film"]["grain"]["corr"] for r in recs)
    assert summ["colour_grain_corr_min"] == min(r["film"]["colour_grain"]["corr"] for r in recs)
    assert summ["temporal_min"] is not None and summ["display_ssim_min"] is not None
    assert data["wall_seconds"] is not None and data["wall_seconds"] > 0
    assert summ["wall_seconds"] == data["wall_seconds"]  # one collection, one profile and codec
    # the wall time covers the frames' own time at least (one process: frames one after the other)
    assert data["wall_seconds"] >= max(r["seconds"] for r in recs)
    assert data["sequences"][0]["grain_corr_min"] is not None
    page = (tmp_path / "report.html").read_text()
    for text in ("grain kept min", "colour grain kept min", "Least grain kept", "flattest region", "worst tile",
                 "difference x8", "Wall time", "first frame of this sequence"):
        assert text in page


def test_film_checks_on_bad_input_say_why_they_do_not_apply(tmp_path: Path) -> None:
    import numpy as np

    src = tmp_path / "bad"
    src.mkdir()
    h, w = 64, 96
    frames = {
        "black.0000001.dpx": np.zeros((h, w, 3), np.uint16),
        "white.0000001.dpx": np.full((h, w, 3), 1023, np.uint16),  # clipped
        "single.0000007.dpx": photo_like(h, w, seed=3),  # a one-frame "sequence", light noise only
        "mixed.0000001.dpx": photo_like(h, w, seed=1),
        "mixed.0000002.dpx": photo_like(h + 16, w + 32, seed=2),  # size changes inside the shot
    }
    for name, px in frames.items():
        (src / name).write_bytes(dpx.encode_dpx(px, transfer=1, frame_rate=24, frame=int(name.split(".")[1])))
    FilmHooks.sequences.clear()
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--profile", "C1", "--codec", "jpegxl", "--film"]) == 0
    recs = {r["source"]: r for r in manifest.load(out)}
    assert all(r["status"] == "ok" for r in recs.values())
    black = recs["black.0000001.dpx"]["film"]
    assert not black["grain"]["applies"] and black["grain"]["why"]
    assert not black["tonal"]["applies"] and "too dark" in black["tonal"]["why"]
    white = recs["white.0000001.dpx"]["film"]
    assert not white["grain"]["applies"] and white["tonal"]["applies"]
    assert not recs["single.0000007.dpx"]["film"]["temporal"]["applies"]
    mixed = recs["mixed.0000002.dpx"]["film"]["temporal"]
    assert not mixed["applies"] and "previous frame is 96x64" in mixed["why"]


def _probe(setting: float, passed: bool, margin: float, failed_check: str | None = None) -> dict:
    checks = [{"name": failed_check or "grain", "passed": failed_check is None, "detail": ""}]
    return {"codec": "jpegxl", "setting": setting, "passed": passed, "margin": margin, "checks": checks}


def test_check_bound_hint_starts_at_the_previous_bracket() -> None:
    from qualipress import codecs
    from qualipress.film.hooks import check_bound_hint

    grid = codecs.get("jpegxl").info.quality.grid
    i = len(grid) // 2
    prev = {"codec": "jpegxl", "setting": grid[i], "params": {"distance": grid[i]},
            "probes": [_probe(grid[i - 4], False, -0.001, "grain"), _probe(grid[i], True, 0.24),
                       _probe(grid[i - 1], False, -0.001, "grain")]}
    hint = check_bound_hint(prev)
    assert hint is not None and hint.index == i and hint.slope == pytest.approx(0.241)
    assert not hint.checked  # the grain check measures its distance: the search may interpolate on the margins
    blind = {**prev, "probes": [_probe(grid[i], True, 0.24), _probe(grid[i - 1], False, -0.001, "banding")]}
    assert check_bound_hint(blind).checked  # type: ignore[union-attr]
    # the neighbour below failed on the target's own margin, not a check: the core's hint is better
    by_margin = {**prev, "probes": [_probe(grid[i], True, 0.01), {**_probe(grid[i - 1], False, -0.02), "checks": []}]}
    assert check_bound_hint(by_margin) is None
    # the neighbour below was never probed, or the result was lossless: no bracket to carry
    assert check_bound_hint({**prev, "probes": prev["probes"][:2]}) is None
    assert check_bound_hint({**prev, "params": {"lossless": True}}) is None


def test_warm_frames_bound_by_the_grain_check_take_two_encodes(tmp_path: Path) -> None:
    src = _grainy_sequence(tmp_path / "grainy", 192, 256, seed=10)
    FilmHooks.sequences.clear()
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--profile", "C1", "--codec", "jpegxl", "--film"]) == 0
    lines = (out / "qualipress-report.jsonl").read_text().splitlines()
    recs = sorted((json.loads(line) for line in lines if line.strip()), key=lambda r: r["input"])
    assert len(recs) == 3 and all(r["target_met"] for r in recs)
    warm = [r for r in recs[1:] if any("previous frame's bracket" in n for n in r["decisions"])]
    assert warm
    for r in warm:
        # the previous frame's setting first, then its neighbour below; when that fails again, two encodes prove it
        first, second = (p["setting"] for p in r["probes"][:2])
        assert first == recs[recs.index(r) - 1]["setting"]
        if r["probes"][0]["passed"] and not r["probes"][1]["passed"]:
            assert r["encodes"] == 2 and second != first
    assert any(r["encodes"] == 2 for r in warm)


def test_seal_of_the_search_result_equals_a_fresh_measurement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import OrderedDict

    from qualipress.film import decisions
    from qualipress.search import search

    monkeypatch.setattr(FilmHooks, "sequences", OrderedDict())
    hooks = FilmHooks(profile="C1")
    img = Image(photo_like(), 10, transfer="log")
    tgt = parse_target(["ssim>=0.95", "psnr>=38", "ssim@min>=0.9"])
    path = tmp_path / "r_0001.dpx"
    plan = hooks.plan(img, path=path, codec="jpegxl", target=tgt, previous=None)
    res = search(img, "jpegxl", tgt, checks=plan.checks, tile=256)
    reused: dict = {"input": str(path)}
    from qualipress import codecs, metrics

    with monkeypatch.context() as m:  # neither decoded nor measured again: the search's probe is reused
        m.setattr(codecs, "decode_like", lambda *a, **k: pytest.fail("decoded again"))
        m.setattr(metrics, "measure", lambda *a, **k: pytest.fail("measured again"))
        sealed = hooks.seal_result(res, record=reused, tile=256)
    held = FilmHooks.sequences.popitem()  # as if this frame had not been sealed yet
    decisions._DECODED.clear()  # no figure left over from the checks: everything measured afresh
    fresh: dict = {"input": str(path)}
    assert hooks.seal(res.data, codec=res.codec, record=fresh) == sealed
    for rec in (reused, fresh):
        rec["film"].pop("finished_at")
    assert reused["film"] == fresh["film"] and reused["film"]["worst_tile"]["tile"] == 256
    assert reused["film"]["display_ssim"] is not None and reused["film"]["grain"]
    again = FilmHooks.sequences.popitem()
    assert again[0] == held[0] and again[1][1] is held[1][1] is img and (again[1][2] == held[1][2]).all()
    other: dict = {"input": str(path)}
    hooks.seal_result(res, record=other, tile=128)  # the search's tiles are not the seal's: measured here
    other["film"].pop("finished_at")
    assert other["film"]["worst_tile"] == reused["film"]["worst_tile"]


def test_a_finished_frame_leaves_only_its_luma_for_the_next(tmp_path: Path) -> None:
    """Once a frame's figures are recorded, the checks' cached arrays of it (source side and probes) are dropped:
    a worker reads and analyses the next frame without them; the temporal check still has its luma planes."""
    from qualipress.film import decisions
    from qualipress.pipeline import CompressOptions, compress_paths

    src = _grainy_sequence(tmp_path / "grainy", 128, 192, seed=3)
    FilmHooks.sequences.clear()
    decisions._KEYS.clear()  # frames other tests left alive
    decisions._DECODED.clear()
    hooks = FilmHooks(profile="C1")
    seen: list[int] = []
    plan = hooks.plan

    held: list[tuple[int, ...]] = []

    def planning(image, **kw):  # what is cached when the next frame is planned
        seen.append(len(decisions._KEYS) + len(decisions._DECODED))
        out = plan(image, **kw)
        # the previous frame's planes are cut to this frame's temporal blocks once planned
        held.extend(tuple(a.ndim for a in v[1:3]) for v in FilmHooks.sequences.values())
        return out

    hooks.plan = planning  # type: ignore[method-assign]
    s = compress_paths([src], tmp_path / "out", CompressOptions(target=parse_target("ssim>=0.95"), codec="jpegxl",
                                                                  jobs=1, hooks=hooks))
    assert not s.failures and seen == [0, 0, 0] and held == [(3, 3), (3, 3)]
    last = FilmHooks.sequences[next(iter(FilmHooks.sequences))]  # the last frame: itself and its output's luma
    assert isinstance(last[1], Image) and last[2].ndim == 2 and last[3] is None
    assert not decisions._KEYS and not decisions._DECODED and len(hooks._frames) == 1
    recs = sorted(s.records, key=lambda r: r["input"])
    assert all(r["film"]["temporal"]["applies"] for r in recs[1:])


def test_the_previous_frame_is_cut_before_the_next_frames_grain_measure(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The previous frame's whole planes are cut to the next frame's temporal blocks as soon as that frame's block
    statistics are known: they are not held while its grain measure and fidelity reference run (the plan's largest
    temporaries), and its checks and seal get the same blocks (the temporal figure applies)."""
    from qualipress.film import analysis
    from qualipress.pipeline import CompressOptions, compress_paths

    src = _grainy_sequence(tmp_path / "grainy", 128, 192, seed=5)
    FilmHooks.sequences.clear()
    seen: list[tuple[int, ...]] = []
    grain = analysis.grain

    def measuring(*a, **kw):  # what the store holds while a frame's grain is measured
        seen.extend(tuple(getattr(x, "ndim", 0) for x in v[1:3]) for v in FilmHooks.sequences.values())
        return grain(*a, **kw)

    monkeypatch.setattr(analysis, "grain", measuring)
    s = compress_paths([src], tmp_path / "out", CompressOptions(target=parse_target("ssim>=0.95"), codec="jpegxl",
                                                                  jobs=1, hooks=FilmHooks(profile="C1")))
    assert not s.failures and seen == [(3, 3), (3, 3)]
    recs = sorted(s.records, key=lambda r: r["input"])
    assert all(r["film"]["temporal"]["applies"] for r in recs[1:])


def test_only_the_newest_sequence_holds_its_frame(tmp_path: Path) -> None:
    """The previous-frame store holds the newest sequence's frame itself (alive anyway until the next plan) and
    older sequences' source luma planes, equal to the frame's own luma; the temporal figure still applies."""
    from qualipress.film import analysis, fidelity
    from qualipress.io import read_image
    from qualipress.pipeline import CompressOptions, compress_paths

    a = _grainy_sequence(tmp_path / "a", 64, 96, seed=4)
    b = tmp_path / "b"
    b.mkdir()
    (b / "cloud.0001001.dpx").write_bytes((a / "sky.0001001.dpx").read_bytes())
    FilmHooks.sequences.clear()
    hooks = FilmHooks(profile="C1")
    tgt = parse_target("ssim>=0.95")
    s = compress_paths([a, b], tmp_path / "out", CompressOptions(target=tgt, codec="jpegxl", jobs=1, hooks=hooks))
    assert not s.failures
    recs = sorted(s.records, key=lambda r: r["input"])
    assert all(r["film"]["temporal"]["applies"] for r in recs[1:3])
    held = dict(FilmHooks.sequences)
    newest = next(reversed(FilmHooks.sequences))
    assert isinstance(held[newest][1], Image)
    older = [v for k, v in held.items() if k != newest]
    assert len(older) == 1 and isinstance(older[0][1], np.ndarray) and older[0][0] == 1003
    last = read_image(a / "sky.0001003.dpx")
    assert np.array_equal(older[0][1], analysis.code_luma(last))
    assert np.array_equal(older[0][1], fidelity.source_luma(fidelity.reference(last)))


def test_a_shelved_winner_is_sealed_from_the_written_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames large enough for the search to give its probes' pixels back: the winner is not decoded again for the
    seal; its film figures come from the written file's decode (the verification), and the outputs and figures are
    those of a run whose search decodes the winner again."""
    from qualipress import codecs
    from qualipress.film import decisions
    from qualipress.pipeline import CompressOptions, batch, compress_paths
    from qualipress.profiles import get_profile
    from qualipress.search.search import SHELVE_SAMPLES

    h, w = 1024, 1408
    assert h * w * 3 >= SHELVE_SAMPLES
    src = _grainy_sequence(tmp_path / "big", h, w, seed=3)
    prof = get_profile("C1")
    plain_decode, plain_best_of = codecs.decode_like, batch.best_of
    runs = {}
    for eager in (True, False):
        FilmHooks.sequences.clear()
        decisions._DECODED.clear()
        decodes: list[int] = []
        monkeypatch.setattr(codecs, "decode_like", lambda *a, _d=decodes, **k: _d.append(1) or plain_decode(*a, **k))
        if eager:  # the search decodes its winner again, as it does for other callers
            monkeypatch.setattr(batch, "best_of", lambda *a, **k: plain_best_of(*a, **{**k, "decode_result": True}))
        else:
            monkeypatch.setattr(batch, "best_of", plain_best_of)
        out = tmp_path / f"out{int(eager)}"
        opts = CompressOptions(target=prof.target, codec="htj2k", profile=prof.name, hooks=FilmHooks(profile="C1"))
        recs = sorted(compress_paths([src], out, opts).records, key=lambda r: r["input"])
        assert all(r["target_met"] and r["verify"] == "decoded file identical to the measured probe" for r in recs)
        runs[eager] = (recs, len(decodes), [Path(r["output"]).read_bytes() for r in recs])
    (eager_recs, eager_decodes, eager_bytes), (lazy_recs, lazy_decodes, lazy_bytes) = runs[True], runs[False]
    assert lazy_bytes == eager_bytes
    shelved = sum(not (r["probes"][-1]["passed"] and r["probes"][-1]["setting"] == r["setting"]) for r in lazy_recs)
    assert shelved >= 1 and eager_decodes - lazy_decodes == shelved
    for a, b in zip(eager_recs, lazy_recs, strict=True):
        a["film"].pop("finished_at")
        b["film"].pop("finished_at")
        assert a["film"] == b["film"] and b["film"]["grain"] and b["film"]["display_ssim"] is not None


def test_compress_command_decodes_each_frame_once_after_its_search(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``qualipress compress`` wraps the film hooks in the photo hooks, which pass the search's result (and the
    written file's pixels) on to them: a frame is decoded once per probe and once more, to verify the written file;
    the seal decodes nothing (before, the photo hooks called the film hooks' plain ``seal``, which decoded the
    output again)."""
    from qualipress import codecs

    h, w = 1024, 1408
    src = _grainy_sequence(tmp_path / "big", h, w, seed=5)
    FilmHooks.sequences.clear()
    full: list[int] = []
    plain = codecs.decode_like

    def counting(*a, **k):  # type: ignore[no-untyped-def]
        out = plain(*a, **k)
        if (out.height, out.width) == (h, w):  # not the search's half-size steering mosaics
            full.append(1)
        return out

    monkeypatch.setattr(codecs, "decode_like", counting)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--profile", "C1", "--codec", "htj2k"]) == 0
    recs = [json.loads(line) for line in (out / "qualipress-report.jsonl").read_text().splitlines() if line.strip()]
    assert len(recs) == 3 and all(r["verify"] == "decoded file identical to the measured probe" for r in recs)
    assert all(r["film"]["grain"] and r["film"]["display_ssim"] is not None for r in recs)
    assert len(full) == sum(r["encodes"] for r in recs) + len(recs)


def test_a_repeated_frame_number_keeps_the_warm_start() -> None:
    # qa15film: shot.01002.dpx then shot.1002.dpx (two files for frame 1002): the second was searched cold (12
    # encodes where its neighbours took 2-3); a gap of one frame already kept the warm start
    from qualipress.film.hooks import FilmHooks
    from qualipress.film.sequence import parse_name

    prev = {"input": "/s/shot.01002.dpx", "error": None}
    assert FilmHooks._same_sequence(prev, parse_name(Path("/s/shot.1002.dpx")))
    assert FilmHooks._same_sequence(prev, parse_name(Path("/s/shot.1004.dpx")))
    assert not FilmHooks._same_sequence(prev, parse_name(Path("/s/shot.1001.dpx")))
    assert not FilmHooks._same_sequence(prev, parse_name(Path("/s/shot.1005.dpx")))
