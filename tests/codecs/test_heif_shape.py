"""A shape x265 refuses is a clear UnsupportedError, not 'unexpected RuntimeError' (QA: an 8193x3 strip)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qualipress import codecs
from qualipress.cli import main
from qualipress.errors import UnsupportedError
from qualipress.io import as_image, write_image


def _heif():
    try:
        return codecs.get("heif")
    except Exception as exc:  # pillow-heif not installed
        pytest.skip(str(exc))


def test_heif_refuses_a_strip_x265_cannot_open() -> None:
    strip = np.random.default_rng(0).integers(0, 255, (16, 5000, 3), dtype=np.uint8)
    with pytest.raises(UnsupportedError, match="x265 cannot encode a 5000x16 image"):
        _heif().encode(as_image(strip), quality=50)


def test_compress_says_so_without_unexpected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _heif()
    src = tmp_path / "strip.png"
    write_image(src, as_image(np.random.default_rng(1).integers(0, 255, (16, 5000, 3), dtype=np.uint8)))
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "heif", "--no-film", "--allow-larger"]) == 1
    text = capsys.readouterr()
    assert "x265 cannot encode" in text.out + text.err and "unexpected" not in text.out + text.err
    # with the source as a never-grow candidate the source is kept and the decisions say why heif was skipped
    assert main(["compress", str(src), "-o", str(tmp_path / "kept"), "--codec", "heif", "--no-film"]) == 0
    rec = json.loads((tmp_path / "kept" / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert any("x265 cannot encode" in d for d in rec["decisions"]), rec["decisions"]
