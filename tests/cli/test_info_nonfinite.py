"""``info`` on a float file holding NaN/Inf samples shows its facts and says so; compress still refuses it
(QA: info refused such an EXR outright)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main


def test_info_shows_an_exr_with_nan_and_compress_refuses_it(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    oiio = pytest.importorskip("OpenImageIO")
    px = np.random.default_rng(0).random((16, 20, 3)).astype(np.float32) + 0.5
    px[2, 3, 0], px[4, 5, 1], px[6, 7, 2] = np.nan, np.inf, np.nan
    path = tmp_path / "nan.exr"
    out = oiio.ImageOutput.create(str(path))
    out.open(str(path), oiio.ImageSpec(20, 16, 3, "half"))
    out.write_image(px)
    out.close()
    before = path.read_bytes()
    assert main(["info", str(path), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert (facts["width"], facts["height"]) == (20, 16)
    assert "2 NaN and 1 Inf" in facts["non_finite"]
    finite = px[np.isfinite(px)].astype(np.float16)
    assert facts["min"] == pytest.approx(float(finite.min())) and facts["max"] == pytest.approx(float(finite.max()))
    assert main(["info", str(path)]) == 0
    assert "NaN" in capsys.readouterr().out
    assert main(["compress", str(path), "-o", str(tmp_path / "out"), "--codec", "jpegxl"]) == 1
    assert "NaN/Inf" in capsys.readouterr().err
    assert path.read_bytes() == before
