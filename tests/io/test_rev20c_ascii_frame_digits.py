"""Frame numbers are ASCII digits only (rev20c).

Python's ``\\d`` also matches the digits of other scripts, so ``shot.١٢٣.dpx`` (Arabic-Indic) was frame 123 of
``shot.#.dpx`` — a "duplicate" of ``shot.0123.dpx`` in the film report, and a member of ``shot.%04d.dpx`` — though
no printf ``%04d`` writes such a name and no film tool reads it as a frame number.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.film.sequence import group
from qualipress.io.discover import find_images, frame_number
from qualipress.pipeline.schedule import sequence_key

OTHER_DIGITS = ["shot.\u0661\u0662\u0663.dpx", "shot.\uff11\uff12\uff13.dpx", "shot.\u07c1\u07c2.dpx",
                "shot.\u0967\u0968\u0969.dpx"]  # Arabic-Indic, full-width, NKo, Devanagari


@pytest.mark.parametrize("name", OTHER_DIGITS)
def test_other_scripts_digits_are_not_a_frame_number(name: str) -> None:
    assert frame_number(name) is None
    assert sequence_key(Path("/d") / name) == (f"/d/{name}", None)


def test_no_false_duplicate_in_a_sequence() -> None:
    (seq, *alone) = group([Path("/d/shot.0123.dpx"), Path("/d/shot.0124.dpx"), Path("/d/shot.\u0661\u0662\u0663.dpx")])
    assert seq.key == "/d/shot.#.dpx" and seq.duplicates() == [] and len(seq.frames) == 2
    assert [s.frames[0].number for s in alone] == [None]


def test_a_printf_pattern_takes_ascii_digits_only(tmp_path: Path) -> None:
    for name in ("shot.0001.dpx", "shot.\u0660\u0660\u0660\u0662.dpx"):
        (tmp_path / name).write_bytes(b"SDPX")
    assert [f.rel.as_posix() for f in find_images([tmp_path / "shot.%04d.dpx"])] == ["shot.0001.dpx"]
