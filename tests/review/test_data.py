"""Review of a real float EXR frame against its qualipress JPEG XL (needs ../shared/data; skips otherwise)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import read_image, to_perceptual_image

from .conftest import make_client


def _hdr_film() -> Path:
    env = os.environ.get("QUALIPRESS_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    d = root.resolve() / "hdr_film"
    if not (d / "Desk.exr").is_file():
        pytest.skip("../shared/data/hdr_film is absent")
    return d


@pytest.mark.data
def test_exr_and_its_pq_jxl_are_shown_on_one_signal(tmp_path: Path) -> None:
    src = _hdr_film() / "Desk.exr"
    codec = codecs.get("jpegxl")
    image = read_image(src)
    root = tmp_path / "pairs"
    (root / "original").mkdir(parents=True)
    (root / "jpegxl-d2").mkdir()
    (root / "original" / "Desk.exr").symlink_to(src)  # symlinks inside the collection to data elsewhere
    (root / "jpegxl-d2" / "Desk.jxl").write_bytes(codec.encode(to_perceptual_image(image), quality=2.0))
    with make_client(root, tmp_path / "r.sqlite") as c:
        eid = c.post("/api/evaluators", json={"name": "hdr"}).json()["id"]
        t = c.post("/api/next", json={"evaluator_id": eid}).json()["trial"]
        assert t["left"]["transform"].startswith("float linear → PQ")
        assert "PQ code values" in t["right"]["transform"]
        assert (t["width"], t["height"]) == (image.width, image.height) and not t["size_mismatch"]
        left = np.asarray(PILImage.open(io.BytesIO(c.get(t["left"]["url"]).content))).astype(int)
        right = np.asarray(PILImage.open(io.BytesIO(c.get(t["right"]["url"]).content))).astype(int)
    assert left.shape == right.shape == (image.height, image.width, image.n_channels)
    diff = np.abs(left - right)[..., :3]
    assert diff.mean() < 3.0  # compression error only; a transform mismatch would be tens of levels
    assert 20 < left[..., :3].mean() < 235  # not a black or white page
