"""QA session 13 (web): a truncated HEIC's error is one line.

Found: libheif ends its message with a newline, so the CLI printed "... (points to file position 379)" and a lone
")" on the next line, in the progress lines and in the failure summary.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import InputError
from qualipress.io import read_image


def test_a_truncated_heic_fails_with_one_line(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    px = np.random.default_rng(3).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    whole = tmp_path / "whole.heic"
    pillow_heif.from_bytes(mode="RGB", size=(96, 64), data=px.tobytes()).save(whole, quality=70)
    cut = tmp_path / "cut.heic"
    cut.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) // 2])
    with pytest.raises(InputError) as info:
        read_image(cut)
    message = str(info.value)
    assert "cut.heic" in message and "\n" not in message, repr(message)
