"""Process pools and a Dask LocalCluster give the same archive as a serial run."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.film import manifest
from qualipress.film.archive import archive_paths, restore_archive


def _sums(d: Path) -> dict[str, str]:
    return manifest.read_sums(d)


def test_process_pool_matches_serial(dpx_sequence: Path, tmp_path: Path) -> None:
    a = archive_paths([dpx_sequence], tmp_path / "serial", codecs=("jpegls",))
    b = archive_paths([dpx_sequence], tmp_path / "pool", codecs=("jpegls",), jobs=2)
    assert not a.errors and not b.errors
    assert _sums(tmp_path / "serial") == _sums(tmp_path / "pool")


@pytest.mark.slow
def test_dask_local_cluster(dpx_sequence: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        res = archive_paths([dpx_sequence], tmp_path / "dask", codecs=("jpegls",), scheduler=lc.scheduler_address)
        assert not res.errors and len(res.records) == 4
        back = restore_archive(tmp_path / "dask", tmp_path / "back", scheduler=lc.scheduler_address)
        assert not back.errors
    for p in dpx_sequence.iterdir():
        assert (tmp_path / "back" / p.name).read_bytes() == p.read_bytes()


def test_unreachable_scheduler_is_a_clear_error(dpx_sequence: Path, tmp_path: Path) -> None:
    from qualipress.errors import QualipressError

    pytest.importorskip("distributed")
    with pytest.raises(QualipressError, match="cannot reach the Dask scheduler"):
        archive_paths([dpx_sequence], tmp_path / "x", scheduler="tcp://127.0.0.1:9")


def test_pool_archives_each_shot_in_frame_order(dpx_sequence: Path, tmp_path: Path) -> None:
    shot_b = dpx_sequence / "b"
    shot_b.mkdir()
    for p in sorted(dpx_sequence.glob("reel.*.dpx")):
        (shot_b / p.name.replace("reel", "other")).write_bytes(p.read_bytes())
    res = archive_paths([dpx_sequence], tmp_path / "pool", codecs=("jpegls",), jobs=2)
    assert not res.errors and len(res.records) == 8
    for seq in {r["sequence"] for r in res.records}:
        frames = [r["frame"] for r in manifest.load(tmp_path / "pool") if r["sequence"] == seq]
        assert frames == sorted(frames) and len(frames) == 4
