"""``compare``'s table: a metric measured on the whole image only (SSIMULACRA2, Butteraugli) shows no tile
statistics, instead of repeating its one value under "min tile", "p1" and "p5"."""

from __future__ import annotations

import json

import pytest

from qualipress import codecs
from qualipress.cli import main
from qualipress.io import as_image, write_image
from tests.conftest import photo_like


def test_whole_image_metric_has_no_tile_columns(tmp_path, capsys, monkeypatch):
    pytest.importorskip("ssimulacra2")
    monkeypatch.setenv("COLUMNS", "200")
    img = as_image(photo_like(h=160, w=192))
    ref = tmp_path / "a.png"
    write_image(ref, img)
    dis = tmp_path / "a.jpg"
    dis.write_bytes(codecs.get("jpeg").encode(img, quality=40))
    assert main(["compare", str(ref), str(dis), "--metric", "ssim", "--metric", "ssimulacra2"]) == 0
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:6]]
            for line in capsys.readouterr().out.splitlines() if line.count("│") >= 6}
    assert rows["ssimulacra2"][1:] == ["-", "-", "-"]
    assert all(c != "-" for c in rows["ssim"])
    assert main(["compare", str(ref), str(dis), "--metric", "ssimulacra2", "--json"]) == 0
    assert "value" in json.loads(capsys.readouterr().out)["ssimulacra2"]  # the JSON is the library's, unchanged
