"""QA 17: a JPEG source's further MPF images and trailing data are named in the decisions, with whether the chosen
output kept them (before, a phone photo's depth map or a motion photo's video was dropped without a word)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.cli import main
from qualipress.io import read_image
from qualipress.pipeline.delivery import _extras_fate, jpeg_extras_note
from tests.conftest import photo_like


def _mpo(path: Path) -> None:
    main_image = PILImage.fromarray(photo_like(96, 128))
    depth = PILImage.fromarray(photo_like(48, 64, seed=3)[..., 0])
    main_image.save(path, "MPO", save_all=True, append_images=[depth], quality=92)


def test_the_reader_counts_mpf_images_and_the_note_names_them(tmp_path: Path) -> None:
    _mpo(tmp_path / "a.jpg")
    meta = read_image(tmp_path / "a.jpg").metadata
    assert meta["mpf_images"] == 1 and meta["trailing_bytes"] > 0
    note = jpeg_extras_note(meta)
    assert note is not None and "1 further MPF image(s)" in note and "source:jpeg or transcode:jpegxl" in note
    assert jpeg_extras_note({"trailing_bytes": 1110}) is not None
    assert jpeg_extras_note({}) is None
    assert "keeps" in str(_extras_fate("source:jpeg", [note]))
    assert "dropped" in str(_extras_fate("webp", [note]))
    assert _extras_fate("webp", ["something else"]) is None


def test_the_kept_source_keeps_the_mpf_image(tmp_path: Path) -> None:
    _mpo(tmp_path / "a.jpg")
    src = (tmp_path / "a.jpg").read_bytes()
    data = codecs.get("source:jpeg").encode(read_image(tmp_path / "a.jpg"), source=src)
    with PILImage.open(io.BytesIO(data)) as im:
        assert im.n_frames == 2


@pytest.mark.parametrize("codec", ["webp"])
def test_compress_says_what_is_dropped(tmp_path: Path, codec: str, capsys: pytest.CaptureFixture[str]) -> None:
    _mpo(tmp_path / "a.jpg")
    out = tmp_path / "o"
    assert main(["compress", str(tmp_path / "a.jpg"), "-o", str(out), "--codec", codec, "--json"]) == 0
    capsys.readouterr()
    rec = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[-1])
    decisions = rec["decisions"]
    assert any(d.startswith("the source JPEG holds 1 further MPF image(s)") for d in decisions), decisions
    assert any(d.startswith(rec["codec"]) and ("dropped" in d or "keeps" in d) for d in decisions), decisions
