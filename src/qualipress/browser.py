"""Headless Debian Chromium, shared by the decoder checks (:mod:`qualipress.roi.compat`) and the review UI tests.

One place for the launch flags (no sandbox inside containers, nothing that phones home) and for finding the
executable (``apt-get install chromium``; driven through Playwright, which is never allowed to download a
browser of its own).
"""

from __future__ import annotations

import shutil
from pathlib import Path

#: Flags for headless Debian Chromium.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str | None:
    """Path of Debian's chromium (``/usr/bin/chromium`` or on ``PATH``), or None."""
    p = Path("/usr/bin/chromium")
    return str(p) if p.exists() else shutil.which("chromium")
