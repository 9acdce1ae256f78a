"""``--dry-run`` predicts what the run does with outputs already there (fix17): after ``compress photos/ -o out/``,
``compress photos/ -o out/ --metadata strip-gps --dry-run`` said "would compress" for every file, while the run
failed each with "exists and was not made by this run's settings". The dry run now asks the run's own rules
(``pipeline.batch.predict_outcomes``: the report's resume records, ``blocking_output``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.io import as_image, write_image
from tests.conftest import photo_like

# --allow-larger: no never-grow candidate (the PNG kept as a.png), so a foreign a.webp leaves the run no name to
# write and the dry run says "would fail"; with one, "may fail" (the run succeeds when it keeps the input: rev11)
_ARGS = ["--codec", "webp", "--target", "ssim>=0.9", "--no-film", "--allow-larger"]


def _dry(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict]:
    capsys.readouterr()
    assert main([*args, "--dry-run", "--json"]) == 0
    return {Path(r["input"]).name: r for r in json.loads(capsys.readouterr().out)["files"]}


def test_dry_run_says_what_the_run_does_with_existing_outputs(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    for i, name in enumerate(("a.png", "b.png")):
        write_image(src / name, as_image(photo_like(48, 64, seed=i)))
    out = tmp_path / "out"
    run = ["compress", str(src), "-o", str(out), *_ARGS]
    assert main(run) == 0
    same = _dry(capsys, *run)
    assert {n: r.get("already_done") for n, r in same.items()} == {"a.png": str(out / "a.webp"),
                                                                    "b.png": str(out / "b.webp")}
    assert not same["a.png"].get("would_fail")

    other = _dry(capsys, *run, "--metadata", "strip-gps")
    for name, row in other.items():
        assert "exists and was not made by this run's settings" in row["would_fail"]
        assert row["blocking_output"] == str(out / name.replace(".png", ".webp"))
    capsys.readouterr()
    assert main([*run, "--metadata", "strip-gps", "--json"]) == 1  # the run fails both, for that reason
    failed = json.loads(capsys.readouterr().out)["failed"]
    assert sorted(f["error"] for f in failed) == sorted(r["would_fail"] for r in other.values())
    assert all(not r.get("would_fail") for r in _dry(capsys, *run, "--metadata", "strip-gps", "--overwrite").values())

    write_image(src / "a.png", as_image(photo_like(48, 64, seed=7)))  # changed since these settings made a.webp
    changed = _dry(capsys, *run)
    assert "changed since these settings made" in changed["a.png"]["would_fail"]
    assert changed["b.png"]["already_done"]


def test_dry_run_text_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.png"
    write_image(src, as_image(photo_like(48, 64)))
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), *_ARGS]) == 0
    capsys.readouterr()
    assert main(["compress", str(src), "-o", str(out), *_ARGS, "--dry-run"]) == 0
    assert "already done" in capsys.readouterr().out
    assert main(["compress", str(src), "-o", str(out), *_ARGS, "--metadata", "strip", "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "would fail" in text and "1 would fail" in text


def test_dry_run_counts_a_recovered_output_of_a_changed_input(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """rev10: an interrupted run's marker holding a finished record of these settings keeps its output (the run
    appends the record), so a changed input then fails on that output; the dry run said "would compress"."""
    from qualipress.pipeline.batch import REPORT_NAME, _stem_marker

    src = tmp_path / "photos"
    src.mkdir()
    write_image(src / "a.png", as_image(photo_like(48, 64, seed=0)))
    out = tmp_path / "out"
    run = ["compress", str(src), "-o", str(out), *_ARGS]
    assert main(run) == 0
    report = out / REPORT_NAME
    rec = json.loads(report.read_text(encoding="utf-8").splitlines()[-1])
    report.unlink()  # the run was killed before its report line: only the marker holds the record
    marker = _stem_marker(out, out / "a")
    marker.parent.mkdir(exist_ok=True)
    marker.write_text(json.dumps({"paths": [rec["output"], *rec.get("sidecars", [])], "record": rec}),
                      encoding="utf-8")
    write_image(src / "a.png", as_image(photo_like(48, 64, seed=7)))
    row = _dry(capsys, *run)["a.png"]
    capsys.readouterr()
    assert main([*run, "--json"]) == 1
    failed = json.loads(capsys.readouterr().out)["failed"]
    assert [f["error"] for f in failed] == [row.get("would_fail")]
