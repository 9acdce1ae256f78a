"""The one progress-bar style: a bar on a terminal, plain lines otherwise; totals announced by batch functions."""

from __future__ import annotations

import io

from rich.console import Console

from qualipress.progress import announce, progress_bar


def test_plain_lines_when_not_a_terminal(capsys):
    seen = []
    with progress_bar("work", 3) as bar:
        assert not bar.live
        cb = bar.callback(seen.append)
        cb({"n": 1})
        bar.line("done one")
        bar.line("trouble", err=True)
    out = capsys.readouterr()
    assert seen == [{"n": 1}]
    assert out.out == "done one\n" and out.err == "trouble\n"


def test_live_bar_counts_and_takes_the_announced_total():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    with progress_bar("archiving", console=console) as bar:
        assert bar.live
        cb = bar.callback()
        announce(cb, 4)
        for _ in range(4):
            cb(None)
        task = bar._progress.tasks[0]
        assert task.total == 4 and task.completed == 4 and task.description == "archiving"
        bar.line("note above the bar")
    text = buf.getvalue()
    assert "4/4" in text and "note above the bar" in text and "archiving" in text


def test_announce_ignores_plain_callbacks_and_disabled_bars_draw_nothing(capsys):
    announce(print, 5)  # no start attribute: nothing happens
    announce(None, 5)
    console = Console(file=io.StringIO(), force_terminal=True)
    with progress_bar("x", 2, enabled=False, console=console) as bar:
        assert not bar.live
        bar.advance()
    assert console.file.getvalue() == "" and capsys.readouterr().out == ""
