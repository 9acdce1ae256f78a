"""Ctrl-C and SIGTERM while the command line is still starting (importing numpy, the codecs, typer...).

Loading the command line takes one to several seconds on a busy machine, and the CLI's own stop handler
(:func:`qualipress.cli._stop_signals`) is only installed once that is done. Before it, Python's defaults apply: a
``KeyboardInterrupt`` traceback, or death by SIGTERM (a caller sees return code -2 or -15). This module is
imported first by ``qualipress/__init__`` and, only when this process *is* the ``qualipress`` command (the console
script, or ``python -m qualipress`` / ``python -m qualipress.cli``), installs handlers that print the usual
one line and exit 130 / 143. A program that merely imports qualipress keeps its own handlers.

Standard library only, and nothing from qualipress: it must be cheap and run before anything heavy.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

#: Printed when a run is stopped by Ctrl-C or SIGTERM (also by the CLI once it runs).
INTERRUPTED = "interrupted — rerun to resume"

#: Module names that ``python -m`` runs as the ``qualipress`` command.
_MAIN_MODULES = frozenset({"qualipress", "qualipress.__main__", "qualipress.cli", "qualipress.cli.__main__"})


def starting_cli(argv: list[str] | None = None, orig_argv: list[str] | None = None) -> bool:
    """Whether this process is the ``qualipress`` command being loaded.

    Parameters
    ----------
    argv, orig_argv
        ``sys.argv`` and ``sys.orig_argv`` (the defaults); parameters for tests.

    Returns
    -------
    bool
        True for the console script (``argv[0]`` named ``qualipress``) and for ``python -m`` of one of
        :data:`_MAIN_MODULES` while Python is still locating it (``argv[0]`` is ``"-m"`` then).
    """
    argv = sys.argv if argv is None else argv
    orig_argv = getattr(sys, "orig_argv", []) if orig_argv is None else orig_argv
    if not argv:
        return False
    if os.path.basename(argv[0]).removesuffix(".exe") == "qualipress":
        return True
    if argv[0] != "-m":
        return False
    for i, arg in enumerate(orig_argv):
        if arg == "-m":
            return i + 1 < len(orig_argv) and orig_argv[i + 1] in _MAIN_MODULES
        if arg.startswith("-m") and len(arg) > 2:  # python -mqualipress
            return arg[2:] in _MAIN_MODULES
    return False


def _stop(signum: int, _frame: FrameType | None) -> None:
    """Nothing has started yet, so there is nothing to keep: one line, and exit ``128 + signum``."""
    sys.stderr.write(INTERRUPTED + "\n")
    sys.stderr.flush()
    raise SystemExit(128 + signum)  # unwinds the imports without a traceback


def guard() -> None:
    """Install :func:`_stop` for SIGINT and SIGTERM when :func:`starting_cli` (in the main thread only)."""
    if not starting_cli():
        return
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _stop)
    except ValueError:  # not the main thread of the main interpreter
        return
