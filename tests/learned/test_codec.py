"""learned:<arch> codecs: real entropy-coded round trips and clear errors for bad input."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import CodecError, InputError, ModelError, UnsupportedError
from qualipress.io.image import Image

from .conftest import synthetic_rgb


@pytest.fixture
def codec(tiny_hyperprior: Path):
    from qualipress.learned.codec import make_codec

    return make_codec("bmshj2018-hyperprior").with_weights(tiny_hyperprior)


def test_round_trip_any_size_and_decode_qlc_agrees(codec, tiny_hyperprior: Path) -> None:
    from qualipress.learned.codec import decode_qlc, is_qlc

    x = synthetic_rgb(37, 70)
    data = codec.encode(x, quality=6)
    assert is_qlc(data)
    out = codec.decode(data)
    assert out.pixels.shape == (37, 70, 3) and out.pixels.dtype == np.uint8 and out.bit_depth == 8
    again = decode_qlc(data, weights=tiny_hyperprior)
    assert np.array_equal(out.pixels, again.pixels)
    assert len(data) < x.nbytes  # an entropy-coded bitstream, not the raw pixels


def test_image_smaller_than_downsampling_factor(codec) -> None:
    x = synthetic_rgb(5, 3)
    out = codec.decode(codec.encode(x, quality=3))
    assert out.pixels.shape == (5, 3, 3)


def test_grey_in_grey_out(codec) -> None:
    x = synthetic_rgb(20, 24)[..., :1]
    out = codec.decode(codec.encode(x, quality=4))
    assert out.pixels.shape == (20, 24, 1)


def test_sixteen_bit_input_is_converted_with_a_warning(codec) -> None:
    from qualipress.learned.codec import LearnedCodecWarning

    x8 = synthetic_rgb(16, 16)
    x16 = Image(x8.astype(np.uint16) * 257, bit_depth=16)
    with pytest.warns(LearnedCodecWarning, match="16-bit"):
        d16 = codec.encode(x16, quality=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d8 = codec.encode(x8, quality=5)
    assert d16 == d8  # the conversion is exact for x*257


def test_alpha_and_float_are_refused(codec) -> None:
    with pytest.raises(UnsupportedError, match="alpha"):
        codec.encode(np.zeros((8, 8, 4), np.uint8), quality=4)
    with pytest.raises(UnsupportedError, match="integer"):
        codec.encode(np.zeros((8, 8, 3), np.float32), quality=4)


def test_quality_range_and_fractional_levels(codec) -> None:
    x = synthetic_rgb(32, 32)
    with pytest.raises(UnsupportedError):
        codec.encode(x, quality=9)
    data = codec.encode(x, quality=4.5)  # variable-rate weights allow fractional levels
    from qualipress.learned import qlc

    h, _ = qlc.unpack(data)
    assert h.quality == pytest.approx(4.5) and h.flags & qlc.FLAG_STEP


def test_lower_quality_uses_a_larger_step(codec) -> None:
    from qualipress.learned import qlc

    steps = [qlc.unpack(codec.encode(synthetic_rgb(32, 32), quality=q))[0].step for q in (1, 4, 8)]
    assert steps[0] > steps[1] > steps[2]


def test_truncated_and_corrupt_files(codec) -> None:
    data = codec.encode(synthetic_rgb(24, 24), quality=4)
    with pytest.raises(InputError, match="truncated"):
        codec.decode(data[:-3])
    bad = bytearray(data)
    bad[-1] ^= 0x55
    with pytest.raises(InputError, match="corrupt"):
        codec.decode(bytes(bad))


def test_file_from_another_model_is_refused(codec, tiny_factorized: Path) -> None:
    from qualipress.learned.codec import decode_qlc, make_codec

    fact = make_codec("bmshj2018-factorized").with_weights(tiny_factorized)
    data = fact.encode(synthetic_rgb(24, 24), quality=4)
    with pytest.raises(CodecError, match="bmshj2018-factorized"):
        codec.decode(data)
    assert decode_qlc(data, weights=tiny_factorized).pixels.shape == (24, 24, 3)


def test_file_decoded_with_other_weights_is_refused(codec, tmp_path: Path, synth_dir: Path) -> None:
    from .conftest import _train

    other = _train(tmp_path / "other.pt", synth_dir, "bmshj2018-hyperprior", (16, 16), steps=1)
    data = codec.encode(synthetic_rgb(24, 24), quality=4)
    with pytest.raises(ModelError, match="weights"):
        codec.with_weights(other).decode(data)


def test_unknown_architecture() -> None:
    from qualipress.learned.codec import make_codec

    with pytest.raises(ModelError, match="known"):
        make_codec("not-a-model")


def test_core_codec_table_resolves_learned_names() -> None:
    from qualipress import codecs

    c = codecs.get("learned:bmshj2018-hyperprior")
    assert c.name == "learned:bmshj2018-hyperprior" and c.info.extension == ".qlc"


def test_shipped_model_codes_kodak_better_than_noise() -> None:
    """The model in the package round-trips a real photo at every quality with rate rising with quality."""
    from qualipress.learned.weights import shipped_file

    if shipped_file("bmshj2018-hyperprior") is None:
        pytest.skip("shipped model not present")
    from PIL import Image as PILImage

    from qualipress.learned.codec import make_codec
    from qualipress.metrics import psnr

    from .conftest import DATA

    path = DATA / "kodak" / "kodim23.png"
    x = np.asarray(PILImage.open(path).convert("RGB"))[128:256, 256:384] if path.exists() else synthetic_rgb(128, 128)
    c = make_codec("bmshj2018-hyperprior")
    sizes, quals = [], []
    for q in (1, 4, 8):
        data = c.encode(x, quality=q)
        sizes.append(len(data))
        quals.append(psnr(x, c.decode(data).pixels))
    assert sizes[0] < sizes[1] < sizes[2]
    assert quals[0] < quals[2]
    flat = np.broadcast_to(x.reshape(-1, 3).mean(0).round().astype(np.uint8), x.shape)
    assert quals[0] > psnr(x, flat) + 5.0  # even the lowest level carries real image content
    assert quals[2] > 26.0


def test_step_one_bitstream_is_compressai_own_and_decodes_alike(tiny_hyperprior: Path) -> None:
    """Channels-last transforms and one-pass scale indexes leave the bitstream exactly CompressAI's."""
    import torch

    from qualipress.learned import ops
    from qualipress.learned.weights import load_file

    model = load_file(tiny_hyperprior, "bmshj2018-hyperprior").model
    x = torch.from_numpy(synthetic_rgb(128, 192).transpose(2, 0, 1).copy()).float().div(255).unsqueeze(0)
    with torch.inference_mode():
        strings, shape = ops.compress(model, x, 1.0)
        theirs = model.compress(x)
        assert strings == [list(s) for s in theirs["strings"]] and list(shape) == list(theirs["shape"])
        ours_hat = ops.decompress(model, strings, shape, 1.0)
        their_hat = model.decompress(theirs["strings"], theirs["shape"])["x_hat"].clamp(0, 1)
    # the synthesis runs in another memory layout: same result up to float rounding (< 1/255 per sample)
    assert float((ours_hat - their_hat).abs().max()) < 1 / 255


def test_decoder_reconstructs_from_rounded_latents_not_noise(tiny_hyperprior: Path) -> None:
    """At any step the decoder sees round(y / s) * s (the quantised mean), the same as the eval-mode forward pass."""
    import torch

    from qualipress.learned import ops
    from qualipress.learned.weights import load_file

    model = load_file(tiny_hyperprior, "bmshj2018-hyperprior").model.eval()
    x = torch.from_numpy(synthetic_rgb(64, 128, 1).transpose(2, 0, 1).copy()).float().div(255).unsqueeze(0)
    with torch.inference_mode():
        for step in (0.5, 2.0):
            strings, shape = ops.compress(model, x, step)
            decoded = ops.decompress(model, strings, shape, step)
            expected = model.g_s(torch.round(model.g_a(x) / step) * step).clamp(0, 1)
            assert float((decoded - expected).abs().max()) < 1e-4
            again = ops.decompress(model, strings, shape, step)  # deterministic: no noise anywhere
            assert torch.equal(decoded, again)
            fwd = ops.forward(model, x, step)["x_hat"].clamp(0, 1)
            assert float((fwd - decoded).abs().max()) < 1e-4
