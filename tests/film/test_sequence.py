"""Frame numbering, sequence grouping and gaps."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.errors import InputError
from qualipress.film import sequence


def test_parse_name_variants() -> None:
    f = sequence.parse_name(Path("/a/reel1.0001234.dpx"))
    assert f.number == 1234 and f.padding == 7 and f.sequence == "/a/reel1.#.dpx"
    assert sequence.parse_name(Path("/a/shot_0012.TIF")).number == 12
    assert sequence.parse_name(Path("/a/still.dpx")).number is None


def test_gaps_duplicates_and_frame_order(tmp_path: Path) -> None:
    names = ["r.0001.dpx", "r.0002.dpx", "r.0005.dpx", "r.0009.dpx", "r.001.dpx", "other_01.tif"]
    for n in names:
        (tmp_path / n).write_bytes(b"x")
    paths = sequence.find_frames([tmp_path])
    seqs = {s.key.rsplit("/", 1)[1]: s for s in sequence.group(paths)}
    r = seqs["r.#.dpx"]
    assert r.gaps() == [(3, 4), (6, 8)] and r.missing_count() == 5
    assert r.duplicates() == [1]
    assert [f.path.name for f in r.frames] == ["r.0001.dpx", "r.001.dpx", "r.0002.dpx", "r.0005.dpx", "r.0009.dpx"]
    assert [f.path.name for s in seqs.values() if s is not r for f in s.frames] == ["other_01.tif"]


def test_missing_input_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        sequence.find_frames([tmp_path / "nope"])
    with pytest.raises(InputError, match="no frame files"):
        sequence.find_frames([tmp_path])
