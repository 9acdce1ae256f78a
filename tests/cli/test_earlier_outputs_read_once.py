"""Issue 11: the report of an input folder that holds an earlier run's outputs is read once per command.

Before: the CLI read it to say what it skips (``_expand``), then the batch read it again to leave the outputs out
(``expand_inputs``); ``--dry-run`` likewise read it twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.io import as_image, write_image
from qualipress.pipeline import batch
from tests.conftest import photo_like


@pytest.mark.parametrize("dry_run", [False, True])
def test_an_input_folders_report_is_read_once(tmp_path: Path, monkeypatch, capsys, dry_run: bool) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    for i in range(2):
        write_image(src / f"p{i}.png", as_image(photo_like(48, 64, seed=i)))
    assert main(["compress", str(src), "-o", str(src), "--codec", "jpeg", "--no-film"]) == 0
    reads: list[Path] = []
    real = batch._reported_outputs

    def counted(path: Path, *args, **kwargs):
        reads.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(batch, "_reported_outputs", counted)
    capsys.readouterr()
    out = tmp_path / "other"
    assert main(["compress", str(src), "-o", str(out), "--codec", "jpeg", "--no-film",
                 *(["--dry-run"] if dry_run else [])]) == 0
    assert "skipped 2 earlier output(s)" in capsys.readouterr().err
    assert [p.parent for p in reads].count(src) == 1, reads
    if not dry_run:
        assert sorted(p.name for p in out.glob("*.jpg")) == ["p0.jpg", "p1.jpg"]  # the outputs were left out
