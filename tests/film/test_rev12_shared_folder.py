"""rev12: an archive and a compress run sharing one folder (QA session 18 keeps both in its manifest) must not
read each other's records: the compress records name the same source file, written after the archive's."""

from __future__ import annotations

from pathlib import Path

from qualipress.cli import main
from qualipress.film.archive import archive_paths, missing_frames, restore_archive
from qualipress.io import dpx
from tests.conftest import photo_like


def _shared(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "scans"
    src.mkdir()
    (src / "reel.1001.dpx").write_bytes(dpx.encode_dpx(photo_like(48, 64, seed=8)[..., :3].astype("uint16") * 4))
    col = tmp_path / "col"
    assert main(["archive", str(src), "-o", str(col)]) == 0
    assert main(["compress", str(src), "-o", str(col), "--codec", "htj2k", "--target", "ssim>=0.9"]) == 0
    return src, col


def test_an_archive_rerun_after_a_compress_run_into_its_folder_redoes_nothing(tmp_path: Path) -> None:
    src, col = _shared(tmp_path)
    again = archive_paths([src], col)
    # before: the compress record (no mtime) was the frame's latest, so every frame was archived again
    assert not again.records and again.skipped == ["reel.1001.dpx"], again


def test_restore_of_a_shared_folder_sees_a_missing_qpl_and_the_recorded_attributes(tmp_path: Path) -> None:
    src, col = _shared(tmp_path)
    mtime = (src / "reel.1001.dpx").stat().st_mtime_ns
    res = restore_archive(col, tmp_path / "back")
    assert (tmp_path / "back" / "reel.1001.dpx").stat().st_mtime_ns == mtime  # before: today's time
    assert [r["status"] for r in res.records] == ["ok"]
    (col / "reel.1001.dpx.qpl").unlink()
    # before: the compress record (its .jhc intact) hid the archive's, and a lost .qpl was not reported
    assert [r["archive"] for r in missing_frames(col)] == ["reel.1001.dpx.qpl"]
