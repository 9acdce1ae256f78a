"""rev20d: a GIF's comment extension may run to any length (sub-blocks joined), a JPEG COM segment to 65,533 bytes.
Since fix20 carried a GIF's comments into JPEG outputs, a 66 kB comment (not UTF-8) failed every JPEG encode of
the image ("JPEG segment of 66000 bytes is too long"); it is now left out and named as not carried, as a too-long
EXIF or XMP is."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from qualipress.cli import main


def test_a_comment_longer_than_a_com_segment_is_left_out_not_fatal(tmp_path: Path) -> None:
    comment = bytes([0xFF, 0xFE, 0x80]) * 22_000  # 66,000 bytes, not text
    buf = io.BytesIO()
    PILImage.fromarray(np.arange(24 * 40, dtype=np.uint8).reshape(24, 40) % 7, "P").save(buf, "GIF", comment=comment)
    (tmp_path / "a.gif").write_bytes(buf.getvalue())
    assert main(["compress", str(tmp_path / "a.gif"), "-o", str(tmp_path / "j"), "--codec", "jpeg"]) == 0
    record = json.loads((tmp_path / "j" / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert record["codec"] == "jpeg" and "comment" not in record["metadata"]["carried"]
    assert any("cannot carry comment" in d for d in record["decisions"]), record["decisions"]
