import importlib.util
import json

import numpy as np
import pytest

pytest.importorskip("torch")

import torch

from qualipress import codecs
from qualipress.errors import InputError, UnsupportedError
from qualipress.io import read_image, write_image
from qualipress.preprocess import get_preprocessor
from qualipress.preprocess.jpegproxy import jpeg_proxy, ssim, tables
from qualipress.preprocess.pool import jpeg_luma_table
from qualipress.preprocess.rdtrain import RDTrainOptions, list_images, rd_slope, split_images, train_rd

from .conftest import textured


def _tensor(img):
    return torch.from_numpy(img.pixels[..., :3].astype(np.float32).transpose(2, 0, 1)[None] / 255.0)


def test_tables_follow_the_ijg_rule():
    luma, chroma = tables(75)
    assert np.array_equal(luma, jpeg_luma_table(75))
    assert chroma[0, 0] == 9 and chroma[7, 7] == 50  # 17 and 99 scaled by 50 %
    assert tables(100)[0].max() == 1 and tables(1)[0].min() > 1


def test_proxy_decodes_like_libjpeg_turbo():
    img = textured(h=64, w=96, noise=6.0)
    c = codecs.get("jpeg")
    x = _tensor(img)
    for q in (40, 75):
        real = c.decode(c.encode(img, quality=q)).pixels[..., :3].astype(np.float64)
        with torch.no_grad():
            dec, _ = jpeg_proxy(x, q)
        prox = np.rint(dec[0].numpy().transpose(1, 2, 0) * 255.0)
        err_real = ((real - img.pixels) ** 2).mean()
        err_proxy = ((prox - img.pixels) ** 2).mean()
        gap = ((prox - real) ** 2).mean()
        assert gap < 0.2 * err_real  # the proxy reproduces most of the real decode
        assert err_proxy == pytest.approx(err_real, rel=0.15)


def test_proxy_bits_rank_like_real_bits():
    c = codecs.get("jpeg")
    real, proxy = [], []
    for seed, noise in ((0, 2.0), (1, 6.0), (2, 12.0)):
        img = textured(h=64, w=96, seed=seed, noise=noise)
        for q in (35, 60, 85):
            real.append(len(c.encode(img, quality=q)))
            with torch.no_grad():
                proxy.append(float(jpeg_proxy(_tensor(img), q)[1][0]))
    assert np.corrcoef(np.log(real), np.log(proxy))[0, 1] > 0.95


def test_jpegli_proxy_uses_jpeglis_tables_and_decodes_like_it():
    pytest.importorskip("pyjpegli")
    from qualipress.preprocess.jpegproxy import proxy_tables

    luma, chroma = proxy_tables("jpegli", 75)
    assert luma.shape == chroma.shape == (8, 8)
    assert not np.array_equal(luma, tables(75)[0])  # not the IJG table at the same number
    assert proxy_tables("jpegli", 40)[0].sum() > luma.sum()  # coarser at lower quality
    img = textured(h=64, w=96, noise=6.0)
    c = codecs.get("jpegli")
    x = _tensor(img)
    real, proxy = [], []
    for q in (40, 75):
        data = c.encode(img, quality=q)
        dec = c.decode(data).pixels[..., :3].astype(np.float64)
        with torch.no_grad():
            d, b = jpeg_proxy(x, q, codec="jpegli")
            d_ijg, _ = jpeg_proxy(x, q, codec="jpeg")
        prox = np.rint(d[0].numpy().transpose(1, 2, 0) * 255.0)
        ijg = np.rint(d_ijg[0].numpy().transpose(1, 2, 0) * 255.0)
        # closer to the real jpegli decode than the libjpeg proxy at the same quality number
        assert ((prox - dec) ** 2).mean() < ((ijg - dec) ** 2).mean()
        err_real, err_proxy = ((dec - img.pixels) ** 2).mean(), ((prox - img.pixels) ** 2).mean()
        assert err_proxy == pytest.approx(err_real, rel=0.35)
        real.append(len(data))
        proxy.append(float(b[0]))
    assert (proxy[1] > proxy[0]) and (real[1] > real[0])


