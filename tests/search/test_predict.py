import json

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.io import as_image, read_image
from qualipress.search import parse_target, search
from qualipress.search import predict as pr
from qualipress.search.search import Hint
from tests.conftest import photo_like, shared_data


def test_jpeg_source_quality_reads_the_source_file(tmp_path):
    px = photo_like(80, 96)
    PILImage.fromarray(px).save(tmp_path / "a.jpg", quality=83)
    PILImage.fromarray(px).save(tmp_path / "a.png")
    assert pr.jpeg_source_quality(read_image(tmp_path / "a.jpg")) == 83
    assert pr.jpeg_source_quality(read_image(tmp_path / "a.png")) is None
    assert pr.jpeg_source_quality(as_image(px)) is None


def test_jpeg_source_quality_goes_by_content_not_name(tmp_path):
    # rev19g: a JPEG named .png, or a camera's .mpo (JPEG frames), was read as a PNG source: no source quality
    # for the predictor, and AVIF steered it on the fast mosaic that misreads JPEG sources (avif19).
    im = PILImage.fromarray(photo_like(80, 96))
    im.save(tmp_path / "a.png", format="JPEG", quality=83)
    im.save(tmp_path / "a.mpo", format="MPO", save_all=True, append_images=[im], quality=83)
    assert pr.jpeg_source_quality(read_image(tmp_path / "a.png")) == 83
    assert pr.jpeg_source_quality(read_image(tmp_path / "a.mpo")) == 83


def test_features_respond_to_noise_flatness_and_colour():
    rng = np.random.default_rng(0)
    clean = photo_like(300, 400)
    noisy = np.clip(clean + rng.normal(0, 12, clean.shape), 0, 255).astype(np.uint8)
    flat = np.full((300, 400, 3), 120, np.uint8)
    f_clean, f_noisy, f_flat = (pr.image_features(as_image(x)) for x in (clean, noisy, flat))
    assert tuple(f_clean) == pr.FEATURES
    assert f_noisy["noise"] > f_clean["noise"] + 0.25
    assert f_flat["flat"] == 1.0 > f_clean["flat"]
    assert f_flat["colourful"] == 0.0 < f_clean["colourful"]
    grey = pr.image_features(as_image(clean[..., :1].copy()))
    assert grey["grey"] == 1.0 and grey["colourful"] == 0.0
    assert pr.image_features(as_image(clean), jpeg_quality=90)["jpeg_quality"] == pytest.approx(0.9)


def _with_alpha(rgb, alpha):
    return as_image(np.dstack([rgb, alpha.astype(np.uint8)]))


