"""train-codec and the core encode/decode commands with learned codecs, through qualipress.cli.main."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import synthetic_rgb


def test_train_codec_command(tmp_path: Path, synth_dir: Path) -> None:
    from qualipress.cli import main
    from qualipress.learned.weights import load_file

    out = tmp_path / "m.pt"
    rc = main(["train-codec", str(synth_dir), "-o", str(out), "--N", "8", "--M", "8", "--steps", "2",
               "--crop", "64", "--batch-size", "1", "--threads", "1"])
    assert rc == 0 and out.is_file()
    assert load_file(out, "bmshj2018-hyperprior").meta["record"]["steps_done"] == 2
    assert main(["train-codec", str(tmp_path / "nothing"), "-o", str(out), "--steps", "1"]) == 2
    assert main(["train-codec", str(synth_dir), "-o", str(out), "--arch", "nope", "--steps", "1"]) == 2


def test_encode_decode_qlc_with_user_weights(tmp_path: Path, tiny_hyperprior: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    from qualipress.cli import main
    from qualipress.learned.codec import make_codec

    src = tmp_path / "in.png"
    Image.fromarray(synthetic_rgb(40, 50)).save(src)
    qlc = tmp_path / "out.qlc"
    rc = main(["encode", str(src), "-o", str(qlc), "--codec", "learned:bmshj2018-hyperprior", "--quality", "5",
               "--weights", str(tiny_hyperprior)])
    assert rc == 0 and qlc.read_bytes()[:4] == b"QLC1"
    monkeypatch.setenv("QUALIPRESS_WEIGHTS", str(tiny_hyperprior.parent))
    png = tmp_path / "dec.png"
    assert main(["decode", str(qlc), "-o", str(png)]) == 0
    got = np.asarray(Image.open(png))
    want = make_codec("bmshj2018-hyperprior").with_weights(tiny_hyperprior).decode(qlc.read_bytes()).pixels
    assert np.array_equal(got, want)
    qlc.write_bytes(qlc.read_bytes()[:70])
    assert main(["decode", str(qlc), "-o", str(tmp_path / "x.png")]) == 2


def test_every_file_names_its_weights_and_missing_weights_are_named(
    tmp_path: Path, tiny_hyperprior: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from PIL import Image

    from qualipress.cli import main
    from qualipress.io import read_image
    from qualipress.learned import weights
    from qualipress.learned.weights import load_file

    fp = load_file(tiny_hyperprior, "bmshj2018-hyperprior").fingerprint.hex()
    src = tmp_path / "in.png"
    Image.fromarray(synthetic_rgb(40, 50)).save(src)
    qlc = tmp_path / "out.qlc"
    capsys.readouterr()
    assert main(["encode", str(src), "-o", str(qlc), "--codec", "learned:bmshj2018-hyperprior", "--quality", "4.5",
                 "--weights", str(tiny_hyperprior), "--json"]) == 0
    w = json.loads(capsys.readouterr().out)["learned_weights"]
    assert w["fingerprint"] == fp and w["source"] == "user" and w["file"] == tiny_hyperprior.name
    assert w["quality"] == 4.5 and 0.35 < w["step"] < 2.8
    # decoding names the weights too (CLI line and the decoded image's metadata)
    monkeypatch.setenv("QUALIPRESS_WEIGHTS", str(tiny_hyperprior))
    assert main(["decode", str(qlc), "-o", str(tmp_path / "d.png")]) == 0
    assert f"fingerprint {fp}" in capsys.readouterr().out
    assert read_image(qlc).metadata["learned_weights"]["fingerprint"] == fp
    # without those weights: its own message naming the fingerprint, not "truncated or corrupt"
    monkeypatch.delenv("QUALIPRESS_WEIGHTS")
    weights._CACHE.clear()
    assert main(["decode", str(qlc), "-o", str(tmp_path / "e.png")]) == 2
    err = capsys.readouterr().err
    assert "missing weights" in err and fp in err and "corrupt" not in err
    with pytest.raises(weights.WeightsNotFoundError, match=fp):
        read_image(qlc)
    # wrong weights given explicitly: both fingerprints named
    shipped = weights.shipped_file("bmshj2018-hyperprior")
    assert shipped is not None
    assert main(["decode", str(qlc), "-o", str(tmp_path / "f.png"), "--weights", str(shipped)]) == 2
    err = capsys.readouterr().err
    assert fp in err and load_file(shipped, "bmshj2018-hyperprior").fingerprint.hex() in err


def test_compress_report_names_the_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from PIL import Image

    from qualipress.cli import main
    from qualipress.learned import weights

    shipped = weights.shipped_file("bmshj2018-hyperprior")
    if shipped is None:
        pytest.skip("no shipped model")
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(synthetic_rgb(48, 64)).save(src / "a.png")
    rc = main(["compress", str(src), "-o", str(tmp_path / "out"), "--codec", "learned:bmshj2018-hyperprior",
               "--target", "psnr>=15"])
    assert rc in (0, 1)
    rows = [json.loads(line) for line in (tmp_path / "out" / "qualipress-report.jsonl").read_text().splitlines()]
    done = [r for r in rows if r.get("codec") == "learned:bmshj2018-hyperprior"]
    assert done, rows
    w = done[0]["learned_weights"]
    assert w["source"] == "shipped" and w["file"] == shipped.name
    assert w["fingerprint"] == weights.fingerprint_bytes(shipped.read_bytes()).hex()


def test_train_codec_budget_is_max_minutes_with_minutes_kept_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """misc18: ``train-codec --minutes`` where every other command says ``--max-minutes`` (``preprocess train``);
    ``--max-minutes`` is the name, ``--minutes`` a hidden alias, both together refused."""
    from qualipress.cli import main
    from qualipress.learned import train

    seen: list = []

    def fake(dataset, output, cfg, **_):
        seen.append(cfg.max_minutes)
        return {"steps_done": 0, "train_seconds": 0.0, "final_validation": []}

    monkeypatch.setattr(train, "train_codec", fake)
    base = ["train-codec", str(tmp_path), "-o", str(tmp_path / "m.pt")]
    assert main([*base, "--max-minutes", "3"]) == 0
    assert main([*base, "--minutes", "4"]) == 0
    assert seen == [3.0, 4.0]
    assert main([*base, "--minutes", "4", "--max-minutes", "3"]) == 2 and len(seen) == 2
    capsys.readouterr()
    assert main(["train-codec", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--max-minutes" in text and "--minutes " not in text
