"""QA session 14: ``--dry-run`` says what a run would skip, as the run says it.

Before: after ``compress DIR -o DIR``, ``compress DIR -o other`` noted "skipped 2 earlier output(s) ..." but the
same command with ``--dry-run`` listed only the PNGs and said nothing of the outputs it left out.
"""

from __future__ import annotations

from pathlib import Path

from qualipress.cli import main
from qualipress.io import as_image, write_image
from tests.conftest import photo_like


def test_dry_run_notes_the_earlier_outputs_it_leaves_out(tmp_path: Path, capsys) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    for i in range(2):
        write_image(src / f"p{i}.png", as_image(photo_like(48, 64, seed=i)))
    assert main(["compress", str(src), "-o", str(src), "--codec", "jpeg", "--no-film"]) == 0
    capsys.readouterr()
    assert main(["compress", str(src), "-o", str(tmp_path / "other"), "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "skipped 2 earlier output(s)" in captured.err
    assert "p0.jpg" not in captured.out and "p0.png" in captured.out
    assert not (tmp_path / "other").exists()


def test_a_pattern_over_an_output_folder_leaves_its_outputs_out(tmp_path: Path, capsys) -> None:
    # lead 14: after compress DIR -o DIR, DIR/** was refused as "pattern matches no file" (DIR is an output folder)
    # and, once searched, found the outputs too (two inputs for one output name); the folder's report now leaves
    # them out as for the folder named itself
    src = tmp_path / "photos"
    (src / "s").mkdir(parents=True)
    for i in range(2):
        write_image(src / "s" / f"p{i}.png", as_image(photo_like(48, 64, seed=i)))
    assert main(["compress", str(src), "-o", str(src), "--codec", "jpeg", "--no-film"]) == 0
    capsys.readouterr()
    for pattern in (f"{src}/**", f"{src}/*/*"):
        assert main(["compress", pattern, "-o", str(tmp_path / "other"), "--dry-run"]) == 0, pattern
        captured = capsys.readouterr()
        assert "skipped 2 earlier output(s)" in captured.err, pattern
        assert "p0.jpg" not in captured.out and "p0.png" in captured.out, pattern


def test_a_subfolder_of_an_output_folder_leaves_its_outputs_out(tmp_path: Path, capsys) -> None:
    # review rev6: after compress DIR -o DIR, naming DIR/s (or DIR/s/*) as the input took the outputs written next
    # to s's images as inputs (DIR/s holds no report; DIR's report lists them): with --name-with-ext they were
    # compressed again
    src = tmp_path / "photos"
    (src / "s").mkdir(parents=True)
    for i in range(2):
        write_image(src / "s" / f"p{i}.png", as_image(photo_like(48, 64, seed=i)))
    assert main(["compress", str(src), "-o", str(src), "--codec", "jpeg", "--no-film", "--name-with-ext"]) == 0
    assert (src / "s" / "p0.png.jpg").is_file()
    capsys.readouterr()
    for spec in (str(src / "s"), f"{src}/s/*"):
        assert main(["compress", spec, "-o", str(tmp_path / "other"), "--dry-run"]) == 0, spec
        captured = capsys.readouterr()
        assert "p0.png.jpg" not in captured.out and "p0.png" in captured.out, spec
        assert "skipped 2 earlier output(s)" in captured.err, spec
