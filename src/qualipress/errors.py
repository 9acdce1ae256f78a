"""Exception hierarchy. The library raises these; only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class QualipressError(Exception):
    """Base class of every error qualipress raises on purpose."""


class InputError(QualipressError):
    """An input file or array cannot be used (corrupt, truncated, wrong format, bad dimensions, NaN...)."""


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
