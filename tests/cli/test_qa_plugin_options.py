"""QA: the capabilities' compress options are checked before any work (usage error, exit 2, one line)."""

import numpy as np
import pytest
from PIL import Image

from qualipress.cli import main
from tests.conftest import photo_like


@pytest.fixture()
def photo(tmp_path):
    rng = np.random.default_rng(3)
    p = tmp_path / "in.png"
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(p)
    return p


@pytest.mark.parametrize(("args", "words"), [
    (["--roi", "bogus"], "bogus"),
    (["--roi-mask", "missing.png"], "missing.png"),
    (["--roi-boxes", "missing.json"], "missing.json"),
    (["--roi-quality", "90", "--bg-quality", "200"], "bg-quality"),
    (["--roi-quality", "0"], "roi-quality"),
    (["--block-threshold", "7"], "block-threshold"),
])
def test_bad_roi_option_is_a_usage_error(photo, tmp_path, capsys, args, words):
    out = tmp_path / "out"
    code = main(["compress", str(photo), "-o", str(out), "--codec", "jpeg-roi", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert words in err
    assert "Traceback" not in err
    assert not (out / "in.jpg").exists()


def test_encode_takes_the_codec_from_the_output_extension(photo, tmp_path, capsys):
    """QA: ``encode in.png -o out.webp`` wrote JPEG bytes into out.webp (the codec defaulted to jpeg)."""
    out = tmp_path / "out.webp"
    assert main(["encode", str(photo), "-o", str(out), "--quality", "70"]) == 0
    assert out.read_bytes()[8:12] == b"WEBP"


def test_encode_refuses_a_codec_that_does_not_write_the_extension(photo, tmp_path, capsys):
    out = tmp_path / "out.jxl"
    assert main(["encode", str(photo), "-o", str(out), "--codec", "jpeg", "--quality", "70"]) == 2
    err = capsys.readouterr().err
    assert ".jpg" in err and "Traceback" not in err
    assert not out.exists()
    # aliases and spellings of one extension are the same format
    assert main(["encode", str(photo), "-o", str(tmp_path / "a.jpeg"), "--codec", "jpg", "--quality", "70"]) == 0


def test_dry_run_names_the_single_output_file_and_reads_no_stdin(photo, tmp_path, capsys, monkeypatch):
    """QA: ``--dry-run -o x.avif`` listed x.avif/in.* as the output; ``compress - ... --dry-run`` failed with
    '-: no such file or directory'. misc18: stdin is read (not decoded, nothing written) so the dry run predicts
    what the run does with those bytes (already done, its size, a refusal from the header)."""
    import io
    import json
    import sys

    out = tmp_path / "x.avif"
    assert main(["compress", str(photo), "-o", str(out), "--dry-run", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["files"][0]
    assert row["output"] == str(out) and row["codecs"] == "avif"
    assert not out.exists()

    for dest, shown in (("-", "stdout"), (str(tmp_path / "d"), "stdin.*")):
        class _Stdin:
            buffer = io.BytesIO(photo.read_bytes())

        monkeypatch.setattr(sys, "stdin", _Stdin())
        assert main(["compress", "-", "-o", dest, "--dry-run"]) == 0
        text = capsys.readouterr().out
        assert shown in text and "nothing was written" in text and f"({photo.stat().st_size:,} bytes)" in text
    assert not (tmp_path / "d").exists()


def test_jpeg_roi_with_a_byte_budget_fits_it(tmp_path, capsys):
    """QA: ``--codec jpeg-roi --target bytes<=15000`` failed every input with "unexpected KeyError: 'bytes'"
    (roi.rate's targeted search measured quality constraints only); it was then refused up front, and since the
    issue 14 follow-up (roi2) jpeg-roi searches byte budgets itself."""
    photo, out = tmp_path / "in.png", tmp_path / "out"
    Image.fromarray(photo_like(128, 160)).save(photo)
    assert main(["compress", str(photo), "-o", str(out), "--codec", "jpeg-roi", "--target", "bytes<=3000"]) == 0
    assert "KeyError" not in capsys.readouterr().err
    (written,) = out.glob("*.jpg")
    assert 0 < written.stat().st_size <= 3000
    with Image.open(written) as im:
        assert im.format == "JPEG" and not im.info.get("progressive")
        im.load()


def test_a_bad_profile_in_a_profiles_file_is_named(photo, tmp_path, capsys):
    """QA: a bad target in one [section] of --profiles FILE said only "'ssim>=2': ssim thresholds lie in (0, 1]",
    whichever profile was asked for, without naming the file or the profile."""
    toml = tmp_path / "my.toml"
    toml.write_text('[web]\ntarget = ["ssim>=0.93"]\n[bad]\ntarget = "ssim>=2"\n')
    assert main(["compress", str(photo), "-o", str(tmp_path / "o"), "--profiles", str(toml), "--profile", "web"]) == 2
    err = capsys.readouterr().err
    assert "my.toml" in err and "[bad]" in err and "ssim>=2" in err


@pytest.mark.parametrize(("codec", "opt", "words"), [
    ("avif", "bogus=1", "no requested codec takes it"),
    ("webp", "method=abc", "webp cannot use it"),
])
def test_bad_codec_opt_is_a_usage_error_before_any_input(photo, tmp_path, capsys, codec, opt, words):
    """QA: an unknown --codec-opt key failed every input ("no codec of avif, source:png could encode this
    image..."); method=abc failed it with "unexpected ValueError"."""
    out = tmp_path / "out"
    assert main(["compress", str(photo), "-o", str(out), "--codec", codec, "--codec-opt", opt]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (out / "qualipress-report.jsonl").exists()


def test_roi_command_never_replaces_an_input(photo, tmp_path, capsys):
    """QA: ``qualipress roi a.png -o a.png --overwrite`` replaced the photograph with its ROI mask."""
    before = photo.read_bytes()
    assert main(["roi", str(photo), "-o", str(photo), "--overwrite", "--roi", "saliency"]) == 2
    assert photo.read_bytes() == before
    assert "input" in capsys.readouterr().err


def test_report_path_is_never_an_input_nor_a_foreign_file(photo, tmp_path, capsys):
    """QA: ``compress a.png -o out/ --report a.png`` appended the JSON report to the input photograph (and to
    any other existing file named by --report)."""
    other = tmp_path / "notes.txt"
    other.write_text("my notes\n")
    before = photo.read_bytes()
    for report in (photo, other):
        assert main(["compress", str(photo), "-o", str(tmp_path / "o"), "--codec", "webp", "--report",
                     str(report)]) == 2
        assert "--report" in capsys.readouterr().err
    assert photo.read_bytes() == before and other.read_text() == "my notes\n"
    rep = tmp_path / "r.jsonl"  # a report path of its own still works, and resumes
    for _ in range(2):
        assert main(["compress", str(photo), "-o", str(tmp_path / "o"), "--codec", "webp", "--target",
                     "ssim>=0.9", "--report", str(rep)]) == 0
    assert len(rep.read_text().splitlines()) == 1


def test_single_output_tif_uses_the_tiff_codec(photo, tmp_path, capsys):
    """QA: ``compress a.png -o a.tif`` said "no installed codec writes .tif files" (auto looked only at the
    lossy codecs and PNG)."""
    out = tmp_path / "a.tif"
    assert main(["compress", str(photo), "-o", str(out), "--profile", "C1"]) == 0
    assert out.read_bytes()[:2] in (b"II", b"MM")


@pytest.mark.parametrize("suffix", [".jls", ".jhc"])
def test_single_output_named_for_a_codec_is_a_file_not_a_folder(photo, tmp_path, suffix):
    """QA: ``compress a.png -o a.jls`` made a folder a.jls/ holding a.avif (only readable image suffixes counted
    as file names)."""
    out = tmp_path / f"a{suffix}"
    assert main(["compress", str(photo), "-o", str(out), "--profile", "C1"]) == 0
    assert out.is_file()
