"""``info``'s text lines: the file size once, with thousands separators (it was printed twice, bare)."""

from __future__ import annotations

import json

from qualipress.cli import main
from qualipress.io import as_image, write_image
from tests.conftest import photo_like


def test_info_prints_the_size_once_and_readable(tmp_path, capsys):
    path = tmp_path / "a.png"
    write_image(path, as_image(photo_like(h=200, w=240)))
    size = path.stat().st_size
    assert size >= 1000
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{size:,}" in out and str(size) not in out
    assert main(["info", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["bytes"] == size  # the JSON keeps the number


def test_info_gives_a_jpeg_comment_as_its_size(tmp_path, capsys):
    """rev10: fix17's COM payloads were printed as a Python bytes repr (a 60 kB comment, 60 kB of escapes)."""
    import numpy as np
    from PIL import Image

    path = tmp_path / "a.jpg"
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(path, comment=b"caf\xc3\xa9 \xff" * 2000)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "comment: 1 segment(s), 14,000 bytes" in out and "\\x" not in out
    assert main(["info", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["comment"] == "1 segment(s), 14,000 bytes"
