"""Multi-layer OpenEXR files: the colour of one layer is read, never another layer's channel as alpha."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress.io import read_image

oiio = pytest.importorskip("OpenImageIO")


def _exr(path, px: np.ndarray, names: list[str]) -> None:
    spec = oiio.ImageSpec(px.shape[1], px.shape[0], px.shape[2], "half")
    spec.channelnames = names
    out = oiio.ImageOutput.create(str(path))
    out.open(str(path), spec)
    out.write_image(px.astype(np.float32))
    out.close()


def test_layered_exr_reads_one_layers_colour(tmp_path) -> None:
    # QA (qa11): channels diffuse.R/G/B + spec.R/G/B were read as RGBA with spec.R as the alpha plane.
    rng = np.random.default_rng(3)
    diffuse = rng.uniform(0.1, 0.9, (12, 20, 3)).astype(np.float32)
    px = np.concatenate([diffuse, diffuse * 2], axis=-1)
    p = tmp_path / "layers.exr"
    _exr(p, px, ["diffuse.R", "diffuse.G", "diffuse.B", "spec.R", "spec.G", "spec.B"])
    img = read_image(p)
    assert img.pixels.shape == (12, 20, 3)
    np.testing.assert_allclose(img.pixels, diffuse, rtol=1e-3)
    assert "spec.R" in img.metadata["not_carried"] and "diffuse" in img.metadata["not_carried"]


def test_layer_with_alpha_and_bare_rgb_with_extra_channels(tmp_path) -> None:
    base = np.full((8, 8, 3), 0.25, np.float32)
    p = tmp_path / "beauty.exr"
    _exr(p, np.concatenate([base, np.full((8, 8, 1), 0.5, np.float32), np.full((8, 8, 1), 7.0, np.float32)], -1),
         ["R", "G", "B", "A", "depth.Z"])
    img = read_image(p)
    assert img.pixels.shape == (8, 8, 4) and float(img.pixels[0, 0, 3]) == 0.5
    assert "depth.Z" in img.metadata["not_carried"]
    q = tmp_path / "layer_alpha.exr"
    _exr(q, np.concatenate([base, np.full((8, 8, 1), 0.5, np.float32)], -1), ["fg.R", "fg.G", "fg.B", "fg.A"])
    img = read_image(q)
    assert img.pixels.shape == (8, 8, 4) and float(img.pixels[0, 0, 3]) == 0.5
    assert "not_carried" not in img.metadata


def test_data_window_other_than_the_display_window_is_named(tmp_path) -> None:
    # QA (qa11): an EXR whose 480x320 data window sits at (100, 50) in an 800x600 display window came out as a
    # 480x320 image with no word that its position (and the rest of the frame) was not carried.
    px = np.full((6, 10, 3), 0.5, np.float32)
    spec = oiio.ImageSpec(10, 6, 3, "half")
    spec.x, spec.y = 4, 2
    spec.full_x, spec.full_y, spec.full_width, spec.full_height = 0, 0, 32, 18
    p = tmp_path / "window.exr"
    out = oiio.ImageOutput.create(str(p))
    out.open(str(p), spec)
    out.write_image(px)
    out.close()
    img = read_image(p)
    assert img.pixels.shape == (6, 10, 3)
    assert "data window 10x6 at (4, 2)" in img.metadata["not_carried"]
    assert "display window 32x18" in img.metadata["not_carried"]


def test_luminance_with_depth_reads_the_luminance_only(tmp_path) -> None:
    # QA (qa11): channels Y + Z (luminance and depth) were read as grey + alpha, the depth as transparency.
    p = tmp_path / "yz.exr"
    px = np.concatenate([np.full((6, 8, 1), 0.3, np.float32), np.full((6, 8, 1), 250.0, np.float32)], -1)
    _exr(p, px, ["Y", "Z"])
    img = read_image(p)
    assert img.pixels.shape == (6, 8, 1) and abs(float(img.pixels[0, 0, 0]) - 0.3) < 1e-3
    assert "Z" in img.metadata["not_carried"]


def test_the_note_names_the_channels_it_kept(tmp_path) -> None:
    # QA (qa12): bare channels kept beside others were reported as "only the R, G, B (A) channels is compressed",
    # also when the kept channel was a luminance Y.
    p = tmp_path / "yz.exr"
    _exr(p, np.concatenate([np.full((6, 8, 1), 0.3, np.float32), np.full((6, 8, 1), 250.0, np.float32)], -1),
         ["Y", "Z"])
    note = read_image(p).metadata["not_carried"]
    assert "only Y is compressed" in note and "R, G, B" not in note
    q = tmp_path / "rgbz.exr"
    _exr(q, np.concatenate([np.full((6, 8, 3), 0.3, np.float32), np.full((6, 8, 1), 9.0, np.float32)], -1),
         ["R", "G", "B", "Z"])
    assert "only R, G, B are compressed" in read_image(q).metadata["not_carried"]


def test_a_multi_part_exr_names_the_parts_it_leaves_out(tmp_path) -> None:
    # qa15film: a two-part EXR ("beauty" R, G, B and "depth" Z) was compressed from its first part with no word
    # of the second, where a layered single-part file's further channels are named
    openexr = pytest.importorskip("OpenEXR")
    rgb = np.full((6, 10, 3), 0.5, np.float32)
    def head() -> dict:
        return {"compression": openexr.ZIP_COMPRESSION, "type": openexr.scanlineimage}

    parts = [openexr.Part(head(), {"R": rgb[..., 0], "G": rgb[..., 1], "B": rgb[..., 2]}, "beauty"),
             openexr.Part(head(), {"Z": np.ones((6, 10), np.float32)}, "depth")]
    p = tmp_path / "parts.exr"
    openexr.File(parts).write(str(p))
    img = read_image(p)
    np.testing.assert_allclose(img.pixels, rgb)
    note = img.metadata["not_carried"]
    assert "2 parts" in note and "'beauty'" in note and "'depth' (Z)" in note
