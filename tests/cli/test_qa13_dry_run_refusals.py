"""QA session 13 (web): ``--dry-run`` says which files the run would refuse from their first bytes.

Found: ``compress bad/ anim/ -o OUT --dry-run`` listed an empty file, an animated WebP and a text file named
``.png`` as "would compress"; the run refuses each of them before decoding anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.io import as_image, write_image
from tests.conftest import photo_like


def test_dry_run_names_what_the_run_refuses_before_decoding(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "good.png", as_image(photo_like(32, 40, seed=1)))
    (src / "empty.jpg").write_bytes(b"")
    (src / "text.png").write_text("not an image\n")
    frames = [PILImage.fromarray(np.full((16, 16, 3), v, np.uint8)) for v in (10, 120, 240)]
    frames[0].save(src / "anim.webp", save_all=True, append_images=frames[1:], duration=50)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--dry-run", "--json"]) == 0
    rows = {Path(f["input"]).name: f["would_fail"] for f in json.loads(capsys.readouterr().out)["files"]}
    assert rows["good.png"] is None
    assert "empty file" in rows["empty.jpg"]
    assert "not a recognised image format" in rows["text.png"]
    assert "animated WEBP (3 frames)" in rows["anim.webp"]
    assert not (tmp_path / "out").exists()
