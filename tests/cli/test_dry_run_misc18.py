"""misc18: ``--dry-run`` predicts what the run does (1) with an existing file named as only one of several candidate
codecs would name the output (the run's guard checks only the chosen codec's name: "may fail", not "would fail"),
(2) for one named output file (``-o FILE``) and for stdin (``-``), and (3) with an orphaned sidecar whose output
was deleted: the rerun redoes the work and replaces it (it refused it as "not made by this run's settings")."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.io import as_image, write_image
from tests.conftest import photo_like

_ARGS = ["--target", "ssim>=0.9", "--no-film"]


def _dry(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    capsys.readouterr()
    assert main([*args, "--dry-run", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["files"]


def _photos(tmp_path: Path) -> Path:
    src = tmp_path / "photos"
    src.mkdir()
    write_image(src / "a.png", as_image(photo_like(48, 64, seed=0)))
    return src


def test_an_existing_name_of_one_candidate_codec_may_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _photos(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.jpg").write_bytes(b"foreign")
    run = ["compress", str(src), "-o", str(out), "--codec", "jpeg,webp", *_ARGS]
    row = _dry(capsys, *run)[0]
    assert not row["would_fail"]
    assert "exists and was not made by this run's settings" in row["may_fail"]
    assert row["blocking_output"] == str(out / "a.jpg")
    # the source kept (a.png) is the one name left: may fail (rev11); without never-grow candidates, would fail
    assert _dry(capsys, "compress", str(src), "-o", str(out), "--codec", "jpeg", *_ARGS)[0]["may_fail"]
    assert _dry(capsys, "compress", str(src), "-o", str(out), "--codec", "jpeg", "--allow-larger",
                *_ARGS)[0]["would_fail"]
    capsys.readouterr()
    assert main([*run, "--dry-run"]) == 0
    assert "1 may fail" in capsys.readouterr().out
    capsys.readouterr()
    assert main([*run, "--json"]) == 0  # webp won: the run wrote a.webp beside the foreign a.jpg
    assert (out / "a.webp").is_file() and (out / "a.jpg").read_bytes() == b"foreign"


def test_named_output_file_and_stdin_are_predicted(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    src = _photos(tmp_path) / "a.png"
    named = tmp_path / "small.webp"
    named.write_bytes(b"there")
    row = _dry(capsys, "compress", str(src), "-o", str(named), *_ARGS)[0]
    assert row["would_fail"] == f"{named}: exists (use --overwrite)"
    capsys.readouterr()
    assert main(["compress", str(src), "-o", str(named), *_ARGS]) == 2  # the run refuses it in these words
    assert row["would_fail"] in " ".join(capsys.readouterr().err.split())
    assert not _dry(capsys, "compress", str(src), "-o", str(named), "--overwrite", *_ARGS)[0]["would_fail"]

    out = tmp_path / "out"

    def pipe() -> None:
        class FakeStdin:
            buffer = io.BytesIO(src.read_bytes())
        monkeypatch.setattr(sys, "stdin", FakeStdin())

    stdin_run = ["compress", "-", "-o", str(out), "--codec", "webp", *_ARGS]
    pipe()
    first = _dry(capsys, *stdin_run)[0]
    assert first["input"] == "-" and first["input_bytes"] == src.stat().st_size and not first.get("already_done")
    pipe()
    assert main(stdin_run) == 0
    pipe()
    assert _dry(capsys, *stdin_run)[0]["already_done"] == str(out / "stdin.webp")  # the run resumes it


def test_orphan_sidecar_of_a_deleted_output_is_redone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _photos(tmp_path)
    out = tmp_path / "out"
    run = ["compress", str(src), "-o", str(out), "--codec", "webp", "--save-mask", "--roi", "faces", *_ARGS]
    assert main(run) == 0
    assert (out / "a.roi-mask.png").is_file()
    (out / "a.webp").unlink()  # the output deleted, its sidecar and report record left
    row = _dry(capsys, *run)[0]
    assert not row["would_fail"] and not row.get("may_fail") and not row.get("already_done")
    capsys.readouterr()
    assert main([*run, "--json"]) == 0, capsys.readouterr().out  # it failed: "exists and was not made by ..."
    assert (out / "a.webp").is_file() and (out / "a.roi-mask.png").is_file()
    assert _dry(capsys, *run)[0]["already_done"] == str(out / "a.webp")


def test_orphan_report_record_of_a_deleted_output_is_redone(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    src = _photos(tmp_path)
    out = tmp_path / "out"
    run = ["compress", str(src), "-o", str(out), "--codec", "webp", *_ARGS]
    assert main(run) == 0
    (out / "a.webp").unlink()
    row = _dry(capsys, *run)[0]
    assert not row["would_fail"] and not row.get("already_done")
    capsys.readouterr()
    assert main([*run, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["processed"] == 1 and (out / "a.webp").is_file()


def test_a_foreign_file_named_as_a_sidecar_would_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The run's guard checks the sidecars too (``--save-mask``: ``a.roi-mask.png``); the dry run did not."""
    src = _photos(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.roi-mask.png").write_bytes(b"foreign")
    run = ["compress", str(src), "-o", str(out), "--codec", "webp", "--save-mask", "--roi", "faces", *_ARGS]
    row = _dry(capsys, *run)[0]
    assert row["blocking_output"] == str(out / "a.roi-mask.png")
    capsys.readouterr()
    assert main([*run, "--json"]) == 1
    assert [f["error"] for f in json.loads(capsys.readouterr().out)["failed"]] == [row["would_fail"]]
