from qualipress.cli import main


def test_demo_runs_on_scikit_image_samples(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path), "--codec", "jpeg"]) == 0
    md = (tmp_path / "summary.md").read_text()
    assert "| C0 | jpeg |" in md and "| C2 | jpeg |" in md and "NO |" not in md
    assert (tmp_path / "summary.html").exists()
