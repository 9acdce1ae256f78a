"""``bench search`` prints its Markdown table one row per line: the console wrapped each row at 80 columns, so
the table a user pasted into a ``.md`` file no longer parsed (UX 17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from qualipress.cli import main


def test_bench_search_table_rows_are_not_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "set"
    data.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(data / "a.png")
    assert main(["bench", "search", str(data), "-o", str(tmp_path / "res"), "--codecs", "jpeg",
                 "--targets", "ssim>=0.9", "--modes", "cold"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    assert len(rows) >= 3, rows  # header, rule, one row at least
    assert all(line.rstrip().endswith("|") for line in rows), rows
    assert len({line.count("|") for line in rows}) == 1, rows
