import numpy as np
import pytest

torch = pytest.importorskip("torch")

from qualipress.errors import ModelError, UnsupportedError  # noqa: E402
from qualipress.io import Image  # noqa: E402
from qualipress.preprocess.model import (  # noqa: E402
    apply_network,
    build_unet,
    count_parameters,
    load_model,
    save_model,
)

from .conftest import textured  # noqa: E402


def _random_model(base=8):
    torch.manual_seed(0)
    m = build_unet(base=base)
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.05)
    return m.eval()


def test_untrained_network_is_identity():
    img = textured(h=37, w=53)
    out = apply_network(build_unet(base=8).eval(), img)
    assert np.array_equal(out.pixels, img.pixels)


def test_architecture_levels_and_residual():
    m = build_unet(base=16)
    assert len(m.down) == 3 and len(m.up_t) == 3
    assert m.down[0][0].stride == (2, 2) and m.down[0][2].out_channels == 32
    assert m.up_t[0].kernel_size == (2, 2) and m.up_t[0].stride == (2, 2)
    assert m.up_c[0][0].out_channels == m.up_c[0][0].in_channels // 2
    assert count_parameters(m) * 4 < 5 * 1024 * 1024  # fp32 weights under 5 MB


@pytest.mark.parametrize(
    ("dtype", "bit_depth", "channels", "size"),
    [(np.uint8, 8, 3, (13, 7)), (np.uint16, 16, 3, (40, 33)), (np.uint16, 10, 1, (20, 30)),
     (np.uint8, 8, 4, (24, 40)), (np.uint16, 12, 2, (9, 9)), (np.uint8, 8, 3, (1, 1))],
)
def test_formats_shapes_and_ranges(dtype, bit_depth, channels, size):
    img = textured(h=size[0], w=size[1], dtype=dtype, bit_depth=bit_depth, channels=channels)
    before = img.pixels.copy()
    out = apply_network(_random_model(), img)
    assert np.array_equal(img.pixels, before)
    assert out.pixels.shape == img.pixels.shape and out.pixels.dtype == img.pixels.dtype
    assert out.bit_depth == bit_depth
    assert int(out.pixels.max()) <= (1 << bit_depth) - 1
    if img.has_alpha:
        assert np.array_equal(out.pixels[..., -1], img.pixels[..., -1])


def test_16bit_keeps_precision():
    """A 16-bit image is not squeezed through 8 bits: outputs use more than 256 distinct levels."""
    img = textured(h=64, w=64, dtype=np.uint16, bit_depth=16, noise=2.0)
    out = apply_network(_random_model(), img)
    assert len(np.unique(out.pixels)) > 1024


def test_tiled_matches_whole_image():
    m = _random_model()
    img = textured(h=150, w=170, seed=3)
    whole = apply_network(m, img, tile=1024).pixels.astype(int)
    tiled = apply_network(m, img, tile=96, overlap=24).pixels.astype(int)
    # receptive field of the 3-level net is larger than the overlap: allow small seam differences
    assert np.abs(whole - tiled).mean() < 0.5
    assert np.abs(whole - tiled).max() <= 8


def test_float_and_bad_tiling_refused():
    m = _random_model()
    with pytest.raises(UnsupportedError):
        apply_network(m, Image(np.zeros((8, 8, 3), np.float32), 32, transfer="linear"))
    with pytest.raises(UnsupportedError):
        apply_network(m, textured(), tile=64, overlap=32)


def test_save_load_roundtrip(tmp_path):
    m = _random_model()
    p = save_model(tmp_path / "m.pt", m, record={"note": "test"})
    back = load_model(p)
    img = textured(h=32, w=48)
    assert np.array_equal(apply_network(m, img).pixels, apply_network(back, img).pixels)
    assert back.record == {"note": "test"}


def test_missing_corrupt_and_foreign_models(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "absent.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"this is not a checkpoint")
    with pytest.raises(ModelError, match="not a readable"):
        load_model(bad)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(ModelError, match="not a qualipress Kuchen model"):
        load_model(other)
    wrong = tmp_path / "wrong.pt"
    payload = torch.load(save_model(tmp_path / "ok.pt", _random_model(base=8)), weights_only=True)
    payload["arch"]["base"] = 16  # weights of an 8-wide net declared as 16-wide
    torch.save(payload, wrong)
    with pytest.raises(ModelError, match="do not fit"):
        load_model(wrong)
    payload["arch"]["name"] = "resnet"
    torch.save(payload, wrong)
    with pytest.raises(ModelError, match="architecture 'resnet'"):
        load_model(wrong)


def test_strength_scales_the_difference(tmp_path):
    from qualipress.preprocess.model import set_strength

    m = _random_model()
    img = textured(h=32, w=40, noise=1.0)
    full = apply_network(m, img).pixels.astype(float) - img.pixels
    set_strength(m, 0.5)
    half = apply_network(m, img).pixels.astype(float) - img.pixels
    assert np.abs(half - 0.5 * full).max() <= 1.0
    back = load_model(save_model(tmp_path / "s.pt", m))
    assert back.strength == 0.5
    set_strength(back, 0.0)
    assert np.array_equal(apply_network(back, img).pixels, img.pixels)
    with pytest.raises(UnsupportedError):
        set_strength(back, 5.0)
