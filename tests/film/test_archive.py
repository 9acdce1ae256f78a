"""Batch archive / restore / verify, resume, bad inputs, and the CLI commands around them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.film import lossless, manifest
from qualipress.film.archive import archive_paths, restore_archive
from qualipress.film.sequence import parse_name
from qualipress.film.verify import verify_collection
from qualipress.io.files import TEMP_PREFIX, _host_tag


def _dead_pid() -> int:
    """A process id that belonged to a process which has exited."""
    import subprocess

    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_archive_restore_is_bit_exact_and_resumes(dpx_sequence: Path, tmp_path: Path) -> None:
    arch, back = tmp_path / "arch", tmp_path / "back"
    res = archive_paths([dpx_sequence], arch)
    assert len(res.records) == 4 and not res.errors
    assert all(r["archive_bytes"] < r["source_bytes"] for r in res.records)
    again = archive_paths([dpx_sequence], arch)
    assert again.records == [] and len(again.skipped) == 4
    restore_archive(arch, back)
    assert _files(back) == _files(dpx_sequence)
    assert verify_collection(arch).ok
    sums = manifest.read_sums(arch)
    assert len(sums) == 4 and all(k.endswith(".dpx.qpl") for k in sums)


def test_resume_after_interruption_processes_only_missing(dpx_sequence: Path, tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch)
    lines = (arch / manifest.MANIFEST).read_text().splitlines()
    # a run killed after two frames, mid-way through appending the third record, with a temp file left over
    (arch / manifest.MANIFEST).write_text("\n".join(lines[:2]) + "\n" + lines[2][:40])
    # a temp file of the killed run (its writer's process id is gone) and a user's own file
    dead = _dead_pid()
    (arch / f"{TEMP_PREFIX}{dead}.{_host_tag()}.abc.reel.0001004.dpx.qpl").write_bytes(b"partial")
    (arch / "notes.part").write_bytes(b"mine")
    res = archive_paths([dpx_sequence], arch)
    assert len(res.skipped) == 2 and len(res.records) == 2
    assert not list(arch.rglob(f"{TEMP_PREFIX}*")) and (arch / "notes.part").read_bytes() == b"mine"
    assert verify_collection(arch).unlisted == ["notes.part"]


def test_truncated_frame_is_kept_flagged_and_others_proceed(dpx_sequence: Path, tmp_path: Path) -> None:
    bad = dpx_sequence / "reel.0001003.dpx"
    good = (dpx_sequence / "reel.0001002.dpx").read_bytes()
    bad.write_bytes(good[: len(good) // 2])  # truncated
    res = archive_paths([dpx_sequence], tmp_path / "arch")
    assert not res.errors and len(res.records) == 5
    flagged = [r for r in res.records if r.get("damaged")]
    assert [r["source"] for r in flagged] == ["reel.0001003.dpx"] and "truncated" in flagged[0]["damaged"]
    assert [r["source"] for r in manifest.load(tmp_path / "arch") if r.get("damaged")] == ["reel.0001003.dpx"]
    restore_archive(tmp_path / "arch", tmp_path / "back")
    assert _files(tmp_path / "back") == _files(dpx_sequence)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_dir(dpx_sequence: Path, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    assert main(["archive", str(dpx_sequence), "-o", str(ro / "x")]) == 2


def test_unwritable_output_is_a_clear_error(dpx_sequence: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["archive", str(dpx_sequence), "-o", str(blocker / "arch")]) == 2


def test_verify_finds_missing_altered_unlisted(dpx_sequence: Path, tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch)
    files = sorted(arch.glob("*.qpl"))
    files[0].unlink()
    data = bytearray(files[1].read_bytes())
    data[-1] ^= 1
    files[1].write_bytes(bytes(data))
    (arch / "stray.bin").write_bytes(b"?")
    rep = verify_collection(arch)
    assert not rep.ok
    assert rep.missing == [files[0].name] and rep.altered == [files[1].name] and rep.unlisted == ["stray.bin"]
    assert main(["verify", str(arch)]) == 1


def test_cli_archive_restore_verify_report(dpx_sequence: Path, tmp_path: Path) -> None:
    arch, back = tmp_path / "arch", tmp_path / "back"
    assert main(["archive", str(dpx_sequence), "-o", str(arch), "--codecs", "jpegls,jpeg2000"]) == 0
    assert main(["verify", str(arch)]) == 0
    assert main(["restore", str(arch), "-o", str(back)]) == 0
    assert _files(back) == _files(dpx_sequence)
    assert main(["restore", str(arch), "-o", str(back)]) == 0  # identical files already there: fine
    assert main(["report", str(arch), "-o", str(tmp_path / "r" / "report.html")]) == 0
    html = (tmp_path / "r" / "report.html").read_text()
    assert "lossless" in html and "Per sequence" in html
    assert (tmp_path / "r" / "report.csv").read_text().count("\n") == 5


def test_restore_lines_name_the_archive_and_the_restored_file(dpx_sequence: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # QA: `restore` lines named the .qpl file only, not the file it restored.
    arch, back = tmp_path / "arch", tmp_path / "back"
    assert main(["archive", str(dpx_sequence), "-o", str(arch), "--codecs", "jpegls"]) == 0
    capsys.readouterr()
    assert main(["restore", str(arch), "-o", str(back)]) == 0
    got = capsys.readouterr()
    text = got.out + got.err
    first = sorted(dpx_sequence.glob("*.dpx"))[0].name
    assert f"{first}{lossless.SUFFIX} -> {first}" in text


def test_restore_never_overwrites_other_content(dpx_sequence: Path, tmp_path: Path) -> None:
    arch, back = tmp_path / "arch", tmp_path / "back"
    archive_paths([dpx_sequence], arch)
    back.mkdir()
    (back / "reel.0001001.dpx").write_bytes(b"something else")
    res = restore_archive(arch, back)
    assert len(res.errors) == 1 and "never overwrites" in res.errors[0]["error"]
    assert (back / "reel.0001001.dpx").read_bytes() == b"something else"


def test_disk_full_on_one_frame(dpx_sequence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from qualipress.film import archive as archive_mod
    from qualipress.io import atomic_write_bytes as real_write

    def flaky(path: Path, data: bytes, **kw: object) -> Path:
        if "0001002" in str(path):
            import os as _os

            # what the core's atomic write does on ENOSPC: temp file removed, OutputError raised
            err = OSError(errno.ENOSPC, _os.strerror(errno.ENOSPC))
            from qualipress.errors import OutputError

            raise OutputError(f"{path}: write failed ({err.strerror})")
        return real_write(path, data, **kw)

    monkeypatch.setattr(archive_mod, "atomic_write_bytes", flaky)
    res = archive_paths([dpx_sequence], tmp_path / "arch")
    assert len(res.errors) == 1 and "No space left" in res.errors[0]["error"]
    assert sorted(p.name for p in (tmp_path / "arch").iterdir() if p.suffix == ".qpl") == [
        "reel.0001001.dpx.qpl", "reel.0001004.dpx.qpl", "reel.0001005.dpx.qpl"]
    monkeypatch.undo()
    again = archive_paths([dpx_sequence], tmp_path / "arch")
    assert len(again.records) == 1 and not again.errors  # the rerun does only the failed frame


def test_archive_options_reach_the_coder_and_bad_ones_stop_before_any_work(dpx_sequence: Path, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    arch = tmp_path / "arch"
    assert main(["archive", str(dpx_sequence), "-o", str(arch), "--codecs", "htj2k,jpegls", "--select", "all",
                 "--threads", "2"]) == 0
    recs = manifest.load(arch)
    assert len(recs) == 4 and all(set(r["sizes"]) == {"htj2k", "jpegls"} and r["encodes"] == 2 for r in recs)
    for bad in (["--codecs", "png"], ["--select", "guess"], ["--effort", "12"]):
        capsys.readouterr()
        assert main(["archive", str(dpx_sequence), "-o", str(tmp_path / "x"), *bad]) == 2, bad
        assert not (tmp_path / "x").exists()
        assert "Traceback" not in capsys.readouterr().err


def test_restore_brings_back_mode_and_mtime(dpx_sequence: Path, tmp_path: Path) -> None:
    frames = sorted(dpx_sequence.iterdir())
    os.chmod(frames[0], 0o640)
    os.utime(frames[0], ns=(1_500_000_000_123_456_789, 1_500_000_000_123_456_789))
    archive_paths([dpx_sequence], tmp_path / "arch")
    restore_archive(tmp_path / "arch", tmp_path / "back")
    for f in frames:
        back = (tmp_path / "back" / f.name).stat()
        assert (back.st_mode & 0o777, back.st_mtime_ns) == (f.stat().st_mode & 0o777, f.stat().st_mtime_ns)


def test_archive_names_the_files_it_does_not_store(dpx_sequence: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # QA: a scan folder's checksum list / notes were silently left out of the archive (restore lacked them).
    from qualipress.film.archive import left_out

    (dpx_sequence / "reel.md5").write_text("abc  reel.0001001.dpx\n")
    arch = dpx_sequence / "arch"  # an archive inside the scanned folder is not "left out" itself
    assert main(["archive", str(dpx_sequence), "-o", str(arch), "--codecs", "jpegls"]) == 0
    assert "1 file(s) in the inputs are not frames and were not archived: reel.md5" in capsys.readouterr().out
    assert left_out([dpx_sequence], arch) == [dpx_sequence / "reel.md5"]


def test_archive_skips_an_earlier_output_folder_inside_the_inputs_with_a_note(
        dpx_sequence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # QA: TIFF outputs of an earlier `compress` inside the scan folder were called "not frames" instead of the
    # folder being skipped and named, as compress's own discovery does.
    tiffs = dpx_sequence / "tiffs"
    assert main(["compress", str(dpx_sequence), "-o", str(tiffs), "--codec", "tiff"]) == 0
    assert list(tiffs.glob("*.tif"))
    capsys.readouterr()
    arch = tmp_path / "arch"
    assert main(["archive", str(dpx_sequence), "-o", str(arch), "--codecs", "jpegls"]) == 0
    out = capsys.readouterr().out
    assert "not frames" not in out
    assert f"skipped 1 earlier qualipress output folder(s) inside the inputs: {tiffs}" in out
    assert not any(str(r.get("source", "")).startswith("tiffs/") for r in manifest.load(arch))


def test_left_out_discovers_the_inputs_once(dpx_sequence: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # review: the note on left-out files and skipped output folders ran discovery twice over the input trees
    from qualipress.film import archive

    (dpx_sequence / "reel.md5").write_text("x\n")
    (dpx_sequence / "old").mkdir()
    (dpx_sequence / "old" / "notes.txt").write_text("x\n")
    calls: list[int] = []
    real = archive.find_images
    monkeypatch.setattr(archive, "find_images", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(archive, "find_frames", lambda *a, **k: pytest.fail("a second discovery pass"))
    assert archive.left_out([dpx_sequence], tmp_path / "arch") == [dpx_sequence / "old" / "notes.txt",
                                                                  dpx_sequence / "reel.md5"]
    assert calls == [1]


def test_links_to_frames_inside_the_input_are_not_called_non_frames(tmp_path: Path) -> None:
    # qa15film: "note: 4 file(s) in the inputs are not frames": the frames of a real folder that a link beside it
    # stood in for, and a file link to one of them
    from qualipress.film.archive import left_out

    scan = tmp_path / "in" / "scan"
    scan.mkdir(parents=True)
    (scan / "r.1001.dpx").write_bytes(b"x")
    (scan / "notes.txt").write_text("n")
    (tmp_path / "in" / "one.1001.dpx").symlink_to(scan / "r.1001.dpx")
    (tmp_path / "in" / "dirlink").symlink_to(scan)
    assert [p.name for p in left_out([tmp_path / "in"], tmp_path / "out")] == ["notes.txt"]


def test_resume_notices_a_frame_replaced_with_the_same_size_and_mtime(dpx_sequence: Path, tmp_path: Path) -> None:
    """QA session 17: a frame replaced by ``cp`` + ``touch -r`` (or ``rsync -t``) kept size and mtime; the
    rerun called it "already done" and the archive kept the old frame."""
    arch, back = tmp_path / "arch", tmp_path / "back"
    frames = sorted(dpx_sequence.glob("*.dpx"))
    archive_paths([dpx_sequence], arch)
    st = frames[1].stat()
    new = frames[2].read_bytes()
    assert len(new) == st.st_size and new != frames[1].read_bytes()
    frames[1].write_bytes(new)
    os.utime(frames[1], ns=(st.st_atime_ns, st.st_mtime_ns))
    again = archive_paths([dpx_sequence], arch)
    assert [r["source"] for r in again.records] == [frames[1].name] and len(again.skipped) == 3
    restore_archive(arch, back)
    assert (back / frames[1].name).read_bytes() == new
    os.chmod(frames[0], 0o600)  # inode change time moves, content does not: still done, nothing redone
    assert archive_paths([dpx_sequence], arch).records == []


def test_a_moved_inode_change_time_is_hashed_once_not_on_every_rerun(dpx_sequence: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Review rev6: after a chmod (sources made read-only) or a copy of the scan folder, every rerun re-read every
    frame to compare its SHA-256, because the manifest kept the old inode change time; the first rerun now records
    the new one."""
    import qualipress.film.archive as archive_mod

    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch)
    for f in dpx_sequence.glob("*.dpx"):
        os.chmod(f, 0o444)
    hashed: list[Path] = []
    real = archive_mod.sha256_file
    monkeypatch.setattr(archive_mod, "sha256_file", lambda p: (hashed.append(Path(p)), real(p))[1])
    first = archive_paths([dpx_sequence], arch)
    assert first.records == [] and len(first.skipped) == 4 and len(hashed) == 4
    hashed.clear()
    second = archive_paths([dpx_sequence], arch)
    assert second.records == [] and len(second.skipped) == 4 and hashed == []
    assert verify_collection(arch).ok


