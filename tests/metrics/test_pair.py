import numpy as np
import pytest

from qualipress.cli import main
from qualipress.errors import InputError
from qualipress.io import as_image, write_image
from qualipress.metrics import measure
from qualipress.metrics.pair import align_pair
from tests.conftest import photo_like


def test_eight_and_sixteen_bit_of_one_picture_compare_as_identical():
    a = photo_like(40, 48)
    ref, dis, notes = align_pair(as_image(a), as_image(a.astype(np.uint16) * 257))
    assert notes and ref.pixels.dtype == dis.pixels.dtype == np.uint16
    assert measure(ref, dis, ["psnr"])["psnr"].value >= 99


def test_grey_with_alpha_against_rgb():
    g = photo_like(40, 48, channels=1)
    ga = np.concatenate([g, np.full_like(g, 255)], axis=2)
    ref, dis, notes = align_pair(as_image(ga), as_image(np.repeat(g, 3, axis=2)))
    assert ref.n_channels == dis.n_channels == 3 and len(notes) == 2
    assert measure(ref, dis, ["ssim"])["ssim"].value == pytest.approx(1.0)


def test_what_cannot_be_aligned_is_refused():
    a = photo_like(40, 48)
    with pytest.raises(InputError, match="sizes differ"):
        align_pair(as_image(a), as_image(a[:20]))


@pytest.mark.parametrize("shape", [(1, 1), (7, 3)])
def test_compare_on_tiny_images_skips_ms_ssim_with_a_note(tmp_path, capsys, shape):
    p = tmp_path / "t.png"
    write_image(p, as_image(photo_like(*shape)))
    assert main(["compare", str(p), str(p), "--json"]) == 0
    captured = capsys.readouterr()
    assert "ms-ssim skipped" in captured.err and '"ssim"' in captured.out and '"ms-ssim"' not in captured.out
    assert main(["compare", str(p), str(p), "--metric", "ms-ssim"]) == 2  # nothing left to compute


def test_float_source_against_its_pq_coded_output_compares_as_compress_measured_it():
    from qualipress.io.transfer import to_perceptual_image

    lin = as_image(photo_like(40, 48).astype(np.float32) / 255 * 4.0)  # scene-linear, up to 4x diffuse white
    stored = to_perceptual_image(lin)  # what compress encodes for a float source
    ref, dis, notes = align_pair(lin, stored)
    assert any("PQ" in n for n in notes) and not ref.is_float and not dis.is_float
    assert measure(ref, dis, ["psnr"])["psnr"].value >= 99
    darker = to_perceptual_image(lin.with_pixels(lin.pixels * 0.5))
    assert measure(*align_pair(lin, darker)[:2], ["psnr"])["psnr"].value < 40
