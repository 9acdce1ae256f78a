"""A compress output folder copied or moved elsewhere and resumed there (qa18film)."""

from __future__ import annotations

import shutil
from pathlib import Path

from qualipress.cli import main
from qualipress.film.verify import verify_collection
from qualipress.io import as_image, write_image
from tests.conftest import photo_like


def test_a_copied_folder_resumed_lists_its_own_outputs(tmp_path: Path) -> None:
    # the report holds absolute output paths: after `cp -a out out2`, a rerun into out2 took out's files as done and
    # wrote them, absolute, into out2's manifest and SHA256SUMS, so verify of out2 checked (or missed) out's files
    src = tmp_path / "photos"
    src.mkdir()
    for i in (1, 2):
        write_image(src / f"p{i}.png", as_image(photo_like(48, 64, seed=i)))
    first, second = tmp_path / "out", tmp_path / "copy"
    args = ["--codec", "webp", "--target", "ssim>=0.9"]
    assert main(["compress", str(src), "-o", str(first), *args]) == 0
    shutil.copytree(first, second)
    assert main(["compress", str(src), "-o", str(second), *args]) == 0
    names = [line.split("  ", 1)[1] for line in (second / "SHA256SUMS").read_text().splitlines()]
    assert names == ["p1.webp", "p2.webp"], names
    shutil.rmtree(first)
    rep = verify_collection(second, sample=0)
    assert rep.ok and rep.checked == 2, rep
