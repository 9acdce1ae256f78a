"""fix19: two ``restore`` runs into one folder (archive, compress, labels and ``bench rd`` already refused it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.errors import OutputError
from qualipress.film.archive import archive_paths, restore_archive
from qualipress.io.files import exclusive_lock


def test_a_second_restore_into_the_same_folder_is_refused(dpx_sequence: Path, tmp_path: Path) -> None:
    arch, back = tmp_path / "arch", tmp_path / "back"
    archive_paths([dpx_sequence], arch)
    back.mkdir()
    # a first restore is writing there. Before: the second decoded every frame again, and one of another archive
    # with a frame of the same name replaced the first run's file after it had reported it restored
    with exclusive_lock(back, what=str(back)), pytest.raises(OutputError, match="another qualipress"):
        restore_archive(arch, back)
    assert not list(back.glob("*.dpx"))
    res = restore_archive(arch, back)  # once the first has finished
    assert len(res.records) == 4 and not res.errors
    # the lock leaves no file: the folder holds the originals only, and stays no output folder
    assert sorted(p.name for p in back.iterdir()) == sorted(p.name for p in dpx_sequence.iterdir())
