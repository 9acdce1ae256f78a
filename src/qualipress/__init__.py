"""qualipress: compress images and film frames to the smallest file that provably meets a quality target.

The shared core is :mod:`qualipress.io` (one :class:`~qualipress.io.Image` type), :mod:`qualipress.codecs`
(one codec table), :mod:`qualipress.metrics` (fast full-reference metrics with per-tile statistics),
:mod:`qualipress.search` (quality-targeted search) and :mod:`qualipress.pipeline` (safe batch runs).
Capabilities (``film``, ``roi``, ``preprocess``, ``learned``, ``review``) build on that core; data flows one way.
"""

# First, before anything heavy: Ctrl-C / SIGTERM while the ``qualipress`` command is still loading exit 130 / 143
# with one line, not a traceback (only when this process is that command; see qualipress._startup).
from qualipress import _startup

_startup.guard()

from importlib.metadata import PackageNotFoundError, version  # noqa: E402

try:
    __version__ = version("qualipress")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

# The codec table registers the file formats that ``qualipress.io.read_image`` reads through codecs
# (WebP, JPEG XL, JPEG 2000, AVIF, HEIF, .qlc); ``io`` sits below ``codecs`` and never imports it.
from qualipress import codecs as _codecs  # noqa: F401, E402

__all__ = ["__version__"]
