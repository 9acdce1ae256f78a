import re

import pytest

from qualipress.cli import main


def test_demo_runs_on_scikit_image_samples(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path), "--codec", "jpeg"]) == 0
    out = capsys.readouterr().out
    # each run says what it did, not only which target it started (the terminal showed targets, then silence);
    # encodes per image, as summary.md and compress's summary count them (UX 17: the line gave the run's total)
    assert len(re.findall(r"^  \d+ images?: [\d,]+ bytes \(ratio \d+\.\d\d vs PNG\), \d+\.\d encodes per image, "
                          r"all met$", out, re.M)) == 3, out
    md = (tmp_path / "summary.md").read_text()
    assert "| C0 | jpeg |" in md and "| C2 | jpeg |" in md and "NO |" not in md
    assert (tmp_path / "summary.html").exists()


def test_demo_page_has_profiles_chart_and_thumbnails(tmp_path):
    assert main(["demo", "-o", str(tmp_path), "--codec", "webp"]) == 0
    page = (tmp_path / "summary.html").read_text()
    assert "<h2>Profiles</h2>" in page and "visually lossless" in page and "previews, proxies" in page
    assert "<h2>Profiles</h2><table class='words'>" in page and ".words td,.words th{text-align:left}" in page
    assert "<svg" in page and page.count("<circle") >= 5
    right = max(float(x) for x in re.findall(r"<circle cx='([\d.]+)'", page))
    assert all(float(x) > right for x in re.findall(r"<rect x='([\d.]+)' y='[\d.]+' width='10'", page))  # legend
    srcs = [s.split("'")[0] for s in page.split("<img loading='lazy' src='")[1:]]
    assert len(srcs) == 15 and all((tmp_path / s).is_file() for s in srcs)


def test_demo_codec_names_are_checked_and_lists_accepted(tmp_path, capsys, monkeypatch):
    """`demo --codec jpegx` ran nothing and wrote an empty summary with exit 0; `--codec jpeg,webp` (the form
    compress takes) did the same."""
    from qualipress import demo

    assert main(["demo", "-o", str(tmp_path / "typo"), "--codec", "jpegx"]) == 2
    assert "did you mean 'jpegxl'" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()
    seen = []
    monkeypatch.setattr(demo, "run_demo", lambda out, codecs, log: seen.append(codecs) or {
        "markdown": out / "summary.md", "html": out / "summary.html", "json": out / "summary.json",
        "failures": 0})
    assert main(["demo", "-o", str(tmp_path / "d"), "--codec", "jpeg,webp", "--codec", "jxl"]) == 0
    assert seen == [["jpeg", "webp", "jpegxl"]]
    assert "summary.json" in capsys.readouterr().out


def test_demo_refuses_when_no_requested_codec_is_installed(tmp_path, monkeypatch):
    from qualipress import codecs, demo
    from qualipress.errors import QualipressError

    monkeypatch.setattr(codecs, "available_names", lambda: ["jpeg"])
    with pytest.raises(QualipressError, match="webp"):
        demo.run_demo(tmp_path / "d", codecs=["webp"], log=lambda _: None)
    assert not (tmp_path / "d").exists()
