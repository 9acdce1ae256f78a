"""QA 19 web: a byte budget nothing fits, where the kept source is the nearest miss, still says what the asked
codec could do.

Found: ``compress tiny_7x3.png --codec jpeg --target "bytes<=50"`` (a 134-byte PNG) said only "no source:png
setting fits 50 bytes (smallest tried: 134 bytes at lossless)": the JPEG asked for (284 bytes at quality 1, its
header alone is larger than the budget) was not named, and a kept source has no settings.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.cli import main


def test_budget_miss_names_the_asked_codec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "tiny.png"
    PILImage.fromarray(np.random.default_rng(7).integers(0, 256, (3, 7, 3), dtype=np.uint8)).save(src)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--codec", "jpeg", "--target", "bytes<=50",
                 "--json", "--no-film"]) == 1
    rec = json.loads(capsys.readouterr().out)["per_file"][0]
    assert rec["codec"] == "source:png"
    assert "no jpeg setting fits 50 bytes" in rec["miss_reason"], rec["miss_reason"]
    assert "source:png setting" not in rec["miss_reason"]
