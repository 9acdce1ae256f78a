"""The one progress-bar style of every command: description, bar, done/total, elapsed time and ETA (rich).

It sits in the bottom layer so that the core CLI and the capability CLIs (``film``, ``preprocess``, ``review``),
which may not import the core CLI, draw the same bar. Library code never draws: a batch function that knows its
total before it starts calls :func:`announce` on the callback it was given, which a :class:`Bar` turns into the
bar's total (any other callback ignores it).

Examples
--------
>>> with progress_bar("archiving") as bar:                    # doctest: +SKIP
...     archive_paths(inputs, out, progress=bar.callback(on_record))
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


def announce(progress: Any, total: int) -> None:
    """Tell a progress callback how many calls to expect (a no-op for a callback that is not a bar's)."""
    start = getattr(progress, "start", None)
    if callable(start):
        start(total)


class _Callback:
    """A record callback that also advances its bar; :func:`announce` reaches :meth:`start`."""

    def __init__(self, bar: Bar, on_record: Callable[[Any], None] | None) -> None:
        self.bar = bar
        self.on_record = on_record

    def start(self, total: int) -> None:
        self.bar.set_total(total)

    def __call__(self, record: Any = None) -> None:
        self.bar.advance()
        if self.on_record is not None:
            self.on_record(record)


class Bar:
    """A running bar, or plain lines when the output is not a terminal (``live`` False).

    Attributes
    ----------
    live : bool
        Whether a bar is drawn; callers print per-item lines only when it is not, and problems either way.
    """

    def __init__(self, progress: Progress | None, task: TaskID | None, console: Console) -> None:
        self._progress = progress
        self._task = task
        self.console = console
        self.live = progress is not None

    def set_total(self, total: int | None) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=total)

    def advance(self, n: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)

    def line(self, text: str, *, err: bool = False) -> None:
        """Print a line (above the bar when one is drawn); ``err`` sends plain lines to stderr."""
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr if err else sys.stdout, flush=True)

    def callback(self, on_record: Callable[[Any], None] | None = None) -> Callable[[Any], None]:
        """A progress callback for a batch function: advances the bar, then calls ``on_record(record)``."""
        return _Callback(self, on_record)


@contextmanager
def progress_bar(description: str, total: int | None = None, *, enabled: bool = True,
                 console: Console | None = None) -> Iterator[Bar]:
    """A progress bar for the duration of the block (only on a terminal and when ``enabled``).

    Parameters
    ----------
    description : str
        Shown left of the bar (``"compressing"``).
    total : int, optional
        Number of items; None until :meth:`Bar.set_total` or :func:`announce` says (the bar then pulses and the
        count reads ``n/?``).
    enabled : bool
        False draws nothing (``--json`` output).
    console : rich.console.Console, optional
        Where the bar is drawn (default: a console on stdout).

    Yields
    ------
    Bar
    """
    console = console or Console()
    if not enabled or not console.is_terminal:
        yield Bar(None, None, console)
        return
    # CLI start-up: rich.progress is loaded by the first bar drawn, not by `qualipress --help`
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("eta"), TimeRemainingColumn(), console=console) as prog:
        yield Bar(prog, prog.add_task(description, total=total), console)
