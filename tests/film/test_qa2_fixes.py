"""QA fixes in the film layer (qa2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.film import lossless, manifest


def test_jpegls_pixel_section_encodes_noise() -> None:
    """QA: noise-like frames failed with "destination buffer is too small" (CharLS sizes its buffer for data
    that shrinks); the film coder now shares the photo codec's roomier buffer."""
    rng = np.random.default_rng(3)
    for px, bits in ((rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), 8),
                     (rng.integers(0, 1 << 16, (96, 96, 3), dtype=np.uint16), 16)):
        data = lossless.encode_pixels(px, bits, "jpegls")
        assert np.array_equal(lossless.decode_pixels(data, "jpegls", px.shape, str(px.dtype)), px)


def test_analyse_refuses_to_replace_a_foreign_file(dpx_sequence: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """QA: ``analyse -o v3.png`` replaced an existing PNG with the catalogue JSON without --overwrite."""
    foreign = tmp_path / "v3.png"
    foreign.write_bytes(b"\x89PNG not ours")
    assert main(["analyse", str(dpx_sequence), "--no-text", "-o", str(foreign)]) == 2
    assert foreign.read_bytes() == b"\x89PNG not ours"
    err = capsys.readouterr().err
    assert "--overwrite" in err and len(err.strip().splitlines()) == 1
    ours = tmp_path / "cat.json"
    assert main(["analyse", str(dpx_sequence), "--no-text", "-o", str(ours)]) == 0
    assert main(["analyse", str(dpx_sequence), "--no-text", "-o", str(ours)]) == 0  # our own earlier output
    assert main(["analyse", str(dpx_sequence), "--no-text", "-o", str(foreign), "--overwrite"]) == 0
    assert json.loads(foreign.read_text())["frames"]
    frame = sorted(dpx_sequence.glob("*.dpx"))[0]
    before = frame.read_bytes()
    assert main(["analyse", str(dpx_sequence), "--no-text", "-o", str(frame), "--overwrite"]) == 2
    assert frame.read_bytes() == before


def test_report_refuses_to_replace_a_foreign_file(dpx_sequence: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """QA: ``report fc1 -o v7.png`` replaced an existing file with the HTML report without --overwrite."""
    arch = tmp_path / "arch"
    assert main(["archive", str(dpx_sequence), "-o", str(arch), "--codecs", "jpegls"]) == 0
    foreign = tmp_path / "v7.png"
    foreign.write_bytes(b"not a report")
    assert main(["report", str(arch), "-o", str(foreign)]) == 2
    assert foreign.read_bytes() == b"not a report" and not (tmp_path / "v7.json").exists()
    assert "--overwrite" in capsys.readouterr().err
    rep = tmp_path / "rep.html"
    assert main(["report", str(arch), "-o", str(rep)]) == 0
    assert main(["report", str(arch), "-o", str(rep)]) == 0  # our own earlier report: replaced
    (tmp_path / "x.csv").write_text("someone,else\n")
    assert main(["report", str(arch), "-o", str(tmp_path / "x.html")]) == 2  # a sidecar would be replaced
    assert main(["report", str(arch), "-o", str(foreign), "--overwrite"]) == 0
    assert "<title>qualipress collection report" in foreign.read_text()
    sums = arch / manifest.SUMS  # a file of the collection read: never replaced
    before = sums.read_bytes()
    assert main(["report", str(arch), "-o", str(sums), "--overwrite"]) == 2
    assert sums.read_bytes() == before


def test_archive_line_of_a_file_kept_as_is_names_no_python_none(tmp_path: Path, capsys) -> None:
    # QA (session 6): `archive` of an EXR printed "archived x.exr 1.00:1 (opaque, None)"
    src = tmp_path / "in"
    src.mkdir()
    (src / "shot.0001.exr").write_bytes(b"v/1\x01" + bytes(range(256)) * 8)  # not modelled: kept as it is
    assert main(["archive", str(src), "-o", str(tmp_path / "arch")]) == 0
    out = capsys.readouterr().out
    assert "archived shot.0001.exr" in out and "None" not in out, out


def test_analyse_output_directory_gets_the_default_file_name(dpx_sequence: Path, tmp_path: Path) -> None:
    """QA: ``analyse … -o newdir/`` wrote a *file* named ``newdir``; a trailing slash or an existing directory
    means a directory, and the catalogue goes inside it under its default name."""
    new = tmp_path / "newdir"
    assert main(["analyse", str(dpx_sequence), "--no-text", "-o", f"{new}/"]) == 0
    assert new.is_dir() and json.loads((new / "catalogue.json").read_text())["frames"]
    existing = tmp_path / "there"
    existing.mkdir()
    assert main(["analyse", str(dpx_sequence), "--no-text", "-o", str(existing)]) == 0
    assert json.loads((existing / "catalogue.json").read_text())["frames"]
