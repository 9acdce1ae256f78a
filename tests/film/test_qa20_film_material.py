"""qa20film fresh material: what ``analyse`` says of frames the reader takes only in part."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main


def test_analyse_names_the_exr_parts_it_did_not_analyse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # compress said "only part 'beauty' is compressed"; analyse analysed the first part with no word of the other
    openexr = pytest.importorskip("OpenEXR")
    rng = np.random.default_rng(5)
    rgb = rng.uniform(0.1, 0.9, (40, 48, 3)).astype(np.float32)

    def head() -> dict:
        return {"compression": openexr.ZIP_COMPRESSION, "type": openexr.scanlineimage}

    shot = tmp_path / "shot"
    shot.mkdir()
    parts = [openexr.Part(head(), {"R": rgb[..., 0].copy(), "G": rgb[..., 1].copy(), "B": rgb[..., 2].copy()},
                          "beauty"), openexr.Part(head(), {"Z": np.ones((40, 48), np.float32)}, "depth")]
    openexr.File(parts).write(str(shot / "sh.0001.exr"))
    assert main(["analyse", "--no-text", str(shot)]) == 0
    assert ("    warning: analysed as read: EXR holds 2 parts: only part 'beauty' is compressed, not 'depth' (Z)"
            in capsys.readouterr().out)
