"""QA 17 (web): an AVIF or HEIF file's ``nclx`` colour box is read. Before, every AVIF/HEIF was read as sRGB: a
BT.2020 or Display P3 AVIF (no ICC profile, as phones and libavif write them) was re-encoded into files tagged
BT.709, shown desaturated (Chromium: mean |difference| on blue 10.6 → 2.4 code values after this), and a PQ or
HLG (HDR) one was dithered to 8 bits and shown as SDR with wrong tones, exit 0."""

from __future__ import annotations

import json
from pathlib import Path

import imagecodecs
import numpy as np
import pytest

from qualipress.cli import main
from qualipress.io import read_image
from qualipress.io.iccmake import CICP_PRIMARIES, cicp_profile
from qualipress.io.metadata import heif_cicp, read_metadata
from tests.conftest import photo_like


def _avif(path: Path, primaries: int, transfer: int, bits: int = 8) -> None:
    px = photo_like(48, 64).astype(np.uint16)
    if bits > 8:
        px = px * ((1 << bits) - 1) // 255
    path.write_bytes(imagecodecs.avif_encode(px.astype(np.uint8 if bits == 8 else np.uint16), level=90, speed=8,
                                             bitspersample=bits, primaries=primaries, transfer=transfer,
                                             matrix=9 if primaries == 9 else 6))


@pytest.mark.parametrize(("transfer", "name"), [(16, "pq"), (18, "hlg")])
def test_a_pq_or_hlg_avif_reads_as_such_and_web_refuses_it(tmp_path: Path, transfer: int, name: str,
                                                           capsys) -> None:
    _avif(tmp_path / "hdr.avif", 9, transfer, bits=10)
    assert heif_cicp((tmp_path / "hdr.avif").read_bytes())[:2] == (9, transfer)
    assert read_image(tmp_path / "hdr.avif").transfer == name
    args = ["compress", str(tmp_path / "hdr.avif"), "-o", str(tmp_path / "out"), "--for", "web"]
    assert main([*args, "--dry-run"]) == 0
    assert f"would fail {tmp_path / 'hdr.avif'}" in capsys.readouterr().out
    assert main([*args, "--json"]) == 1
    row = json.loads(capsys.readouterr().out)["per_file"][0]
    assert f"this one is {name} integer" in row["error"] and not list((tmp_path / "out").glob("*.avif"))


def _to_srgb(icc: bytes, rgb: tuple[int, int, int]) -> np.ndarray:
    import io

    from PIL import Image as PILImage
    from PIL import ImageCms

    src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    im = PILImage.new("RGB", (1, 1), rgb)
    return np.asarray(ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB")), dtype=float)[0, 0]


def _expected(primaries: int, rgb: tuple[int, int, int]) -> np.ndarray:
    """sRGB code values of ``rgb`` in the CICP primaries with the sRGB curve, by the matrices (same white)."""
    def to_xyz(c: tuple[float, ...]) -> np.ndarray:
        xyz = lambda x, y: np.array([x / y, 1.0, (1 - x - y) / y])  # noqa: E731
        m = np.stack([xyz(*c[2:4]), xyz(*c[4:6]), xyz(*c[6:8])], axis=1)
        return m * np.linalg.solve(m, xyz(*c[:2]))

    v = np.array(rgb) / 255
    lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    srgb = (0.3127, 0.3290, 0.64, 0.33, 0.30, 0.60, 0.15, 0.06)
    out = np.clip(np.linalg.solve(to_xyz(srgb), to_xyz(CICP_PRIMARIES[primaries]) @ lin), 0, 1)
    return 255 * np.where(out <= 0.0031308, 12.92 * out, 1.055 * out ** (1 / 2.4) - 0.055)


@pytest.mark.parametrize("primaries", [9, 12])
def test_wide_gamut_primaries_become_a_profile_that_maps_like_them(primaries: int) -> None:
    icc = cicp_profile(primaries, 13)
    assert icc is not None and cicp_profile(1, 13) is None and cicp_profile(primaries, 16) is None
    for rgb in [(200, 120, 60), (60, 160, 90), (128, 128, 128), (90, 70, 200)]:
        assert np.abs(_to_srgb(icc, rgb) - _expected(primaries, rgb)).max() <= 2.5, rgb


def test_a_display_p3_avif_output_carries_the_profile(tmp_path: Path, capsys) -> None:
    _avif(tmp_path / "p3.avif", 12, 13)
    meta = read_image(tmp_path / "p3.avif").metadata
    assert meta["cicp"][:2] == [12, 13] and "CICP" in meta["icc_from"]
    assert main(["compress", str(tmp_path / "p3.avif"), "-o", str(tmp_path / "out"), "--for", "web", "--codec",
                 "webp", "--allow-larger", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["per_file"][0]["output"]
    assert read_metadata(Path(out).read_bytes(), "webp").get("icc_profile") == meta["icc_profile"]