def test_features_of_soft_alpha_are_taken_on_the_colour_the_metrics_see():
    """Where alpha fades, the metrics compare colour times alpha (its coding error dimmed with it): the features
    see the same, so a fading photo predicts a lower setting than the opaque one. Binary alpha keeps the colour
    planes' features (every measured pixel's seen colour is its stored colour)."""
    rgb = photo_like(256, 320)
    h, w = rgb.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    r = np.hypot((y - h / 2) / (h / 2), (x - w / 2) / (w / 2))
    soft = np.clip((1.1 - r) / 0.5, 0, 1) * 255
    binary = np.where((x // 40 + y // 40) % 2 == 0, 255, 0)
    f_opaque, f_soft, f_binary = (pr.image_features(im) for im in
                                  (as_image(rgb), _with_alpha(rgb, soft), _with_alpha(rgb, binary)))
    assert {k: f_binary[k] for k in pr.FEATURES} == f_opaque
    for k in ("gradient", "texture", "detail"):
        assert f_soft[k] < f_opaque[k] - 0.05
    assert f_soft["flat"] > f_opaque["flat"]
    model = pr.load()
    if model is None:
        pytest.skip("no shipped predictor model")
    target = parse_target(["ssim>=0.9"])  # within the model's reach on this synthetic photo for all three
    for name in ("webp", "avif", "jpegxl"):
        grid = len(codecs.get(name).info.quality.grid)
        p_opaque, p_soft = (model.predict(name, grid, target, f) for f in (f_opaque, f_soft))
        assert p_soft.index < p_opaque.index - 1, name


def _predicted_bytes(model, name, target, image, feats):
    """The model's predicted file size (bytes) at its predicted setting, and that setting's grid value."""
    grid = codecs.get(name).info.quality.grid
    p = model.predict(name, len(grid), target, feats)
    k = int(round(p.index))
    return 10 ** float(np.interp(k, *p.size_curve)) * image.width * image.height / 8, grid[k]


def test_size_curves_of_images_with_alpha_read_the_stored_colour_and_the_alpha_plane():
    """The codec codes the stored colour (not colour times alpha) and the alpha plane losslessly: with soft alpha the
    predicted sizes were 2-3x too small (the features of the dimmed colour, no alpha bytes). Now they are read from
    the stored colour's features plus the alpha plane's estimated cost, and the colour under alpha 0 that libwebp and
    libjxl drop is taken off."""
    model = pr.load()
    if model is None:
        pytest.skip("no shipped predictor model")
    photo = np.asarray(PILImage.open(shared_data("train", "bsd300_train200", "122048.png")).convert("RGB"))
    h, w = photo.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    r = np.hypot((y - h / 2) / (h / 2), (x - w / 2) / (w / 2))
    soft = _with_alpha(photo, np.clip((1.1 - r) / 0.5, 0, 1) * 255)  # a training photograph fading out
    f_soft = pr.image_features(soft)
    assert {pr.CODED + k for k in ("gradient", "texture", "detail")} <= f_soft.keys()
    assert f_soft["alpha_bits"] > 0.1 and 0 < f_soft["alpha_hidden"] < 0.2
    target = parse_target(["ssim>=0.9"])
    for name in ("avif", "jpegxl", "webp"):  # before: 2.5-4.3 times the prediction
        predicted, setting = _predicted_bytes(model, name, target, soft, f_soft)
        real = len(codecs.get(name).encode(soft, quality=setting))
        assert 0.7 < real / predicted < 1.4, (name, real, predicted)
    rgb = photo_like(256, 320, seed=3)
    h, w = rgb.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    opaque = as_image(rgb)
    binary = _with_alpha(rgb, np.where((x // 40 + y // 40) % 2 == 0, 255, 0))
    f_opaque, f_binary = pr.image_features(opaque), pr.image_features(binary)
    assert f_binary["alpha_hidden"] == pytest.approx(0.5, abs=0.02) and pr.CODED + "texture" not in f_binary
    row = pr.feature_row(f_opaque)
    for name, drops in (("webp", True), ("jpegxl", True), ("avif", False)):
        weights = model.model(name, "ssim", f_opaque)["bytes_weights"]
        gain = pr.log_bits_per_pixel(name, weights, f_binary) - weights @ row
        # at the top of the grid the colour dominates the alpha plane's own bytes
        assert (gain[-1] < -0.1 if drops else np.all(gain > -0.02)), name


def _model(offset, grid_size=100, q=(-2.0, 3.0)):
    """A curve that does not depend on the features: offset + one tenth of a margin unit per grid step."""
    knots = list(range(0, grid_size, 2)) + ([grid_size - 1] if (grid_size - 1) % 2 else [])
    n_inputs = len(pr.feature_row(dict.fromkeys(pr.FEATURES, 0.0)))
    weights = [[offset + k / 10] + [0.0] * (n_inputs - 1) for k in knots]
    return {"knots": knots, "weights": weights, "residual_quantiles": list(q), "grid_size": grid_size}


def test_shipped_model_curves_are_arrays_with_the_files_values():
    """The model's curves are held as float64 arrays (not 41k Python floats per worker) with the file's values, and
    a prediction from them is the one the lists give."""
    raw = json.loads(pr.model_path().read_text())
    pred = pr.Predictor(raw)
    assert pred.models.keys() == raw["models"].keys() and pred.data["models"] is pred.models
    for key, m in raw["models"].items():
        for name in ("knots", "weights", "bytes_weights"):
            if name in m:
                held = pred.models[key][name]
                assert isinstance(held, np.ndarray) and held.dtype == np.float64 and not held.flags.writeable
                assert np.array_equal(held, np.asarray(m[name], dtype=np.float64))
        assert pred.models[key]["residual_quantiles"] == m["residual_quantiles"]
    codec, kind = next(iter(raw["models"])).split("|")[:2]
    feats = pr.image_features(as_image(photo_like(64, 64)))
    m = raw["models"][f"{codec}|{kind}"]
    target = parse_target("ssim>=0.95" if kind == "ssim" else "psnr>=35")
    got = pred.predict(codec, m["grid_size"], target, feats)
    curve = np.asarray(m["weights"]) @ pr.feature_row(feats)
    want = pr.curve_crossing(np.asarray(m["knots"], dtype=np.float64), curve, pr._transform(
        target.constraints[0].metric, target.constraints[0].value))
    assert got is not None and want is not None and got.index == min(max(want[0], 0.0), m["grid_size"] - 1)


def test_predictor_takes_the_binding_constraint_and_abstains_without_a_model():
    pred = pr.Predictor({"format": pr.FORMAT, "features": list(pr.FEATURES),
                         "models": {"jpeg|ssim": _model(-3.0), "jpeg|psnr": _model(0.0)}})
    feats = pr.image_features(as_image(photo_like(64, 64)))
    p = pred.predict("jpeg", 100, parse_target("ssim>=0.95, psnr>=30"), feats)
    assert p is not None and p.binding == "ssim>=0.95"
    t = -np.log10(0.05)
    assert p.index == pytest.approx(10 * (t + 3)) and p.low == pytest.approx(p.index - 2)
    assert p.high == pytest.approx(p.index + 3) and p.slope == pytest.approx(0.1)
    assert pred.predict("jpeg", 100, parse_target("psnr>=30"), feats).index == pytest.approx(30)
    assert pred.predict("jpeg", 100, parse_target("ssim@p5>=0.9"), feats) is None
    assert pred.predict("jpeg", 100, parse_target("ssim>=0.95, roi:ssim>=0.97"), feats) is None
    assert pred.predict("jpeg", 96, parse_target("ssim>=0.95"), feats) is None  # another grid
    assert pred.predict("avif", 100, parse_target("ssim>=0.95"), feats) is None
    low = pr.Predictor({"format": pr.FORMAT, "features": list(pr.FEATURES), "models": {"jpeg|ssim": _model(-30.0)}})
    assert low.predict("jpeg", 100, parse_target("ssim>=0.95"), feats).index == 99  # out of reach: the top
    with pytest.raises(ValueError):
        pr.Predictor({"format": pr.FORMAT, "features": ["other"], "models": {}})


def test_curve_crossing_is_monotone_and_interpolated():
    knots = np.array([0, 10, 20, 30])
    assert pr.curve_crossing(knots, np.array([0.0, 1.0, 0.5, 2.0]), 1.5) == pytest.approx((25.0, 0.05))
    assert pr.curve_crossing(knots, np.array([0.0, 1.0, 0.5, 2.0]), 0.75)[0] == pytest.approx(7.5)
    assert pr.curve_crossing(knots, np.array([0.0, 1.0, 1.5, 2.0]), 3.0) is None


def test_cold_search_from_the_prediction_proves_the_same_minimum():
    img = as_image(photo_like(160, 200, seed=3))
    for codec_name, target in (("jpeg", "ssim>=0.95"), ("jpeg", "ssim>=0.9, psnr>=33, ssim@min>=0.8")):
        tgt = parse_target(target)
        cold = search(img, codec_name, tgt, predict=False)
        predicted = search(img, codec_name, tgt, mosaic=False)
        steered = search(img, codec_name, tgt)  # first full-image probe placed by the mosaic
        assert predicted.met and cold.met and steered.met
        assert predicted.setting == cold.setting == steered.setting and predicted.data == cold.data == steered.data
        if pr.load() is not None and pr.load().has(codec_name):
            assert predicted.prediction is not None
            assert predicted.probes[0].setting == codecs.get(codec_name).info.quality.grid[
                int(round(predicted.prediction.index))]
        assert cold.prediction is None


def _noisy_photos(d, seed):
    """Twelve small photo-like PNGs in ``d`` with increasing noise (a training set the predictor can fit)."""
    d.mkdir()
    rng = np.random.default_rng(seed)
    for k in range(12):
        px = photo_like(48, 64, seed=k)
        px = np.clip(px + rng.normal(0, 2 + 2 * k, px.shape), 0, 255).astype(np.uint8)
        PILImage.fromarray(px).save(d / f"{k:02d}.png")
    return d


def test_train_predictor_writes_a_model_the_search_can_load(tmp_path):
    from qualipress.bench.predictor_train import run_train_predictor

    d = _noisy_photos(tmp_path / "train", seed=1)
    out = tmp_path / "model.json"
    data = run_train_predictor([d], codecs=("jpeg",), cache=tmp_path / "cache", output=out, log=lambda _: None)
    assert "jpeg|ssim" in data["models"]
    m = data["models"]["jpeg|ssim"]
    assert m["residual_quantiles"][0] <= 0 <= m["residual_quantiles"][1] and m["cv_mae"] >= 0
    loaded = pr.load(str(out))
    assert loaded is not None and loaded.has("jpeg") and json.loads(out.read_text())["format"] == pr.FORMAT
    feats = pr.image_features(read_image(d / "03.png"))
    p = loaded.predict("jpeg", 100, parse_target("ssim>=0.95"), feats)
    assert p is not None and 0 <= p.low <= p.index <= p.high <= 99
    assert len(list((tmp_path / "cache").iterdir())) == 12  # sweeps cached: a rerun only fits


def test_warm_start_carries_the_residual_of_a_near_identical_frame():
    img = as_image(photo_like(160, 200, seed=5))
    first = search(img, "jpeg", "ssim>=0.95")
    if first.prediction is None:
        pytest.skip("no shipped JPEG predictor")
    grid = list(codecs.get("jpeg").info.quality.grid)
    assert first.hint.residual == pytest.approx(grid.index(first.setting) - first.prediction.index)
    second = search(img, "jpeg", "ssim>=0.95", start=first.hint)
    assert second.probes[0].setting == first.setting  # the same frame again starts where the first one ended
    assert second.data == first.data and second.encodes == 2


def test_jpeg_source_starts_at_its_own_quality_when_the_target_needs_about_that(tmp_path):
    if pr.load() is None or not pr.load().has("jpeg"):
        pytest.skip("no shipped JPEG predictor")
    rng = np.random.default_rng(2)
    px = np.clip(photo_like(240, 320, seed=7) + rng.normal(0, 6, (240, 320, 3)), 0, 255).astype(np.uint8)
    PILImage.fromarray(px).save(tmp_path / "src.jpg", quality=88)
    img = read_image(tmp_path / "src.jpg")
    grid = list(codecs.get("jpeg").info.quality.grid)
    r = search(img, "jpeg", "ssim>=0.995")
    assert r.prediction is not None and r.prediction.source_index == grid.index(88.0)
    assert r.met
    if r.prediction.index == r.prediction.source_index:
        # Steered on the mosaic from just below the source (search.SOURCE_STEERING): the first full-image probe is
        # where the mosaic puts the crossing, at most the source's own quality.
        assert r.steering >= 1 and r.probes[0].setting <= 88.0
    # Re-encoding at the source's own quality jumps: it meets a target the neighbours below miss.
    at = {p.setting: p for p in r.probes}
    if 88.0 in at and 87.0 in at:
        assert at[88.0].metrics["ssim"] > at[87.0].metrics["ssim"]


def test_a_search_racing_a_smaller_file_stops_when_it_cannot_win():
    img = as_image(photo_like(120, 160, seed=4))
    free = search(img, "jpeg", "ssim>=0.95")
    raced = search(img, "jpeg", "ssim>=0.95", bound=len(free.data) // 2)
    assert raced.beaten is not None
    if raced.beaten.startswith("predicted"):  # given up on a prediction (search.predicted_loss), not a proof
        assert all(p.passed or p.bytes < len(free.data) // 2 for p in raced.probes)
    else:
        assert not raced.met and any(not p.passed and p.bytes >= len(free.data) // 2 for p in raced.probes)
    assert raced.encodes <= free.encodes + 1
    roomy = search(img, "jpeg", "ssim>=0.95", bound=10 * len(free.data))
    assert roomy.met and roomy.beaten is None and roomy.data == free.data


def test_racing_codecs_keeps_the_winner_of_the_full_comparison():
    from qualipress.search import best_of, race_order

    img = as_image(photo_like(96, 128, seed=6))
    names = ["jpeg", "webp", "jpegxl"]
    raced, per = best_of(img, names, "ssim>=0.95")
    full, per_full = best_of(img, names, "ssim>=0.95", race=False)
    assert raced.met and raced.codec == full.codec and raced.data == full.data
    assert all(r.met for r in per.values() if r.beaten is None)
    assert all(r.beaten is None for r in per_full.values())
    assert sorted(race_order(names, img, "ssim>=0.95")) == sorted(names)
    assert race_order(["jpeg", "avif", "jpegxl"]) == ["avif", "jpegxl", "jpeg"]


def test_codecs_predicted_far_larger_are_not_searched_once_one_has_a_result():
    from qualipress.search import SKIP_MARGIN, race_order, skip_reason

    expected = {"avif": 1000.0, "jpegxl": 1200.0, "jpeg": 2000.0}
    assert race_order(["jpeg", "heif", "jpegxl", "avif"], expected=expected) == ["avif", "jpegxl", "jpeg", "heif"]
    assert skip_reason("jpeg", expected, 1000, searched=0) is None  # nothing searched yet
    assert "100 % above" in skip_reason("jpeg", expected, 1000, searched=1)
    assert skip_reason("jpeg", expected, int(2000 / (1 + SKIP_MARGIN)) + 1, searched=1) is None
    # the files found so far were half their predicted size: so will jpeg's be, and it is worth a search
    assert skip_reason("jpeg", expected, 1000, searched=1, scale=0.5) is None
    assert skip_reason("heif", expected, 10, searched=5) is None  # no size model: it races instead
    assert skip_reason("jpeg", expected, None, searched=3) is None  # nothing met yet


def test_alpha_size_features_on_grey_deep_tiny_and_opaque_alpha():
    """Grey + alpha and 16-bit RGBA get the alpha features; a 1-pixel image does not fail; an alpha plane that is
    opaque everywhere adds nothing (the size curve is the opaque one)."""
    from qualipress.io.image import Image

    rgb = photo_like(64, 80)
    ramp = np.tile(np.linspace(0, 1, 80), (64, 1))
    grey_alpha = as_image(np.dstack([rgb[..., :1], (ramp * 255).astype(np.uint8)]))
    deep = Image(np.dstack([rgb.astype(np.uint16) * 257, (ramp * 65535).astype(np.uint16)]), 16)
    for im in (grey_alpha, deep):
        f = pr.image_features(im)
        assert set(pr.ALPHA_FEATURES) | {pr.CODED + "texture"} <= f.keys() and f["alpha_hidden"] > 0
    assert set(pr.ALPHA_FEATURES) <= pr.image_features(as_image(np.zeros((1, 1, 4), np.uint8))).keys()
    opaque = pr.image_features(as_image(np.dstack([rgb, np.full((64, 80), 255, np.uint8)])))
    assert opaque == pr.image_features(as_image(rgb))
    weights = np.ones((3, len(pr.feature_row(opaque))))
    assert np.array_equal(pr.log_bits_per_pixel("webp", weights, opaque), weights @ pr.feature_row(opaque))


def test_images_with_transparent_pixels_get_expected_sizes_for_the_race_order_but_no_skips():
    """Images with fully transparent pixels had no expected sizes (the opaque size curves could not tell which codecs
    drop the hidden colour), so their races ran in the static order. The alpha-aware size curves now order them, but
    no codec is skipped on a prediction there: each races, stopped by the best file so far."""
    from qualipress.search import expected_sizes, skip_reason

    rgb = photo_like(192, 256, seed=5)
    h, w = rgb.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    cut = _with_alpha(rgb, np.where(np.hypot(y - h / 2, x - w / 2) < 70, 255, 0))
    names = ["avif", "jpegxl", "webp"]
    if pr.load() is None:
        pytest.skip("no shipped predictor model")
    expected = expected_sizes(names, cut, "ssim>=0.95")
    assert set(expected) == set(names) and all(v > 0 for v in expected.values())
    far = {**expected, "jpegxl": 10 * expected["avif"]}
    assert "above" in skip_reason("jpegxl", far, int(expected["avif"]), searched=1)
    assert skip_reason("jpegxl", far, int(expected["avif"]), searched=1, image=cut) is None
    assert "above" in skip_reason("jpegxl", far, int(expected["avif"]), searched=1, image=as_image(rgb))


def test_a_costly_codec_is_raced_only_when_predicted_clearly_smaller():
    from qualipress.search import COSTLY_GAIN, PROBE_COST, skip_reason

    assert PROBE_COST["heif"] >= 1.8 * PROBE_COST["avif"]
    expected = {"heif": 1000.0, "avif": 1000.0}
    assert "cost per probe" in skip_reason("heif", expected, 1000, searched=1, best_codec="avif")
    assert skip_reason("heif", expected, int(1000 / (1 - COSTLY_GAIN)) + 2, searched=1, best_codec="avif") is None
    assert skip_reason("avif", expected, 1000, searched=1, best_codec="heif") is None  # the cheaper one races
    assert skip_reason("avif", expected, 1000, searched=1, best_codec="jpeg") is None  # only among slow codecs


def test_near_equal_codecs_race_the_cheaper_first():
    from qualipress.search import PROBE_COST, RACE_TIE, race_order

    assert PROBE_COST["heif"] > PROBE_COST["avif"]
    close = {"heif": 1000.0, "avif": 1000.0 * (1 + RACE_TIE / 2), "jpeg": 3000.0}
    assert race_order(["heif", "avif", "jpeg"], expected=close) == ["avif", "heif", "jpeg"]
    three = {"heif": 1000.0, "avif": 1010.0, "jpeg2000": 1050.0, "jpeg": 3000.0}
    assert race_order(list(three), expected=three) == ["jpeg2000", "avif", "heif", "jpeg"]
    apart = {"heif": 1000.0, "avif": 1000.0 * (1 + 2 * RACE_TIE), "jpeg": 3000.0}
    assert race_order(["heif", "avif", "jpeg"], expected=apart) == ["heif", "avif", "jpeg"]


def test_size_scale_is_the_geometric_mean_of_found_over_predicted():
    from qualipress.search import size_scale
    from qualipress.search.search import SearchResult

    def res(n: int) -> SearchResult:
        return SearchResult(b"x" * n, "c", 50, False, True, {}, [])

    expected = {"avif": 1000.0, "jpegxl": 1000.0}
    assert size_scale(expected, {}) == 1.0
    assert size_scale(expected, {"avif": res(2000), "jpegxl": res(500)}) == pytest.approx(1.0)
    assert size_scale(expected, {"avif": res(1200)}) == pytest.approx(1.2)


def test_train_predictor_command(tmp_path):
    from qualipress.cli import main

    d = tmp_path / "train"
    d.mkdir()
    for k in range(6):
        PILImage.fromarray(photo_like(40, 56, seed=20 + k)).save(d / f"{k}.png")
    out = tmp_path / "m.json"
    args = ["bench", "train-predictor", str(d), "--codecs", "jpeg", "--cache", str(tmp_path / "c"), "-o", str(out)]
    assert main(args) == 0
    assert "jpeg|ssim" in json.loads(out.read_text())["models"]
    assert main([*args, "--limits", "jpeg=many"]) == 2


def test_index_for_size_inverts_the_monotone_size_curve():
    p = pr.Prediction(12.0, 8.0, 16.0, 0.1, "ssim>=0.95", None, 10.0, ((0.0, 10.0, 20.0), (0.0, 1.0, 0.8)))
    assert p.index_for_size(10 ** 0.5) == pytest.approx(5.0)
    assert p.index_for_size(10.0) == pytest.approx(10.0)  # the dip after 10 is flattened (non-decreasing)
    assert p.index_for_size(0.01) == 0.0 and p.index_for_size(1e6) == 20.0
    assert pr.Prediction(1.0, 0.0, 2.0, 0.1, "x").index_for_size(1.0) is None
    for bpp in (0.01, 2.0, 10 ** 0.5, 10.0, 1e6):  # the method reads its curve with the module function
        assert p.index_for_size(bpp) == pr.index_for_size((0.0, 10.0, 20.0), (0.0, 1.0, 0.8), bpp)


def test_jpeg_source_copies_train_a_separate_model_used_only_for_jpeg_sources(tmp_path):
    from qualipress.bench.predictor_train import JPEG_SOURCE_QUALITIES, jpeg_source_copies, run_train_predictor

    d = _noisy_photos(tmp_path / "train", seed=2)
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    copies = jpeg_source_copies(sorted(d.iterdir()), 8, tmp_path / "copies")
    qualities = [pr.jpeg_source_quality(read_image(c)) for c in copies]
    assert len(copies) == 8 and all(c.suffix == ".jpg" for c in copies)
    assert all(JPEG_SOURCE_QUALITIES[0] - 1 <= q <= JPEG_SOURCE_QUALITIES[1] + 1 for q in qualities)
    assert len(set(qualities)) > 4  # a spread, not one quality
    with PILImage.open(copies[0]) as a, PILImage.open(copies[2]) as b:
        assert {a.layer[0][1], b.layer[0][1]} == {1, 2}  # luma sampling 2: 4:2:0, 1: 4:4:4 (both present)
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before  # the training images are untouched

    out = tmp_path / "model.json"
    data = run_train_predictor([d], codecs=("jpeg",), cache=tmp_path / "cache", output=out, jpeg_sources=8,
                               log=lambda _: None)
    plain = run_train_predictor([d], codecs=("jpeg",), cache=tmp_path / "cache", output=tmp_path / "plain.json",
                                log=lambda _: None)
    # Pristine images keep the model they had without JPEG sources; the sources get their own.
    assert data["models"]["jpeg|ssim"]["weights"] == plain["models"]["jpeg|ssim"]["weights"]
    src = data["models"][f"jpeg|ssim|{pr.SOURCE_MODEL}"]
    assert src["images"] == 20 and src["weights"] != data["models"]["jpeg|ssim"]["weights"]
    loaded = pr.load(str(out))
    assert loaded is not None
    feats = pr.image_features(read_image(d / "03.png"))
    assert loaded.model("jpeg", "ssim", feats) is loaded.models["jpeg|ssim"]
    as_source = {**feats, "jpeg_quality": 0.9}
    assert loaded.model("jpeg", "ssim", as_source) is loaded.models[f"jpeg|ssim|{pr.SOURCE_MODEL}"]
    assert loaded.predict("jpeg", 100, parse_target("ssim>=0.95"), as_source) is not None


def test_a_warm_start_above_a_jpeg_sources_own_quality_still_finds_the_lowest_passing_setting():
    # A q90 COCO photo: SSIM 0.9999 at q90 (the jump), 0.9878 at q93, 0.9918 at q94. Started above the source (a
    # warm start from another image), the search found the bracket q93/q94 and stopped there, 16 % more bytes.
    img = read_image(shared_data("people", "clarifai_coco_val2017", "images", "000000086956.jpg"))
    cold = search(img, "jpeg", "ssim>=0.99")
    if cold.prediction is None or cold.prediction.source_index is None:
        pytest.skip("no shipped JPEG predictor")
    p = cold.prediction.index
    warm = search(img, "jpeg", "ssim>=0.99", start=Hint(p + 4, 0.05, predicted=p, residual=4.0))
    assert warm.probes[0].setting > pr.jpeg_source_quality(img)  # it did start above the source's quality
    assert warm.met and warm.setting == cold.setting and warm.data == cold.data


def test_alpha_plane_of_a_deep_image_is_sized_as_the_8_bit_plane_the_codecs_code():
    """A 16-bit alpha fade was sized at its own depth (5.9 bits/pixel against 1.3 for the same fade in 8 bits), so
    every alpha-corrected size came out about 3x too large and the race order changed (review, session 10)."""
    from qualipress.io.image import Image

    rgb = photo_like(96, 128, seed=3)
    y, x = np.mgrid[0:96, 0:128]
    fade = np.clip(1.0 - np.hypot(y - 48, x - 64) / 90.0, 0.05, 1.0)
    deep_alpha = np.round(fade * 65535).astype(np.uint16)
    deep = Image(np.dstack([rgb.astype(np.uint16) * 257, deep_alpha]), 16)
    shallow = as_image(np.dstack([rgb, np.round(fade * 255).astype(np.uint8)]))
    bits_deep = pr.image_features(deep)[pr.ALPHA_FEATURES[1]]
    bits_8 = pr.image_features(shallow)[pr.ALPHA_FEATURES[1]]
    assert bits_deep == pytest.approx(bits_8, rel=0.05)


def test_no_codec_is_skipped_on_images_with_partial_alpha_everywhere():
    """The no-skip rule covers every image whose sizes carry the alpha correction, not only those with fully
    transparent pixels: a fade that never reaches alpha 0 is predicted as unsurely."""
    from qualipress.search import skip_reason

    rgb = photo_like(64, 80, seed=2)
    fade = np.tile(np.linspace(0.2, 1.0, 80), (64, 1))
    soft = _with_alpha(rgb, np.round(fade * 255))
    assert pr.alpha_sized(soft) and not pr.alpha_sized(as_image(rgb))
    far = {"avif": 1000.0, "jpegxl": 10000.0}
    assert skip_reason("jpegxl", far, 1000, searched=1, image=soft) is None
    assert "above" in skip_reason("jpegxl", far, 1000, searched=1, image=as_image(rgb))


def _feature_images():
    rng = np.random.default_rng(3)
    photo = photo_like(300, 400)
    noisy = np.clip(photo + rng.normal(0, 12, photo.shape), 0, 255).astype(np.uint8)
    # smooth ramps with faint noise: many 8×8 blocks near the flat threshold, local variance near zero
    ramp = np.linspace(0, 60, 400)[None, :, None] + np.linspace(0, 30, 300)[:, None, None]
    smooth = np.clip(ramp + 100 + rng.normal(0, 0.6, (300, 400, 3)), 0, 255).astype(np.uint8)
    deep = (photo.astype(np.uint16) * 257 + rng.integers(0, 257, photo.shape)).astype(np.uint16)
    return {"photo": as_image(photo), "noisy": as_image(noisy), "smooth": as_image(smooth),
            "grey": as_image(photo[..., 1:2].copy()), "small": as_image(photo[:40, :50].copy()),
            "odd": as_image(photo[:293, :381].copy()), "deep": as_image(deep, bit_depth=16)}


@pytest.mark.parametrize("name", ["photo", "noisy", "smooth", "grey", "small", "odd", "deep"])
def test_compiled_features_are_opencvs(monkeypatch, name):
    """The features through search.kernels (one compiled call for the sixteen tiles, one for the colourfulness)
    are those of the OpenCV and NumPy path: the flat fraction, the Laplacian and the noise σ bit for bit (their
    per-pixel arithmetic in OpenCV's order), the others to float rounding (sums in another order)."""
    from qualipress.metrics import core

    image = _feature_images()[name]
    monkeypatch.setattr(core, "USE_FUSED", False)
    assert pr._kernels() is None
    plain = pr.image_features(image)
    monkeypatch.setattr(core, "USE_FUSED", True)
    assert pr._kernels() is not None
    compiled = pr.image_features(image)
    assert compiled.keys() == plain.keys()
    for k in ("flat", "detail", "noise", "grey", "log_pixels", "high_depth", "jpeg_quality"):
        assert compiled[k] == plain[k], k
    for k in ("gradient", "texture", "colourful"):
        assert compiled[k] == pytest.approx(plain[k], rel=1e-7, abs=1e-9), k  # measured: 6e-8 at most


def test_train_predictor_needs_o_or_replace_shipped(tmp_path, monkeypatch, capsys):
    """fix17: ``bench train-predictor DIR`` without ``-o`` replaced the model shipped inside the package, which
    every search uses; now it needs ``-o FILE`` or ``--replace-shipped`` and says so in one line, training nothing."""
    from qualipress.cli import main

    d = tmp_path / "train"
    d.mkdir()
    for k in range(6):
        PILImage.fromarray(photo_like(40, 56, seed=30 + k)).save(d / f"{k}.png")
    shipped = tmp_path / "shipped.json"
    shipped.write_text(pr.model_path().read_text())
    monkeypatch.setattr(pr, "model_path", lambda: shipped)
    before = shipped.read_bytes()
    args = ["bench", "train-predictor", str(d), "--codecs", "jpeg", "--cache", str(tmp_path / "c")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "-o FILE" in err and "--replace-shipped" in err and len(err.strip().splitlines()) == 1
    assert shipped.read_bytes() == before and not (tmp_path / "c").exists()
    assert main([*args, "-o", str(tmp_path / "m.json"), "--replace-shipped"]) == 2
    assert shipped.read_bytes() == before
    assert main([*args, "--replace-shipped"]) == 0  # the project's own retraining, asked for by name
    assert "jpeg|ssim" in json.loads(shipped.read_text())["models"]


def test_run_train_predictor_library_needs_output_or_replace_shipped(tmp_path, monkeypatch):
    """misc18: the library call ``run_train_predictor(..., output=None)`` still wrote into the shipped model (the
    CLI needed ``-o`` or ``--replace-shipped``); now it raises before any work unless ``replace_shipped=True``."""
    from qualipress.bench.predictor_train import run_train_predictor
    from qualipress.errors import InputError

    d = tmp_path / "train"
    d.mkdir()
    for k in range(6):
        PILImage.fromarray(photo_like(40, 56, seed=30 + k)).save(d / f"{k}.png")
    shipped = tmp_path / "shipped.json"
    shipped.write_text(pr.model_path().read_text())
    monkeypatch.setattr(pr, "model_path", lambda: shipped)
    before = shipped.read_bytes()
    common = {"codecs": ("jpeg",), "cache": tmp_path / "c", "log": lambda _: None}
    with pytest.raises(InputError, match="replace_shipped=True"):
        run_train_predictor([d], **common)
    with pytest.raises(InputError, match="not both"):
        run_train_predictor([d], output=tmp_path / "m.json", replace_shipped=True, **common)
    assert shipped.read_bytes() == before and not (tmp_path / "c").exists()
    run_train_predictor([d], replace_shipped=True, **common)
    assert shipped.read_bytes() != before
