"""rev12: a collection whose index files are there but unreadable is damaged (exit 1), not "no collection"."""

from __future__ import annotations

from pathlib import Path

from qualipress.cli import main
from qualipress.film.verify import verify_collection
from qualipress.io import dpx
from tests.conftest import photo_like


def test_a_collection_with_both_index_files_damaged_is_reported_damaged(tmp_path: Path) -> None:
    src = tmp_path / "scans"
    src.mkdir()
    (src / "reel.1001.dpx").write_bytes(dpx.encode_dpx(photo_like(48, 64, seed=8)[..., :3].astype("uint16") * 4))
    col = tmp_path / "col"
    assert main(["archive", str(src), "-o", str(col)]) == 0
    # bit rot in a one-frame archive: its one manifest line and its one SHA256SUMS line no longer parse
    (col / "manifest.jsonl").write_bytes(b"\x00" * 40 + b"\n")
    (col / "SHA256SUMS").write_bytes(b"")
    rep = verify_collection(col, sample=0)  # before: InputError "not a qualipress collection", exit 2
    assert not rep.ok and "reel.1001.dpx.qpl" in rep.unlisted, rep
    assert main(["verify", str(col)]) == 1
