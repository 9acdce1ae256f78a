"""A half-float EXR frame with NaN/Inf samples reads: ``film analyse`` says what is wrong with it (NaN/Inf, how
many), not "UNREADABLE"; ``compress`` still refuses it with the counts and what to do; ``archive`` keeps it
bit-exact (fix20film)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.film import catalogue as cat_mod


def _nan_exr(path: Path) -> None:
    oiio = pytest.importorskip("OpenImageIO")
    px = np.full((40, 48, 3), 0.25, np.float32)
    px[1, 2, 0], px[3, 4, 1], px[5, 6, 2] = np.nan, np.inf, -np.inf
    out = oiio.ImageOutput.create(str(path))
    out.open(str(path), oiio.ImageSpec(48, 40, 3, "half"))
    out.write_image(px)
    out.close()


def test_analyse_names_nan_inf_not_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shot = tmp_path / "shot"
    shot.mkdir()
    _nan_exr(shot / "shot.1001.exr")
    rec = cat_mod.catalogue_frame(shot / "shot.1001.exr", text=False)
    assert rec["status"] == "non_finite"
    assert rec["non_finite"] == {"nan": 1, "inf": 2, "samples": 40 * 48 * 3}
    assert (rec["width"], rec["height"], rec["bit_depth"]) == (48, 40, 16)
    assert main(["analyse", str(shot), "--no-text"]) == 1  # a frame not analysed: still a non-zero exit
    out = capsys.readouterr()
    assert "UNREADABLE" not in out.out + out.err
    assert "NaN/Inf shot.1001.exr: 48x40 16-bit float, 1 NaN and 2 Inf sample(s) of 5760" in out.err
    assert "1 frame(s) hold NaN/Inf samples" in out.out
    assert "unreadable" not in out.out


def test_compress_refuses_with_counts_and_archive_keeps_bits(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    shot = tmp_path / "shot"
    shot.mkdir()
    _nan_exr(shot / "shot.1001.exr")
    before = (shot / "shot.1001.exr").read_bytes()
    assert main(["compress", str(shot / "shot.1001.exr"), "-o", str(tmp_path / "out"), "--codec", "jpegxl"]) == 1
    err = capsys.readouterr().err
    assert "1 NaN and 2 Inf sample(s)" in err and "replace them" in err
    assert main(["archive", str(shot), "-o", str(tmp_path / "arch")]) == 0
    assert main(["restore", str(tmp_path / "arch"), "-o", str(tmp_path / "back")]) == 0
    capsys.readouterr()
    (back,) = [p for p in (tmp_path / "back").rglob("*.exr")]
    assert back.read_bytes() == before
    assert json.dumps(cat_mod.catalogue([shot], text=False))  # the record is plain JSON
