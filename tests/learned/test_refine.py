"""Encode-side latent refinement (``refine=N``): files stay decodable, the RD loss never gets worse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import UnsupportedError

from .conftest import DATA, synthetic_rgb


def _padded(x: np.ndarray, factor: int = 64):
    import torch

    h, w = x.shape[:2]
    p = np.pad(x, ((0, -h % factor), (0, -w % factor), (0, 0)), mode="edge")
    return torch.from_numpy(p.transpose(2, 0, 1).copy()).float().div_(255.0).unsqueeze(0)


def _photo() -> np.ndarray:
    from PIL import Image as PILImage

    path = DATA / "train" / "bsd300_test100" / "img_030.png"  # held-out training data, never Kodak
    if not path.exists():
        return synthetic_rgb(96, 128)
    return np.asarray(PILImage.open(path).convert("RGB"))[64:160, 128:256]


def test_refined_file_decodes_with_the_unchanged_decoder(tiny_hyperprior: Path) -> None:
    from qualipress.learned.codec import decode_qlc, make_codec

    codec = make_codec("bmshj2018-hyperprior").with_weights(tiny_hyperprior)
    x = synthetic_rgb(40, 70)
    plain = codec.encode(x, quality=3)
    assert codec.encode(x, quality=3, refine=0) == plain  # refine 0 is exactly the default encoder
    refined = codec.encode(x, quality=3, refine=4)
    assert refined == codec.encode(x, quality=3, refine=4)  # deterministic (seeded SGA noise)
    out = decode_qlc(refined, weights=tiny_hyperprior)
    assert out.pixels.shape == (40, 70, 3) and out.pixels.dtype == np.uint8
    assert refined[:4] == plain[:4] and len(refined) > 56


@pytest.mark.parametrize("bad", [-1, 2.5, "10", True, 10_000])
def test_bad_refine_values_are_refused(tiny_hyperprior: Path, bad: object) -> None:
    from qualipress.learned.codec import make_codec

    codec = make_codec("bmshj2018-hyperprior").with_weights(tiny_hyperprior)
    with pytest.raises(UnsupportedError, match="refine"):
        codec.encode(synthetic_rgb(16, 16), quality=3, refine=bad)


def test_refinement_needs_the_scale_hyperprior(tiny_factorized: Path) -> None:
    from qualipress.learned.codec import make_codec

    codec = make_codec("bmshj2018-factorized").with_weights(tiny_factorized)
    with pytest.raises(UnsupportedError, match="scale-hyperprior"):
        codec.encode(synthetic_rgb(16, 16), quality=3, refine=2)


def test_shipped_model_refinement_lowers_the_rate_distortion_loss() -> None:
    """With the shipped model, 20 iterations lower this image's hard-rounded RD loss, and the coded file
    (real bytes, real decode) is better in that loss too."""
    from qualipress.learned.codec import make_codec
    from qualipress.learned.refine import lambda_for, refine_latents
    from qualipress.learned.weights import shipped_file

    if shipped_file("bmshj2018-hyperprior") is None:
        pytest.skip("shipped model not present")
    codec = make_codec("bmshj2018-hyperprior")
    x = _photo()
    loaded, step, _ = codec._model_for(2)
    lam = lambda_for(loaded, 2)
    assert lam == pytest.approx(loaded.meta["lmbda"])
    _, _, info = refine_latents(loaded.model, _padded(x), step, iterations=20, lmbda=lam, region=x.shape[:2])
    assert info["refined"] == 1.0 and info["loss_after"] < info["loss_before"]

    def coded_loss(data: bytes) -> float:
        mse = np.mean((codec.decode(data).pixels.astype(np.float64) - x) ** 2) / 255.0**2
        return len(data) * 8 / (x.shape[0] * x.shape[1]) + lam / step**2 * 255.0**2 * mse

    assert coded_loss(codec.encode(x, quality=2, refine=20)) < coded_loss(codec.encode(x, quality=2))


def test_official_weights_use_compressai_lambdas() -> None:
    from types import SimpleNamespace

    from qualipress.learned._compressai import architecture
    from qualipress.learned.refine import lambda_for

    arch = architecture("bmshj2018-hyperprior")
    official = SimpleNamespace(arch=arch, meta={"config": None}, quality=3, path=Path("x.pth.tar"))
    assert lambda_for(official, 3) == arch.lambdas[3] == pytest.approx(0.0067)
    unknown = SimpleNamespace(arch=arch, meta={}, quality=None, path=Path("y.pt"))
    with pytest.raises(UnsupportedError, match="λ"):
        lambda_for(unknown, 4.5)


@pytest.mark.parametrize("bf16", [False, True])
def test_bf16_iterations_still_give_a_loss_no_worse(tiny_hyperprior: Path, monkeypatch: pytest.MonkeyPatch,
                                                    bf16: bool) -> None:
    from qualipress.learned import refine
    from qualipress.learned.weights import load_file

    monkeypatch.setattr(refine, "BF16", bf16)
    loaded = load_file(tiny_hyperprior, "bmshj2018-hyperprior")
    x = synthetic_rgb(40, 70)
    y, z, info = refine.refine_latents(loaded.model, _padded(x), 1.0, iterations=3, lmbda=0.013, region=(40, 70))
    assert info["loss_after"] <= info["loss_before"]
    assert y.shape[1] == 16 and z.shape[1] == 16 and not y.requires_grad


def test_encode_command_takes_refine_as_a_codec_option(tmp_path: Path, tiny_hyperprior: Path) -> None:
    from PIL import Image

    from qualipress.cli import main
    from qualipress.learned.codec import make_codec

    src = tmp_path / "in.png"
    x = synthetic_rgb(40, 50)
    Image.fromarray(x).save(src)
    out = tmp_path / "out.qlc"
    base = ["encode", str(src), "-o", str(out), "--codec", "learned:bmshj2018-hyperprior", "--quality", "4",
            "--weights", str(tiny_hyperprior), "--overwrite"]
    assert main([*base, "--codec-opt", "refine=3"]) == 0
    codec = make_codec("bmshj2018-hyperprior").with_weights(tiny_hyperprior)
    assert out.read_bytes() == codec.encode(x, quality=4, refine=3)
    assert main([*base, "--codec-opt", "refine=-2"]) == 2
    assert main([*base, "--codec-opt", "nonsense=1"]) == 2


def test_rd_rows_coded_with_other_encode_options_are_not_reused(tmp_path: Path, synth_dir: Path,
                                                                 tiny_hyperprior: Path) -> None:
    from qualipress.rd import run_rd

    codec = "learned:bmshj2018-hyperprior"

    def run(options: dict) -> object:
        return run_rd(synth_dir, tmp_path / "rd", codecs=[codec], qualities={codec: [3.0]}, metrics=["psnr"],
                      anchor=None, limit=1, encode_options={codec: {"weights": str(tiny_hyperprior), **options}})

    assert run({}).computed == 1
    assert run({}).computed == 0  # cached
    refined = run({"refine": 2})
    assert refined.computed == 1 and refined.cached == 0
    assert run({"refine": 2}).computed == 0 and run({}).computed == 0
