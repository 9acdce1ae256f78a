"""A held frame made with ``ln -s`` (a symbolic link to another frame of the shot) is recorded by ``archive`` as a
link (no payload), recreated by ``restore`` with the same relative text, checked by ``verify`` and counted by
``report`` (link19, issue 18 "Nothing is lost")."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.errors import InputError
from qualipress.film import manifest
from qualipress.film.archive import archive_paths, restore_archive
from qualipress.film.verify import verify_collection


def _held(seq: Path, target: str | None = None) -> tuple[Path, str]:
    """``reel.0001006.dpx`` -> the shot's last frame (relative text unless ``target`` is given)."""
    last = sorted(seq.glob("*.dpx"))[-1]
    held = seq / "reel.0001006.dpx"
    held.symlink_to(target or last.name)
    return held, os.readlink(held)


def _link_records(arch: Path) -> list[dict]:
    return [r for r in manifest.load(arch) if r.get("status") == manifest.LINK]


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


def test_restore_recreates_the_link_with_its_text(dpx_sequence: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    held, target = _held(dpx_sequence)
    arch, back = tmp_path / "arch", tmp_path / "back"
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    assert main(["restore", str(arch), "-o", str(back)]) == 0
    out = capsys.readouterr().out
    assert "4/4 restored bit-exact (SHA-256 verified); 1/1 link(s) to frames recreated" in out
    assert f"restored link {held.name} -> {target}\n" in out  # as `ls -l` shows it
    got = back / held.name
    assert got.is_symlink() and os.readlink(got) == target
    assert os.lstat(got).st_mtime_ns == os.lstat(held).st_mtime_ns  # the link's own time, its target's untouched
    assert got.read_bytes() == held.read_bytes()
    assert sorted(p.name for p in back.iterdir()) == sorted(p.name for p in dpx_sequence.iterdir())
    # rerun: the link is there with its text, left alone
    assert main(["restore", str(arch), "-o", str(back)]) == 0
    # something else at its name is never replaced
    got.unlink()
    got.symlink_to("reel.0001001.dpx")
    res = restore_archive(arch, back)
    assert [r["output"] for r in res.errors] == [held.name] and "never overwrites" in res.errors[0]["error"]
    assert os.readlink(got) == "reel.0001001.dpx"


@pytest.mark.parametrize("target", ["/etc/passwd", "../../outside.dpx"])
def test_restore_refuses_a_link_record_that_leaves_the_restored_tree(dpx_sequence: Path, tmp_path: Path,
                                                                     target: str) -> None:
    _held(dpx_sequence)
    arch, back = tmp_path / "arch", tmp_path / "back"
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    lines = (arch / manifest.MANIFEST).read_text().splitlines()
    edited = [line.replace('"target": "reel.0001005.dpx"', f'"target": "{target}"') for line in lines]
    assert edited != lines
    (arch / manifest.MANIFEST).write_text("\n".join(edited) + "\n")
    res = restore_archive(arch, back)
    assert len(res.errors) == 1 and "link not recreated" in res.errors[0]["error"]
    assert not os.path.lexists(back / "reel.0001006.dpx") and len(list(back.iterdir())) == 4


def test_a_link_with_an_absolute_target_is_archived_as_a_copy(dpx_sequence: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    last = sorted(dpx_sequence.glob("*.dpx"))[-1]
    held, _ = _held(dpx_sequence, str(last))
    arch, back = tmp_path / "arch", tmp_path / "back"
    assert main(["archive", str(dpx_sequence), "-o", str(arch), "--codecs", "jpegls"]) == 0
    assert (f"note: 1 link(s) to frames have an absolute target, one outside the archived folder or one not among "
            f"the inputs: archived as copies of their targets, restored as regular files: {held.name} -> {last}"
            ) in capsys.readouterr().out
    assert not _link_records(arch)
    rec = manifest.archived(manifest.load(arch))[held.name]
    assert rec["status"] == "ok" and rec["link_copied"] == str(last)
    restore_archive(arch, back)
    got = back / held.name
    assert not got.is_symlink() and got.read_bytes() == last.read_bytes()


def test_a_frame_replaced_by_a_link_restores_as_the_link(dpx_sequence: Path, tmp_path: Path) -> None:
    arch, back = tmp_path / "arch", tmp_path / "back"
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    frame = dpx_sequence / "reel.0001005.dpx"
    frame.unlink()
    frame.symlink_to("reel.0001004.dpx")
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    assert not (arch / (frame.name + ".qpl")).exists()  # superseded, as a changed frame's .qpl is replaced
    assert verify_collection(arch).ok  # it was "unlisted"
    res = restore_archive(arch, back)
    assert not res.errors and os.readlink(back / frame.name) == "reel.0001004.dpx"


def test_verify_and_report_count_link_records_and_check_what_they_name(dpx_sequence: Path, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    held, target = _held(dpx_sequence)
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    assert main(["verify", str(arch)]) == 0
    assert "4 file(s) checked, 1 link(s) to frames, 0 re-measured: OK" in capsys.readouterr().out
    assert main(["report", str(arch), "-o", str(tmp_path / "r.html")]) == 0
    assert "1 link(s) to frames (kept as links, no payload)" in capsys.readouterr().out
    data = json.loads((tmp_path / "r.json").read_text())
    assert (data["links"], data["failed_frames"]) == (1, 0)
    assert "1 link(s) to frames (kept as links)" in (tmp_path / "r.html").read_text()
    # the frame it names loses its record: the link names nothing the archive holds
    lines = (arch / manifest.MANIFEST).read_text().splitlines()
    (arch / manifest.MANIFEST).write_text("\n".join(x for x in lines if f'"source": "{target}"' not in x) + "\n")
    rep = verify_collection(arch)
    assert f"{held.name} -> {target}: link to a frame this archive does not hold" in rep.missing
    # a link record edited to leave the tree
    (arch / manifest.MANIFEST).write_text("\n".join(x.replace(f'"target": "{target}"', '"target": "/etc/passwd"')
                                                    for x in lines) + "\n")
    rep = verify_collection(arch)
    assert rep.links == 1 and any("restore refuses (its target is an absolute path)" in u for u in rep.unreadable)


def test_a_link_named_as_a_frame_of_another_input_is_refused(dpx_sequence: Path, tmp_path: Path) -> None:
    """rev19c: a link in one input folder and a regular frame of another with the same relative name were both
    archived under it; each rerun then removed the frame's .qpl for the link record and archived the frame again."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "reel.0001006.dpx").write_bytes((dpx_sequence / "reel.0001005.dpx").read_bytes())
    _held(dpx_sequence)
    with pytest.raises(InputError, match=r"would both be stored as 'reel\.0001006\.dpx'"):
        archive_paths([other, dpx_sequence], tmp_path / "arch", codecs=("jpegls",))


@pytest.mark.parametrize("sub_first", [False, True])
def test_a_link_under_two_nested_inputs_is_taken_once(dpx_sequence: Path, tmp_path: Path, sub_first: bool) -> None:
    """rev19e: with a folder and a sub-folder both given, each walk found the sub-folder's link, and rev19c's name
    check refused the link as clashing with itself ("X and the link X would both be stored as ...")."""
    sub = dpx_sequence / "sub"
    sub.mkdir()
    (dpx_sequence / "reel.0001005.dpx").rename(sub / "reel.0001005.dpx")
    (sub / "reel.0001006.dpx").symlink_to("reel.0001005.dpx")
    inputs = [sub, dpx_sequence] if sub_first else [dpx_sequence, sub]
    res = archive_paths(inputs, tmp_path / "arch", codecs=("jpegls",))
    assert len(res.links) == 1 and not res.errors


def test_a_loop_of_links_fails_as_a_link_to_nothing(dpx_sequence: Path, tmp_path: Path) -> None:
    """rev19c: two frame links naming each other were neither archived, failed nor listed as left out: discovery
    dropped them on the ELOOP its stat raised, so nothing said two held frames of the shot were not kept."""
    (dpx_sequence / "reel.0001010.dpx").symlink_to("reel.0001011.dpx")
    (dpx_sequence / "reel.0001011.dpx").symlink_to("reel.0001010.dpx")
    res = archive_paths([dpx_sequence], tmp_path / "arch", codecs=("jpegls",))
    assert sorted(r["source"] for r in res.errors) == ["reel.0001010.dpx", "reel.0001011.dpx"]
    assert "symbolic link loop (its target reel.0001011.dpx leads back to itself)" in res.errors[0]["error"]


@pytest.mark.parametrize(("field", "value", "why"), [("target", "reel.0001005.dpx\0x", "a NUL character in it"),
                                                     ("source", "sub\0/reel.0001006.dpx", "a NUL character in it"),
                                                     ("source", "", "it has no name")])
def test_a_link_record_with_a_nul_or_no_name_is_refused_cleanly(dpx_sequence: Path, tmp_path: Path, field: str,
                                                                 value: str, why: str) -> None:
    """rev19c: a NUL in an edited link record made restore stop with a ValueError traceback; one with no name
    passed verify (it stood for the restore folder itself)."""
    _held(dpx_sequence)
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    recs = [json.loads(x) for x in (arch / manifest.MANIFEST).read_text().splitlines()]
    for r in recs:
        if r.get("status") == manifest.LINK:
            r[field] = value
    (arch / manifest.MANIFEST).write_text("".join(json.dumps(r) + "\n" for r in recs))
    res = restore_archive(arch, tmp_path / "back")
    assert len(res.errors) == 1 and res.errors[0]["error"].endswith(f"link not recreated ({why})")
    assert any(u.endswith(f"restore refuses ({why})") for u in verify_collection(arch).unreadable)


def test_a_superseded_frame_whose_removal_failed_is_retried(dpx_sequence: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """rev19c: the link record was written before the superseded frame's .qpl was removed; when the removal
    failed (or the run was killed between the two), every rerun kept the link as recorded and the orphan .qpl
    stayed, failing verify ("unlisted") for good."""
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    frame = dpx_sequence / "reel.0001005.dpx"
    frame.unlink()
    frame.symlink_to("reel.0001004.dpx")
    real = Path.unlink

    def refuse(self: Path, missing_ok: bool = False) -> None:
        if self.name.endswith(".qpl"):
            raise PermissionError(1, "Operation not permitted", str(self))
        real(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.raises(PermissionError):
        archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    monkeypatch.setattr(Path, "unlink", real)
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    assert not (arch / (frame.name + ".qpl")).exists() and verify_collection(arch).ok
