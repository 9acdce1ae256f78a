"""The RD sweep: outputs, incremental cache, bad input, coding for machines."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from qualipress.errors import InputError, UnsupportedError
from qualipress.rd.sweep import parse_qualities, run_rd

Q = {"jpeg": [20.0, 40.0, 60.0, 80.0, 95.0], "pillow-jpeg": [20.0, 40.0, 60.0, 80.0, 95.0]}


def test_outputs_are_compressai_compatible(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    res = run_rd(dataset, out, codecs=["jpeg", "pillow-jpeg"], qualities=Q, metrics=["psnr", "ms-ssim"])
    assert res.computed == 20 and res.cached == 0 and not res.errors
    obj = json.loads((out / "pillow-jpeg.json").read_text())
    assert obj["name"] == "pillow-jpeg" and isinstance(obj["description"], str)
    r = obj["results"]
    assert len(r["bpp"]) == len(r["psnr-rgb"]) == len(r["ms-ssim-rgb"]) == 5
    assert r["bpp"] == sorted(r["bpp"]) and r["psnr-rgb"] == sorted(r["psnr-rgb"])
    rows = list(csv.DictReader((out / "rows.csv").read_text().splitlines()))
    assert len(rows) == 20 and {"image", "codec", "setting", "bpp", "psnr-rgb", "ms-ssim-rgb"} <= set(rows[0])
    # per-image rows average to the curve point
    pts = [float(x["psnr-rgb"]) for x in rows if x["codec"] == "pillow-jpeg" and float(x["setting"]) == 20.0]
    assert r["psnr-rgb"][0] == pytest.approx(np.mean(pts))
    s = json.loads((out / "summary.json").read_text())
    assert "pillow-jpeg" in s["bd"]["psnr-rgb"]


def test_rerun_is_incremental(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    run_rd(dataset, out, codecs=["jpeg"], qualities=Q, metrics=["psnr"], anchor=None)
    again = run_rd(dataset, out, codecs=["jpeg"], qualities=Q, metrics=["psnr"], anchor=None)
    assert again.computed == 0 and again.cached == 10
    more = run_rd(dataset, out, codecs=["jpeg"], qualities={"jpeg": [*Q["jpeg"], 90.0]}, metrics=["psnr"],
                  anchor=None)
    assert more.computed == 2 and more.cached == 10
    # a new metric recomputes the rows and keeps the old values
    m = run_rd(dataset, out, codecs=["jpeg"], qualities=Q, metrics=["psnr", "ssim"], anchor=None)
    assert m.computed == 10
    assert all({"psnr-rgb", "ssim-rgb"} <= set(r["metrics"]) for r in m.rows)


def test_a_bad_file_is_reported_and_skipped(dataset: Path, tmp_path: Path) -> None:
    (dataset / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    res = run_rd(dataset, tmp_path / "res", codecs=["jpeg"], qualities=Q, metrics=["psnr"], anchor=None)
    assert res.computed == 10
    assert len(res.errors) == 1 and "broken.png" in res.errors[0]["image"]


def test_bad_arguments(dataset: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="empty"):
        run_rd(empty, tmp_path / "r", codecs=["jpeg"])
    with pytest.raises(InputError, match="anchor"):
        run_rd(dataset, tmp_path / "r", codecs=["jpeg"], anchor="webp")
    with pytest.raises(InputError, match="task"):
        run_rd(dataset, tmp_path / "r", codecs=["jpeg"], task="cats")
    with pytest.raises(UnsupportedError):
        run_rd(dataset, tmp_path / "r", codecs=["jpeg"], qualities={"jpeg": [150.0]})


def test_parse_qualities() -> None:
    q = parse_qualities(["jpeg=5:15:5,50", "learned:x=1,2"], ["jpeg", "learned:x"])
    assert q == {"jpeg": [5.0, 10.0, 15.0, 50.0], "learned:x": [1.0, 2.0]}
    assert parse_qualities(["10,20"], ["a", "b"]) == {"a": [10.0, 20.0], "b": [10.0, 20.0]}
    with pytest.raises(InputError):
        parse_qualities(["webp=1"], ["jpeg"])
    with pytest.raises(InputError):
        parse_qualities(["jpeg=a,b"], ["jpeg"])


def test_task_f1_is_micro_averaged(dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a stand-in detector: boxes survive at high quality and vanish at low quality."""
    from qualipress.detect import Region
    from qualipress.rd import sweep

    def fake(image, task):
        # a "face" whose box is found only while the image keeps fine detail
        px = image.pixels.astype(np.float32)
        detail = float(np.abs(np.diff(px, axis=1)).mean())
        return [Region("faces", (4, 4, 20, 20), 0.9)] if detail > 7.2 else []

    monkeypatch.setattr(sweep, "_task_regions", fake)
    res = run_rd(dataset, tmp_path / "r", codecs=["jpeg"], qualities={"jpeg": [5.0, 95.0]}, metrics=["psnr"],
                 task="faces", anchor=None)
    f1 = res.curves["jpeg"]["results"]["f1-faces"]
    assert f1[-1] == pytest.approx(1.0)
    assert f1[0] < 1.0
    assert "f1-faces-image-mean" in res.curves["jpeg"]["results"]
    kw = dict(codecs=["jpeg"], qualities={"jpeg": [5.0, 95.0]}, metrics=["psnr"], task="faces", anchor=None)
    assert run_rd(dataset, tmp_path / "r", **kw).computed == 0
    # another detector version invalidates the task rows
    monkeypatch.setattr(sweep, "task_version", lambda task: "changed")
    assert run_rd(dataset, tmp_path / "r", **kw).computed == 4


@pytest.mark.data
def test_real_detectors_on_people(tmp_path: Path) -> None:
    """Faces and persons tasks with the shipped detectors; each task keeps its own counts in the cache."""
    from .conftest import DATA

    people = DATA / "people" / "mmpose_testdata" / "coco"
    files = sorted(people.glob("*.jpg"))[:2] if people.is_dir() else []
    if not files:
        pytest.skip("../shared/data/people not present")
    kw = dict(codecs=["jpeg"], qualities={"jpeg": [10.0, 90.0]}, metrics=["psnr"], anchor=None)
    try:
        faces = run_rd(files, tmp_path / "r", task="faces", **kw)
        persons = run_rd(files, tmp_path / "r", task="persons", **kw)
    except Exception as exc:  # a detector whose model cannot load on this machine
        pytest.skip(f"detector unavailable: {exc}")
    f = faces.curves["jpeg"]["results"]
    p = persons.curves["jpeg"]["results"]
    assert "f1-faces" in f and "f1-persons" not in f
    assert "f1-persons" in p and "f1-faces" not in p
    assert all(0.0 <= v <= 1.0 for v in f["f1-faces"] + p["f1-persons"])
    assert f["f1-faces"][-1] >= f["f1-faces"][0]
    assert run_rd(files, tmp_path / "r", task="faces", **kw).computed == 0
