"""A held frame made with ``ln -s`` (a symbolic link to another frame of the shot) is recorded by ``archive`` as a
link (no payload), recreated by ``restore`` with the same relative text, checked by ``verify`` and counted by
``report`` (link19, issue 18 "Nothing is lost")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.film import manifest
from qualipress.film.archive import LINK, archive_paths


def _held(seq: Path, target: str | None = None) -> tuple[Path, str]:
    """``reel.0001006.dpx`` -> the shot's last frame (relative text unless ``target`` is given)."""
    last = sorted(seq.glob("*.dpx"))[-1]
    held = seq / "reel.0001006.dpx"
    held.symlink_to(target or last.name)
    return held, os.readlink(held)


def _link_records(arch: Path) -> list[dict]:
    return [r for r in manifest.load(arch) if r.get("status") == LINK]


def test_archive_records_a_held_frame_once_as_a_link(dpx_sequence: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    held, target = _held(dpx_sequence)
    arch = tmp_path / "arch"
    assert main(["archive", str(dpx_sequence), "-o", str(arch), "--codecs", "jpegls"]) == 0
    out = capsys.readouterr().out
    assert f"1 link(s) to frames recorded as links, restore recreates them: {held.name} -> {target}" in out
    recs = _link_records(arch)
    assert [(r["source"], r["target"], r["frame"]) for r in recs] == [(held.name, target, 1006)]
    assert "output" not in recs[0] and not list(arch.glob(held.name + "*"))  # no payload
    assert held.name not in manifest.read_sums(arch).values()
    # a rerun does not record it again
    assert main(["archive", str(dpx_sequence), "-o", str(arch), "--codecs", "jpegls"]) == 0
    assert "(1 recorded earlier)" in capsys.readouterr().out and len(_link_records(arch)) == 1
    # a link whose text changed is recorded again (the later record supersedes)
    held.unlink()
    held.symlink_to("./" + target)
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    assert [r["target"] for r in _link_records(arch)] == [target, "./" + target]
