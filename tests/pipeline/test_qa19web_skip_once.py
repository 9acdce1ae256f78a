"""QA 19 web: a codec that cannot carry the image is named once in the failure, not twice.

``compress cutout.avif -o cutout.jpg`` (RGBA source, the name picks jpeg and jpegli) failed with each codec's reason
printed twice: "skipped jpegli: codec 'jpegli' cannot carry alpha ...; skipped jpegli: jpegli cannot encode this
8-bit rgba image (codec 'jpegli' cannot carry alpha ...)" -- ``best_of`` tells ``on_skip`` and then raises the same
reason, and the race recorded both.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from qualipress.cli import main


def test_alpha_into_jpeg_names_each_codec_once(tmp_path: Path, capsys) -> None:
    rgba = np.zeros((24, 32, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[6:18, 8:24, 3] = 255
    src = tmp_path / "cutout.png"
    PILImage.fromarray(rgba).save(src)
    assert main(["compress", str(src), "-o", str(tmp_path / "cutout.jpg"), "--json", "--no-film"]) == 1
    err = json.loads(capsys.readouterr().out)["per_file"][0]["error"]
    assert "cannot carry alpha" in err
    for name in ("jpeg", "jpegli"):
        assert err.count(f"skipped {name}:") == 1, err
