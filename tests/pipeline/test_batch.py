import json
import os
from types import SimpleNamespace

import numpy as np
import pytest

from qualipress.io import TEMP_PREFIX, as_image, read_image, sha256_file, write_image
from qualipress.io.files import _host_tag
from qualipress.pipeline import CompressOptions, compress_paths, expand_inputs, read_report
from qualipress.pipeline import batch as batch_mod
from qualipress.search import parse_target
from tests.conftest import photo_like


def _inputs(tmp_path, n=4):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    paths = []
    for i in range(n):
        p = (src / "sub" if i % 2 else src) / f"img{i}.png"
        write_image(p, as_image(photo_like(64, 80, seed=i)))
        paths.append(p)
    return src, paths


def test_expand_inputs_keeps_relative_layout(tmp_path):
    src, _paths = _inputs(tmp_path)
    jobs = expand_inputs([src])
    assert sorted(str(j.rel) for j in jobs) == ["img0.png", "img2.png", "sub/img1.png", "sub/img3.png"]
    assert len(expand_inputs([str(src / "*.png")])) == 2


def test_batch_writes_verified_outputs_and_report(tmp_path):
    src, paths = _inputs(tmp_path)
    before = {p: sha256_file(p) for p in paths}
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    s = compress_paths([src], tmp_path / "out", opts)
    assert not s.failures and len(s.records) == 4
    for rec in s.records:
        out = tmp_path / "out" / rec["output"].split("/out/")[1]
        assert out.exists() and sha256_file(out) == rec["output_sha256"]
        for key in ("input", "output", "input_sha256", "output_sha256", "width", "height", "bit_depth", "codec",
                    "params", "bytes", "input_bytes", "bpp", "ratio", "metrics", "target", "target_met",
                    "encodes", "seconds", "error"):
            assert key in rec
        assert rec["metrics"]["ssim"]["value"] >= 0.95
    assert (tmp_path / "out" / "sub" / "img1.jpg").exists()
    assert {p: sha256_file(p) for p in paths} == before  # inputs untouched
    assert not list((tmp_path / "out").rglob(TEMP_PREFIX + "*"))


def _dead_pid():
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_interrupted_batch_resumes_without_redoing(tmp_path, monkeypatch):
    src, _paths = _inputs(tmp_path)
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    calls = {"n": 0}
    real = batch_mod.process_one

    def dies_after_two(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(batch_mod, "process_one", dies_after_two)
    with pytest.raises(KeyboardInterrupt):
        compress_paths([src], tmp_path / "out", opts)
    assert len(read_report(tmp_path / "out" / "qualipress-report.jsonl")) == 2
    # a torn half-written temp file from the kill is cleaned up on the next run
    (tmp_path / "out" / f"{TEMP_PREFIX}{_dead_pid()}.{_host_tag()}.x.img2.jpg").write_bytes(b"half")
    monkeypatch.setattr(batch_mod, "process_one", real)
    s = compress_paths([src], tmp_path / "out", opts)
    assert len(s.skipped) == 2 and len(s.records) == 2 and not s.failures
    assert not list((tmp_path / "out").rglob(TEMP_PREFIX + "*"))
    s = compress_paths([src], tmp_path / "out", opts)
    assert len(s.skipped) == 4 and not s.records


def test_one_bad_file_is_reported_and_the_rest_proceed(tmp_path):
    src, paths = _inputs(tmp_path)
    (src / "broken.png").write_bytes(paths[0].read_bytes()[:200])
    (src / "empty.jpg").write_bytes(b"")
    opts = CompressOptions(target=parse_target("ssim>=0.9"), codec="jpeg", jobs=2)
    s = compress_paths([src], tmp_path / "out", opts)
    errors = {os.path.basename(r["input"]): r["error"] for r in s.records if r["error"]}
    assert set(errors) == {"broken.png", "empty.jpg"}
    assert "truncated or corrupt" in errors["broken.png"] and "empty" in errors["empty.jpg"]
    assert sum(1 for r in s.records if not r["error"]) == 4


def test_existing_output_is_not_overwritten(tmp_path):
    src, _ = _inputs(tmp_path, 1)
    out = tmp_path / "out"
    out.mkdir()
    (out / "img0.jpg").write_bytes(b"precious")
    s = compress_paths([src], out, CompressOptions(target=parse_target("ssim>=0.9"), codec="jpeg"))
    assert s.failures and (out / "img0.jpg").read_bytes() == b"precious"
    s = compress_paths([src], out, CompressOptions(target=parse_target("ssim>=0.9"), codec="jpeg", overwrite=True))
    assert not s.failures and read_image(out / "img0.jpg").width == 80


def test_output_never_replaces_input(tmp_path):
    d = tmp_path / "same"
    d.mkdir()
    (d / "a.jpg").write_bytes(__import__("qualipress").codecs.get("jpeg").encode(photo_like()))
    before = sha256_file(d / "a.jpg")
    s = compress_paths([d], d, CompressOptions(target=parse_target("ssim>=0.9"), codec="jpeg", overwrite=True))
    assert s.failures and sha256_file(d / "a.jpg") == before


def test_report_is_jsonl_with_summary_totals(tmp_path):
    src, _ = _inputs(tmp_path, 2)
    s = compress_paths([src], tmp_path / "o", CompressOptions(target=parse_target("ssim>=0.9"), codec="webp"))
    lines = (tmp_path / "o" / "qualipress-report.jsonl").read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["codec"] == "webp" for line in lines)
    t = s.totals()
    assert t["bytes_out"] < t["bytes_in"] and 0 < t["saved_percent"] < 100 and t["metrics"]["ssim"]["min"] >= 0.9
    assert np.isfinite(t["encodes_mean"])


