"""rev20b: ``SHA256SUMS`` names are written as GNU ``sha256sum`` writes them: the file system's bytes (a name that
is not UTF-8 stopped ``archive`` with UnicodeEncodeError before the list was written, on every rerun) and a
backslash, newline or carriage return escaped on a line that starts with a backslash (a newline split the line)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.film import manifest
from qualipress.film.archive import archive_paths, restore_archive
from qualipress.film.verify import verify_collection


def test_awkward_frame_and_link_names_are_listed_as_sha256sum_lists_them(dpx_sequence: Path,
                                                                          tmp_path: Path) -> None:
    frames = sorted(dpx_sequence.iterdir())
    names = ["nl\nx.0001.dpx", "back\\slash.0001.dpx", "cr\rx.0001.dpx", os.fsdecode(b"bad\xffbyte.0001.dpx")]
    try:
        for f, name in zip(frames, names, strict=True):
            f.rename(dpx_sequence / name)
        (dpx_sequence / os.fsdecode(b"ln\n\\\xfe.0002.dpx")).symlink_to(names[0])
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    arch, back = tmp_path / "arch", tmp_path / "back"
    res = archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    assert len(res.records) == 4 and len(res.links) == 1
    sums = (arch / manifest.SUMS).read_bytes()
    assert sum(line.startswith(b"\\") for line in sums.split(b"\n")) == 3  # the three frames escaped
    links: dict[str, str] = {}
    assert set(manifest.read_sums(arch, links)) == {f"{n}.qpl" for n in names}
    assert list(links) == [os.fsdecode(b"ln\n\\\xfe.0002.dpx")]
    if shutil.which("sha256sum"):
        done = subprocess.run(["sha256sum", "--strict", "-c", manifest.SUMS], cwd=arch, capture_output=True)
        assert done.returncode == 0 and done.stdout.count(b": OK") == 4
    assert verify_collection(arch).ok
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))  # a rerun: the same list, byte for byte
    assert (arch / manifest.SUMS).read_bytes() == sums
    assert not restore_archive(arch, back).errors
    assert sorted(os.listdir(back)) == sorted(os.listdir(dpx_sequence))


def test_the_note_on_a_link_named_without_its_target_says_why_it_is_a_copy(dpx_sequence: Path, tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]
                                                                            ) -> None:
    held = dpx_sequence / "reel.0001006.dpx"
    held.symlink_to("reel.0001005.dpx")  # relative, inside the folder: only its target is not an input
    assert main(["archive", str(held), "-o", str(tmp_path / "arch"), "--codecs", "jpegls"]) == 0
    assert ("note: 1 link(s) to frames have an absolute target, one outside the archived folder or one not among "
            "the inputs: archived as copies of their targets, restored as regular files: reel.0001006.dpx -> "
            "reel.0001005.dpx") in capsys.readouterr().out


def test_report_of_an_archive_with_a_name_that_is_not_utf8(dpx_sequence: Path, tmp_path: Path) -> None:
    try:
        first = sorted(dpx_sequence.iterdir())[0]
        first.rename(dpx_sequence / os.fsdecode(b"bad\xffbyte.0001.dpx"))
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    assert main(["report", str(arch), "-o", str(tmp_path / "report.html")]) == 0  # UnicodeEncodeError writing the CSV
    assert b"bad\xffbyte.0001.dpx" in (tmp_path / "report.csv").read_bytes()


def test_the_cli_prints_a_name_that_is_not_utf8_in_a_strict_utf8_locale(dpx_sequence: Path, tmp_path: Path) -> None:
    try:
        (dpx_sequence / os.fsdecode(b"bad\xffbyte.0006.dpx")).symlink_to("reel.0001005.dpx")
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict",  # as Python's streams are in a UTF-8 locale
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2] / "src"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "qualipress", "archive", str(dpx_sequence), "-o", str(tmp_path / "a"),
                           "--codecs", "jpegls"], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr[-300:]
    assert b"bad\xffbyte.0006.dpx -> reel.0001005.dpx" in done.stdout


def test_a_link_named_alone_later_stays_a_link_to_its_target_archived_earlier(dpx_sequence: Path,
                                                                              tmp_path: Path) -> None:
    held = dpx_sequence / "reel.0001006.dpx"
    held.symlink_to("reel.0001005.dpx")
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    sums = (arch / manifest.SUMS).read_bytes()
    again = archive_paths([held], arch, codecs=("jpegls",))  # an incremental run naming the link only
    assert not again.records and not again.link_copies and [r["source"] for r in again.links_kept] == [held.name]
    assert (arch / manifest.SUMS).read_bytes() == sums and not (arch / f"{held.name}.qpl").exists()


def test_a_list_saved_with_crlf_line_ends_still_verifies(dpx_sequence: Path, tmp_path: Path) -> None:
    (dpx_sequence / "reel.0001006.dpx").symlink_to("reel.0001005.dpx")
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    sums = arch / manifest.SUMS
    sums.write_bytes(sums.read_bytes().replace(b"\n", b"\r\n"))  # as an editor on Windows saves it
    if shutil.which("sha256sum"):
        assert subprocess.run(["sha256sum", "--strict", "-c", manifest.SUMS], cwd=arch,
                              capture_output=True).returncode == 0
    rep = verify_collection(arch)
    assert rep.ok and rep.links == 1 and not rep.notes


def test_analyse_names_a_frame_linked_to_another_sequence_in_the_same_folder(dpx_sequence: Path,
                                                                             capsys: pytest.CaptureFixture[str]
                                                                             ) -> None:
    frames = sorted(dpx_sequence.iterdir())
    frames[0].rename(dpx_sequence / "b.0001.dpx")  # another shot beside this one
    (dpx_sequence / "reel.0001003.dpx").symlink_to("b.0001.dpx")  # taken once, as b.0001.dpx
    assert main(["analyse", "--no-text", str(dpx_sequence)]) == 0
    out = capsys.readouterr().out
    assert ("  problem: 1 frame(s) are links to another sequence's files in the same folder (analysed there, under "
            "their own names): reel.0001003.dpx -> b.0001.dpx\n") in out


def test_a_link_named_alone_later_is_a_copy_when_its_archived_target_changed_since(dpx_sequence: Path,
                                                                                   tmp_path: Path) -> None:
    held = dpx_sequence / "reel.0001006.dpx"
    held.symlink_to("reel.0001005.dpx")
    (dpx_sequence / "reel.0001007.dpx").write_bytes((dpx_sequence / "reel.0001001.dpx").read_bytes())
    arch, back = tmp_path / "arch", tmp_path / "back"
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    # archived as a frame, now a link to another frame: a link named to it alone would restore the old frame
    (dpx_sequence / "reel.0001007.dpx").unlink()
    (dpx_sequence / "reel.0001007.dpx").symlink_to("reel.0001002.dpx")
    (dpx_sequence / "reel.0001008.dpx").symlink_to("reel.0001007.dpx")
    again = archive_paths([dpx_sequence / "reel.0001008.dpx"], arch, codecs=("jpegls",))
    assert again.link_copies == ["reel.0001008.dpx -> reel.0001007.dpx"] and not again.links
    restore_archive(arch, back)
    assert (back / "reel.0001008.dpx").read_bytes() == (dpx_sequence / "reel.0001002.dpx").read_bytes()
