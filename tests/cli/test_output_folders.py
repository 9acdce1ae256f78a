"""Reruns into one output folder stay accounted for; earlier output folders are not re-ingested (issue 13 QA)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.film import manifest
from qualipress.film.verify import verify_collection
from qualipress.io import as_image, find_images, write_image
from qualipress.io.discover import is_output_dir
from tests.conftest import photo_like


def _png(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, as_image(photo_like(48, 64, seed=seed)))
    return path


def _compress(*args: str) -> int:
    return main(["compress", *args, "--target", "ssim>=0.85"])


def test_rerun_with_another_codec_lists_both_outputs(tmp_path: Path) -> None:
    src = _png(tmp_path / "in" / "a.png")
    out = tmp_path / "out"
    assert _compress(str(src.parent), "-o", str(out), "--codec", "webp") == 0
    assert _compress(str(src.parent), "-o", str(out), "--codec", "jpegxl") == 0
    assert (out / "a.webp").is_file() and (out / "a.jxl").is_file()
    sums = manifest.read_sums(out)
    assert {"a.webp", "a.jxl"} <= set(sums)
    rep = verify_collection(out, sample=0)
    assert rep.ok, rep.to_dict()
    assert rep.checked == 2
    # the same codec again rewrites nothing new: still one entry per file
    assert _compress(str(src.parent), "-o", str(out), "--codec", "jpegxl") == 0
    outputs = [r["output"] for r in manifest.current_entries(manifest.load(out)) if r.get("status") == "ok"]
    assert sorted(outputs) == ["a.jxl", "a.webp"]


def test_rerun_entries_follow_the_files(tmp_path: Path) -> None:
    # a later failure of the same source keeps the earlier output listed (the file is still there)
    src = _png(tmp_path / "in" / "a.png")
    out = tmp_path / "out"
    assert _compress(str(src.parent), "-o", str(out), "--codec", "webp") == 0
    src.write_bytes(b"not an image")
    assert _compress(str(src.parent), "-o", str(out), "--codec", "jpegxl") == 1
    assert "a.webp" in manifest.read_sums(out)
    assert verify_collection(out, sample=0).ok


def test_two_stdin_runs_into_one_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    for seed, codec in ((0, "webp"), (1, "jpeg2000")):
        data = _png(tmp_path / f"s{seed}.png", seed).read_bytes()

        class FakeStdin:
            buffer = io.BytesIO(data)

        monkeypatch.setattr(sys, "stdin", FakeStdin())
        assert _compress("-", "-o", str(out), "--codec", codec) == 0
    assert {"stdin.webp", "stdin.jp2"} <= set(manifest.read_sums(out))
    rep = verify_collection(out, sample=0)
    assert rep.ok and not rep.unlisted, rep.to_dict()


def test_parent_run_skips_earlier_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _png(tmp_path / "photos" / "a.png")
    _png(tmp_path / "photos" / "sub" / "b.png", 1)
    first = tmp_path / "photos" / "small"
    assert _compress(str(tmp_path / "photos"), "-o", str(first), "--codec", "webp", "--no-film") == 0
    assert is_output_dir(first) and not is_output_dir(tmp_path / "photos")
    capsys.readouterr()
    second = tmp_path / "again"
    assert main(["compress", str(tmp_path), "-o", str(second), "--codec", "webp", "--no-film",
                 "--target", "ssim>=0.85", "--json"]) == 0
    cap = capsys.readouterr()
    assert "skipped 1 earlier qualipress output folder" in cap.err and str(first) in cap.err
    files = {Path(r["input"]).name for r in json.loads(cap.out)["per_file"]}
    assert files == {"a.png", "b.png"}
    assert not list(second.rglob("*.webp.webp")) and not (second / "photos" / "small").exists()
    # named directly, an output folder is still an input
    skipped: list[Path] = []
    found = find_images([first], skipped_outputs=skipped)
    assert {f.path.name for f in found} == {"a.webp", "b.webp"} and skipped == []
    # a glob through it skips it as well
    skipped = []
    found = find_images([str(tmp_path / "photos" / "*" / "*.*")], skipped_outputs=skipped)
    assert {f.path.name for f in found} == {"b.png"} and skipped == [first]
    skipped = []
    found = find_images([str(tmp_path / "photos" / "**" / "*.*")], skipped_outputs=skipped)
    assert {f.path.name for f in found} == {"a.png", "b.png"} and skipped == [first]


def test_archive_collection_counts_as_output_folder(tmp_path: Path) -> None:
    d = tmp_path / "coll"
    d.mkdir()
    (d / manifest.MANIFEST).write_text("")
    assert not is_output_dir(d)  # a manifest alone is someone else's file name too
    (d / manifest.SUMS).write_text("")
    assert is_output_dir(d)


def test_same_file_name_in_two_subfolders_both_listed(tmp_path: Path) -> None:
    # the checksum list used to keep one record per source *name*: a/x.png and b/x.png left one output unlisted
    _png(tmp_path / "in" / "a" / "x.png")
    _png(tmp_path / "in" / "b" / "x.png", 1)
    out = tmp_path / "out"
    assert _compress(str(tmp_path / "in"), "-o", str(out), "--codec", "webp") == 0
    assert {"a/x.webp", "b/x.webp"} <= set(manifest.read_sums(out))
    assert verify_collection(out, sample=0).ok


def test_second_stdin_same_codec_names_stdin_not_a_temp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """QA (qa2): the refusal of a second stdin into one folder with the same codec named the private temporary
    copy (/tmp/qualipress-stdin-*/stdin.png)."""
    out = tmp_path / "out"
    codes = []
    for seed in (0, 1):
        data = _png(tmp_path / f"s{seed}.png", seed).read_bytes()

        class FakeStdin:
            buffer = io.BytesIO(data)

        monkeypatch.setattr(sys, "stdin", FakeStdin())
        codes.append(_compress("-", "-o", str(out), "--codec", "webp"))
    assert codes == [0, 1]
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "qualipress-stdin" not in text
    assert "FAILED   stdin" in text and str(out / "stdin.webp") in text


def test_stdin_runs_record_dash_and_the_hash_not_the_temp_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA: report and manifest stored the private temporary copy (/tmp/qualipress-stdin-*/stdin.png) as the
    source, a path deleted when the run ends; the same bytes piped again were then never recognised as done."""
    import hashlib

    out = tmp_path / "out"
    data = _png(tmp_path / "s.png").read_bytes()
    for _ in range(2):

        class FakeStdin:
            buffer = io.BytesIO(data)

        monkeypatch.setattr(sys, "stdin", FakeStdin())
        assert _compress("-", "-o", str(out), "--codec", "webp") == 0
    lines = [json.loads(x) for x in (out / "qualipress-report.jsonl").read_text().splitlines()]
    assert len(lines) == 1  # the second pipe of the same bytes resumed
    assert lines[0]["input"] == "-" and lines[0]["input_sha256"] == hashlib.sha256(data).hexdigest()
    text = (out / "qualipress-report.jsonl").read_text() + (out / manifest.MANIFEST).read_text()
    assert "qualipress-stdin" not in text
    entry = manifest.current_entries(manifest.load(out))[0]
    assert entry["source_path"] == "-" and entry["source_sha256"] == hashlib.sha256(data).hexdigest()
    assert verify_collection(out, sample=1).ok


