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
