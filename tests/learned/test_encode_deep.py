"""``qualipress encode`` of a 16-bit image with a learned codec: refused with the remedy, nothing left behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.io import as_image, write_image

from .conftest import synthetic_rgb


def test_deep_image_is_refused_up_front_and_bit_depth_8_works(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """QA: the 16-bit PNG was converted with a Python warning, the .qlc written, then ``decoded uint8 does not
    match reference uint16`` with exit 2 and the file left on disk."""
    from qualipress.learned.weights import shipped_file

    if shipped_file("bmshj2018-hyperprior") is None:
        pytest.skip("shipped model not present")
    src = tmp_path / "deep.png"
    write_image(src, as_image(synthetic_rgb(40, 48).astype(np.uint16) * 257))
    out = tmp_path / "deep.qlc"
    args = ["encode", str(src), "-o", str(out), "--codec", "learned:bmshj2018-hyperprior", "--quality", "4",
            "--weights", "shipped"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--bit-depth 8" in err and "16-bit" in err and "Traceback" not in err
    assert not out.exists()
    assert main([*args, "--bit-depth", "8"]) == 0
    assert out.is_file() and "PSNR" in capsys.readouterr().out
