"""QA 20 (web): a one-frame GIF was refused ("GIF is not read by qualipress"); it is read now as a palette PNG is
(expanded to RGB, or RGBA when it has a transparent index), and an animated one is refused naming its frames. A
``.mpo`` (multi-picture JPEG from stereo cameras) was read when named but silently passed over in a folder; it is a
JPEG source either way now: its primary image compressed, the decision naming the further pictures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.io import find_images, read_image
from qualipress.io.readers import PALETTE_EXPANDED
from tests.conftest import photo_like


def _logo(path: Path) -> np.ndarray:
    """A palette GIF whose index 0 is transparent; returns what a browser shows (RGBA)."""
    idx = np.zeros((24, 40), np.uint8)
    idx[4:20, 6:34] = (np.arange(16 * 28).reshape(16, 28) % 15) + 1
    im = PILImage.fromarray(idx, "P")
    im.putpalette([v for k in range(256) for v in ((k * 37) % 256, (k * 91) % 256, (k * 13) % 256)])
    im.save(path, transparency=0)
    with PILImage.open(path) as back:
        return np.asarray(back.convert("RGBA"))


def test_a_still_palette_gif_with_transparency_is_read_as_rgba(tmp_path: Path) -> None:
    shown = _logo(tmp_path / "logo.gif")
    image = read_image(tmp_path / "logo.gif")
    assert image.pixels.shape == (24, 40, 4) and image.metadata["converted"] == PALETTE_EXPANDED
    assert np.array_equal(image.pixels, shown) and image.metadata["format"] == "gif"
    PILImage.fromarray(photo_like(20, 30)).convert("P").save(tmp_path / "opaque.gif")
    assert read_image(tmp_path / "opaque.gif").pixels.shape == (20, 30, 3)


def test_a_still_gif_is_compressed_for_the_web_with_its_transparency(tmp_path: Path) -> None:
    shown = _logo(tmp_path / "logo.gif")
    out = tmp_path / "o"
    assert main(["compress", str(tmp_path / "logo.gif"), "-o", str(out), "--for", "web"]) == 0
    record = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])
    with PILImage.open(record["output"]) as im:
        got = np.asarray(im.convert("RGBA")).astype(int)
    assert np.array_equal(got[..., 3], shown[..., 3])  # the transparent index stays transparent, exactly
    opaque = shown[..., 3] > 0
    assert np.abs(got[..., :3] - shown[..., :3])[opaque].mean() < 8


def test_gif_and_mpo_files_are_found_in_a_folder(tmp_path: Path) -> None:
    _logo(tmp_path / "a.gif")
    PILImage.fromarray(photo_like(16, 16)).save(tmp_path / "b.mpo", "JPEG")
    assert sorted(f.rel.name for f in find_images([tmp_path])) == ["a.gif", "b.mpo"]


def _stereo(path: Path) -> None:
    left = PILImage.fromarray(photo_like(64, 96))
    right = PILImage.fromarray(photo_like(64, 96, seed=1))
    left.save(path, save_all=True, append_images=[right], format="MPO", quality=95)


@pytest.mark.parametrize("named", [True, False])
def test_an_mpo_is_a_jpeg_source_named_or_in_a_folder(tmp_path: Path, named: bool) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _stereo(folder / "pair.mpo")
    out = tmp_path / "o"
    given = folder / "pair.mpo" if named else folder
    assert main(["compress", str(given), "-o", str(out), "--codec", "jpeg,avif"]) == 0
    record = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert Path(record["input"]).name == "pair.mpo" and Path(record["output"]).exists()
    assert any("1 further MPF image(s)" in d for d in record["decisions"])
    image = read_image(folder / "pair.mpo")
    assert image.metadata["format"] == "jpeg" and "extension_mismatch" not in image.metadata


def test_the_canvas_a_gif_frame_leaves_uncovered_is_transparent(tmp_path: Path) -> None:
    """A GIF's one frame may cover part of its canvas (logical screen); browsers show the rest transparent, Pillow
    paints it with a palette colour."""
    small = tmp_path / "small.gif"
    PILImage.fromarray(np.full((10, 10, 3), (200, 30, 30), np.uint8)).save(small)
    data = bytearray(small.read_bytes())
    data[6:10] = (20).to_bytes(2, "little") * 2  # a 20x20 canvas
    at = data.index(b"\x2c\x00\x00\x00\x00\x0a\x00\x0a\x00")
    data[at + 1 : at + 5] = (5).to_bytes(2, "little") * 2  # the 10x10 frame at (5, 5)
    (tmp_path / "framed.gif").write_bytes(bytes(data))
    px = read_image(tmp_path / "framed.gif").pixels
    assert px.shape == (20, 20, 4)
    assert (px[5:15, 5:15, 3] == 255).all() and (px[5:15, 5:15, :3] == (200, 30, 30)).all()
    assert px[..., 3].sum() == 100 * 255  # nothing else is shown
