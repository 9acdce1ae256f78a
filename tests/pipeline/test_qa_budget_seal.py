"""QA: a byte budget holds for the file written, seal included."""

import json

import pytest
from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.film.seal import read_seal
from tests.conftest import photo_like


@pytest.mark.parametrize("codec", ["jpegxl", "jpeg2000"])
def test_embedded_seal_never_pushes_a_file_over_its_budget(tmp_path, codec):
    """``compress --codec jpegxl --target bytes<=40000`` wrote 40,624-byte Kodak files reported as met: the film
    seal (an XMP box of ~860 bytes) was embedded after the search had fitted the budget."""
    src = tmp_path / "in" / "a.png"
    src.parent.mkdir()
    PILImage.fromarray(photo_like(256, 256, seed=5)).save(src)
    out = tmp_path / "out"
    budget = 12000
    assert main(["compress", str(src), "-o", str(out), "--codec", codec, "--target", f"bytes<={budget}"]) == 0
    rec = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[-1])
    data = (out / rec["output"]).read_bytes()  # an absolute "output" stays itself
    assert rec["target_met"]
    assert len(data) <= budget
    assert rec["bytes"] == len(data)
    if read_seal(data) is None:  # the seal went beside the file instead
        assert rec["seal"] == "sidecar"
        assert (out / "a.jxl.xmp").exists() or (out / "a.jp2.xmp").exists()
