import json

import numpy as np
import pytest
import typer

from qualipress.errors import ModelError, UnsupportedError
from qualipress.io import read_image, write_image
from qualipress.preprocess import SHIPPED_MODEL, get_preprocessor, preprocessor_names
from qualipress.preprocess.cli import register

from .conftest import textured


def test_get_preprocessor_names():
    img = textured()
    assert get_preprocessor("none")(img) is img
    for name in ["nlm", "detail", "bilateral", "guided", "deblock", "nlm+detail", "detail+nlm"]:
        out = get_preprocessor(name)(img)
        assert out.pixels.shape == img.pixels.shape and out.pixels.dtype == img.pixels.dtype
    assert "kuchen" in preprocessor_names()
    with pytest.raises(UnsupportedError, match="unknown preprocessing"):
        get_preprocessor("sharpen")


def test_missing_model_path_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        get_preprocessor(str(tmp_path / "missing.pt"))


def test_shipped_model_is_small_loads_and_has_a_record():
    pytest.importorskip("torch")
    assert SHIPPED_MODEL.is_file(), "the trained network must ship inside the package"
    assert SHIPPED_MODEL.stat().st_size < 5 * 1024 * 1024
    record = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    assert record["labels"]["config"]["codec"] == "jpeg"
    assert record["loss_curve"] and record["epochs_run"] >= 1
    assert not any("kodak" in s.lower() for s in record["labels"]["sources"]), "never train on Kodak"
    pre = get_preprocessor("kuchen")
    img = textured(h=48, w=64)
    out = pre(img)
    assert out.pixels.shape == img.pixels.shape
    assert not np.array_equal(out.pixels, img.pixels), "a trained network changes the image"
    assert np.abs(out.pixels.astype(int) - img.pixels).mean() < 20, "and stays close to it"


def _run(args, capsys):
    from qualipress.cli import main

    code = main(args)
    out = capsys.readouterr()
    return code, " ".join((out.out + out.err).split())  # rich wraps long lines


def test_cli_label_train_apply(tmp_path, capsys):
    pytest.importorskip("torch")
    data = tmp_path / "data"
    data.mkdir()
    for i in range(2):
        write_image(data / f"i{i}.png", textured(h=60, w=70, seed=i))
    labels = tmp_path / "labels"
    code, out = _run(["preprocess", "label", str(data), "-o", str(labels), "--codec", "jpeg", "--quality", "70",
                      "--metric", "psnr", "--pool", "bilateral,detail", "--max-combo", "2"], capsys)
    assert code == 0, out
    assert "labelled 2" in out
    assert "{" not in out.split("best groups:")[1], out  # a Python dict was printed (UX 17)
    # resuming with another codec is refused with the reason
    code, out = _run(["preprocess", "label", str(data), "-o", str(labels), "--codec", "webp", "--quality", "70",
                      "--metric", "psnr", "--pool", "bilateral,detail"], capsys)
    assert code == 2 and "codec" in out
    model = tmp_path / "m.pt"
    code, out = _run(["preprocess", "train", str(labels), "-o", str(model), "--epochs", "1", "--base", "8",
                      "--threads", "1"], capsys)
    assert code == 0, out
    assert model.is_file() and model.with_suffix(".json").is_file()
    # QA: two images leave no validation split: "val nan" was printed and NaN written (not strict JSON)
    assert "nan" not in out.lower() and "no validation images" in out

    def strict(text):
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))

    curve = strict(model.with_suffix(".json").read_text())["loss_curve"]
    assert curve[0]["val_mse"] is None and curve[0]["train_mse"] > 0
    code, out = _run(["preprocess", "train", str(labels), "-o", str(tmp_path / "m.bin")], capsys)
    assert code == 2 and ".pt" in out
    dest = tmp_path / "out.png"
    code, out = _run(["preprocess", "apply", str(data / "i0.png"), "-o", str(dest), "--model", str(model)], capsys)
    assert code == 0, out
    assert read_image(dest).pixels.shape == (60, 70, 3)
    # a directory with one bad file: the good one is written, the bad one reported, exit code 1
    (data / "bad.png").write_bytes(b"garbage")
    outdir = tmp_path / "outdir"
    code, out = _run(["preprocess", "apply", str(data), "-o", str(outdir), "--model", "bilateral"], capsys)
    assert code == 1
    assert (outdir / "i1.png").is_file() and "bad.png" in out
    # a corrupt model is a clear error
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"nope")
    code, out = _run(["preprocess", "apply", str(data / "i0.png"), "-o", str(dest), "--model", str(bad)], capsys)
    assert code == 2 and "not a readable" in out


