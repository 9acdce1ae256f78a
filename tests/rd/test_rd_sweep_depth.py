"""A 16-bit image in an RD sweep: a codec storing fewer bits is skipped with the reason, learned codecs too
(QA session 17, researcher: the learned codec converted the image to 8 bits, then every row failed with
``decoded uint8 does not match reference uint16``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.io import as_image, write_image
from qualipress.rd.sweep import run_rd


def _deep_dir(tmp_path: Path) -> Path:
    d = tmp_path / "deep"
    d.mkdir()
    y, x = np.mgrid[0:40, 0:48].astype(np.float64)
    px = np.stack([x * 1300, y * 1500, (x + y) * 700], -1).astype(np.uint16)
    write_image(d / "deep.png", as_image(px))
    return d


def test_learned_codec_on_16_bit_input_is_refused_like_the_others(tmp_path: Path) -> None:
    from qualipress.learned.weights import shipped_file

    if shipped_file("bmshj2018-hyperprior") is None:
        pytest.skip("shipped model not present")
    codec = "learned:bmshj2018-hyperprior"
    res = run_rd(_deep_dir(tmp_path), tmp_path / "out", codecs=["jpeg", codec],
                 qualities={"jpeg": [50.0], codec: [4.0]}, metrics=["psnr"], anchor=None,
                 encode_options={codec: {"weights": "shipped"}})
    assert res.computed == 0 and len(res.errors) == 2, res.errors
    for e in res.errors:
        assert "16-bit" in e["error"] and "does not match" not in e["error"], e
    learned = next(e for e in res.errors if e["codec"] == codec)
    assert "8-bit" in learned["error"]
