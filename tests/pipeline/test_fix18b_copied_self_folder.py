"""fix18b: a folder compressed into itself (``-o`` = the input folder), copied, and compressed into itself again.
Its report names the old folder's inputs and outputs (absolute), so the copied outputs were taken for inputs
("inputs would write the same output name: in2/p0.jpg and in2/p0.png"), then refused as "not made by this run's
settings"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from qualipress.cli import main
from qualipress.film.verify import verify_collection
from qualipress.io import as_image, write_image
from tests.conftest import photo_like

ARGS = ["--codec", "jpeg", "--target", "ssim>=0.9"]


def _folder(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    write_image(src / "p0.png", as_image(photo_like(48, 64, seed=1)))
    write_image(src / "sub" / "p1.png", as_image(photo_like(48, 64, seed=2)))
    assert main(["compress", str(src), "-o", str(src), *ARGS]) == 0
    return src


def test_a_copy_of_a_folder_compressed_into_itself_resumes_into_itself(tmp_path: Path) -> None:
    src = _folder(tmp_path)
    copy = tmp_path / "in2"
    shutil.copytree(src, copy, symlinks=True)
    before = {p: p.read_bytes() for p in copy.rglob("*.jpg")}
    assert main(["compress", str(copy), "-o", str(copy), *ARGS]) == 0
    assert {p: p.read_bytes() for p in copy.rglob("*.jpg")} == before  # already done: nothing recompressed
    new = [json.loads(line) for line in (copy / "qualipress-report.jsonl").read_text().splitlines()][2:]
    assert not new, new  # no failure record, no record of a copied output taken as an input
    shutil.rmtree(src)
    rep = verify_collection(copy, sample=0)
    assert rep.ok and rep.checked == 2, rep


def test_a_moved_folder_compressed_into_itself_resumes_and_takes_a_new_image(tmp_path: Path) -> None:
    src = _folder(tmp_path)
    moved = tmp_path / "elsewhere" / "in3"
    moved.parent.mkdir()
    src.rename(moved)
    write_image(moved / "p2.png", as_image(photo_like(48, 64, seed=3)))
    assert main(["compress", str(moved), "-o", str(moved), *ARGS]) == 0
    assert sorted(p.relative_to(moved).as_posix() for p in moved.rglob("*.jpg")) == ["p0.jpg", "p2.jpg",
                                                                                       "sub/p1.jpg"]
    assert not list(moved.rglob("*.jpg.jpg")) and not list(moved.rglob("p0.*.jpg"))
