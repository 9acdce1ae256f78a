"""The collection report names frames an archive stored whole ("opaque": a zlib TIFF, an EXR) instead of "?".

Found by qa10: ``archive`` of deflate-compressed 16-bit TIFFs (stored opaque, no pixel coder) followed by
``report`` printed a "lossless ?" row; the manifest record has ``codec: null`` and ``model: "opaque"``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.film.report import build_report, normalise

tifffile = pytest.importorskip("tifffile")


def _opaque_record() -> dict[str, object]:
    return {"kind": "lossless", "status": "ok", "codec": None, "model": "opaque", "source": "s/a.0001.tif",
            "output": "s/a.0001.tif.qpl", "source_bytes": 1000, "output_bytes": 1001, "encodes": 0}


def test_normalise_names_an_opaque_frame() -> None:
    row = normalise(_opaque_record())
    assert row is not None
    assert row["codec"] == "opaque"


def test_normalise_still_names_a_pixel_coder_and_unknowns() -> None:
    assert normalise({**_opaque_record(), "codec": "jpegls", "model": "tiff"})["codec"] == "jpegls"
    assert normalise({**_opaque_record(), "model": None})["codec"] == "?"


def test_report_of_an_archive_of_compressed_tiffs_has_no_unnamed_codec(tmp_path: Path) -> None:
    from qualipress.film.archive import archive_paths

    src = tmp_path / "src" / "shot"
    src.mkdir(parents=True)
    rng = np.random.default_rng(3)
    for i in (1, 2):
        px = rng.integers(0, 65535, (24, 32, 3), dtype=np.uint16)
        tifffile.imwrite(src / f"shot.{i:04d}.tif", px, photometric="rgb", compression="zlib")
    archive_paths([tmp_path / "src"], tmp_path / "arch")
    data = build_report([tmp_path / "arch"], tmp_path / "rep" / "report.html")
    codecs = {r["codec"] for r in data["summary"]}
    assert "?" not in codecs
    assert "opaque" in codecs
