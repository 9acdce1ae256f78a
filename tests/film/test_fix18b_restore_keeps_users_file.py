"""fix18b: restore into a folder already holding an identical file (the originals' folder) leaves that file as the
user has it: "already restored" re-applied the archived mode and mtime, turning a protective 0444 back into the
archived 0644."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from qualipress.film.archive import archive_paths, restore_archive


def test_restore_over_a_users_identical_files_leaves_their_mode_and_time(dpx_sequence: Path, tmp_path: Path) -> None:
    frames = sorted(dpx_sequence.glob("*.dpx"))
    for f in frames:
        os.chmod(f, 0o644)
        os.utime(f, ns=(1_000_000_000, 1_000_000_000))
    arch, back = tmp_path / "arch", tmp_path / "back"
    archive_paths([dpx_sequence], arch)
    back.mkdir()
    kept = back / frames[0].name  # the user's own copy, write-protected, of another time
    shutil.copyfile(frames[0], kept)
    os.chmod(kept, 0o444)
    os.utime(kept, ns=(7_000_000_000, 7_000_000_000))
    res = restore_archive(arch, back)
    assert not res.errors
    got = kept.stat()
    assert (got.st_mode & 0o777, got.st_mtime_ns) == (0o444, 7_000_000_000)
    for f in frames[1:]:  # the frames this restore wrote get the archived attributes, as before
        st = (back / f.name).stat()
        assert (st.st_mode & 0o777, st.st_mtime_ns) == (0o644, 1_000_000_000), f.name
        assert (back / f.name).read_bytes() == f.read_bytes()
