from qualipress.cli import main


def test_demo_runs_on_scikit_image_samples(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path), "--codec", "jpeg"]) == 0
    md = (tmp_path / "summary.md").read_text()
    assert "| C0 | jpeg |" in md and "| C2 | jpeg |" in md and "NO |" not in md
    assert (tmp_path / "summary.html").exists()


def test_demo_page_has_profiles_chart_and_thumbnails(tmp_path):
    assert main(["demo", "-o", str(tmp_path), "--codec", "webp"]) == 0
    page = (tmp_path / "summary.html").read_text()
    assert "<h2>Profiles</h2>" in page and "visually lossless" in page and "previews, proxies" in page
    assert "<svg" in page and page.count("<circle") >= 5
    srcs = [s.split("'")[0] for s in page.split("<img loading='lazy' src='")[1:]]
    assert len(srcs) == 15 and all((tmp_path / s).is_file() for s in srcs)
