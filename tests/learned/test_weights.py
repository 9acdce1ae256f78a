"""Where weights come from: user file, CompressAI's cache, shipped model; never a download."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import ModelError, UnsupportedError


def test_corrupt_weights_name_the_architecture(tmp_path: Path) -> None:
    from qualipress.learned.weights import load_file

    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"this is not a model")
    with pytest.raises(ModelError, match="bmshj2018-hyperprior"):
        load_file(bad, "bmshj2018-hyperprior")
    with pytest.raises(ModelError, match=r"not found|cannot read"):
        load_file(tmp_path / "missing.pt", "bmshj2018-hyperprior")


def test_weights_of_another_architecture(tiny_factorized: Path) -> None:
    from qualipress.learned.weights import load_file

    with pytest.raises(ModelError, match="expected 'bmshj2018-hyperprior'"):
        load_file(tiny_factorized, "bmshj2018-hyperprior")


def test_plain_state_dict_of_wrong_shape(tmp_path: Path) -> None:
    import torch

    from qualipress.learned.weights import load_file

    p = tmp_path / "sd.pth.tar"
    torch.save({"foo.weight": torch.zeros(3)}, p)
    with pytest.raises(ModelError, match="bmshj2018-hyperprior"):
        load_file(p, "bmshj2018-hyperprior")


def test_no_weights_anywhere_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from qualipress.learned import weights

    monkeypatch.setattr(weights, "SHIPPED_DIR", tmp_path / "none")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(ModelError, match="never downloads"):
        weights.resolve("mbt2018-mean", 3)


def test_official_checkpoint_in_compressai_cache_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A CompressAI-format state dict in torch.hub's checkpoint dir is found for that quality only."""
    from qualipress.learned import weights
    from qualipress.learned._compressai import build_model
    from qualipress.learned.codec import make_codec

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(weights, "SHIPPED_DIR", tmp_path / "none")
    import torch

    model = build_model("bmshj2018-factorized", (16, 24))
    model.update(force=True)
    cache = weights.compressai_cache_dir()
    cache.mkdir(parents=True)
    from compressai.zoo.image import model_urls

    torch.save(model.state_dict(), cache / model_urls["bmshj2018-factorized"]["mse"][2].rsplit("/", 1)[-1])
    loaded = weights.resolve("bmshj2018-factorized", 2)
    assert loaded.source == "compressai-cache" and loaded.steps is None and loaded.quality == 2
    c = make_codec("bmshj2018-factorized")
    x = np.full((20, 20, 3), 100, np.uint8)
    assert c.decode(c.encode(x, quality=2)).pixels.shape == (20, 20, 3)
    with pytest.raises(UnsupportedError, match="integer"):
        c._model_for(2.5, str(cache / model_urls["bmshj2018-factorized"]["mse"][2].rsplit("/", 1)[-1]))
    with pytest.raises(ModelError):
        weights.resolve("bmshj2018-factorized", 3)
