"""qa20film: link records of an archive are covered by ``SHA256SUMS`` (``# link`` comment lines, which
``sha256sum -c`` skips), so ``verify`` notices one edited or lost; ``analyse`` warns about a frame that is a link
into another shot's folder; restore names the step that failed on a recreated link; links named one by one on the
command line are archived as copies, as ``archive --help`` says."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.film import archive, manifest
from qualipress.film.archive import archive_paths, restore_archive
from qualipress.film.verify import verify_collection


def _archive_with_link(seq: Path, arch: Path) -> tuple[str, str]:
    held = seq / "reel.0001006.dpx"
    held.symlink_to("reel.0001005.dpx")
    archive_paths([seq], arch, codecs=("jpegls",))
    return held.name, "reel.0001005.dpx"


def test_an_edited_link_record_fails_verify(dpx_sequence: Path, tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    name, target = _archive_with_link(dpx_sequence, arch)
    assert verify_collection(arch).ok
    if shutil.which("sha256sum"):  # the list stays sha256sum -c compatible (comment lines are skipped)
        assert subprocess.run(["sha256sum", "--strict", "-c", manifest.SUMS], cwd=arch,
                              capture_output=True).returncode == 0
    text = (arch / manifest.MANIFEST).read_text()
    # still restorable and naming a frame the archive holds: only the hash list tells
    (arch / manifest.MANIFEST).write_text(text.replace(f'"target": "{target}"', '"target": "reel.0001001.dpx"'))
    res = restore_archive(arch, tmp_path / "back")  # nor recreated by restore
    assert [r["error"] for r in res.errors] == [f"{name} -> reel.0001001.dpx: link not recreated (its record "
                                                f"differs from the one {manifest.SUMS} lists)"]
    assert not os.path.lexists(tmp_path / "back" / name)
    rep = verify_collection(arch)
    assert not rep.ok and rep.altered == [f"link {name} -> reel.0001001.dpx: its record in {manifest.MANIFEST} "
                                          f"differs from the one {manifest.SUMS} lists (its name, target text or "
                                          "time was changed)"]


def test_a_lost_link_record_fails_verify(dpx_sequence: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    arch = tmp_path / "arch"
    name, _ = _archive_with_link(dpx_sequence, arch)
    lines = (arch / manifest.MANIFEST).read_text().splitlines()
    (arch / manifest.MANIFEST).write_text("\n".join(x for x in lines if '"status": "link"' not in x) + "\n")
    assert main(["verify", str(arch)]) == 1
    assert f"missing: link {name}: its record in {manifest.MANIFEST}" in capsys.readouterr().out


def test_an_archive_listed_before_link_lines_verifies_with_a_note(dpx_sequence: Path, tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    _archive_with_link(dpx_sequence, arch)
    sums = arch / manifest.SUMS
    sums.write_text("".join(x for x in sums.read_text().splitlines(True) if not x.startswith("#")))
    rep = verify_collection(arch)
    assert rep.ok and rep.links == 1 and any("in no hash list" in n for n in rep.notes)
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))  # a rerun lists it
    assert manifest.LINK_SUM in sums.read_text() and not verify_collection(arch).notes


def test_restore_says_when_the_links_time_could_not_be_set(dpx_sequence: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    arch, back = tmp_path / "arch", tmp_path / "back"
    name, target = _archive_with_link(dpx_sequence, arch)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(archive.os, "utime", refuse)
    monkeypatch.setattr(archive.os, "supports_follow_symlinks", {refuse})
    assert main(["restore", str(arch), "-o", str(back)]) == 0
    err = capsys.readouterr().err
    # the link is there with its text: only its time is not the original's
    assert os.readlink(back / name) == target and "cannot create" not in err
    assert f"note link {name} -> {target}: link recreated, its mtime not restored (Operation not permitted)" in err


def test_analyse_warns_of_a_frame_linked_from_another_shot(dpx_sequence: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.0001.dpx").write_bytes((dpx_sequence / "reel.0001001.dpx").read_bytes())
    (other / "b.0002.dpx").symlink_to("../scans/reel.0001002.dpx")
    want = ("1 frame(s) are links to files in another folder (another shot's frames, analysed there when that "
            "folder is an input): b.0002.dpx -> ../scans/reel.0001002.dpx")
    for inputs in ([other], [tmp_path], [dpx_sequence, other]):  # the link taken as a frame here, or dropped
        assert main(["analyse", "--no-text", *map(str, inputs)]) == 0
        assert f"  problem: {want}\n" in capsys.readouterr().out


def test_links_named_one_by_one_are_recorded_as_links_found_in_a_folder_are(dpx_sequence: Path,
                                                                            tmp_path: Path) -> None:
    held = dpx_sequence / "reel.0001006.dpx"
    held.symlink_to("reel.0001005.dpx")
    arch, back = tmp_path / "arch", tmp_path / "back"
    frames = sorted(dpx_sequence.iterdir())  # as the shell expands shot/*.dpx
    res = archive_paths(frames, arch, codecs=("jpegls",))
    assert [(r["source"], r["target"]) for r in res.links] == [(held.name, "reel.0001005.dpx")]
    assert not res.link_copies and len(res.records) == 4
    restore_archive(arch, back)
    assert os.readlink(back / held.name) == "reel.0001005.dpx"
    # named without its target: a copy of the target's content, as a link whose target is not archived
    solo = archive_paths([held], tmp_path / "solo", codecs=("jpegls",))
    assert solo.link_copies == [f"{held.name} -> reel.0001005.dpx"] and not solo.links
    # a link whose text names an archived file of the same name that is not its target: a copy, never a link
    (tmp_path / "elsewhere").mkdir()
    namesake = tmp_path / "elsewhere" / "reel.0001005.dpx"
    namesake.write_bytes((dpx_sequence / "reel.0001001.dpx").read_bytes())
    mixed = archive_paths([namesake, held], tmp_path / "mixed", codecs=("jpegls",))
    assert mixed.link_copies == [f"{held.name} -> reel.0001005.dpx"] and not mixed.links
