"""Archive / restore under faults (issue 19 cases 9 and 16): damaged inputs kept byte-exact and flagged, a
missing archived frame named with a non-zero exit, a damaged archive named as damaged with the failing section."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.film import container, manifest
from qualipress.film.archive import archive_paths, restore_archive
from qualipress.film.testset import encode_tiff16

from .synth import photo_like


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def damaged_set(dpx_sequence: Path) -> Path:
    """The DPX sequence plus a truncated DPX, a truncated TIFF and a text file named ``.tif``."""
    good = (dpx_sequence / "reel.0001002.dpx").read_bytes()
    (dpx_sequence / "reel.0001003.dpx").write_bytes(good[:5000])
    tif = encode_tiff16(photo_like(h=48, w=40), description="t")
    (dpx_sequence / "tiffs").mkdir()
    (dpx_sequence / "tiffs" / "cut.0001.tif").write_bytes(tif[: len(tif) // 3])
    (dpx_sequence / "tiffs" / "notes.0002.tif").write_text("this is a text file, not a TIFF\n")
    return dpx_sequence


def test_archive_keeps_damaged_files_byte_exact_and_flags_them(damaged_set: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    before = _files(damaged_set)
    arch, back = tmp_path / "arch", tmp_path / "back"
    assert main(["archive", str(damaged_set), "-o", str(arch)]) == 0
    err = capsys.readouterr()
    names = ("reel.0001003.dpx", "tiffs/cut.0001.tif", "tiffs/notes.0002.tif")
    for n in names:
        assert f"WARNING {n}: damaged" in err.err
    assert "3 damaged" in err.out
    recs = manifest.latest(manifest.load(arch))
    assert sorted(k for k, r in recs.items() if r.get("damaged")) == sorted(names)
    assert all(r["status"] == "ok" for r in recs.values())
    assert "not a TIF file" in recs["tiffs/notes.0002.tif"]["damaged"]
    assert _files(damaged_set) == before  # inputs untouched
    assert main(["restore", str(arch), "-o", str(back)]) == 0
    assert _files(back) == before
    assert main(["report", str(arch), "-o", str(tmp_path / "r" / "report.html")]) == 0
    page = (tmp_path / "r" / "report.html").read_text()
    assert "Damaged source files" in page and all(n in page for n in names)
    assert (tmp_path / "r" / "report.csv").read_text().count("truncated") >= 1


def test_a_rerun_still_counts_the_damaged_frames_it_skips(damaged_set: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # qa13film: after an interrupted archive the resumed run said "0 damaged" of an archive holding a damaged frame
    arch = tmp_path / "arch"
    assert main(["archive", str(damaged_set), "-o", str(arch)]) == 0
    capsys.readouterr()
    assert main(["archive", str(damaged_set), "-o", str(arch)]) == 0
    out = capsys.readouterr().out
    assert "0 archived" in out and "already done (3 of them damaged)" in out


def test_restore_names_a_missing_frame_and_exits_nonzero(dpx_sequence: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    arch, back = tmp_path / "arch", tmp_path / "back"
    archive_paths([dpx_sequence], arch)
    (arch / "reel.0001004.dpx.qpl").unlink()
    res = restore_archive(arch, back)
    assert len(res.errors) == 1 and "missing from the archive: reel.0001004.dpx.qpl" in res.errors[0]["error"]
    assert sorted(p.name for p in back.iterdir()) == ["reel.0001001.dpx", "reel.0001002.dpx", "reel.0001005.dpx"]
    capsys.readouterr()
    assert main(["restore", str(arch), "-o", str(tmp_path / "back2")]) == 1
    out = capsys.readouterr()
    assert "reel.0001004.dpx.qpl" in out.err and "3/4 restored" in out.out


def test_restore_with_every_frame_missing_still_names_them(dpx_sequence: Path, tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch)
    for p in arch.glob("*.qpl"):
        p.unlink()
    res = restore_archive(arch, tmp_path / "back")
    assert len(res.errors) == 4 and all("missing from the archive" in r["error"] for r in res.errors)


@pytest.mark.parametrize("section", ["header", "pixels", "rest"])
def test_restore_of_a_damaged_archive_says_damaged_and_names_the_section(
        dpx_sequence: Path, tmp_path: Path, section: str, capsys: pytest.CaptureFixture[str]) -> None:
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch)
    target = arch / "reel.0001002.dpx.qpl"
    data = bytearray(target.read_bytes())
    head = container.read_header(bytes(data))
    (n,) = struct.unpack_from("<I", data, 8)
    if section == "header":
        i = data.index(b'"source"')
        data[i + 1] = ord("S")  # still valid JSON, a different header
    else:
        pos = 12 + n
        for s in head["sections"]:
            if s["name"] == section:
                data[pos + s["length"] // 2] ^= 0x10
                break
            pos += s["length"]
    target.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["restore", str(arch), "-o", str(tmp_path / "back")]) == 1
    err = capsys.readouterr().err
    assert f"reel.0001002.dpx.qpl: damaged: section '{section}' fails its SHA-256" in err
    assert "unsupported" not in err
    assert not (tmp_path / "back" / "reel.0001002.dpx").exists()
