"""fix18c: the seal sidecar ``<output>.xmp`` (outputs that cannot hold the seal: WebP, AVIF, HEIF ...) goes through
the run's output guard. A foreign ``a.webp.xmp`` (darktable names its sidecars ``<image>.<ext>.xmp``) in the output
folder was overwritten without a word by the collection's ``finish``; now the job fails with the guard's message
(unless ``--overwrite``), ``--dry-run`` predicts it, and a sidecar this run's settings made is still replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.io import as_image, write_image
from tests.conftest import photo_like

_ARGS = ["--target", "ssim>=0.9", "--codec", "webp"]


def _setup(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    write_image(src / "a.png", as_image(photo_like(48, 64, seed=0)))
    return src, out, ["compress", str(src), "-o", str(out), *_ARGS]


def _json(capsys: pytest.CaptureFixture[str], args: list[str], rc: int = 0) -> dict:
    capsys.readouterr()
    assert main([*args, "--json"]) == rc
    return json.loads(capsys.readouterr().out)


def test_a_foreign_seal_sidecar_is_refused_and_predicted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _src, out, run = _setup(tmp_path)
    side = out / "a.webp.xmp"
    side.write_bytes(b"foreign darktable sidecar")
    (row,) = _json(capsys, [*run, "--dry-run"])["files"]
    # "may": the source kept (never grow, a.png and its free a.png.xmp) would not be refused
    assert row["blocking_output"] == str(side) and "was not made by this run's settings" in row["may_fail"]
    failed = _json(capsys, run, rc=1)["failed"]
    assert [f["error"] for f in failed] == [row["may_fail"]]
    assert side.read_bytes() == b"foreign darktable sidecar" and not (out / "a.webp").exists()
    assert _json(capsys, [*run, "--overwrite"])["processed"] == 1
    assert b"foreign" not in side.read_bytes() and (out / "a.webp").is_file()


def test_a_rerun_recognises_its_own_seal_sidecar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _src, out, run = _setup(tmp_path)
    assert _json(capsys, run)["processed"] == 1
    side = out / "a.webp.xmp"
    assert side.is_file()
    assert _json(capsys, run)["processed"] == 0  # resumed
    (out / "a.webp").unlink()  # its output gone: the job is redone, its own sidecar replaced
    row = _json(capsys, [*run, "--dry-run"])["files"][0]
    assert not row.get("would_fail") and not row.get("may_fail")
    assert _json(capsys, run)["processed"] == 1
    assert side.is_file() and (out / "a.webp").is_file()
    assert main(["verify", str(out)]) == 0


def test_a_report_that_did_not_record_the_seal_sidecar_still_owns_it(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # a report written before the seal sidecar was recorded under "sidecars": the record's "seal" names it
    _src, out, run = _setup(tmp_path)
    assert _json(capsys, run)["processed"] == 1
    report = out / "qualipress-report.jsonl"
    recs = [json.loads(line) for line in report.read_text().splitlines()]
    for rec in recs:
        rec.pop("sidecars", None)
    report.write_text("".join(json.dumps(r) + "\n" for r in recs))
    (out / "a.webp").unlink()
    assert _json(capsys, run)["processed"] == 1
    assert (out / "a.webp.xmp").is_file() and (out / "a.webp").is_file()