def test_outputs_written_next_to_their_inputs_are_not_inputs_of_later_runs(tmp_path: Path, capsys) -> None:
    """`-o` = the input folder puts outputs among the inputs: a later run from that folder into another folder,
    or into the same one with another codec, took them as inputs (a name collision stopped it, exit 2)."""
    src = tmp_path / "photos"
    for i in range(2):
        _png(src / f"p{i}.png", seed=i)
    assert _compress(str(src), "-o", str(src), "--codec", "jpeg", "--no-film") == 0
    assert len(list(src.glob("*.jpg"))) == 2
    capsys.readouterr()
    assert _compress(str(src), "-o", str(tmp_path / "web"), "--codec", "webp", "--no-film", "--json") == 0
    assert json.loads(capsys.readouterr().out)["files"] == 2
    assert sorted(p.name for p in (tmp_path / "web").glob("*.webp")) == ["p0.webp", "p1.webp"]
    assert _compress(str(src), "-o", str(src), "--codec", "webp", "--no-film", "--json") == 0
    assert json.loads(capsys.readouterr().out)["files"] == 2
    assert main(["compress", str(src), "-o", str(tmp_path / "dry"), "--dry-run", "--json"]) == 0
    assert sorted(Path(r["input"]).name for r in json.loads(capsys.readouterr().out)["files"]) == ["p0.png",
                                                                                                    "p1.png"]
    # an earlier output named as an input is still compressed: the user asked for it
    assert _compress(str(src / "p0.jpg"), "-o", str(tmp_path / "again"), "--codec", "webp", "--no-film") == 0
    assert (tmp_path / "again" / "p0.webp").is_file()


def test_an_output_folder_named_as_input_is_compressed(tmp_path: Path) -> None:
    # review of session 11: an earlier run wrote e/ from inputs elsewhere; naming e/ as the input of a later run
    # must compress its files (they are the user's inputs now), not skip them as "earlier outputs"
    src = _png(tmp_path / "in" / "a.png")
    e = tmp_path / "e"
    assert _compress(str(src.parent), "-o", str(e), "--codec", "webp") == 0
    f = tmp_path / "f"
    assert _compress(str(e), "-o", str(f), "--codec", "png") == 0
    assert (f / "a.webp").is_file()  # compressed (here the source is kept: a PNG of it would be larger)
