"""QA session 18: two ``archive`` runs into one folder (compress already refused the second run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.errors import OutputError
from qualipress.film import manifest
from qualipress.film.archive import archive_paths
from qualipress.io.discover import LOCK_NAME
from qualipress.io.files import exclusive_lock


def test_a_second_archive_run_into_the_same_folder_is_refused(dpx_sequence: Path, tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    arch.mkdir()
    # a first run is writing there. Before: both runs archived every frame, each appending its records to one
    # manifest (every frame twice, and with other --codecs, a manifest record that need not be the .qpl on disk)
    with exclusive_lock(arch / LOCK_NAME, what=str(arch)), pytest.raises(OutputError, match="another qualipress run"):
        archive_paths([dpx_sequence], arch)
    assert not list(arch.glob("*.qpl")) and not manifest.load(arch)
    res = archive_paths([dpx_sequence], arch)  # once the first has finished
    assert len(res.records) == 4 and not res.errors
