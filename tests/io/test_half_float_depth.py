"""``info`` and ``analyse`` name a half-float source's 16-bit samples (QA 11 finding 8: they said "32-bit", the
float32 the reader holds); the pixels are read exactly as before."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.io import read_image
from qualipress.io.image import SAMPLE_TYPE


def _pixels() -> np.ndarray:
    rng = np.random.default_rng(3)
    return (rng.random((24, 32, 3)) * 4.0).astype(np.float16)


def _write_exr(path: Path, px: np.ndarray, fmt: str) -> None:
    oiio = pytest.importorskip("OpenImageIO")
    out = oiio.ImageOutput.create(str(path))
    out.open(str(path), oiio.ImageSpec(px.shape[1], px.shape[0], px.shape[2], fmt))
    out.write_image(px.astype(np.float32))
    out.close()


@pytest.mark.parametrize(("suffix", "fmt", "bits"), [(".exr", "half", 16), (".exr", "float", 32),
                                                     (".tif", "half", 16), (".tif", "float", 32)])
def test_info_names_the_stored_float_depth(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           suffix: str, fmt: str, bits: int) -> None:
    px = _pixels()
    path = tmp_path / f"f{suffix}"
    if suffix == ".exr":
        _write_exr(path, px, fmt)
    else:
        import tifffile

        tifffile.imwrite(path, px if fmt == "half" else px.astype(np.float32), photometric="rgb")
    img = read_image(path)
    assert img.pixels.dtype == np.float32 and np.array_equal(img.pixels, px.astype(np.float32))  # as before
    assert img.bit_depth == 32  # what processing sees is unchanged
    assert img.metadata[SAMPLE_TYPE] == fmt
    assert main(["info", str(path), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["bit_depth"] == bits and facts["dtype"] == "float32"
    assert main(["info", str(path)]) == 0
    assert ("half float" in capsys.readouterr().out) == (fmt == "half")


def test_analyse_calls_a_half_float_exr_16_bit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "shot.1001.exr"
    _write_exr(path, _pixels(), "half")
    assert main(["analyse", str(path), "--no-text"]) == 0
    out = capsys.readouterr().out
    assert "16-bit linear" in out and "32-bit" not in out and "bits [16]" in out
