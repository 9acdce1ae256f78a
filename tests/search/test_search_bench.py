import json

from qualipress.bench.search_bench import run_search_bench
from qualipress.io import as_image, write_image
from qualipress.search.predict import load
from tests.conftest import photo_like


def test_bench_search_reports_cold_warm_and_baseline_against_the_exhaustive_sweep(tmp_path):
    d = tmp_path / "set"
    d.mkdir()
    for k in range(3):
        write_image(d / f"{k}.png", as_image(photo_like(64, 80, seed=k)))
    res = run_search_bench(d, tmp_path / "out", codecs=("jpeg",), targets=("ssim>=0.93", "C1"),
                           modes=("cold", "warm", "baseline"), log=lambda _: None)
    rows = res["rows"]
    predictor = load()
    assert len(rows) == 3 * 2 * 3
    assert {r["mode"] for r in rows} == {"cold", "warm", "baseline"}
    for r in rows:
        assert r["met"]
        assert r["bytes"] >= r["exhaustive_bytes"]  # same grid: never below the exhaustive minimum
        assert r["encode_cpu_seconds"] > 0
        # every full-image probe is in the row (lossy ones with their setting), the result among them
        assert len(r["probes"]) == r["encodes"] and r["guard_probes"] == 0
        assert any(p[0] == r["setting"] and p[1] and p[3] == r["bytes"] for p in r["probes"])
        if r["mode"] == "baseline":
            assert r["predicted_index"] is None
        elif predictor is not None and predictor.has("jpeg"):
            assert r["predicted_index"] is not None
    # C1 includes ssim@min: the exhaustive minimum honours the tile statistic, not only the mean
    sweep = json.loads((tmp_path / "out" / "sweep-cache.json").read_text())
    assert all("ssim@min" in row for rows_ in sweep.values() for row in rows_)
    assert "| jpeg | C1 | cold |" in res["markdown"] and "predictor error" in res["markdown"]
    assert "half-image probes" in res["markdown"] and all(r["steering"] == 0 for r in rows if r["mode"] == "baseline")


def test_bench_search_refuses_what_its_sweep_cannot_judge_before_any_work(tmp_path, capsys):
    """QA: ``--targets 'bytes<=30000'`` (or ms-ssim, roi:, butteraugli) ended in a KeyError traceback after the
    sweep; ``--codecs png`` in an AssertionError."""
    from qualipress.cli import main

    d = tmp_path / "set"
    d.mkdir()
    write_image(d / "0.png", as_image(photo_like(64, 80, seed=1)))
    for args in (["--targets", "bytes<=30000"], ["--targets", "C1;ms-ssim>=0.98"], ["--targets", "roi:ssim>=0.9"],
                 ["--targets", "butteraugli<=2"], ["--codecs", "png"]):
        assert main(["bench", "search", str(d), "-o", str(tmp_path / "out"), *args]) == 2, args
        err = capsys.readouterr().err
        assert "Traceback" not in err and err.strip().count("\n") == 0, err
    assert not (tmp_path / "out" / "sweep-cache.json").exists()
    (tmp_path / "empty").mkdir()
    for folder in ("missing", "empty"):  # FileNotFoundError / ZeroDivisionError tracebacks
        assert main(["bench", "search", str(tmp_path / folder), "-o", str(tmp_path / "out")]) == 2
        assert "Traceback" not in capsys.readouterr().err