def test_kill_after_writing_but_before_reporting_resumes_cleanly(tmp_path, monkeypatch):
    """An output on disk whose report line never landed is ours: the next run records it (its marker holds the
    finished record and the file is intact), or redoes it — never refuses it as someone else's file."""
    src, _paths = _inputs(tmp_path, 2)
    out = tmp_path / "out"
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    real = batch_mod.append_jsonl

    def dies_on_first_report(path, record):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch_mod, "append_jsonl", dies_on_first_report)
    with pytest.raises(KeyboardInterrupt):
        compress_paths([src], out, opts)
    assert (out / "img0.jpg").exists() and not (out / "qualipress-report.jsonl").exists()
    assert list((out / batch_mod.PENDING_DIR).glob("*.json"))
    monkeypatch.setattr(batch_mod, "append_jsonl", real)
    s = compress_paths([src], out, opts)
    assert not s.failures and len(s.records) + len(s.skipped) == 2
    assert [r["input"].endswith("img0.png") for r in read_report(out / "qualipress-report.jsonl")
            if r.get("recovered")] == [True]
    assert not list((out / batch_mod.PENDING_DIR).glob("*.json"))
    assert not (out / batch_mod.PENDING_DIR).exists()  # link19: the settled run left the folder, empty
    # a finished output is never taken for an unfinished one
    s = compress_paths([src], out, opts)
    assert len(s.skipped) == 2 and not s.records


def test_report_paths_are_absolute_so_resume_works_from_another_directory(tmp_path, monkeypatch):
    _inputs(tmp_path, 2)
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    monkeypatch.chdir(tmp_path)
    s = compress_paths(["in"], "out", opts)
    assert all(os.path.isabs(r["input"]) and os.path.isabs(r["output"]) for r in s.records)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = compress_paths([tmp_path / "in"], tmp_path / "out", opts)
    assert len(s.skipped) == 2 and not s.records


def test_warm_start_state_is_per_run(tmp_path):
    src, _ = _inputs(tmp_path, 2)
    opts = CompressOptions(target=parse_target("ssim>=0.9"), codec="jpeg")
    compress_paths([src], tmp_path / "o1", opts)
    first = dict(batch_mod._WARM)
    assert len(first) == 1 and next(iter(first.values())).previous is not None
    compress_paths([src], tmp_path / "o2", opts)
    assert set(batch_mod._WARM) != set(first)  # a new run does not inherit the last run's previous record


