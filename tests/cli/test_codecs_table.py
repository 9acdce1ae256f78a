"""``qualipress codecs`` shows each codec's whole name, the word to type after ``--codec``: in an 80-column
terminal the table cut them to 'jpegxl-lossl…' and 'learned:bmsh…' (two rows that read the same) (UX 17)."""

from __future__ import annotations

import pytest

from qualipress import codecs
from qualipress.cli import main


def test_every_codec_name_is_shown_whole(capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qualipress.cli.console.width", 80)
    assert main(["codecs"]) == 0
    out = capsys.readouterr().out
    first_cells = {line.split("│")[1].strip() for line in out.splitlines() if line.count("│") > 2}
    missing = [n for n in [*codecs.names(), *codecs.prefixed_names()] if n not in first_cells]
    assert "jpegxl-lossless" in codecs.names()
    assert not missing, missing
