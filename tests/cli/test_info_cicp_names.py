"""misc18: ``qualipress info`` printed an AVIF's colour box as the raw list ``[9, 16, 9, False]``; it now says the
primaries, transfer, matrix and range in words with their numbers (``--json`` keeps the numbers)."""

from __future__ import annotations

import json
from pathlib import Path

import imagecodecs
import numpy as np
import pytest

from qualipress.cli import main
from qualipress.io.metadata import describe_cicp
from tests.conftest import photo_like


def test_info_names_the_cicp_code_points(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "hdr.avif"
    px = (photo_like(48, 64).astype(np.uint16) * 1023 // 255).astype(np.uint16)
    path.write_bytes(imagecodecs.avif_encode(px, level=90, speed=8, bitspersample=10, primaries=9, transfer=16,
                                             matrix=9))
    assert main(["info", str(path)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("cicp:"))
    assert "primaries BT.2020 (9)" in line and "transfer PQ (SMPTE ST 2084) (16)" in line
    assert "matrix BT.2020 non-constant (9)" in line and "range" in line
    assert main(["info", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["cicp"][:3] == [9, 16, 9]


def test_describe_cicp_says_reserved_codes_and_full_range() -> None:
    assert describe_cicp([1, 13, 0, True]) == ("primaries BT.709/sRGB (1), transfer sRGB (13), matrix identity (RGB) "
                                               "(0), full range")
    assert "primaries reserved (3)" in describe_cicp([3, 2, 2, 0]) and "limited (video) range" in describe_cicp(
        [3, 2, 2, 0])