def test_archive_names_links_to_frames_it_does_not_store(dpx_sequence: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # QA session 19: frame 1003 of a shot was a symbolic link to frame 1002 (a held frame); archive said nothing,
    # and the restored shot lacked frame 1003
    from qualipress.film.archive import left_out

    frames = sorted(dpx_sequence.glob("*.dpx"))
    last = parse_name(frames[-1]).number
    held = frames[-1].with_name(frames[-1].name.replace(str(last), str(last + 1)))
    held.symlink_to(frames[-1].name)
    arch = tmp_path / "arch"
    assert main(["archive", str(dpx_sequence), "-o", str(arch), "--codecs", "jpegls"]) == 0
    out = capsys.readouterr().out
    # link19: now recorded, and restore recreates it (tests/film/test_link19_frame_links.py)
    assert f"1 link(s) to frames recorded as links, restore recreates them: {held.name} -> {frames[-1].name}" in out
    links: list[Path] = []
    assert left_out([dpx_sequence], arch, links=links) == [] and links == [held]


def test_a_link_to_nothing_is_named_as_such_by_archive_and_analyse(dpx_sequence: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # QA session 19: compress said "broken symbolic link (its target … does not exist)", archive "cannot read (No
    # such file or directory)" and analyse "No such file or directory" for a frame `ls` lists
    from qualipress.film.catalogue import catalogue

    (dpx_sequence / "reel.0001006.dpx").symlink_to("gone/reel.0001006.dpx")
    assert main(["archive", str(dpx_sequence), "-o", str(tmp_path / "arch"), "--codecs", "jpegls"]) == 1
    why = "broken symbolic link (its target gone/reel.0001006.dpx does not exist)"
    assert f"cannot read ({why})" in capsys.readouterr().err
    bad = [r for r in catalogue([dpx_sequence], text=False)["frames"] if r.get("status") == "error"]
    assert [r["error"].split(": ", 1)[1] for r in bad] == [why]


def test_a_link_loop_named_as_a_frame_is_reported_not_dropped(dpx_sequence: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # review of QA 19: a frame that is a link to itself (or a loop of links) was left out by discovery without a
    # word (stat fails with ELOOP, not "no such file"): archive said "0 failed", analyse did not list it, and
    # info called it a link to a target that "does not exist"
    from qualipress.film.catalogue import catalogue

    (dpx_sequence / "reel.0001006.dpx").symlink_to("reel.0001006.dpx")
    assert main(["archive", str(dpx_sequence), "-o", str(tmp_path / "arch"), "--codecs", "jpegls"]) == 1
    why = "symbolic link loop (its target reel.0001006.dpx leads back to itself)"
    assert f"cannot read ({why})" in capsys.readouterr().err
    bad = [r for r in catalogue([dpx_sequence], text=False)["frames"] if r.get("status") == "error"]
    assert [r["error"].split(": ", 1)[1] for r in bad] == [why]


def test_a_link_chain_longer_than_the_system_follows_is_not_called_a_loop(dpx_sequence: Path) -> None:
    # review of rev19b: a finite chain of 45 links (the system follows 40) fails with ELOOP too, and was reported
    # as a link "leads back to itself"
    from qualipress.io.readers import why_unreadable

    prev = "reel.0001002.dpx"
    for k in range(45):
        (dpx_sequence / f"hop{k}").symlink_to(prev)
        prev = f"hop{k}"
    (dpx_sequence / "reel.0001003.dpx").symlink_to(prev)
    why = why_unreadable(dpx_sequence / "reel.0001003.dpx")
    assert "loop" not in why and "longer than the system follows" in why, why


@pytest.mark.parametrize("target", ["reel.0001002.dpx/", "gone/..", "gone/../reel.0001002.dpx"])
def test_a_broken_link_whose_target_reads_as_a_file_lexically_is_called_broken(dpx_sequence: Path,
                                                                                target: str) -> None:
    # review of rev19d: os.path.realpath reads `gone/..` without the system's checks, so a link the system cannot
    # follow (ENOENT, ENOTDIR) whose realpath exists was called a "chain of symbolic links longer than the system
    # follows"; only ELOOP is
    from qualipress.io.readers import why_unreadable

    (dpx_sequence / "reel.0001009.dpx").symlink_to(target)
    why = why_unreadable(dpx_sequence / "reel.0001009.dpx")
    assert why == f"broken symbolic link (its target {target} does not exist)", why
