"""rev20e: awkward file names through the CLI's streams, ``SHA256SUMS`` and the XMP seal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.film import manifest
from qualipress.film.catalogue import catalogue_frame
from qualipress.film.seal import read_seal
from qualipress.io import Image, read_image, write_image


def _cli_env(encoding: str) -> dict[str, str]:
    src = str(Path(__file__).parents[2] / "src")
    return {**os.environ, "PYTHONIOENCODING": encoding, "LC_ALL": "C",
            "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}


def test_a_name_the_locale_cannot_encode_is_printed_escaped_not_a_traceback(dpx_sequence: Path,
                                                                            tmp_path: Path) -> None:
    first = sorted(dpx_sequence.iterdir())[0]
    try:
        first.rename(dpx_sequence / "\u00e9t\u00e9.0001001.dpx")
        (dpx_sequence / os.fsdecode(b"bad\xffbyte.0001006.dpx")).symlink_to("reel.0001005.dpx")
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    done = subprocess.run([sys.executable, "-m", "qualipress", "archive", str(dpx_sequence), "-o",
                           str(tmp_path / "a"), "--codecs", "jpegls"], env=_cli_env("ascii:strict"),
                          capture_output=True)
    assert done.returncode == 0, done.stderr[-400:]  # stopped at the first such name printed, mid-archive
    assert b"archived \\xe9t\\xe9.0001001.dpx" in done.stdout
    assert b"byte.0001006.dpx -> reel.0001005.dpx" in done.stdout  # click's echo: "?" for the byte in ASCII


def test_a_binary_mode_line_of_a_name_with_two_spaces_reads_whole(tmp_path: Path) -> None:
    digest = "ab" * 32
    lines = [f"{digest} *two  spaces.qpl", f"{digest}  *star.qpl", f"{digest} **bin star.qpl", f"{digest}   lead.qpl",
             f"\\{digest} *back\\\\slash  x.qpl"]
    (tmp_path / manifest.SUMS).write_bytes("\n".join(lines).encode() + b"\n")  # as sha256sum -b / text mode
    assert manifest.read_sums(tmp_path) == {n: digest for n in ("two  spaces.qpl", "*star.qpl", "*bin star.qpl",
                                                                " lead.qpl", "back\\slash  x.qpl")}


def test_compress_seals_sources_whose_names_xml_or_utf8_cannot_hold(dpx_sequence: Path, tmp_path: Path) -> None:
    names = [os.fsdecode(b"bad\xffbyte.0001001.dpx"), "form\x0cfeed.0001002.dpx", "cr\rx.0001004.dpx",
             '"quoted".0001005.dpx']
    try:
        for f, name in zip(sorted(dpx_sequence.iterdir()), names, strict=True):
            f.rename(dpx_sequence / name)
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    out = tmp_path / "out"
    # the first failed with UnicodeEncodeError at the seal; the second's seal did not parse (verify checked
    # nothing); the third's read back with LF: "names another source"
    assert main(["compress", str(dpx_sequence), "-o", str(out), "--film", "--codec", "jpegxl"]) == 0
    sealed = {}
    for p in out.glob("*.jxl"):
        sealed[read_seal(p.read_bytes())["source"]] = p
    assert set(sealed) == set(names)
    assert main(["verify", str(out)]) == 0


def test_files_whose_names_are_not_utf8_are_read_and_written_through_openimageio(dpx_sequence: Path,
                                                                                 tmp_path: Path) -> None:
    px = np.full((32, 32, 3), 0.5, np.float32)
    exr = tmp_path / os.fsdecode(b"lin\xfe.0001.exr")
    try:
        sorted(dpx_sequence.iterdir())[0].rename(dpx_sequence / os.fsdecode(b"bad\xffbyte.0001001.dpx"))
        exr.touch()
        exr.unlink()
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    # OpenImageIO's binding refused the name (TypeError): "1 unreadable frame(s)"
    rec = catalogue_frame(dpx_sequence / os.fsdecode(b"bad\xffbyte.0001001.dpx"), text=False)
    assert rec["status"] == "ok" and rec["header"]["width"] == 128
    write_image(exr, Image(px, 32, transfer="linear"))  # written and read through OpenImageIO
    img = read_image(exr)
    assert img.width == 32 and np.allclose(img.pixels, 0.5)


def test_info_of_a_non_finite_exr_whose_name_is_not_utf8(tmp_path: Path) -> None:
    oiio = pytest.importorskip("OpenImageIO")
    px = np.full((8, 8, 3), 0.5, np.float32)
    px[1, 1, 0] = np.nan
    plain, path = tmp_path / "nan.exr", tmp_path / os.fsdecode(b"nan\xfe.exr")
    out = oiio.ImageOutput.create(str(plain))
    out.open(str(plain), oiio.ImageSpec(8, 8, 3, "half"))
    out.write_image(px)
    out.close()
    try:
        plain.rename(path)
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    done = subprocess.run([sys.executable, "-m", "qualipress", "info", str(path), "--json"],
                          env=_cli_env("utf-8:strict"), capture_output=True)
    assert done.returncode == 0, done.stderr[-400:]  # TypeError from OpenImageIO's ImageBuf
    assert "1 NaN" in json.loads(done.stdout)["non_finite"]  # JSON: the raw byte was printed, not valid UTF-8
    assert b"nan\\udcfe.exr" in done.stdout
