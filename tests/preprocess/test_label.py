import json

import numpy as np
import pytest

from qualipress.errors import InputError
from qualipress.io import Image, write_image
from qualipress.preprocess.label import (
    LabelConfig,
    label_dataset,
    load_records,
    read_manifest,
    score_image,
    zscores,
)

from .conftest import textured

SMALL = LabelConfig(codec="jpeg", quality=75, metric="psnr", pool=("bilateral", "guided", "detail"), max_combo=2)


def test_zscores():
    z = zscores([1.0, 2.0, 3.0])
    assert z.mean() == pytest.approx(0.0)
    assert z.std() == pytest.approx(1.0)
    assert (zscores([5.0, 5.0, 5.0]) == 0).all()


def _fake_backend(sizes, qualities):
    """encode_decode/measure returning fixed bytes and quality per group, in call order."""
    calls = []

    def ed(image, codec, quality):
        calls.append(image)
        return sizes[len(calls) - 1], image

    def ms(ref, dist, metric):
        assert dist is calls[-1]
        return qualities[len(calls) - 1]

    return ed, ms


def test_score_is_zquality_minus_zbpp():
    # groups: none, bilateral, detail (k=1). detail: more bytes, lower quality -> worst.
    cfg = LabelConfig(pool=("bilateral", "detail"), max_combo=1, metric="psnr")
    img = textured()
    ed, ms = _fake_backend([1000, 800, 1500], [40.0, 39.9, 35.0])
    res = score_image(img, cfg, encode_decode=ed, measure=ms)
    names = [s.group for s in res.scores]
    assert names == ["none", "bilateral", "detail"]
    zq = zscores([40.0, 39.9, 35.0])
    zb = zscores([8000 / img.width / img.height * x for x in (1, 0.8, 1.5)])
    for s, a, b in zip(res.scores, zq, zb, strict=True):
        assert s.score == pytest.approx(a - b)
    assert res.best == "bilateral"  # almost the same quality for 20% fewer bits


def test_lower_is_better_metric_is_negated():
    cfg = LabelConfig(pool=("bilateral", "detail"), max_combo=1, metric="butteraugli")
    img = textured()
    # same bytes; butteraugli distance: bilateral lowest (best)
    ed, ms = _fake_backend([1000, 1000, 1000], [2.0, 1.0, 3.0])
    assert score_image(img, cfg, encode_decode=ed, measure=ms).best == "bilateral"


def _dataset(tmp_path, n=3):
    d = tmp_path / "data"
    d.mkdir()
    for i in range(n):
        write_image(d / f"img{i}.png", textured(seed=i, h=40, w=56))
    return d


def test_label_dataset_core_backend_resume_and_records(tmp_path):
    data = _dataset(tmp_path)
    out = tmp_path / "labels"
    s1 = label_dataset([data], out, SMALL)
    assert s1.labelled == 3 and s1.skipped == 0 and not s1.errors
    cfg, recs = load_records(out)
    assert cfg == SMALL
    assert len(recs) == 3
    for r in recs:
        groups = [s["group"] for s in r["scores"]]
        assert groups == [g.name for g in SMALL.groups()]
        best = max(r["scores"], key=lambda s: s["score"])
        assert r["best"] == best["group"]
        assert all(s["bpp"] > 0 for s in r["scores"])
        # quality is measured against the original: "none" is the codec alone
        assert r["scores"][0]["quality"] < 100
    s2 = label_dataset([data], out, SMALL)
    assert s2.labelled == 0 and s2.skipped == 3


def test_label_dir_from_other_codec_or_pool_is_refused(tmp_path):
    data = _dataset(tmp_path, n=1)
    out = tmp_path / "labels"
    label_dataset([data], out, SMALL)
    other = LabelConfig(codec="webp", quality=75, metric="psnr", pool=SMALL.pool)
    with pytest.raises(InputError, match="codec: labels have 'jpeg', expected 'webp'"):
        label_dataset([data], out, other)
    other_pool = LabelConfig(codec="jpeg", quality=75, metric="psnr", pool=("nlm", "detail"))
    with pytest.raises(InputError, match="pool"):
        label_dataset([data], out, other_pool)


