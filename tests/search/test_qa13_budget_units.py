"""QA session 13 (web): byte budgets written as users write them.

Found: ``--target "bytes<=20k"`` (also ``20KB``, ``0.02MB``, ``20000B``) was refused with "expected
[SCOPE:]METRIC[@STAT]>=VALUE, e.g. 'ssim>=0.95'", which does not say how a budget is written, and
``size<=20000`` listed the known metrics without ``bytes``.
"""

from __future__ import annotations

import pytest

from qualipress.errors import TargetError
from qualipress.search import parse_target


@pytest.mark.parametrize(("text", "budget"), [
    ("bytes<=20000", 20_000), ("bytes<=20k", 20_000), ("bytes<=20KB", 20_000), ("bytes<=20kB", 20_000),
    ("bytes<=20 kb", 20_000), ("bytes<=20KiB", 20_480), ("bytes<=0.5MB", 500_000), ("bytes<=1MiB", 1_048_576),
    ("bytes<=20000B", 20_000),
])
def test_a_byte_budget_takes_a_unit(text: str, budget: int) -> None:
    assert parse_target(text).budget == budget


def test_only_a_byte_budget_takes_a_unit() -> None:
    with pytest.raises(TargetError, match="unit"):
        parse_target("psnr>=38kb")
    with pytest.raises(TargetError, match="unit"):
        parse_target("bytes<=20 parsecs")


@pytest.mark.parametrize("text", ["size<=20000", "bytes<20000", "filesize<=20k"])
def test_a_misspelt_budget_is_told_how_to_write_one(text: str) -> None:
    with pytest.raises(TargetError, match="bytes<="):
        parse_target(text)


def test_a_budget_too_large_for_a_number_is_a_target_error():
    import pytest as _pytest

    from qualipress.errors import TargetError
    from qualipress.search.targets import parse_constraint

    with _pytest.raises(TargetError):
        parse_constraint("bytes<=1e400")
