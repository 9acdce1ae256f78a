"""rev20e: awkward file names through the CLI's streams, ``SHA256SUMS`` and the XMP seal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _cli_env(encoding: str) -> dict[str, str]:
    src = str(Path(__file__).parents[2] / "src")
    return {**os.environ, "PYTHONIOENCODING": encoding, "LC_ALL": "C",
            "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}


def test_a_name_the_locale_cannot_encode_is_printed_escaped_not_a_traceback(dpx_sequence: Path,
                                                                            tmp_path: Path) -> None:
    first = sorted(dpx_sequence.iterdir())[0]
    try:
        first.rename(dpx_sequence / "\u00e9t\u00e9.0001001.dpx")
        (dpx_sequence / os.fsdecode(b"bad\xffbyte.0001006.dpx")).symlink_to("reel.0001005.dpx")
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    done = subprocess.run([sys.executable, "-m", "qualipress", "archive", str(dpx_sequence), "-o",
                           str(tmp_path / "a"), "--codecs", "jpegls"], env=_cli_env("ascii:strict"),
                          capture_output=True)
    assert done.returncode == 0, done.stderr[-400:]  # stopped at the first such name printed, mid-archive
    assert b"archived \\xe9t\\xe9.0001001.dpx" in done.stdout
    assert b"byte.0001006.dpx -> reel.0001005.dpx" in done.stdout  # click's echo: "?" for the byte in ASCII
