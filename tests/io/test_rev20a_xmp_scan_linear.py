"""Review of QA 20 web: the XMP packets of a motion photo's video, and the GPS elements inside them, were found
by lazy regular expressions (``<x:xmpmeta ...>.*?</x:xmpmeta>``, ``<exif:GPS...[^>]*>.*?</...>``) that scan on to
the end from every start tag lacking its end (or its ``>``): quadratic in a JPEG's trailer, which any file may
carry. 220 KB of ``<x:xmpmeta `` took 26 s of CPU in ``info`` and ``--metadata strip-gps``, 220 KB of
``<exif:GPSa `` in one packet 88 s; the files below took tens of minutes. Run in a child process whose limit
(120 s; about 0.1 s now) turns such a hang into a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHILD = """
import io, sys
import numpy as np
from PIL import Image
from qualipress.io.metadata import scrub_jpeg, video_has_place
buf = io.BytesIO()
Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, "JPEG")
tail = {
    "packets": b"<x:xmpmeta " * 150_000,
    "elements": b"<x:xmpmeta>" + b"<exif:GPSa " * 60_000 + b"</x:xmpmeta>",
    "open elements": b"<x:xmpmeta>" + b"<exif:GPSa>" * 60_000 + b'<exif:GPSb x="1">here</exif:GPSb></x:xmpmeta>',
}[sys.argv[1]]
data = buf.getvalue() + tail
out = scrub_jpeg(data, "strip-gps")
assert len(out) == len(data)
if sys.argv[1] == "open elements":  # the GPS element after the unclosed ones still goes
    assert b"here" not in out and b"GPSb" not in out and out.count(b"<exif:GPSa>") == 60_000
print(video_has_place(data))
"""


@pytest.mark.parametrize("kind", ["packets", "elements", "open elements"])
def test_many_start_tags_without_end_tags_are_scanned_once(kind: str) -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run([sys.executable, "-c", CHILD, kind], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("True" if kind == "open elements" else "False")
