"""``verify`` on collections written by ``compress`` (the archive side is covered in ``test_archive.py``)."""

from __future__ import annotations

from pathlib import Path

from qualipress.cli import main
from qualipress.film.verify import verify_collection
from qualipress.io import as_image, write_image
from tests.conftest import photo_like


def test_sources_inside_the_output_directory_are_not_unlisted(tmp_path: Path) -> None:
    # QA: `compress dir -o dir` then `verify dir` reported every source image as an unlisted file.
    work = tmp_path / "photos"
    work.mkdir()
    write_image(work / "a.png", as_image(photo_like(64, 80)))
    assert main(["compress", str(work), "-o", str(work), "--target", "ssim>=0.9", "--codec", "webp"]) == 0
    assert verify_collection(work).ok
    (work / "stray.png").write_bytes((work / "a.png").read_bytes())  # a file no record names is still found
    assert verify_collection(work).unlisted == ["stray.png"]
