"""What ``--help`` shows a new user: a value column that says what to type (nothing after a flag), and a help
text for every option of the everyday commands."""

from __future__ import annotations

import re

import pytest
import typer

from qualipress.cli import command_tree, main

EVERYDAY = ["compress", "encode", "decode", "compare", "info", "codecs", "profiles", "demo", "analyse", "archive",
            "restore", "verify", "report", "roi", "roi-report"]


def _help(capsys, monkeypatch, *command: str) -> str:
    monkeypatch.setenv("COLUMNS", "200")
    assert main([*command, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", [[], ["compress"], ["encode"], ["bench", "search"], ["film", "make-testset"]],
                         ids=lambda c: " ".join(c) or "qualipress")
def test_flags_show_no_value_and_lists_show_their_item(capsys, monkeypatch, command):
    out = _help(capsys, monkeypatch, *command)
    assert "<bool>" not in out  # '--json <bool>' read as if the flag took a value ('--json true' fails)
    assert not re.search(r"<list\[", out), out  # '--target <list[str]>': the option is repeated, one value each


def test_compress_help_names_each_value_kind(capsys, monkeypatch):
    out = _help(capsys, monkeypatch, "compress")
    target = next(line for line in out.splitlines() if "--target" in line)
    assert "<str>" in target
    assert re.search(r"--jobs\s+-j\s+<int range>", out)


def test_every_everyday_option_has_a_help_text():
    group = command_tree()
    assert isinstance(group, typer.core.TyperGroup)
    missing = [f"{name} {p.opts[0]}" for name in EVERYDAY for p in group.commands[name].params
               if isinstance(p, typer.core.TyperOption) and not (p.help or "").strip()]
    assert not missing, missing


def _params(command, path):
    """Every (command path, option or argument) below ``command``."""
    for name, sub in getattr(command, "commands", {}).items():
        yield from _params(sub, [*path, name])
    for p in getattr(command, "params", []):
        if p.name != "help":
            yield " ".join(path), p


def test_every_help_text_is_a_sentence():
    """Help texts are written one way everywhere: the film commands' lower-case fragments without a full stop
    ('parallel worker processes') stood next to compress's 'Parallel worker processes.' (UX 17)."""
    bad = [f"{path} {p.name}: {p.help!r}" for path, p in _params(command_tree(), [])
           if (p.help or "").strip() and not p.help.strip().endswith(".")]
    assert not bad, bad


def test_no_help_text_is_eaten_as_rich_markup(capsys, monkeypatch):
    """Rich reads ``[@...]``, ``[a...]``, ``[#...]`` and ``[/...]`` in a help text as markup and drops them: the
    ``--target`` help showed ``[SCOPE:]METRIC>=VALUE``, without the ``[@STAT]`` it was written with (readme19)."""
    tag = re.compile(r"(?<!\\)\[[a-z#/@][^\[\]]*\]")
    bad = [f"{path} {p.name}: {p.help!r}" for path, p in _params(command_tree(), []) if tag.search(p.help or "")]
    assert not bad, bad
    assert "@STAT" in _help(capsys, monkeypatch, "compress")


def test_an_option_taking_two_values_shows_them_as_typed(capsys, monkeypatch):
    """``train-codec --help`` showed ``--step-range <float,float>...``; typed that way (``0.3,3``) it fails with
    "requires 2 arguments": the two values are given space-separated (qa20readme). Checked on every such option."""
    shown = {f"{path} {p.opts[0]}": p.metavar or p.display_type(None)  # display_type: what typer shows unset
             for path, p in _params(command_tree(), [])
             if isinstance(p, typer.core.TyperOption) and p.nargs > 1}
    bad = {k: v for k, v in shown.items() if "," in v or "..." in v or v.count("<") != 2}
    assert not bad, bad
    if "train-codec --step-range" in shown:  # the learned extra is installed
        assert shown["train-codec --step-range"] == "<float> <float>"
        assert "--step-range <float> <float>" in re.sub(r"[│ ]+", " ", _help(capsys, monkeypatch, "train-codec"))
