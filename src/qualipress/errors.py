"""Exception hierarchy. The library raises these; only the CLI turns them into messages and exit codes."""

from __future__ import annotations


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