def test_cli_apply_16bit_tiff(tmp_path, capsys):
    src = tmp_path / "deep.tif"
    write_image(src, textured(h=40, w=40, dtype=np.uint16, bit_depth=16))
    outdir = tmp_path / "o"
    code, out = _run(["preprocess", "apply", str(src), "-o", str(outdir), "--model", "nlm"], capsys)
    assert code == 0, out
    back = read_image(outdir / "deep.tif")
    assert back.pixels.dtype == np.uint16


def test_register_on_a_bare_app():
    app = typer.Typer()
    bench = typer.Typer()
    register(app, bench)
    names = {c.name for g in app.registered_groups for c in g.typer_instance.registered_commands}
    assert names == {"label", "train", "apply"}
    assert [c.name for c in bench.registered_commands] == ["preprocess"]


def test_core_compress_with_preprocess_measures_against_the_original(tmp_path):
    from qualipress.cli import main

    src = tmp_path / "in.png"
    write_image(src, textured(h=64, w=96, noise=6.0))
    out = tmp_path / "out"
    code = main(["compress", str(src), "-o", str(out), "--codec", "jpeg", "--target", "psnr>=30",
                 "--preprocess", "deadzone"])
    assert code == 0
    report = [json.loads(line) for line in (out / "qualipress-report.jsonl").read_text().splitlines() if line]
    rec = next(r for r in report if r.get("preprocess"))
    assert rec["preprocess"] == "deadzone"
    jpg = next(out.glob("*.jpg"))
    from qualipress import metrics

    got = metrics.psnr(read_image(src), read_image(jpg))
    assert got >= 30 - 1e-6  # the target holds against the ORIGINAL, not the preprocessed image
    assert main(["compress", str(src), "-o", str(tmp_path / "o2"), "--codec", "jpeg", "--target", "psnr>=30",
                 "--preprocess", "no-such-method"]) != 0


def test_bench_preprocess_command(tmp_path):
    from qualipress.cli import main

    for i in range(2):
        write_image(tmp_path / f"k{i}.png", textured(h=48, w=64, seed=i, noise=6.0))
    js = tmp_path / "bench.json"
    assert main(["bench", "preprocess", str(tmp_path), "--methods", "bilateral", "--qualities", "40,60,80,90",
                 "--reference", "60", "--metrics", "psnr", "--json", str(js)]) == 0
    import json

    res = json.loads(js.read_text())["results"]
    assert len(res["bilateral"]["bd_rate"]["psnr"]["per_image"]) == 2
    assert len(res["bilateral"]["sweeps"][0]) == 4 and len(res["bilateral"]["preprocess_seconds"]) == 2
    # a cache makes the second run reuse every sweep (same numbers, nothing encoded again)
    cache = tmp_path / "c.jsonl"
    args = ["bench", "preprocess", str(tmp_path), "--methods", "bilateral", "--qualities", "40,60,80,90",
            "--reference", "60", "--metrics", "psnr", "--json", str(js), "--cache", str(cache)]
    assert main(args) == 0
    assert len(cache.read_text().splitlines()) == 4
    first = json.loads(js.read_text())["results"]["bilateral"]["bd_rate"]["psnr"]["per_image"]
    assert main(args) == 0
    assert len(cache.read_text().splitlines()) == 4
    assert json.loads(js.read_text())["results"]["bilateral"]["bd_rate"]["psnr"]["per_image"] == first
    assert main(["bench", "preprocess", str(tmp_path), "--methods", "bilateral", "--qualities", "40,80",
                 "--reference", "60"]) == 2


def test_apply_never_replaces_its_input_nor_an_existing_output(tmp_path, capsys):
    """QA: ``preprocess apply a.png -o a.png`` (and ``apply dir -o dir``) replaced the input with its preprocessed
    version; ``-o x.jpg`` wrote a directory named x.jpg."""
    import hashlib

    import numpy as np
    from PIL import Image as PILImage

    from qualipress.cli import main

    src = tmp_path / "a.png"
    PILImage.fromarray(np.random.default_rng(1).integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(src)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    assert main(["preprocess", "apply", str(src), "-o", str(src), "--model", "nlm"]) == 2  # usage error, as decode
    assert main(["preprocess", "apply", str(tmp_path), "-o", str(tmp_path), "--model", "nlm"]) != 0
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    out = tmp_path / "b.png"
    assert main(["preprocess", "apply", str(src), "-o", str(out), "--model", "nlm"]) == 0
    assert main(["preprocess", "apply", str(src), "-o", str(out), "--model", "nlm"]) == 2  # exists: as decode
    assert main(["preprocess", "apply", str(src), "-o", str(out), "--model", "nlm", "--overwrite"]) == 0
    assert main(["preprocess", "apply", str(src), "-o", str(tmp_path / "x.jpg"), "--model", "nlm"]) == 2
    assert not (tmp_path / "x.jpg").exists()
    assert "Traceback" not in capsys.readouterr().err