def test_bad_file_is_reported_and_skipped(tmp_path):
    data = _dataset(tmp_path, n=2)
    (data / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    s = label_dataset([data], tmp_path / "labels", SMALL)
    assert s.labelled == 2
    assert len(s.errors) == 1 and "broken.png" in s.errors[0][0]


def test_greyscale_and_alpha_inputs(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_image(data / "grey.png", textured(channels=1, h=40, w=48))
    write_image(data / "rgba.png", textured(channels=4, h=40, w=48))
    s = label_dataset([data], tmp_path / "labels", SMALL)
    assert s.labelled == 2, s.errors
    _, recs = load_records(tmp_path / "labels")
    assert sorted(r["channels"] for r in recs) == [1, 3]  # alpha dropped before labelling


def test_parallel_jobs(tmp_path):
    data = _dataset(tmp_path, n=2)
    s = label_dataset([data], tmp_path / "labels", SMALL, jobs=2)
    assert s.labelled == 2


def _dies_on_wide_images(image, codec, quality):
    """A backend whose worker process dies (as in a native crash) on 60-pixel-wide images."""
    import os

    from qualipress.preprocess.label import core_encode_decode

    if image.width == 60:
        os._exit(3)
    return core_encode_decode(image, codec, quality)


def test_a_worker_that_dies_fails_only_its_file_and_progress_keeps_input_order(tmp_path):
    data = _dataset(tmp_path, n=3)
    write_image(data / "img1b.png", textured(seed=9, h=40, w=60))  # sorts between img1 and img2
    seen = []
    s = label_dataset([data], tmp_path / "labels", SMALL, jobs=2, encode_decode=_dies_on_wide_images,
                      progress=lambda st: seen.append(st["path"].rsplit("/", 1)[-1]) if isinstance(st, dict) else 0)
    # a sibling task that wrote its record just before the pool broke is rerun and finds its record: it counts
    # as skipped (nothing redone), so the two counts together are the three good files (racy under load)
    assert s.labelled + s.skipped == 3 and len(s.errors) == 1 and s.errors[0][0].endswith("img1b.png")
    assert "worker process died" in s.errors[0][1]
    assert seen == ["img0.png", "img1.png", "img1b.png", "img2.png"]


def test_missing_input_and_corrupt_manifest(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        label_dataset([tmp_path / "nope"], tmp_path / "labels", SMALL)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(InputError, match="not a qualipress label manifest"):
        read_manifest(bad)
    with pytest.raises(InputError, match="not a label directory"):
        read_manifest(tmp_path)


def test_input_not_modified(tmp_path):
    img = textured()
    before = img.pixels.copy()
    score_image(img, SMALL)
    assert np.array_equal(img.pixels, before)
    assert isinstance(img, Image)


def test_rd_score_none_is_zero_and_savings_are_measured():
    cfg = LabelConfig(codec="jpeg", quality=75, metric="psnr", pool=("bilateral", "deadzone"), max_combo=1,
                      score="rd")
    img = textured(h=96, w=128, noise=6.0)
    res = score_image(img, cfg)
    by = {s.group: s for s in res.scores}
    assert by["none"].score == 0.0 and by["none"].rd_saving == 0.0
    for s in res.scores:
        if s.rd_saving is not None:
            assert s.rd_saving == pytest.approx((1 - np.exp(-s.score)) * 100)
    assert res.best == max(res.scores, key=lambda s: s.score).group


def test_unknown_score_rule():
    from qualipress.errors import UnsupportedError

    with pytest.raises(UnsupportedError, match="label score"):
        LabelConfig(score="vibes")


def test_rescore_reuses_stored_scores_and_adds_groups(tmp_path):
    from qualipress.preprocess.label import rescore_labels

    data = _dataset(tmp_path, n=2)
    src = tmp_path / "labels"
    label_dataset([data], src, SMALL)
    calls = []

    def ed(image, codec, quality):
        from qualipress.preprocess.label import core_encode_decode

        calls.append(quality)
        return core_encode_decode(image, codec, quality)

    dst = tmp_path / "rd"
    pool = (*SMALL.pool, "deadzone")
    s = rescore_labels(src, dst, score="rd", pool=pool, encode_decode=ed)
    assert s.labelled == 2 and not s.errors
    cfg, recs = load_records(dst)
    assert cfg.score == "rd" and cfg.pool == ("bilateral", "guided", "detail", "deadzone")
    n_new = len(cfg.groups()) - len(SMALL.groups())
    # per image: the new groups at q75 plus the unprocessed sweep without its q75 point
    assert len(calls) == 2 * (n_new + 6)
    for r in recs:
        assert {x["group"] for x in r["scores"]} == {g.name for g in cfg.groups()}
    assert rescore_labels(src, dst, score="rd", pool=pool).skipped == 2
