"""Mistakes a new user makes get one line that says what to do, with the usage exit code 2."""

from __future__ import annotations

from qualipress import codecs
from qualipress.cli import main
from qualipress.io import as_image
from tests.conftest import photo_like


def test_decode_to_a_compressed_format_names_the_formats_not_a_function(tmp_path, capsys):
    src = tmp_path / "a.webp"
    src.write_bytes(codecs.get("webp").encode(as_image(photo_like(h=32, w=40)), quality=80))
    assert main(["decode", str(src), "-o", str(tmp_path / "a.jpg")]) == 2
    err = capsys.readouterr().err
    assert "write_image" not in err and ".png" in err and "encode" in err
    assert len(err.strip().splitlines()) == 1


def test_verify_of_a_missing_folder_is_a_usage_error(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "no such directory" in err


def test_a_folder_of_unread_formats_only_is_a_usage_error(tmp_path, capsys):
    """Only .bmp/.tga files: the run 'succeeded' with 0 files, an empty manifest and a summary naming a report
    that was never written."""
    from PIL import Image as PILImage

    from tests.conftest import photo_like as _photo

    src = tmp_path / "in"
    src.mkdir()
    PILImage.fromarray(_photo(16, 16)).save(src / "b.bmp")
    PILImage.fromarray(_photo(16, 16)).save(src / "c.tga")
    assert main(["compress", str(src), "-o", str(tmp_path / "o"), "--codec", "jpeg"]) == 2
    err = capsys.readouterr().err
    assert ".bmp" in err and ".tga" in err and "PNG or TIFF" in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    assert not (tmp_path / "o").exists()
