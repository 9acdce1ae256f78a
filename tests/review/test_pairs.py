from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image as PILImage

from qualipress.errors import InputError
from qualipress.review.pairs import REPORT_NAME, scan_collection, scan_collections

from .conftest import smooth_image


def test_report_collection_pairs_and_refusals(collection: Path) -> None:
    scan = scan_collection(collection)
    assert len(scan.pairs) == 6
    by_codec = {p.codec for p in scan.pairs}
    assert by_codec == {"jpeg", "webp"}
    for p in scan.pairs:
        assert p.compressed.is_relative_to(collection.resolve())
        assert p.original.name.startswith("img") and p.original.suffix == ".png"
        assert p.profile == ("C1" if p.codec == "jpeg" else "C2")
    webp = next(p for p in scan.pairs if p.codec == "webp")
    assert webp.name.startswith("sub/")  # relative paths resolved against the collection
    assert webp.params == {"quality": 40} and webp.metrics == {"ssim": 0.92}
    reasons = "\n".join(scan.skipped)
    assert "failed to compress" in reasons
    assert "outside the collection" in reasons
    assert not any(p.compressed.name == "secret.png" for p in scan.pairs)


def test_keys_are_stable_and_unique(collection: Path) -> None:
    a = scan_collection(collection)
    b = scan_collection(collection)
    assert [p.key for p in a.pairs] == [p.key for p in b.pairs]
    assert len({p.key for p in a.pairs}) == len(a.pairs)


def test_resumed_report_last_record_wins(collection: Path) -> None:
    report = collection / REPORT_NAME
    first = json.loads(report.read_text().splitlines()[0])
    first["params"] = {"quality": 31}
    with report.open("a") as fh:
        fh.write("not json\n" + json.dumps(first) + "\n")
    scan = scan_collection(collection)
    assert len(scan.pairs) == 6
    jpg0 = next(p for p in scan.pairs if p.compressed.name == "img0.jpg")
    assert jpg0.params == {"quality": 31}
    assert any("not JSON" in s for s in scan.skipped)


def test_symlink_escaping_collection_refused(tmp_path: Path) -> None:
    root = tmp_path / "pairs"
    (root / "original").mkdir(parents=True)
    (root / "jpeg").mkdir()
    PILImage.fromarray(smooth_image(0)).save(root / "original" / "a.png")
    outside = tmp_path / "outside.jpg"
    PILImage.fromarray(smooth_image(1)).save(outside)
    os.symlink(outside, root / "jpeg" / "a.jpg")
    with pytest.raises(InputError, match="no reviewable pair"):
        scan_collections([root])


def test_pair_directory_layout(tmp_path: Path) -> None:
    root = tmp_path / "pairs"
    for d in ("original", "jpeg-q80", "avif-q50"):
        (root / d).mkdir(parents=True)
    for i in range(2):
        arr = smooth_image(i)
        PILImage.fromarray(arr).save(root / "original" / f"f{i}.png")
        PILImage.fromarray(arr).save(root / "jpeg-q80" / f"f{i}.jpg", quality=80)
        PILImage.fromarray(arr).save(root / "avif-q50" / f"f{i}.webp", quality=50)
    PILImage.fromarray(smooth_image(5)).save(root / "jpeg-q80" / "orphan.jpg")
    (root / "jpeg-q80" / "notes.txt").write_text("ignored")
    scan = scan_collection(root)
    assert sorted((p.codec, p.original.name, p.compressed.name) for p in scan.pairs) == [
        ("avif-q50", "f0.png", "f0.webp"),
        ("avif-q50", "f1.png", "f1.webp"),
        ("jpeg-q80", "f0.png", "f0.jpg"),
        ("jpeg-q80", "f1.png", "f1.jpg"),
    ]
    assert any("orphan" in s for s in scan.skipped)


def test_not_a_collection(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a collection"):
        scan_collection(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        scan_collection(tmp_path / "missing")
    with pytest.raises(InputError, match="no collection"):
        scan_collections([])


def test_collections_deduplicated(collection: Path) -> None:
    scan = scan_collections([collection, collection])
    assert len(scan.pairs) == 6


def test_real_compress_output_is_a_collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qualipress.cli import main

    src = tmp_path / "src"
    src.mkdir()
    for i in range(2):
        PILImage.fromarray(smooth_image(i, (64, 48))).save(src / f"s{i}.png")
    monkeypatch.chdir(tmp_path)  # compress records outputs relative to where it ran: "out/s0.jpg"
    assert main(["compress", "src", "-o", "out", "--profile", "C2", "--codec", "jpeg", "--no-film"]) == 0
    scan = scan_collection(tmp_path / "out")
    assert sorted(p.compressed.name for p in scan.pairs) == ["s0.jpg", "s1.jpg"]
    assert {p.profile for p in scan.pairs} == {"C2"} and {p.codec for p in scan.pairs} == {"jpeg"}
    assert all(p.original.parent == src.resolve() for p in scan.pairs)
    assert all("ssim" in p.metrics and p.facts.get("bytes") for p in scan.pairs)
    # reviewed from elsewhere: the run directory is inferred from "out/s0.jpg" and the collection path
    monkeypatch.chdir(src)
    again = scan_collection(tmp_path / "out")
    assert sorted(p.key for p in again.pairs) == sorted(p.key for p in scan.pairs)
    assert all(p.original.parent == src.resolve() for p in again.pairs)


def test_original_links_may_point_outside(tmp_path: Path) -> None:
    root = tmp_path / "pairs"
    (root / "original").mkdir(parents=True)
    (root / "jpeg").mkdir()
    scan_file = tmp_path / "scans" / "a.png"
    scan_file.parent.mkdir()
    PILImage.fromarray(smooth_image(0)).save(scan_file)
    os.symlink(scan_file, root / "original" / "a.png")
    PILImage.fromarray(smooth_image(0)).save(root / "jpeg" / "a.jpg", quality=50)
    (pair,) = scan_collection(root).pairs
    assert pair.original == scan_file.resolve() and pair.compressed.parent == (root / "jpeg").resolve()