def test_threshold_crossing_charges_shrinking_more_under_a_dead_zone():
    pytest.importorskip("pyjpegli")
    from qualipress.preprocess.jpegproxy import threshold_crossing

    x = _tensor(textured(h=64, w=96, noise=6.0))
    m = x.mean(dim=(2, 3), keepdim=True)
    slope = {}
    for codec in ("jpeg", "jpegli"):
        e = torch.zeros((), requires_grad=True)
        threshold_crossing(m + (x - m) * (1 - e), x, 60, codec=codec).sum().backward()
        slope[codec] = float(e.grad)
    # shrinking every coefficient pushes some under the zero threshold: that costs distortion, more so under
    # jpegli's dead zone (a coded 1 becomes 0) than under libjpeg's rounding at 1/2
    assert 0 < slope["jpeg"] < slope["jpegli"]


def test_crossing_weight_changes_the_gradient_not_the_loss():
    pytest.importorskip("pyjpegli")
    from qualipress.preprocess.model import build_unet
    from qualipress.preprocess.rdtrain import rd_loss

    x = _tensor(textured(h=32, w=32, noise=8.0))
    torch.manual_seed(0)
    model = build_unet(base=4)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    grads, values = [], []
    for w in (0.0, 1.0):
        model.zero_grad()
        loss, _ = rd_loss(model, x, 60, 3.0, 1.0, codec="jpegli", crossing_weight=w)
        loss.backward()
        values.append(float(loss.detach()))
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    assert values[0] == pytest.approx(values[1], rel=1e-6)
    assert not torch.allclose(grads[0], grads[1])


def test_proxy_refuses_other_codecs(data, tmp_path):
    from qualipress.preprocess.jpegproxy import proxy_tables

    with pytest.raises(UnsupportedError, match="webp"):
        proxy_tables("webp", 75)
    with pytest.raises(UnsupportedError, match="webp"):
        train_rd([data], tmp_path / "a.pt", RDTrainOptions(steps=1, codec="webp"))


def test_proxy_is_differentiable_and_rate_falls_with_quality():
    x = _tensor(textured(h=32, w=48, noise=8.0)).requires_grad_(True)
    dec, bits = jpeg_proxy(x, 60)
    ((dec - x.detach()) ** 2).mean().add(bits.sum() * 1e-6).backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    with torch.no_grad():
        assert float(jpeg_proxy(x, 30)[1][0]) < float(jpeg_proxy(x, 90, subsample=False)[1][0])


def test_ssim_and_rd_slope():
    x = _tensor(textured(h=64, w=64, noise=6.0))
    assert float(ssim(x, x)[0]) == pytest.approx(1.0, abs=1e-5)
    noisy = (x + 0.05 * torch.randn_like(x)).clamp(0, 1)
    assert float(ssim(noisy, x)[0]) < 0.95
    assert 0.05 < rd_slope(x, 60, 1.0) < 20


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("rdtrain")
    for i in range(4):
        write_image(root / f"img{i}.png", textured(h=80, w=96, seed=i, noise=6.0 + 3 * i))
    write_image(root / "tiny.png", textured(h=20, w=20, seed=9))  # smaller than a crop: skipped
    return root


def test_split_is_deterministic_and_disjoint(data):
    files = list_images([data])
    tr, va = split_images(files, 2)
    assert len(va) == 1 and not set(tr) & set(va) and len(tr) + len(va) == len(files)
    assert split_images(files, 2) == (tr, va)


def test_kodak_is_refused(tmp_path):
    write_image(tmp_path / "kodim01.png", textured(h=32, w=32))
    with pytest.raises(InputError, match="Kodak"):
        list_images([tmp_path])


