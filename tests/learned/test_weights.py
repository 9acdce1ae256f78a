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


def _fake_official(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arch: str, qualities: list[int]) -> Path:
    """Put CompressAI-format checkpoints of ``arch`` for ``qualities`` into a private torch hub cache."""
    import torch

    from qualipress.learned import weights
    from qualipress.learned._compressai import build_model

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cache = weights.compressai_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    from compressai.zoo.image import model_urls

    for q in qualities:
        model = build_model(arch, (16, 24))
        model.update(force=True)
        torch.save(model.state_dict(), cache / model_urls[arch]["mse"][q].rsplit("/", 1)[-1])
    return cache


def test_partly_cached_official_weights_are_never_mixed_with_the_shipped_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from qualipress.learned import weights

    _fake_official(tmp_path, monkeypatch, "bmshj2018-hyperprior", [2, 3])
    assert weights.cached_official_qualities("bmshj2018-hyperprior") == [2, 3]
    assert weights.resolve("bmshj2018-hyperprior", 3).source == "compressai-cache"
    # quality 5 has no official checkpoint: an error naming what is cached, not the shipped model
    with pytest.raises(ModelError, match=r"qualities 2, 3 only, not for quality 5"):
        weights.resolve("bmshj2018-hyperprior", 5)
    with pytest.raises(ModelError, match="fractional"):
        weights.resolve("bmshj2018-hyperprior", -1)
    # the shipped model stays reachable on request, for every level
    shipped = weights.resolve("bmshj2018-hyperprior", 5, weights=weights.SHIPPED_KEYWORD)
    assert shipped.source == "shipped" and shipped.steps


def test_shipped_keyword_without_a_shipped_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from qualipress.learned import weights

    with pytest.raises(ModelError, match="ships no model"):
        weights.resolve("mbt2018-mean", 3, weights="shipped")


def test_fast_build_indexes_equals_compressai(tiny_hyperprior: Path) -> None:
    import torch

    from qualipress.learned import ops
    from qualipress.learned.weights import load_file

    gc = load_file(tiny_hyperprior, "bmshj2018-hyperprior").model.gaussian_conditional
    table = gc.scale_table.float()
    g = torch.Generator().manual_seed(0)
    scales = torch.cat([
        torch.exp(torch.rand(1, 4, 50, 60, generator=g) * 7 - 4).flatten(),  # 0.018 .. 20: below, in, above
        table, torch.nextafter(table, table + 1), torch.nextafter(table, table - 1), torch.tensor([0.0, 1e9]),
    ]).reshape(1, 1, 1, -1)
    ours = ops.build_indexes(gc, scales)
    theirs = gc.build_indexes(scales)
    assert ours.dtype == theirs.dtype and torch.equal(ours, theirs)
    assert int(ours.min()) == 0 and int(ours.max()) == len(table) - 1  # both ends are reached


def test_importing_compressai_skips_torch_geometric_and_scipy_stats() -> None:
    """A one-image encode must not pay for torch_geometric (-> torch._dynamo) and scipy.stats imports."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from qualipress.learned._compressai import compressai, build_model\n"
        "compressai()\n"
        "print(sorted(m for m in ('torch_geometric', 'torch._dynamo', 'scipy.stats') if m in sys.modules))\n"
        "m = build_model('bmshj2018-hyperprior', (8, 8)); m.update(force=True)\n"  # norm.ppf still works
        "import scipy.stats\n"
        "print(type(scipy.stats.norm).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True)
    first, second = out.stdout.split("\n")[:2]
    assert first == "[]", out.stdout
    assert second == "norm_gen"


def test_importing_compressai_does_not_load_pandas_or_requests() -> None:
    """CompressAI's dataset modules bind pandas/requests at import; the codec must not load them (issue 16)."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("pandas") is None:
        pytest.skip("pandas is not installed: nothing to defer")
    code = (
        "import sys\n"
        "from qualipress.learned._compressai import compressai\n"
        "compressai()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'requests')))\n"
        # the dataset code still reaches the real packages through the names it bound
        "import compressai.datasets.pointcloud.shapenet as sh, compressai.datasets.utils as du\n"
        "import io\n"
        "print(int(sh.pd.read_csv(io.StringIO('a,b\\n1,2\\n')).loc[0, 'b']))\n"
        "import pandas, requests\n"
        "print(sh.pd.DataFrame is pandas.DataFrame, du.requests.get is requests.get)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True)
    first, second, third = out.stdout.split("\n")[:3]
    assert first == "[]", out.stdout
    assert second == "2"
    assert third == "True True"


def test_files_of_a_replaced_shipped_model_still_decode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        tiny_hyperprior: Path) -> None:
    import shutil

    from qualipress.learned import weights
    from qualipress.learned.codec import decode_qlc, make_codec

    data = make_codec("bmshj2018-hyperprior").with_weights(tiny_hyperprior).encode(
        np.full((24, 40, 3), 90, np.uint8), quality=3)
    shipped = tmp_path / "models"
    shipped.mkdir()
    (shipped / "bmshj2018-hyperprior-small.pt").write_bytes(b"a newer model")  # the current one (no match)
    shutil.copyfile(tiny_hyperprior, shipped / "bmshj2018-hyperprior-small.v1.pt")  # the replaced one, kept
    monkeypatch.setattr(weights, "SHIPPED_DIR", shipped)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("QUALIPRESS_WEIGHTS", raising=False)
    weights._CACHE.clear()
    assert [f.name for f in weights.shipped_files("bmshj2018-hyperprior")] == [
        "bmshj2018-hyperprior-small.pt", "bmshj2018-hyperprior-small.v1.pt"]
    out = decode_qlc(data)
    assert out.metadata["learned_weights"]["file"] == "bmshj2018-hyperprior-small.v1.pt"
    assert out.metadata["learned_weights"]["source"] == "shipped"
    (shipped / "bmshj2018-hyperprior-small.v1.pt").unlink()
    weights._CACHE.clear()
    with pytest.raises(weights.WeightsNotFoundError, match=r"bmshj2018-hyperprior-small\.pt"):
        decode_qlc(data)
