"""fix19: ``bench rd`` wrote rd.png and report.html after letting go of its folder's lock, so a second run starting
then could rewrite the curves the report was being made from (a report mixing two runs' files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.errors import OutputError
from qualipress.io.discover import LOCK_NAME
from qualipress.io.files import exclusive_lock
from qualipress.rd import report


def test_the_plot_and_the_report_are_written_under_the_lock(dataset: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r"
    unlocked: list[str] = []

    def checked(write):
        def wrapper(path, *a, **k):
            try:
                with exclusive_lock(out / LOCK_NAME, what=str(out)):
                    unlocked.append(Path(path).name)  # another run could have taken the folder here
            except OutputError:
                pass
            return write(path, *a, **k)
        return wrapper

    monkeypatch.setattr(report, "atomic_write_bytes", checked(report.atomic_write_bytes))
    monkeypatch.setattr(report, "atomic_write_text", checked(report.atomic_write_text))
    assert main(["bench", "rd", str(dataset), "-o", str(out), "--codecs", "jpeg", "--qualities", "50,90",
                 "--metrics", "psnr"]) == 0
    assert (out / "rd.png").is_file() and (out / "report.html").is_file()
    assert unlocked == []