def test_train_resume_and_use(data, tmp_path):
    out = tmp_path / "rd.pt"
    opt = RDTrainOptions(steps=3, batch=2, crop=32, base=8, val_images=1, log_every=1, checkpoint_minutes=100)
    seen = []
    res = train_rd([data], out, opt, log=seen.append)
    assert res.record["steps_run"] == 3 and res.record["objective"] == "rd"
    assert out.with_suffix(".state.pt").is_file()
    lines = [json.loads(s) for s in out.with_suffix(".log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in lines if "loss" in e] == [1, 2, 3]
    assert all(np.isfinite(e["loss"]) for e in lines if "loss" in e)
    assert "val" in lines[-1] and lines[-1]["val"]
    before = {k: v.clone() for k, v in get_preprocessor(str(out)).model.state_dict().items()}
    res2 = train_rd([data], out, RDTrainOptions(steps=5, crop=32), resume=True)
    assert res2.record["steps_run"] == 5
    assert res2.record["options"]["base"] == 8  # the first run's options are kept
    lines = [json.loads(s) for s in out.with_suffix(".log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in lines if "loss" in e] == [1, 2, 3, 4, 5]
    from qualipress.preprocess.model import load_model

    after = load_model(out).state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    img = read_image(data / "img0.png")
    pre = get_preprocessor(str(out))
    assert pre(img).pixels.shape == img.pixels.shape


def test_bad_options_and_nothing_to_resume(data, tmp_path):
    with pytest.raises(UnsupportedError):
        train_rd([data], tmp_path / "a.pt", RDTrainOptions(crop=40))
    with pytest.raises(UnsupportedError):
        train_rd([data], tmp_path / "a.pt", RDTrainOptions(q_max=95))
    with pytest.raises(InputError, match="resume"):
        train_rd([data], tmp_path / "a.pt", RDTrainOptions(steps=1), resume=True)


def test_cli_train_objective_rd(data, tmp_path, capsys):
    from qualipress.cli import main

    out = tmp_path / "cli.pt"
    code = main(["preprocess", "train", str(data), "-o", str(out), "--objective", "rd", "--steps", "2",
                 "--crop", "32", "--batch", "2", "--base", "8"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert out.is_file() and "held-out proxy bits" in text
    # continue from the shipped weights (strength reset to 1 for training)
    out2 = tmp_path / "cli2.pt"
    assert main(["preprocess", "train", str(data), "-o", str(out2), "--objective", "rd", "--steps", "1",
                 "--crop", "32", "--batch", "2", "--init", "kuchen-rd"]) == 0
    from qualipress.preprocess.model import load_model

    assert load_model(out2).strength == 1.0 and load_model(out2).arch["base"] == 16
    if importlib.util.find_spec("pyjpegli"):  # the jpegli proxy is recorded in the run and in the model
        out3 = tmp_path / "li.pt"
        assert main(["preprocess", "train", str(data), "-o", str(out3), "--objective", "rd", "--steps", "1",
                     "--crop", "32", "--batch", "2", "--base", "8", "--codec", "jpegli"]) == 0
        rec = json.loads(out3.with_suffix(".json").read_text())
        assert rec["options"]["codec"] == "jpegli" and "jpegli" in rec["proxy"]
        assert load_model(out3).record["codec"] == "jpegli"
    assert main(["preprocess", "train", str(data), "-o", str(out), "--objective", "nope"]) == 2
    assert main(["preprocess", "train", str(data), "-o", str(out), "--objective", "rd", "--q-range", "x"]) == 2


def test_shipped_rd_model_is_small_loads_and_has_a_record():
    from qualipress.preprocess import KUCHEN_RD, SHIPPED_RD_MODEL, preprocessor_names

    assert SHIPPED_RD_MODEL.is_file() and SHIPPED_RD_MODEL.stat().st_size < 5 * 1024 * 1024
    rec = json.loads(SHIPPED_RD_MODEL.with_suffix(".json").read_text())
    assert rec["objective"] == "rd" and rec["steps_run"] >= 1 and rec["log"]
    assert not any("kodak" in s.lower() for s in rec["data"]["sources"]), "never train on Kodak"
    assert KUCHEN_RD in preprocessor_names()
    pre = get_preprocessor(KUCHEN_RD)
    assert 0 < pre.model.strength <= 1.0 and pre.model.strength == rec["strength_calibration"]["chosen"]
    img = textured(h=48, w=64)
    out = pre(img)
    assert out.pixels.shape == img.pixels.shape
    assert not np.array_equal(out.pixels, img.pixels)
    assert np.abs(out.pixels.astype(int) - img.pixels).mean() < 10
