"""Exception hierarchy. The library raises these; only the CLI turns them into messages and exit codes.

Also the one probe of an optional backend (:func:`backend_available`): whether :class:`CodecUnavailableError`
(or a metric's missing package) would be the answer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType


class QualipressError(Exception):
    """Base class of every error qualipress raises on purpose."""


class InputError(QualipressError):
    """An input file or array cannot be used (corrupt, truncated, wrong format, bad dimensions, NaN...)."""


class NonFiniteError(InputError):
    """A float image that reads but holds NaN or infinite samples, which no lossy coder or metric can take.

    ``nan`` and ``inf`` count the samples, ``samples`` is how many the image has; the file itself is readable
    (its facts, and a bit-exact archive, are still possible)."""

    def __init__(self, message: str, *, nan: int = 0, inf: int = 0, samples: int = 0) -> None:
        super().__init__(message)
        self.nan, self.inf, self.samples = nan, inf, samples


class UnsupportedError(QualipressError):
    """A valid input that a codec or operation cannot handle (bit depth, alpha, channel count...)."""


class CodecError(QualipressError):
    """An encoder or decoder failed, or produced data that does not decode."""


class CodecUnavailableError(CodecError):
    """A codec's backend library is not installed. The message names the pip extra to install."""


def backend_available(module: str, check: Callable[[ModuleType], object] | None = None) -> bool:
    """True when the optional backend ``module`` imports and, given ``check``, ``check(module)`` is true.

    Any exception is "not available": a broken install (a missing shared library, an ABI mismatch) raises
    more than :class:`ImportError`.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"jxlpy"`` or ``"PIL._avif"``.
    check : callable, optional
        Called with the imported module, for a backend present with a feature missing (an imagecodecs build
        without one codec, a libavif without AOM).
    """
    try:
        mod = importlib.import_module(module)
        return True if check is None else bool(check(mod))
    except Exception:
        return False


class TargetError(QualipressError):
    """A quality target string or profile is malformed or names an unknown metric."""


class ModelError(QualipressError):
    """A model file is missing, corrupt or for another architecture."""


class OutputError(QualipressError):
    """An output cannot be written (unwritable directory, disk full, refusing to overwrite)."""


class IndexWriteError(OutputError):
    """A batch processed every input, but the output folder's index (a capability's manifest and hash list) could
    not be written at the end (disk full...). ``summary`` is the batch's result: its files are finished and in the
    report, and a rerun resumes them and writes the index."""

    def __init__(self, message: str, summary: object = None) -> None:
        super().__init__(message)
        self.summary = summary


class Interrupted(BaseException):
    """The run was asked to stop (SIGINT / Ctrl-C or SIGTERM).

    A ``BaseException`` like ``KeyboardInterrupt``, so per-file ``except Exception`` handlers let it through;
    batches stop their workers and keep what finished. ``exit_code`` is the shell convention ``128 + signal``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signum)


class ExitCode(Exception):  # noqa: N818 - an exit code, not an error
    """Raised by CLI commands (core and capabilities) to set the process exit code without printing.

    Lives here, in the bottom layer, so capability CLIs need not import the core CLI.
    """

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code