def test_several_codecs_race_and_the_report_names_the_stopped_ones(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    from skimage import data

    write_image(src / "a.png", as_image(data.astronaut()[::4, ::4].copy()))
    target = parse_target("ssim>=0.95")
    raced = compress_paths([src], tmp_path / "race", CompressOptions(target=target, codec="jpeg,webp,jpegxl"))
    rec = raced.records[0]
    assert rec["target_met"] and not raced.failures
    singles = {}
    for name in ("jpeg", "webp", "jpegxl"):
        s = compress_paths([src], tmp_path / name, CompressOptions(target=target, codec=name))
        singles[name] = s.records[0]["bytes"]
    assert rec["bytes"] == min(singles.values()) and rec["codec"] == min(singles, key=singles.get)
    stopped = [d for d in rec.get("decisions") or [] if d.startswith("stopped ")]
    assert all("cannot beat" in d for d in stopped)
    assert rec["encodes"] == len(rec["probes"])


def test_verification_proves_the_file_decodes_to_the_measured_probe(tmp_path, monkeypatch):
    src, _paths = _inputs(tmp_path, n=1)
    measured = []
    real = batch_mod._metrics.measure

    def counting(*a, **k):
        measured.append(1)
        return real(*a, **k)

    monkeypatch.setattr(batch_mod, "_metrics", SimpleNamespace(measure=counting))  # the batch's own measurements
    s = compress_paths([src], tmp_path / "out", CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg"))
    assert not s.failures
    assert s.records[0]["verify"] == "decoded file identical to the measured probe"
    assert not measured  # nothing measured again after the search


def test_verification_re_measures_when_the_decoded_file_differs(tmp_path, monkeypatch):
    src, _paths = _inputs(tmp_path, n=2)
    real_codecs = batch_mod._codecs
    real = real_codecs.decode_like

    def shifted(codec, data, like):  # a decoder that is off by one code value on one pixel
        img = real(codec, data, like)
        px = img.pixels.copy()
        px[0, 0, 0] = px[0, 0, 0] ^ 1
        return type(img)(px, img.bit_depth, img.transfer, img.colorspace)

    # only the batch's own decode (the verification) sees the faulty decoder, not the search's probes
    monkeypatch.setattr(batch_mod, "_codecs", SimpleNamespace(**{**vars(real_codecs), "decode_like": shifted}))
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    s = compress_paths([src], tmp_path / "out", opts)
    assert not s.failures
    assert all(r["verify"] == "re-measured: decoded file differs from the measured probe" for r in s.records)

    def broken(codec, data, like):  # a decoder that returns another picture
        img = real(codec, data, like)
        return type(img)(np.zeros_like(img.pixels), img.bit_depth, img.transfer, img.colorspace)

    monkeypatch.setattr(batch_mod, "_codecs", SimpleNamespace(**{**vars(real_codecs), "decode_like": broken}))
    s = compress_paths([src], tmp_path / "out2", opts)
    assert len(s.failures) == 2 and all("re-measured output misses" in r["error"] for r in s.failures)
    assert not list((tmp_path / "out2").rglob("*.jpg"))


def test_resume_names_an_output_altered_since_it_was_written(tmp_path):
    # QA: after `echo x > out/a.jpg` a rerun of the same command said the file "exists and was not made by this
    # run's settings (an earlier run with other settings ...)"; it was made by them and altered since
    _inputs(tmp_path, 1)
    opts = CompressOptions(target=parse_target("ssim>=0.9"), codec="jpeg")
    rec = compress_paths([tmp_path / "in"], tmp_path / "out", opts).records[0]
    out = rec["output"]
    with open(out, "ab") as fh:
        fh.write(b"x")
    again = compress_paths([tmp_path / "in"], tmp_path / "out", opts)
    err = again.records[0]["error"]
    assert "altered" in err and "other settings" not in err and "--overwrite" in err
    assert os.path.getsize(out) == rec["bytes"] + 1  # left as it is


@pytest.mark.parametrize("faulty", [False, True])
def test_a_large_frame_is_verified_by_digest_without_its_probe_pixels(tmp_path, monkeypatch, faulty):
    """Film-sized images: the written file's decode is compared with the measured probe by SHA-256, the probe's
    pixels given back first (no decoded frame held during that decode); a decoder off by one code value on the
    file is still caught and the output measured again."""
    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "big.png", as_image(photo_like(2048, 2048, channels=1, seed=2)[..., 0]))
    real_codecs = batch_mod._codecs
    real = real_codecs.decode_like
    held = []

    def checked(codec, data, like):
        held.append(captured[0].decoded if captured else "no result")
        img = real(codec, data, like)
        if faulty:
            img.pixels[0, 0] ^= 1
        return img

    captured: list = []
    search_codecs = batch_mod._search_codecs

    def capturing(*a, **k):
        best, res = search_codecs(*a, **k)
        captured.append(best)
        return best, res

    monkeypatch.setattr(batch_mod, "_search_codecs", capturing)
    monkeypatch.setattr(batch_mod, "_codecs", SimpleNamespace(**{**vars(real_codecs), "decode_like": checked}))
    s = compress_paths([src], tmp_path / "out", CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg"))
    assert not s.failures and held == [None]  # the probe's pixels were given back before the file was decoded
    want = "re-measured: decoded file differs from the measured probe" if faulty else \
        "decoded file identical to the measured probe"
    assert s.records[0]["verify"] == want
