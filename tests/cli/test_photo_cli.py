"""``compress`` feedback and single-file use: -o FILE, stdin/stdout, --dry-run, per-codec and per-file JSON."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.io import as_image, read_image, sniff, write_image
from tests.conftest import photo_like


def _png(tmp_path: Path, name: str = "p.png", seed: int = 0) -> Path:
    p = tmp_path / name
    write_image(p, as_image(photo_like(64, 80, seed=seed)))
    return p


def test_single_output_file_picks_the_format(tmp_path: Path) -> None:
    src = _png(tmp_path)
    out = tmp_path / "small.avif"
    assert main(["compress", str(src), "-o", str(out), "--target", "ssim>=0.9", "--no-film"]) == 0
    assert out.is_file() and sniff(out.read_bytes()[:32]) == "avif"
    assert read_image(out).width == 80
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".qualipress")] == []  # work dir removed
    assert main(["compress", str(src), "-o", str(out), "--target", "ssim>=0.9", "--no-film"]) == 2  # exists
    assert main(["compress", str(src), "-o", str(tmp_path / "x.avif"), "--codec", "webp"]) == 2  # mismatch


def test_single_output_needs_one_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _png(tmp_path, "a.png"), _png(tmp_path, "b.png", 1)
    assert main(["compress", str(a), str(b), "-o", str(tmp_path / "x.webp")]) == 2
    assert "exactly one input" in capsys.readouterr().err


def test_stdin_to_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfdbinary) -> None:
    src = _png(tmp_path)

    class FakeStdin:
        buffer = io.BytesIO(src.read_bytes())

    monkeypatch.setattr(sys, "stdin", FakeStdin())
    assert main(["compress", "-", "-o", "-", "--codec", "webp", "--target", "ssim>=0.9", "--no-film"]) == 0
    data = capfdbinary.readouterr().out
    assert sniff(data[:32]) == "webp"


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _png(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] and out["files"][0]["input"].endswith("p.png")
    assert not (tmp_path / "out").exists()


def test_json_has_per_codec_and_per_file_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _png(tmp_path, "a.png")
    _png(tmp_path, "b.png", 1)
    assert main(["compress", str(tmp_path), "-o", str(tmp_path / "out"), "--codec", "jpeg,webp", "--target",
                 "ssim>=0.9", "--no-film", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["per_file"]) == 2 and all(f["codec"] in ("jpeg", "webp") for f in out["per_file"])
    assert sum(r["files"] for r in out["per_codec"]) == 2
    assert sum(r["bytes_out"] for r in out["per_codec"]) == out["bytes_out"]


def test_summary_flags_fallbacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _png(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--codec", "jpeg", "--target", "psnr>=70",
                 "--no-film"]) == 0
    text = capsys.readouterr().out
    assert "fallbacks" in text and "png" in text


def test_encode_keeps_metadata_and_reduces_depth(tmp_path: Path) -> None:
    from qualipress.io.metadata import present
    from tests.pipeline.test_photo import oriented_photo

    src = tmp_path / "o.jpg"
    oriented_photo(src)
    out = tmp_path / "o.webp"
    assert main(["encode", str(src), "-o", str(out), "--codec", "webp", "--quality", "80"]) == 0
    assert present(out.read_bytes(), "webp") == {"icc": True, "exif": True, "xmp": True}
    assert read_image(out).width == 96  # upright
    deep = tmp_path / "deep.png"
    write_image(deep, as_image(photo_like(32, 40, bits=16)))
    assert main(["encode", str(deep), "-o", str(tmp_path / "d.jpg"), "--codec", "jpg", "--bit-depth", "8"]) == 0
    assert read_image(tmp_path / "d.jpg").bit_depth == 8


def test_stdout_gets_the_requested_format_even_when_the_source_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capfdbinary) -> None:
    from tests.pipeline.test_photo import oriented_photo

    src = tmp_path / "o.jpg"
    oriented_photo(src, quality=60)

    class FakeStdin:
        buffer = io.BytesIO(src.read_bytes())

    monkeypatch.setattr(sys, "stdin", FakeStdin())
    # psnr>=60 is out of reach for lossy JPEG XL: the lossless transcode competes, mozjpeg / the source may not
    assert main(["compress", "-", "-o", "-", "--codec", "jxl", "--target", "psnr>=60", "--no-film"]) == 0
    assert sniff(capfdbinary.readouterr().out[:32]) == "jpegxl"


def test_single_output_summary_names_no_deleted_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # QA: `-o small.avif` runs in a private directory that is removed afterwards; the summary used to point at
    # the report inside it (a path that no longer exists).
    src = _png(tmp_path)
    out = tmp_path / "small.webp"
    assert main(["compress", str(src), "-o", str(out), "--target", "ssim>=0.9", "--no-film", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["report"] is None or Path(summary["report"]).is_file()
    out.unlink()
    assert main(["compress", str(src), "-o", str(out), "--target", "ssim>=0.9", "--no-film"]) == 0
    text = capsys.readouterr().out
    assert ".qualipress-" not in text
    kept = tmp_path / "r.jsonl"
    out.unlink()
    assert main(["compress", str(src), "-o", str(out), "--target", "ssim>=0.9", "--no-film", "--report", str(kept),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["report"] == str(kept) and kept.is_file()


def test_directory_run_summary_names_its_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _png(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--target", "ssim>=0.9", "--no-film",
                 "--json"]) == 0
    assert Path(json.loads(capsys.readouterr().out)["report"]) == tmp_path / "out" / "qualipress-report.jsonl"


def test_single_output_never_replaces_its_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # QA: `compress a.jpg -o a.jpg --overwrite` used to re-encode the input in place (the directory mode refused).
    src = _png(tmp_path)
    before = src.read_bytes()
    inode = src.stat().st_ino
    assert main(["compress", str(src), "-o", str(src), "--overwrite", "--target", "ssim>=0.9", "--no-film"]) == 2
    assert "input" in capsys.readouterr().err
    assert src.read_bytes() == before and src.stat().st_ino == inode
    link = tmp_path / "same.png"
    link.hardlink_to(src)
    assert main(["compress", str(src), "-o", str(link), "--overwrite", "--target", "ssim>=0.9", "--no-film"]) == 2
    assert src.read_bytes() == before


def test_missed_target_is_not_shown_as_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # QA: a file whose byte budget could not be met was listed as "ok" although the run exits 1.
    src = _png(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--codec", "webp", "--target", "bytes<=60",
                 "--no-film"]) == 1
    lines = [ln for ln in capsys.readouterr().out.splitlines() if str(src) in ln]
    assert lines and lines[0].startswith("MISSED")


def test_stdout_image_is_not_followed_by_the_json_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capfdbinary) -> None:
    # QA: `compress - -o - --json` appended the JSON summary to the image bytes on stdout.
    src = _png(tmp_path)

    class FakeStdin:
        buffer = io.BytesIO(src.read_bytes())

    monkeypatch.setattr(sys, "stdin", FakeStdin())
    assert main(["compress", "-", "-o", "-", "--codec", "webp", "--target", "ssim>=0.9", "--no-film",
                 "--json"]) == 0
    got = capfdbinary.readouterr()
    riff_size = int.from_bytes(got.out[4:8], "little") + 8
    assert sniff(got.out[:32]) == "webp" and riff_size == len(got.out)  # nothing after the file
    assert json.loads(got.err)["files"] == 1


def test_web_delivery_writes_only_images_and_the_report(tmp_path):
    from PIL import Image as PILImage

    from tests.conftest import photo_like

    src = tmp_path / "in"
    src.mkdir()
    PILImage.fromarray(photo_like(48, 64)).save(src / "a.png")
    out = tmp_path / "web"
    assert main(["compress", str(src), "-o", str(out), "--for", "web", "--profile", "C2"]) == 0
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names[-1] == "qualipress-report.jsonl" and len(names) == 2, names  # one image + the report


def test_single_output_with_a_codec_that_writes_another_format_says_so(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # QA: "-o ....webp: avif writes .webp files" said the opposite of the problem and hid the file name
    src = _png(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "x.webp"), "--codec", "avif",
                 "--target", "ssim>=0.9"]) == 2
    err = capsys.readouterr().err
    assert "-o x.webp: avif does not write .webp files (it writes .avif); for .webp use --codec webp" in err
    assert not (tmp_path / "x.webp").exists()


def test_an_empty_folder_or_a_missing_single_input_is_a_usage_error(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # QA: an empty folder gave a "0 files, ratio None" summary and exit 0; a missing input with -o x.avif was
    # told to "give exactly one input file"
    (tmp_path / "empty").mkdir()
    assert main(["compress", str(tmp_path / "empty"), "-o", str(tmp_path / "out"), "--profile", "C2"]) == 2
    assert "no image files found in" in capsys.readouterr().err
    assert main(["compress", str(tmp_path / "gone.png"), "-o", str(tmp_path / "x.avif"), "--profile", "C2"]) == 2
    assert "gone.png: no such file" in capsys.readouterr().err


def test_heif_with_further_images_says_only_the_primary_is_compressed(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # QA: a HEIF holding two images came out as its primary alone, reported plain "ok"
    pillow_heif = pytest.importorskip("pillow_heif")
    from PIL import Image as PILImage

    heif = pillow_heif.from_pillow(PILImage.fromarray(photo_like(64, 80)))
    heif.add_from_pillow(PILImage.fromarray(photo_like(32, 40, seed=1)))
    src = tmp_path / "two.heic"
    heif.save(src, quality=90)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp", "--target", "ssim>=0.8", "--json"]) == 0
    rec = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[-1])
    assert any("1 further image(s) besides the primary image" in w for w in rec["warnings"])


def test_lossless_win_is_not_a_fallback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Review: a lossless file smaller than a passing lossy one was counted among the summary's "fallbacks", shown
    as a per-file note, and the photo pipeline's "lossless fallback tried" decision repeated the search's own note."""
    from PIL import Image as PILImage

    from qualipress.io.discover import REPORT_NAME
    from qualipress.pipeline.batch import read_report
    from tests.search.test_lossless import C1, graphic

    src = tmp_path / "graphic.png"
    PILImage.fromarray(graphic()).save(src)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpegxl", "--target", ",".join(C1),
                 "--no-film"]) == 0
    text = capsys.readouterr().out
    rec = read_report(out / REPORT_NAME)[0]
    assert rec["codec"] == "jpegxl" and rec["setting"] is None
    assert "smaller than lossy" in rec["lossless_smaller"] and not rec.get("fallback")
    decisions = " ".join(rec["decisions"])
    assert "kept lossless" in decisions and "lossless fallback tried" not in decisions
    assert "fallbacks" not in text and "note" not in text
    assert "lossless smaller" in text and "1 file(s): the lossless file met the target" in text
    assert main(["compress", str(src), "-o", str(tmp_path / "out2"), "--codec", "jpegxl", "--target", ",".join(C1),
                 "--no-film", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["per_file"][0]
    assert row["fallback"] is None and "smaller than lossy" in row["lossless_smaller"]


def test_failed_stdin_reason_is_not_mangled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd) -> None:
    """The failure recap hides the input's path in the reason; for stdin ('-') it must not replace every hyphen."""
    from PIL import Image

    src = tmp_path / "p.jpg"
    Image.fromarray(photo_like(64, 80, seed=0)).save(src, quality=90)
    data = src.read_bytes()

    class FakeStdin:
        buffer = io.BytesIO(data[: len(data) // 2])  # truncated JPEG: "ends before its end-of-image marker"

    monkeypatch.setattr(sys, "stdin", FakeStdin())
    assert main(["compress", "-", "-o", "-", "--codec", "webp", "--target", "ssim>=0.9", "--no-film"]) == 1
    err = capfd.readouterr().err
    recap = [line for line in err.splitlines() if line.startswith("failed 1 file(s) (-)")]
    assert recap, err
    assert "<file>" not in recap[0]


def test_info_does_not_call_a_display_p3_photo_srgb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # QA: `info` of an Adobe RGB COCO photo said "colorspace srgb (ICC: Adobe RGB (1998))"
    from PIL import Image as PILImage

    from tests.pipeline.test_jxl_icc import P3

    src = tmp_path / "p3.png"
    PILImage.fromarray(photo_like(32, 40)).save(src, icc_profile=P3)
    assert main(["info", str(src), "--json"]) == 0
    colorspace = json.loads(capsys.readouterr().out)["colorspace"]
    assert "Display P3 (test)" in colorspace and not colorspace.startswith("srgb")


def test_named_output_larger_than_the_input_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """QA: ``-o big.avif`` keeps the source out of the never-grow candidates (it is not an AVIF), so a strict target
    wrote an AVIF 11x the JPEG input with exit 0 and nothing said; it is still written (the format was asked) but
    the ok line warns, unless --allow-larger says this is wanted."""
    from PIL import Image as PILImage

    src = tmp_path / "q30.jpg"
    PILImage.fromarray(photo_like(64, 80, seed=4)).save(src, quality=30)
    for extra, warned in (([], True), (["--allow-larger"], False)):
        out = tmp_path / f"big{len(extra)}.avif"
        assert main(["compress", str(src), "-o", str(out), "--target", "psnr>=60", "--no-film", *extra]) == 0
        assert out.stat().st_size > src.stat().st_size
        text = capsys.readouterr().out
        assert ("larger than the input" in text) is warned, text


def test_budget_miss_is_not_counted_as_a_fallback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # QA: a byte budget nothing fits was stored as a "fallback", so the summary said "fell back to lossless mode".
    src = _png(tmp_path)
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "webp", "--target", "bytes<=50",
                 "--no-film", "--json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert all(row["fallbacks"] == 0 and row["missed"] == 1 for row in got["per_codec"])
    rec = json.loads(next(out.glob("*.jsonl")).read_text().splitlines()[0])
    assert not rec.get("fallback") and "50" in rec["miss_reason"]
    assert main(["compress", str(src), "-o", str(tmp_path / "out2"), "--codec", "webp", "--target", "bytes<=50",
                 "--no-film"]) == 1
    text = capsys.readouterr().out
    assert "fell back" not in text and "fits 50" in text.replace(",", "")


def test_dry_run_says_which_files_would_fail_on_bit_depth(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.png"
    write_image(deep, as_image(photo_like(32, 40, seed=2).astype("uint16") * 257, bit_depth=16))
    flat = _png(tmp_path, "flat.png")
    args = ["compress", str(deep), str(flat), "-o", str(tmp_path / "out"), "--codec", "jpeg", "--no-film"]
    assert main([*args, "--dry-run", "--json"]) == 0
    rows = {Path(r["input"]).name: r for r in json.loads(capsys.readouterr().out)["files"]}
    assert rows["flat.png"]["would_fail"] is None
    reason = rows["deep.png"]["would_fail"]
    assert reason and "16-bit" in reason
    assert main([*args, "--dry-run", "--bit-depth", "8", "--json"]) == 0  # the remedy clears it
    assert all(r["would_fail"] is None for r in json.loads(capsys.readouterr().out)["files"])
    assert main([*args, "--json"]) == 1  # the real run fails that file with the same words
    failed = [r for r in json.loads(capsys.readouterr().out)["per_file"] if r.get("error")]
    assert len(failed) == 1 and reason in failed[0]["error"]


def test_dry_run_for_web_predicts_what_the_run_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """QA 8: under ``--for web`` the dry run said a linear float EXR would be compressed (the run refuses it:
    not display-referred) and that a 16-bit PNG would fail with ``--codec webp`` (the run reduces it to 8 bits);
    a log DPX is refused by the run too. Every would-fail line must be the run's own reason, and only then."""
    import numpy as np

    from qualipress.io.dpx import encode_dpx

    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "deep.png", as_image(photo_like(32, 40, seed=2).astype("uint16") * 257, bit_depth=16))
    write_image(src / "light.exr", as_image(np.random.default_rng(0).random((24, 32, 3)).astype(np.float32)))
    (src / "log.dpx").write_bytes(encode_dpx(photo_like(24, 32, seed=3).astype(np.uint16) * 4, bit_size=10,
                                             transfer=3))  # logarithmic
    _png(src, "flat.png")
    for codec in ("webp", "auto"):
        args = ["compress", str(src), "-o", str(tmp_path / f"out-{codec}"), "--for", "web", "--codec", codec,
                "--no-film", "--json"]
        assert main([*args, "--dry-run"]) == 0
        said = {Path(r["input"]).name: r["would_fail"] for r in json.loads(capsys.readouterr().out)["files"]}
        main(args)
        ran = {Path(r["input"]).name: r.get("error") for r in json.loads(capsys.readouterr().out)["per_file"]}
        assert said.keys() == ran.keys() == {"deep.png", "light.exr", "log.dpx", "flat.png"}
        for name, error in ran.items():
            assert (said[name] is None) == (error is None), (codec, name, said[name], error)
            assert error is None or said[name] in error
        assert said["deep.png"] is None and "display-referred" in said["light.exr"]


def test_named_jxl_says_the_smaller_transcode_missed_the_target(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """QA: ``-o x.jxl`` from a JPEG with psnr>=55: the bit-exact transcode measured below the target (libjxl
    decodes JPEG data differently), a lossless JXL larger than the input was written, and the warning said there
    was no smaller candidate."""
    import re

    from PIL import Image as PILImage

    src = tmp_path / "p.jpg"
    PILImage.fromarray(photo_like(128, 160, seed=4)).save(src, quality=95)
    out = tmp_path / "p.jxl"
    assert main(["compress", str(src), "-o", str(out), "--target", "psnr>=55", "--no-film", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["per_file"][0]
    grew = [w for w in row.get("warnings") or [] if "larger than the input" in w]
    assert len(grew) == 1 and "no smaller candidate" not in grew[0], grew
    said = re.search(r"JPEG XL transcode \(([\d,]+) bytes\) was smaller but missed the target", grew[0])
    assert said and int(said.group(1).replace(",", "")) < out.stat().st_size
    # QA 8: the warning gives what the transcode measured (below 55 dB) and reads as advice, not as if
    # --allow-larger had been given
    measured = re.search(r"as decoded by libjxl \([^)]*psnr ([\d.]+)", grew[0])
    assert measured and float(measured.group(1)) < 55
    assert "pass --allow-larger when a larger output is wanted" in grew[0] and "says this is wanted" not in grew[0]


def test_encode_says_what_the_format_cannot_carry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """QA 8: ``encode p3.jpg -o x.jp2`` dropped the Display P3 profile (and the EXIF) without a word, while
    compress's report names it; a viewer then shows the colours as sRGB. (JP2 holds them now; JPEG-LS does not.)"""
    from PIL import Image as PILImage

    from tests.pipeline.test_jxl_icc import P3

    src = tmp_path / "p3.jpg"
    exif = PILImage.Exif()
    exif[0x010F] = "QA8"
    PILImage.fromarray(photo_like(40, 48, seed=7)).save(src, quality=92, icc_profile=P3, exif=exif.tobytes())
    assert main(["encode", str(src), "-o", str(tmp_path / "x.jls"), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["not_carried"] == ["exif", "icc"]
    assert "jpegls cannot carry exif, icc" in captured.err
    for keeps in ("x.png", "x.jp2"):  # both keep the profile and the EXIF
        assert main(["encode", str(src), "-o", str(tmp_path / keeps), "--json"]) == 0
        captured = capsys.readouterr()
        assert "not_carried" not in json.loads(captured.out) and "cannot carry" not in captured.err
