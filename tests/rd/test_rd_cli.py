"""bench rd / bench plot through qualipress.cli.main."""

from __future__ import annotations

import json
from pathlib import Path


def test_bench_rd_and_plot(dataset: Path, tmp_path: Path, capsys) -> None:
    from qualipress.cli import main

    out = tmp_path / "res"
    args = ["bench", "rd", str(dataset), "-o", str(out), "--codecs", "pillow-jpeg,jpeg",
            "--qualities", "20:80:15", "--metrics", "psnr"]
    assert main(args) == 0
    assert {"pillow-jpeg.json", "jpeg.json", "rows.csv", "summary.json", "report.html", "rd.png"} <= {
        p.name for p in out.iterdir()}
    assert "BD vs pillow-jpeg" in (out / "report.html").read_text()
    s = json.loads((out / "summary.json").read_text())
    assert s["anchor"] == "pillow-jpeg" and s["rows_computed"] == 20
    assert main(args) == 0
    assert json.loads((out / "summary.json").read_text())["rows_cached"] == 20
    png = tmp_path / "plot.png"
    capsys.readouterr()
    assert main(["bench", "plot", str(out), "-o", str(png), "--metrics", "psnr-rgb"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # one line like every other command's (it printed a JSON object without being asked)
    assert capsys.readouterr().out.strip() == f"{png}: 2 curves (jpeg, pillow-jpeg)"


def test_bench_rd_errors(tmp_path: Path, dataset: Path) -> None:
    from qualipress.cli import main

    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["bench", "rd", str(empty), "-o", str(tmp_path / "r"), "--codecs", "jpeg"]) == 2
    assert main(["bench", "rd", str(dataset), "-o", str(tmp_path / "r"), "--codecs", "nocodec"]) == 2
    assert main(["bench", "plot", str(empty), "-o", str(tmp_path / "p.png")]) == 2


def test_bench_rd_without_any_point_says_why(tmp_path: Path, capsys) -> None:
    """Review rev6: when no image gave a curve point (every row failed, or every image was left out), the report
    step ended the run with "none of the metrics [] is in the results" before the reasons were printed.

    QA session 18: exit 1 (inputs failed), not 2 (usage or setup error): every input failing is still inputs
    failing, as ``compress`` and ``preprocess label`` exit 1 when all their images are bad."""
    import imagecodecs
    import numpy as np

    from qualipress.cli import main

    data = tmp_path / "deep"
    data.mkdir()
    for i in range(2):
        px = (np.random.default_rng(i).random((24, 32, 3)) * 65535).astype(np.uint16)
        (data / f"d{i}.png").write_bytes(imagecodecs.png_encode(px))
    assert main(["bench", "rd", str(data), "-o", str(tmp_path / "r"), "--codecs", "webp", "--metrics", "psnr"]) == 1
    err = capsys.readouterr().err
    assert "none of the metrics" not in err and "no curve has a point" in err
    assert err.count("stores 8-bit samples; the image is 16-bit") == 2


def test_bench_rd_with_a_bad_image_exits_1_after_writing_the_rest(dataset: Path, tmp_path: Path, capsys) -> None:
    """QA session 18: rows skipped for a truncated image were named, but the run exited 0 (compress, archive,
    restore and preprocess label exit 1 when some inputs fail)."""
    from qualipress.cli import main

    good = (dataset / "im0.png").read_bytes()
    (dataset / "cut.png").write_bytes(good[: len(good) // 3])
    out = tmp_path / "res"
    args = ["bench", "rd", str(dataset), "-o", str(out), "--codecs", "jpeg", "--qualities", "30,60,90",
            "--metrics", "psnr"]
    assert main(args) == 1
    assert "cut.png" in capsys.readouterr().err and (out / "report.html").is_file()
    assert json.loads((out / "summary.json").read_text())["images_left_out"]
