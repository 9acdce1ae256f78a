"""The collection report stays proportionate: its 1:1 crops are image files beside the HTML, not data URIs in it.

QA (qa7): a report over 24 frames was 13 MB of HTML, nearly all of it 24 base64 PNG crops (each worst frame's
worst tile and flattest region, source | output | difference, in two worst-frame tables).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.film.report import build_report
from tests.conftest import photo_like


def _collection(tmp_path: Path, n: int = 3) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        arr = photo_like(300, 320, seed=i).astype(np.int16) + rng.normal(0, 2, (300, 320, 3)).astype(np.int16)
        PILImage.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(src / f"f{i}.png")
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpeg", "--target", "ssim>=0.9",
                 "--no-film"]) == 0
    return out


def _linked(page: str) -> list[str]:
    return re.findall(r"<img src='([^']+)'", page)


def test_crops_are_linked_files_and_the_html_is_small(tmp_path: Path) -> None:
    out = _collection(tmp_path)
    report = tmp_path / "r" / "report.html"
    build_report([out], report)
    page = report.read_text()
    crops = [u for u in _linked(page) if not u.startswith("data:")]
    assert len(crops) == 3  # one flattest-region crop per worst frame (no film tile without film checks)
    files = [report.parent / u for u in crops]
    assert all(f.is_file() and f.parent == report.parent / "report_files" for f in files)
    with PILImage.open(files[0]) as im:
        assert im.size == (3 * 256 + 8, 256)  # still 1:1: source | output | difference
    # the page is a fraction of its pictures: only the small histograms stay inline
    assert report.stat().st_size < sum(f.stat().st_size for f in files) / 4
    assert not any(u.startswith("data:") and len(u) > 100_000 for u in _linked(page))


def test_a_rerun_replaces_its_crops_and_leaves_other_files(tmp_path: Path) -> None:
    out = _collection(tmp_path, n=2)
    report = tmp_path / "report.html"
    build_report([out], report)
    folder = tmp_path / "report_files"
    stale = folder / "r0099-flattest-region.png"
    stale.write_bytes(b"old")
    mine = folder / "notes.txt"
    mine.write_text("a user's file")
    build_report([out], report)
    assert not stale.exists() and mine.read_text() == "a user's file"
    assert {p.name for p in folder.glob("*.png")} == {Path(u).name for u in _linked(report.read_text())
                                                     if not u.startswith("data:")}


def test_report_cli_names_the_image_folder(tmp_path: Path, capsys) -> None:
    out = _collection(tmp_path, n=1)
    assert main(["report", str(out), "-o", str(tmp_path / "report.html")]) == 0
    assert "report_files" in capsys.readouterr().out


def test_a_later_run_over_the_parent_does_not_compress_the_crops(tmp_path: Path, capsys) -> None:
    """The crops are PNG files now: a report written inside a photo folder must not feed them to the next run."""
    out = _collection(tmp_path, n=1)
    build_report([out], tmp_path / "src" / "report.html")
    assert list((tmp_path / "src" / "report_files").glob("*.png"))
    capsys.readouterr()
    assert main(["compress", str(tmp_path / "src"), "-o", str(tmp_path / "again"), "--codec", "jpeg",
                 "--target", "ssim>=0.9", "--no-film", "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert "f0.png" in said and "r0000" not in said


def test_a_foreign_folder_of_that_name_is_left_alone(tmp_path: Path, capsys) -> None:
    """A browser's "Save page as" writes ``report_files/`` too: without the marker the report neither prunes nor
    writes there (review: prune removed any r####-*.png in it); the CLI says why and exits non-zero."""
    out = _collection(tmp_path, n=1)
    folder = tmp_path / "report_files"
    folder.mkdir()
    theirs = folder / "r0000-flattest-region.png"
    theirs.write_bytes(b"a saved page's picture")
    assert main(["report", str(out), "-o", str(tmp_path / "report.html")]) != 0
    assert theirs.read_bytes() == b"a saved page's picture" and len(list(folder.iterdir())) == 1
    assert "report_files" in capsys.readouterr().err
